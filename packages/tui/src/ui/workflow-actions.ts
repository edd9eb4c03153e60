import {
  CafsupError,
  RECORD_FORM_LABELS,
  REQUEST_FORM_LABELS,
  REQUEST_KINDS,
  REQUEST_KIND_LABELS,
  WORKFLOW_STEP_LABELS,
  countOf,
  escapeForTerminal,
  isAcceptedDate,
  isRuleName,
  type CalendarDate,
  type RequestKind,
  type RequestRefusal,
} from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
import type { Answers, Question } from '../avenant-form.js';
import { frenchDate } from '../format.js';
import { DATE_EXPECTED, dateCheck, followRequestForm, requestFormFrom, requestFormQuestions } from '../request-form.js';
import { timestampCheck } from '../record-forms.js';
import { readReturnedSheetFile, sheetRecordFields, sheetRevocationReason, type ReturnedSheet } from '../returned-sheet.js';
import {
  describeChanges,
  describeCloseOut,
  describeNextStep,
  describeNotice,
  describeRemedy,
  describeRequest,
  type AppliedChanges,
} from '../workflow-words.js';
import { PREVIEW_REASON, type ActionPlan } from './actions.js';
import type { Numbered, WorkflowRequest } from './navigation.js';
import { describeHabilitations, resultInWords } from './words.js';

// The dialogs of the supervision workflows (workflows.md): the paper forms, the returned review
// sheet, questions, registered letters, the close-out and a person's extract. Each is an
// ActionPlan like the precautionary actions: questions, the dry run in words, the reason, « o/n ».

/** A dialog's title: the step's label, capitalised, and what it acts on. */
export const title = (label: string, subject?: string) => `${label.charAt(0).toUpperCase()}${label.slice(1)}${subject === undefined ? '' : ` — ${subject}`}`;
const say = (lines: string[]) => lines.map((line) => escapeForTerminal(line));
const requiredDate = (value: string) => (isAcceptedDate(value) ? null : DATE_EXPECTED);
export const traceIdsOf = (traceId: number | null) => (traceId === null ? [] : [traceId]);

/** A choice among numbered records when there are several; none to ask when there is one. */
function numberQuestion(key: string, label: string, records: Numbered[]): Question[] {
  return records.length > 1 ? [{ key, label, choices: records.map((record) => ({ label: record.label, value: String(record.number) })) }] : [];
}
const numberOf = (answers: Answers, key: string, records: Numbered[]) => Number(answers[key] ?? records[0]!.number);

/** The ladder's proposed step, first in the preview of an escalation step (it only proposes, the supervisor decides). */
async function ladderLine(client: CafsupClient, partnerId: string): Promise<string> {
  return `Échelle d’escalade — ${escapeForTerminal(describeNextStep(await client.partners.ladder(partnerId)))}`;
}

/** The refusal a form's application meets (rule and article), if it would be refused. */
function refusalOf(error: unknown): RequestRefusal | null {
  return error instanceof CafsupError && error.details.refusal !== undefined ? (error.details.refusal as RequestRefusal) : null;
}

function requestAddPlan(partnerId: string, requestKind: RequestKind | undefined, today: CalendarDate): ActionPlan {
  const after: Question[] = [
    { key: 'receivedAt', label: REQUEST_FORM_LABELS.receivedAt, initial: today, check: requiredDate },
    { key: 'signatory', label: REQUEST_FORM_LABELS.signatory, optional: true },
  ];
  const kindQuestion: Question = {
    key: 'kind',
    label: 'Formulaire reçu',
    choices: REQUEST_KINDS.map((kind) => ({ label: REQUEST_KIND_LABELS[kind], value: kind })),
  };
  return {
    title: title(WORKFLOW_STEP_LABELS.requestAdd, partnerId),
    questions: requestKind === undefined ? [kindQuestion] : [...requestFormQuestions(requestKind), ...after],
    follow: (question, value) => (question.key === 'kind' ? [...requestFormQuestions(value as RequestKind), ...after] : followRequestForm(question, value)),
    reasonRequired: false,
    async run(client, answers, { reason, dryRun }) {
      const kind = requestKind ?? (answers.kind as RequestKind);
      const result = await client.requests.add(partnerId, {
        kind,
        form: requestFormFrom(kind, answers),
        receivedAt: answers.receivedAt!,
        ...(answers.signatory === undefined || answers.signatory === '' ? {} : { signatory: answers.signatory }),
        ...(reason === undefined ? {} : { reason }),
        dryRun,
      } as never);
      return { lines: describeRequest(result.request), traceIds: traceIdsOf(result.traceId), nothing: false };
    },
  };
}

