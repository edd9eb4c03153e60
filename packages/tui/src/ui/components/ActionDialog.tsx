import { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { escapeForTerminal } from '@cafsup/shared';
import { useKeys } from '../hooks/use-keys.js';
import type { ActionDialogState } from '../hooks/use-action.js';
import { theme } from '../theme.js';
import { SLOW_AFTER_MS, Spinner } from './Spinner.js';
import { TextInput } from './TextInput.js';

interface ActionDialogProps {
  dialog: ActionDialogState;
  width: number;
  height: number;
  onClose(): void;
}

/** Lines wrapped to `width`, as many as fit `height` rows, then how many more there are. */
function Lines({ lines, height, width }: { lines: string[]; height: number; width: number }) {
  const rows = (line: string) => Math.max(1, Math.ceil(line.length / Math.max(1, width)));
  let used = 0;
  const fitting = lines.findIndex((line) => (used += rows(line)) > height - 1);
  const shown =
    fitting === -1 || (fitting === lines.length - 1 && used <= height) ? lines : [...lines.slice(0, fitting), `  … et ${lines.length - fitting} de plus`];
  return (
    <>
      {shown.map((line, index) => (
        <Text key={index} wrap="wrap">
          {line}
        </Text>
      ))}
    </>
  );
}

/**
 * The write under way. Past a moment it says that it waits for the database, held elsewhere:
 * it said « enregistrement… » alone until the transport gave up (review 42b). No Échap here: a
 * write already sent may still be made once the database is free, so only its end says what was.
 */
function Writing() {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setSlow(true), SLOW_AFTER_MS);
    return () => clearTimeout(timer);
  }, []);
  return <Spinner label={slow ? 'enregistrement… la base tarde à répondre (occupée ailleurs ?)' : 'enregistrement…'} />;
}

function Choice({
  choices,
  onPick,
  onCancel,
  active,
}: {
  choices: { label: string; value: string }[];
  onPick(value: string): void;
  onCancel(): void;
  active: boolean;
}) {
  const [index, setIndex] = useState(0);
  useKeys(
    (press) => {
      if (press.name === 'up' || press.text === 'k') setIndex((current) => Math.max(0, current - 1));
      else if (press.name === 'down' || press.text === 'j') setIndex((current) => Math.min(choices.length - 1, current + 1));
      else if (press.name === 'return') onPick(choices[index]!.value);
      else if (press.name === 'escape') onCancel();
    },
    { active },
  );
  const start = Math.max(0, Math.min(index - 3, choices.length - 7));
  return (
    <>
      {choices.slice(start, start + 7).map((choice, offset) => (
        <Text key={choice.value} inverse={start + offset === index}>{`${start + offset === index ? '›' : ' '} ${choice.label}`}</Text>
      ))}
    </>
  );
}

