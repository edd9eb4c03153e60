import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import type { ActionDialogState } from '../hooks/use-action.js';
import { theme } from '../theme.js';
import { Spinner } from './Spinner.js';
import { TextInput } from './TextInput.js';

interface ActionDialogProps {
  dialog: ActionDialogState;
  width: number;
  height: number;
  onClose(): void;
}

function Lines({ lines, height }: { lines: string[]; height: number }) {
  const shown = lines.length > height ? [...lines.slice(0, height - 1), `  … et ${lines.length - height + 1} de plus`] : lines;
  return (
    <>
      {shown.map((line, index) => (
        <Text key={index} wrap="truncate">
          {line}
        </Text>
      ))}
    </>
  );
}

function Choice({ choices, onPick, active }: { choices: { label: string; value: string }[]; onPick(value: string): void; active: boolean }) {
  const [index, setIndex] = useState(0);
  useInput(
    (_input, key) => {
      if (key.upArrow) setIndex((current) => Math.max(0, current - 1));
      else if (key.downArrow) setIndex((current) => Math.min(choices.length - 1, current + 1));
      else if (key.return) onPick(choices[index]!.value);
    },
    { isActive: active },
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
  useInput(
    (input, key) => {
      if (state.step === 'confirm') {
        if (input === 'o' || input === 'O') dialog.confirm(true);
        else if (input === 'n' || input === 'N' || key.escape) dialog.confirm(false);
      } else if (state.step === 'done' || state.step === 'failed') onClose();
      else if (key.escape && state.step !== 'running') onClose();
    },
    { isActive: state.step !== 'question' && state.step !== 'reason' },
  );
  const submit = (handler: (value: string) => void) => (value: string) => {
    setText('');
    handler(value);
  };
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1} width={width}>
      <Text bold>{plan.title}</Text>
      {state.step === 'question' ? (
        <>
          <Text>{state.question.label}</Text>
          {state.question.choices === undefined ? (
            <TextInput key={state.question.key} value={text === '' && state.question.initial !== undefined ? '' : text} placeholder={state.question.initial ?? ''} onChange={setText} onSubmit={submit((value) => dialog.answer(value === '' ? (state.question.initial ?? '') : value))} onCancel={onClose} />
          ) : (
            <Choice key={state.question.key} choices={state.question.choices} onPick={submit(dialog.answer)} active />
          )}
          {state.error === null ? null : <Text color={theme.danger}>{`✗ ${state.error}`}</Text>}
          <Text color={theme.muted}>Entrée valide · Échap annule</Text>
        </>
      ) : null}
      {state.step === 'preview' ? <Spinner label="simulation" /> : null}
      {state.step === 'reason' || state.step === 'confirm' ? (
        <>
          <Text>Ce qui changera (simulation, rien n’est encore écrit) :</Text>
          <Lines lines={state.preview.lines} height={room} />
        </>
      ) : null}
      {state.step === 'reason' ? (
        <>
          <Text>{plan.reasonRequired ? 'Motif (obligatoire, 5 caractères au moins) :' : 'Motif (facultatif) :'}</Text>
          <TextInput value={text} onChange={setText} onSubmit={submit(dialog.giveReason)} onCancel={onClose} />
          {state.error === null ? null : <Text color={theme.danger}>{`✗ ${state.error}`}</Text>}
        </>
      ) : null}
      {state.step === 'confirm' ? <Text bold>{`Motif : ${state.reason ?? '(par défaut)'} — confirmer ? (o/n)`}</Text> : null}
      {state.step === 'running' ? <Spinner label="enregistrement" /> : null}
      {state.step === 'done' ? (
        <>
          <Text color={theme.success}>{state.outcome.nothing ? '✓ Rien à modifier :' : `✓ Fait. Trace(s) n° ${state.outcome.traceIds.join(', ')}`}</Text>
          <Lines lines={state.outcome.lines} height={room} />
          <Text color={theme.muted}>Une touche pour fermer</Text>
        </>
      ) : null}
      {state.step === 'failed' ? (
        <>
          <Text color={theme.danger}>{`✗ ${state.message}`}</Text>
          <Lines lines={state.problems} height={room} />
          <Text color={theme.muted}>Rien n’a été modifié. Une touche pour fermer</Text>
        </>
      ) : null}
    </Box>
  );
}
