import { Box, Text } from 'ink';
import { REQUEST_KIND_LABELS, REQUEST_STATUS_LABELS, escapeForTerminal, type LadderView, type QuestionRecord, type RequestRecord } from '@cafsup/shared';
import { frenchDate } from '../../format.js';
import { LoadState } from '../components/Loading.js';
import { useAsync } from '../hooks/use-async.js';
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

const MARKS = { done: '✓', proposed: '→', later: '·', not_applicable: ' ' } as const;

function questionState(question: QuestionRecord): string {
  const { clock } = question;
  if (clock.answered) return 'répondu';
  if (clock.rungDue !== null) return `escalade : ${clock.rungDue.name}`;
  return clock.overdue ? 'en retard' : 'en attente';
}

/** `:suivi ID` or `f` on the partner sheet; read-only, the steps themselves are the `cafsup` workflow commands. */
export function WorkflowsScreen({ partnerId, width, height }: { partnerId: string; width: number; height: number }) {
  const state = useWorkflows(partnerId);
  const view = state.data;
  const line = (text: string) => escapeForTerminal(text);
  const next = view?.ladder.steps.find((step) => step.step === view.ladder.next);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate">
        {`Suivi de ${partnerId} : escalade, questions, formulaires  `}
        <LoadState loading={state.loading} error={state.error} />
      </Text>
      {view === undefined ? null : (
        <>
          <Text color={next === undefined ? theme.muted : theme.accent} wrap="truncate">
            {next === undefined ? line(view.ladder.note ?? 'Rien à proposer.') : `Prochaine étape : ${next.label} (${next.article}) — ${next.command}`}
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
        Échap retour · agir : cafsup request, question, notice, close-out (ligne de commande) · ? aide
      </Text>
    </Box>
  );
}
