import { useEffect, useMemo, useState } from 'react';
import { reasonSchema, refusalLines, toCafsupError } from '@cafsup/shared';
import type { Answers, Question } from '../../avenant-form.js';
import { planFor, type ActionPlan, type Outcome } from '../actions.js';
import type { ActionRequest } from '../navigation.js';
import { useSession } from '../session.js';

export type ActionStep =
  | { step: 'question'; question: Question; error: string | null }
  | { step: 'preview' }
  | { step: 'reason'; preview: Outcome; error: string | null }
  | { step: 'confirm'; preview: Outcome; reason: string | undefined }
  | { step: 'running' }
  | { step: 'done'; outcome: Outcome }
  | { step: 'failed'; message: string; problems: string[] };

export interface ActionDialogState {
  plan: ActionPlan;
  state: ActionStep;
  answer(value: string): void;
  giveReason(reason: string): void;
  confirm(yes: boolean): void;
}

/**
 * The dialog of one action: its questions, the dry run (what exactly would change), the
 * reason, the « o/n » confirmation, the run; every SDK call of a dialog is here.
 */
export function useAction(request: ActionRequest, onDone: (outcome: Outcome) => void, onCancel: () => void): ActionDialogState {
  const { client, today } = useSession();
  const plan = useMemo(() => planFor(request, today), [request, today]);
  const [queue, setQueue] = useState<Question[]>(plan.questions);
  const [answers, setAnswers] = useState<Answers>({});
  const [state, setState] = useState<ActionStep>(
    plan.questions.length > 0 ? { step: 'question', question: plan.questions[0]!, error: null } : { step: 'preview' },
  );

  const fail = (error: unknown) => {
    // Said as the command line says it: each problem once (review 25, L: the form's refusal listed them twice).
    const { heading, problems } = refusalLines(toCafsupError(error));
    setState({ step: 'failed', message: heading, problems });
  };

  useEffect(() => {
    if (state.step !== 'preview') return;
    plan.run(client, answers, { reason: undefined, dryRun: true }).then((preview) => {
      setState(preview.nothing ? { step: 'done', outcome: preview } : { step: 'reason', preview, error: null });
    }, fail);
    // The dry run runs when the dialog enters its preview step; the plan, client and answers are fixed by then.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state.step]);

  return {
    plan,
    state,
    answer(value) {
      if (state.step !== 'question') return;
      const question = state.question;
      const trimmed = value.trim();
      if (trimmed === '' && question.optional !== true) return setState({ ...state, error: 'réponse obligatoire' });
      const problem = question.check?.(trimmed) ?? null;
      if (problem !== null) return setState({ ...state, error: problem });
      const nextAnswers = { ...answers, [question.key]: trimmed };
      const nextQueue = [...(plan.follow?.(question, trimmed) ?? []), ...queue.slice(1)];
      setAnswers(nextAnswers);
      setQueue(nextQueue);
      setState(nextQueue.length > 0 ? { step: 'question', question: nextQueue[0]!, error: null } : { step: 'preview' });
    },
    giveReason(reason) {
      if (state.step !== 'reason') return;
      const trimmed = reason.trim() === '' ? (state.preview.suggestedReason ?? '') : reason.trim();
      if (trimmed === '' && !plan.reasonRequired) return setState({ step: 'confirm', preview: state.preview, reason: undefined });
      const parsed = reasonSchema.safeParse(trimmed);
      if (!parsed.success) return setState({ ...state, error: parsed.error.issues[0]!.message });
      setState({ step: 'confirm', preview: state.preview, reason: parsed.data });
    },
    confirm(yes) {
      if (state.step !== 'confirm') return;
      if (!yes) return onCancel();
      const reason = state.reason;
      setState({ step: 'running' });
      plan.run(client, answers, { reason, dryRun: false }).then((outcome) => {
        setState({ step: 'done', outcome });
        onDone(outcome);
      }, fail);
    },
  };
}