function requestDecisionPlan(partnerId: string, decision: 'apply' | 'refuse', requests: Numbered[]): ActionPlan {
  const label = decision === 'apply' ? WORKFLOW_STEP_LABELS.requestApply : WORKFLOW_STEP_LABELS.requestRefuse;
  // The form's traces before the decision (its reception): the result names only those of applying it.
  let earlier = new Set<number>();
  return {
    title: title(label, requests.length === 1 ? `${partnerId}, demande n° ${requests[0]!.number}` : partnerId),
    questions: numberQuestion('number', 'Quelle demande ?', requests),
    reasonRequired: true,
    async run(client, answers, { reason, dryRun }) {
      const number = numberOf(answers, 'number', requests);
      const options = { reason: reason ?? PREVIEW_REASON, dryRun };
      if (decision === 'apply') {
        try {
          const result = await client.requests.apply(partnerId, number, options);
          if (dryRun) earlier = new Set(result.request.traceIds);
          return {
            lines: [
              `${dryRun ? 'Appliquerait' : 'Appliqué'} :`,
              ...describeChanges(result.changes as AppliedChanges),
              ...(dryRun ? [] : describeRequest(result.request)),
            ],
            traceIds: dryRun ? [] : result.request.traceIds.filter((id) => !earlier.has(id)),
            nothing: false,
          };
        } catch (error) {
          const refusal = refusalOf(error);
          if (refusal === null) throw error;
          // The SDK's hint names the command line; here the answer to the partner is a key away.
          throw new CafsupError(
            'CONFLICT',
            `Refusé : ${refusal.message}. Rien n’a été créé ; pour répondre au partenaire : n (refuser) sur l’écran de suivi.`,
            {
              refusal,
            },
          );
        }
      }
      const lines: string[] = [];
      let suggestedReason: string | undefined;
      if (dryRun) {
        // Why applying it would fail, when it would (a refusal: the rule and its article), offered as the reason.
        try {
          await client.requests.apply(partnerId, number, { reason: PREVIEW_REASON, dryRun: true });
        } catch (error) {
          if (!(error instanceof CafsupError)) throw error;
          const refusal = refusalOf(error);
          suggestedReason = refusal?.message ?? error.message;
          lines.push(`Appliquer cette demande serait refusé : ${escapeForTerminal(suggestedReason)}`);
        }
      }
      const result = await client.requests.refuse(partnerId, number, options);
      return {
        lines: [...lines, ...describeRequest(result.request)],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
        ...(suggestedReason === undefined ? {} : { suggestedReason }),
      };
    },
  };
}