/** The dialog of an action: questions, the dry run, the reason, « o/n », then the result and its traces. */
export function ActionDialog({ dialog, width, height, onClose }: ActionDialogProps) {
  const { plan, state } = dialog;
  const [text, setText] = useState('');
  const room = Math.max(3, height - 8);
  // The dialog has the keyboard: a key it does not use does nothing (not a global key).
  useKeys(
    (press) => {
      if (state.step === 'confirm') {
        if (press.text === 'o' || press.text === 'O') dialog.confirm(true);
        else if (press.text === 'n' || press.text === 'N' || press.name === 'escape') dialog.confirm(false);
      } else if (state.step === 'done' || state.step === 'failed') {
        // Entrée or Échap only: keys typed ahead for the reason and « o » that reach the result
        // in a later read than those dropped below (slow SSH) are not taken as « close », with the
        // rest of them landing on the list as commands (`s`, `p`, `a` open other actions there).
        if (press.name === 'return' || press.name === 'escape') onClose();
      } else if (press.name === 'escape' && state.step !== 'running') onClose();
    },
    {
      active: state.step !== 'question' && state.step !== 'reason',
      waiting: state.step === 'preview' || state.step === 'running',
      // The keys typed while the dry run ran were meant for the reason and « o »: when the dialog
      // ends instead (nothing to do, refused, database busy), they are dropped rather than closing
      // the result unread and landing on the list as commands (review 42b: « R » then « suspicion
      // levée⏎o » on an active habilitation suspended it, reason « picion levée »). Those typed
      // during the write are dropped too, on purpose: its result, its trace's number, is read first.
      dropHeld: state.step === 'done' || state.step === 'failed',
    },
  );
  const submit = (handler: (value: string) => void) => (value: string) => {
    setText('');
    handler(value);
  };
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1} width={width} height={height} overflow="hidden">
      <Text bold>{plan.title}</Text>
      {state.step === 'question' ? (
        <>
          <Text>{state.question.label}</Text>
          {state.question.choices === undefined ? (
            <TextInput
              key={state.question.key}
              value={text === '' && state.question.initial !== undefined ? '' : text}
              placeholder={state.question.initial ?? ''}
              onChange={setText}
              onSubmit={submit((value) => dialog.answer(value === '' ? (state.question.initial ?? '') : value))}
              onCancel={onClose}
            />
          ) : (
            <Choice key={state.question.key} choices={state.question.choices} onPick={submit(dialog.answer)} onCancel={onClose} active />
          )}
          {state.error === null ? null : <Text color={theme.danger}>{`✗ ${state.error}`}</Text>}
          <Text color={theme.muted}>Entrée valide · Échap annule</Text>
        </>
      ) : null}
      {state.step === 'preview' ? <Spinner label="simulation… (Échap pour annuler)" /> : null}
      {state.step === 'reason' || state.step === 'confirm' ? (
        <>
          <Text>Ce qui changera (simulation, rien n’est encore écrit) :</Text>
          <Lines lines={state.preview.lines} height={room} width={width - 4} />
        </>
      ) : null}
      {state.step === 'reason' ? (
        <>
          <Text>
            {state.preview.suggestedReason !== undefined
              ? 'Motif (Entrée seule : celui proposé) :'
              : plan.reasonRequired
                ? 'Motif (obligatoire, 5 caractères au moins) :'
                : 'Motif (facultatif) :'}
          </Text>
          <TextInput
            value={text}
            placeholder={escapeForTerminal(state.preview.suggestedReason ?? '')}
            onChange={setText}
            onSubmit={submit(dialog.giveReason)}
            onCancel={onClose}
          />
          {state.error === null ? null : <Text color={theme.danger}>{`✗ ${state.error}`}</Text>}
        </>
      ) : null}
      {state.step === 'confirm' ? (
        <Text bold>{`Motif : ${state.reason === undefined ? '(par défaut)' : escapeForTerminal(state.reason)} — confirmer ? (o/n)`}</Text>
      ) : null}
      {state.step === 'running' ? <Writing /> : null}
      {state.step === 'done' ? (
        <>
          <Text color={theme.success}>
            {state.outcome.nothing
              ? '✓ Rien à modifier :'
              : `✓ Fait. ${state.outcome.traceIds.length > 1 ? 'Traces' : 'Trace'} n° ${state.outcome.traceIds.join(', ')}`}
          </Text>
          <Lines lines={state.outcome.lines} height={room} width={width - 4} />
          <Text color={theme.muted}>Entrée ou Échap pour fermer</Text>
        </>
      ) : null}
      {state.step === 'failed' ? (
        <>
          <Text color={theme.danger}>{`✗ ${escapeForTerminal(state.message)}`}</Text>
          <Lines lines={state.problems.map(escapeForTerminal)} height={room} width={width - 4} />
          <Text color={theme.muted}>Rien n’a été modifié. Entrée ou Échap pour fermer</Text>
        </>
      ) : null}
    </Box>
  );
}
