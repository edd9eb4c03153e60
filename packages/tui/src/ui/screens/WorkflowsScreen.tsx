import { Box, Text } from 'ink';
import { REQUEST_KIND_LABELS, REQUEST_STATUS_LABELS, escapeForTerminal, type LadderView, type QuestionRecord, type RequestRecord } from '@cafsup/shared';
import { frenchDate } from '../../format.js';
import { describeNextStep } from '../../workflow-words.js';
import { LoadState } from '../components/Loading.js';
import { useAsync } from '../hooks/use-async.js';
import { useKeys } from '../hooks/use-keys.js';
import { GLOBAL_BINDINGS, SCREEN_BINDINGS, commandOf, footerOf } from '../keys.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { theme } from '../theme.js';

interface WorkflowsView {
  ladder: LadderView;
  questions: QuestionRecord[];
  requests: RequestRecord[];
}

/** The partner's supervision file: the ladder, the questions and incidents on their clocks, the register of forms. */
function useWorkflows(partnerId: string) {
  const { client } = useSession();
  const { asOf, revision } = useNavigation();
  const dated = asOf === undefined ? {} : { asOf };
  return useAsync<WorkflowsView>(async () => {
    const [ladder, questions, requests] = await Promise.all([
      client.partners.ladder(partnerId, dated),
      client.questions.list(partnerId, dated),
      client.requests.list(partnerId),
    ]);
    return { ladder, questions, requests };
  }, [partnerId, asOf, revision]);
}

const KEYS = SCREEN_BINDINGS.workflows;
const MARKS = { done: '✓', proposed: '→', later: '·', not_applicable: ' ' } as const;

function questionState(question: QuestionRecord): string {
  const { clock } = question;
  if (clock.answered) return 'répondu';
  if (clock.rungDue !== null) return `escalade : ${clock.rungDue.name}`;
  return clock.overdue ? 'en retard' : 'en attente';
}

/** A received form or an open question, as the dialog offers it to choose from. */
const numberedRequest = (request: RequestRecord) => ({
  number: request.number,
  label: `n° ${request.number} ${REQUEST_KIND_LABELS[request.kind]}, reçue le ${frenchDate(request.receivedAt)}`,
});
const numberedQuestion = (question: QuestionRecord) => ({ number: question.number, label: `n° ${question.number} ${escapeForTerminal(question.text)}` });

/**
 * `:suivi ID` or `f` on the partner sheet: the ladder, the questions, the register of forms, and
 * a key for each workflow step (workflows.md), each a dialog with its dry run and reason.
 */
export function WorkflowsScreen({ partnerId, width, height }: { partnerId: string; width: number; height: number }) {
  const navigation = useNavigation();
  const { canWrite } = useSession();
  const state = useWorkflows(partnerId);
  const view = state.data;
  const line = (text: string) => escapeForTerminal(text);

  useKeys(
    (press) => {
      const command = commandOf(KEYS, press, canWrite);
      if (command === null || view === undefined) return false;
      const received = view.requests.filter((request) => request.status === 'received').map(numberedRequest);
      const open = view.questions.filter((question) => !question.clock.answered).map(numberedQuestion);
      switch (command) {
        case 'requestAdd':
          return navigation.act({ kind: 'requestAdd', partnerId });
        case 'requestApply':
        case 'requestRefuse':
          if (received.length === 0) return navigation.notify('Aucun formulaire en attente de décision.');
          return navigation.act({ kind: 'requestDecision', partnerId, decision: command === 'requestApply' ? 'apply' : 'refuse', requests: received });
        case 'review':
          return navigation.act({ kind: 'review', partnerId });
        case 'questionAdd':
        case 'incident':
          return navigation.act({ kind: command, partnerId });
        case 'questionAnswer':
          if (open.length === 0) return navigation.notify('Aucune question en attente de réponse.');
          return navigation.act({ kind: 'questionAnswer', partnerId, questions: open });
        case 'breach':
        case 'unilateral':
          return navigation.act({ kind: 'notice', partnerId, notice: command });
        case 'remedy':
          return navigation.act({ kind: 'remedy', partnerId });
        case 'closeOut':
          return navigation.act({ kind: 'closeOut', partnerId });
      }
    },
    { active: navigation.active, waiting: state.loading && view === undefined },
  );
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate">
        {`Suivi de ${partnerId} : escalade, questions, formulaires  `}
        <LoadState loading={state.loading} error={state.error} />
      </Text>
      {view === undefined ? null : (
        <>
          <Text color={view.ladder.next === null ? theme.muted : theme.accent} wrap="truncate">
            {line(describeNextStep(view.ladder))}
          </Text>
          {view.ladder.steps.map((step) => (
            <Text
              key={step.step}
              wrap="truncate"
              {...(step.status === 'proposed' ? { color: theme.accent } : step.status === 'not_applicable' ? { color: theme.muted } : {})}
            >
              {`  ${MARKS[step.status]} ${step.label} — ${step.article} (${step.why})`}
            </Text>
          ))}
          <Text bold wrap="truncate">{`Questions et incidents (${view.questions.length})`}</Text>
          {view.questions.length === 0 ? <Text color={theme.muted}> Aucune.</Text> : null}
          {view.questions.map((question) => (
            <Text key={question.number} wrap="truncate" {...(question.clock.overdue ? { color: theme.warning } : {})}>
              {`  n° ${question.number} ${question.kind === 'question' ? 'question' : 'incident'} du ${frenchDate(question.clock.openedOn)}, réponse due ${frenchDate(question.clock.answerDueAt)} : ${line(questionState(question))} — ${line(question.text)}`}
            </Text>
          ))}
          <Text bold wrap="truncate">{`Registre des formulaires (${view.requests.length})`}</Text>
          {view.requests.length === 0 ? <Text color={theme.muted}> Aucun.</Text> : null}
          {view.requests.map((request) => (
            <Text key={request.number} wrap="truncate">
              {`  n° ${request.number} ${REQUEST_KIND_LABELS[request.kind]}, reçue le ${frenchDate(request.receivedAt)} : ${REQUEST_STATUS_LABELS[request.status]}${request.decisionReason === null ? '' : ` — ${line(request.decisionReason)}`}`}
            </Text>
          ))}
        </>
      )}
      <Box flexGrow={1} />
      <Text color={theme.muted} wrap="truncate">
        {line(view?.ladder.dispute ?? '')}
      </Text>
      <Text color={theme.muted} wrap="truncate">
        {footerOf(KEYS, ['requestAdd', 'requestApply', 'requestRefuse', 'review', 'questionAdd', 'incident', 'questionAnswer'], canWrite) || 'Échap retour'}
      </Text>
      <Text color={theme.muted} wrap="truncate">
        {[footerOf(KEYS, ['breach', 'unilateral', 'remedy', 'closeOut'], canWrite), footerOf(GLOBAL_BINDINGS, ['help'], canWrite)]
          .filter((part) => part !== '')
          .join(' · ')}
      </Text>
    </Box>
  );
}