/** The reverse review (contrat art. 2.2.2): with the returned sheet, its digest and the revocations its « non » rows ask for. */
export function reviewPlan(partnerId: string, today: CalendarDate): ActionPlan {
  // Read once per dialog: the dry run and the run record the same bytes.
  let returned: { file: string; sheet: Promise<ReturnedSheet> } | undefined;
  const sheetOf = (file: string) => {
    if (returned?.file !== file) returned = { file, sheet: readReturnedSheetFile(file) };
    return returned.sheet;
  };
  return {
    title: `Enregistrer une revue inverse — ${partnerId}`,
    questions: [
      { key: 'completedAt', label: 'Date de la revue (AAAA-MM-JJ)', initial: today, check: requiredDate },
      { key: 'reviewer', label: 'Faite par' },
      { key: 'sheetFile', label: 'Feuille retournée : chemin du fichier CSV ou XLSX (vide : pas de feuille)', optional: true },
    ],
    follow: (question, value) =>
      question.key === 'sheetFile' && value === '' ? [{ key: 'proof', label: 'Preuve (courrier, référence)', optional: true }] : [],
    reasonRequired: false,
    async run(client, answers, { reason, dryRun }) {
      const review = { completedAt: answers.completedAt!, reviewer: answers.reviewer!, ...(reason === undefined ? {} : { reason }), dryRun };
      if (answers.sheetFile === undefined || answers.sheetFile === '') {
        const recorded = await client.reviews.record(partnerId, {
          ...review,
          proof: answers.proof === '' || answers.proof === undefined ? null : answers.proof,
        });
        return {
          lines: [`  Revue du ${frenchDate(recorded.review.completedAt)} par ${escapeForTerminal(recorded.review.reviewer)}`],
          traceIds: traceIdsOf(recorded.traceId),
          nothing: false,
        };
      }
      const sheet = await sheetOf(answers.sheetFile);
      const recorded = await client.reviews.recordSheet(partnerId, { ...review, ...sheetRecordFields(sheet) });
      const lines = [
        `Revue du ${frenchDate(review.completedAt)} par ${escapeForTerminal(review.reviewer)}`,
        `Feuille ${escapeForTerminal(sheet.fileName)} (${sheet.format.toUpperCase()}), SHA-256 du fichier : ${sheet.sha256}`,
        `${countOf(recorded.summary.rows, 'ligne')} : ${recorded.summary.keep} à conserver, ${recorded.summary.revoke} à dévalider, ${recorded.summary.undecided.length} sans réponse ; prochaine revue due le ${frenchDate(recorded.nextDueAt)}`,
      ];
      const ids = recorded.revocations.map((row) => row.habilitationId);
      if (ids.length === 0) return { lines, traceIds: recorded.traceIds, nothing: false };
      // The « non » rows: one bulk revocation, shown as its dry run, applied with the review on « o ».
      const revoked = await client.habilitations.revoke(ids, { reason: sheetRevocationReason(review.completedAt), dryRun });
      return {
        lines: [
          ...lines,
          `Dévalidations demandées par la feuille (« non ») :`,
          ...resultInWords(revoked, await describeHabilitations(client, ids)),
          ...recorded.revocations.flatMap((row) =>
            row.motive === null ? [] : [`  motif du partenaire pour ${row.habilitationId} : ${escapeForTerminal(row.motive)}`],
          ),
        ],
        traceIds: [...recorded.traceIds, ...revoked.changed.flatMap((change) => (change.traceId === null ? [] : [change.traceId]))],
        nothing: false,
      };
    },
  };
}

function questionAddPlan(partnerId: string): ActionPlan {
  const words = (value: string): string[] =>
    value
      .split(/[\s,]+/)
      .filter((item) => item !== '')
      .map((item) => item.toUpperCase());
  return {
    title: title(WORKFLOW_STEP_LABELS.questionAdd, partnerId),
    questions: [
      { key: 'text', label: 'Question au partenaire' },
      {
        key: 'flags',
        label: 'Alertes concernées (règles séparées par des virgules, par exemple QUOTA_EXCEEDED ; vide : aucune)',
        optional: true,
        check: (value) => {
          const unknown = words(value).find((word) => !isRuleName(word));
          return unknown === undefined ? null : `règle inconnue : ${unknown}`;
        },
      },
      { key: 'dueAt', label: 'Réponse attendue au plus tard le (AAAA-MM-JJ, vide : sans date ; le contrat n’en fixe pas)', optional: true, check: dateCheck },
    ],
    reasonRequired: false,
    async run(client, answers, { reason, dryRun }) {
      const result = await client.questions.add(partnerId, {
        kind: 'question',
        text: answers.text!,
        flags: words(answers.flags ?? '').filter(isRuleName),
        ...(answers.dueAt === undefined || answers.dueAt === '' ? {} : { dueAt: answers.dueAt }),
        ...(reason === undefined ? {} : { reason }),
        dryRun,
      });
      const { question } = result;
      return {
        lines: [
          ...(dryRun ? [await ladderLine(client, partnerId)] : []),
          `Question n° ${question.number} : ${escapeForTerminal(question.text)}`,
          `  réponse attendue ${question.clock.answerDueAt === null ? 'sans date' : `le ${frenchDate(question.clock.answerDueAt)}`}${question.flags.length === 0 ? '' : ` ; alertes : ${question.flags.join(', ')}`}`,
        ],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
      };
    },
  };
}

/** An incident brought to the Caf's service desk (contrat art. 3.2): its answer is due within the desk's working days. */
function incidentPlan(partnerId: string): ActionPlan {
  return {
    title: title(WORKFLOW_STEP_LABELS.incident, partnerId),
    questions: [
      { key: 'text', label: RECORD_FORM_LABELS.incidentText },
      { key: 'openedAt', label: RECORD_FORM_LABELS.openedAt, optional: true, check: timestampCheck },
    ],
    reasonRequired: false,
    async run(client, answers, { reason, dryRun }) {
      const [result, partner] = await Promise.all([
        client.questions.add(partnerId, {
          kind: 'incident',
          text: answers.text!,
          ...(answers.openedAt === undefined || answers.openedAt === '' ? {} : { openedAt: answers.openedAt }),
          ...(reason === undefined ? {} : { reason }),
          dryRun,
        }),
        client.partners.get(partnerId),
      ]);
      const { question } = result;
      const workingDays = partner.terms.serviceDesk?.answerWithinWorkingDays ?? null;
      return {
        lines: [
          `Incident n° ${question.number} ouvert le ${frenchDate(question.clock.openedOn)} : ${escapeForTerminal(question.text)}`,
          question.clock.answerDueAt === null
            ? '  le contrat ne fixe pas de délai de réponse au centre de services'
            : `  réponse du centre de services attendue le ${frenchDate(question.clock.answerDueAt)} (${countOf(workingDays ?? 0, 'jour ouvré', 'jours ouvrés')} après l’ouverture)`,
        ],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
      };
    },
  };
}

function questionAnswerPlan(partnerId: string, questions: Numbered[]): ActionPlan {
  return {
    title: title(WORKFLOW_STEP_LABELS.questionAnswer, questions.length === 1 ? `${partnerId}, question n° ${questions[0]!.number}` : partnerId),
    questions: [...numberQuestion('number', 'Quelle question ?', questions), { key: 'text', label: 'Réponse du partenaire' }],
    reasonRequired: false,
    async run(client, answers, { reason, dryRun }) {
      const number = numberOf(answers, 'number', questions);
      const result = await client.questions.answer(partnerId, number, { text: answers.text!, ...(reason === undefined ? {} : { reason }), dryRun });
      return {
        lines: [`Réponse à la question n° ${number} : ${escapeForTerminal(answers.text!)}`, `  ${escapeForTerminal(result.question.text)}`],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
      };
    },
  };
}

function noticePlan(partnerId: string, kind: 'breach' | 'unilateral', today: CalendarDate): ActionPlan {
  return {
    title: title(kind === 'breach' ? WORKFLOW_STEP_LABELS.breach : WORKFLOW_STEP_LABELS.unilateral, partnerId),
    questions: [
      { key: 'receivedAt', label: 'Lettre recommandée reçue le (AAAA-MM-JJ)', initial: today, check: requiredDate },
      { key: 'sentAt', label: 'Envoyée le (AAAA-MM-JJ, facultatif)', optional: true, check: dateCheck },
      ...(kind === 'unilateral'
        ? [
            {
              key: 'requested',
              label: 'Date d’effet demandée (AAAA-MM-JJ, jamais avant réception + 3 mois ; vide : au plus tôt)',
              optional: true,
              check: dateCheck,
            },
          ]
        : []),
    ],
    reasonRequired: true,
    async run(client, answers, { reason, dryRun }) {
      const optional = (key: string, field: string) => (answers[key] === undefined || answers[key] === '' ? {} : { [field]: answers[key] });
      const result = await client.notices.add(partnerId, {
        kind,
        receivedAt: answers.receivedAt!,
        reason: reason ?? PREVIEW_REASON,
        ...optional('sentAt', 'sentAt'),
        ...optional('requested', 'requestedEffectiveAt'),
        dryRun,
      });
      return {
        lines: [...(dryRun ? [await ladderLine(client, partnerId)] : []), ...say(describeNotice(kind, result))],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
      };
    },
  };
}

function remedyPlan(partnerId: string, today: CalendarDate): ActionPlan {
  return {
    title: title(WORKFLOW_STEP_LABELS.remedy, partnerId),
    questions: [{ key: 'date', label: 'Manquements corrigés le (AAAA-MM-JJ)', initial: today, check: requiredDate }],
    reasonRequired: true,
    async run(client, answers, { reason, dryRun }) {
      const result = await client.notices.remedy(partnerId, { date: answers.date!, reason: reason ?? PREVIEW_REASON, dryRun });
      return {
        lines: [...(dryRun ? [await ladderLine(client, partnerId)] : []), describeRemedy(answers.date!, result.state)],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
      };
    },
  };
}

function closeOutPlan(partnerId: string): ActionPlan {
  return {
    title: title(WORKFLOW_STEP_LABELS.closeOut, partnerId),
    questions: [],
    reasonRequired: true,
    async run(client, _answers, { reason, dryRun }) {
      const result = await client.partners.closeOut(partnerId, { reason: reason ?? PREVIEW_REASON, dryRun });
      return {
        lines: [
          ...(dryRun ? [await ladderLine(client, partnerId)] : []),
          describeCloseOut(result, dryRun),
          ...(result.revoked.length === 0 ? [] : [`  ${result.revoked.join(', ')}`]),
        ],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
      };
    },
  };
}

function personExtractPlan(userId: string): ActionPlan {
  return {
    title: title(WORKFLOW_STEP_LABELS.personExtract, userId),
    questions: [
      { key: 'requestedBy', label: 'Demandé par (la personne elle-même, son représentant…)' },
      { key: 'through', label: 'Transmis par (responsable, administrateur du partenaire ; facultatif)', optional: true },
    ],
    reasonRequired: false,
    async run(client, answers, { reason, dryRun }) {
      const result = await client.traces.forPerson({
        userId,
        requestedBy: answers.requestedBy!,
        ...(answers.through === undefined || answers.through === '' ? {} : { through: answers.through }),
        ...(reason === undefined ? {} : { reason }),
        dryRun,
      });
      const counts = `${countOf(result.extract.traces.length, 'trace')} et ${countOf(result.extract.rights.length, 'habilitation détenue', 'habilitations détenues')}`;
      return {
        lines: dryRun
          ? [`Extrait de ${counts} pour ${userId} ; la demande sera enregistrée avec l’empreinte de l’extrait.`]
          : [`SHA-256 de l’extrait : ${result.sha256}`, ...say(result.markdown.split('\n'))],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
      };
    },
  };
}

/** The plan of each workflow step. */
export function workflowPlanFor(request: WorkflowRequest, today: CalendarDate): ActionPlan {
  switch (request.kind) {
    case 'requestAdd':
      return requestAddPlan(request.partnerId, request.requestKind, today);
    case 'requestDecision':
      return requestDecisionPlan(request.partnerId, request.decision, request.requests);
    case 'questionAdd':
      return questionAddPlan(request.partnerId);
    case 'incident':
      return incidentPlan(request.partnerId);
    case 'questionAnswer':
      return questionAnswerPlan(request.partnerId, request.questions);
    case 'notice':
      return noticePlan(request.partnerId, request.notice, today);
    case 'remedy':
      return remedyPlan(request.partnerId, today);
    case 'closeOut':
      return closeOutPlan(request.partnerId);
    case 'personExtract':
      return personExtractPlan(request.userId);
  }
}
