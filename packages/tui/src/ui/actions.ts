import { countOf, describeAvenantChange, escapeForTerminal, inUserTerms, type ActionResult, type CalendarDate } from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
import { AVENANT_TITLE_QUESTION, changeTypeQuestion, changesFrom, followChange, questionAsked, type Answers, type Question } from '../avenant-form.js';
import { dateCheck } from '../request-form.js';
import type { ActionRequest } from './navigation.js';
import { recordPlanFor } from './record-actions.js';
import { reviewPlan, workflowPlanFor } from './workflow-actions.js';
import { describeHabilitations, describeUsers, resultInWords, type Describe } from './words.js';

export interface Outcome {
  lines: string[];
  traceIds: number[];
  /** Nothing would change: the dialog says so and stops. */
  nothing: boolean;
  /** A reason the dry run found (a refusal's rule and article): Entrée on an empty reason takes it. */
  suggestedReason?: string;
}

/** What a dialog does for one request: its questions, then a dry run and a real run through the SDK. */
export interface ActionPlan {
  title: string;
  questions: Question[];
  /** Questions that an answer opens (the fields of a change type, another change). */
  follow?(question: Question, value: string): Question[];
  reasonRequired: boolean;
  run(client: CafsupClient, answers: Answers, options: { reason: string | undefined; dryRun: boolean }): Promise<Outcome>;
}

/** The reason a dry run is made with: nothing is written, so it is never recorded. */
export const PREVIEW_REASON = 'aperçu avant confirmation';

function fromResult(result: ActionResult<Record<string, unknown>>, describe: Describe): Outcome {
  return {
    lines: resultInWords(result, describe),
    traceIds: result.changed.flatMap((change) => (change.traceId === null ? [] : [change.traceId])),
    nothing: result.changed.length === 0,
  };
}

const HABILITATION_ACTIONS = { suspend: 'Suspendre', reinstate: 'Réactiver', revoke: 'Dévalider' } as const;
const USER_ACTIONS = { suspend: 'Suspendre', reinstate: 'Réactiver', forcePasswordReset: 'Forcer le changement de mot de passe de' } as const;

function avenantPlan(partnerId: string): ActionPlan {
  const signatures: Question[] = [
    { key: 'signedByCafAt', label: 'Signé par la Caf le (AAAA-MM-JJ, vide : pas encore)', optional: true, check: dateCheck },
    { key: 'signedByPartnerAt', label: 'Signé par le partenaire le (AAAA-MM-JJ, vide : pas encore)', optional: true, check: dateCheck },
    { key: 'effectiveAt', label: 'Prend effet le (AAAA-MM-JJ, vide : à la dernière signature)', optional: true, check: dateCheck },
  ];
  return {
    title: `Nouvel avenant — ${partnerId}`,
    questions: [AVENANT_TITLE_QUESTION, changeTypeQuestion(0)],
    follow: (question, value) => followChange(question, value, signatures) ?? [],
    reasonRequired: false,
    async run(client, answers, { reason, dryRun }) {
      const changes = changesFrom(answers);
      const date = (key: string): CalendarDate | null => (answers[key] === undefined || answers[key] === '' ? null : answers[key]);
      // Checked by the operation, whose refusal lists each problem (a parse here threw zod's
      // error, shown as « Erreur interne » — review 25), named by the questions answered.
      const created = await inUserTerms(
        client.avenants.create(partnerId, {
          title: answers.title ?? '',
          changes,
          signedByCafAt: date('signedByCafAt'),
          signedByPartnerAt: date('signedByPartnerAt'),
          effectiveAt: date('effectiveAt'),
          ...(reason === undefined ? {} : { reason }),
          dryRun,
        }),
        'draft',
        (path) => questionAsked(path, answers, signatures),
      );
      return {
        lines: [
          `  Avenant n° ${created.avenant.number} : ${escapeForTerminal(created.avenant.title)}`,
          ...created.avenant.changes.map((change) => `    · ${escapeForTerminal(describeAvenantChange(change))}`),
        ],
        traceIds: created.traceId === null ? [] : [created.traceId],
        nothing: false,
      };
    },
  };
}

/** The plan of each request kind. */
export function planFor(request: ActionRequest, today: CalendarDate): ActionPlan {
  switch (request.kind) {
    case 'habilitations': {
      // Looked up once per dialog: the dry run and the run describe the same entities.
      let names: Promise<Describe> | undefined;
      return {
        title: `${HABILITATION_ACTIONS[request.action]} ${countOf(request.ids.length, 'habilitation')}${request.scope === undefined ? '' : ` — ${request.scope}`}`,
        questions: [],
        reasonRequired: true,
        async run(client, _answers, options) {
          names ??= describeHabilitations(client, request.ids);
          const result = await client.habilitations[request.action](request.ids, { reason: options.reason ?? PREVIEW_REASON, dryRun: options.dryRun });
          return fromResult(result, await names);
        },
      };
    }
    case 'users': {
      // Looked up once per dialog: the dry run and the run describe the same entities.
      let names: Promise<Describe> | undefined;
      return {
        title: `${USER_ACTIONS[request.action]} ${countOf(request.ids.length, 'utilisateur')}${request.scope === undefined ? '' : ` — ${request.scope}`}`,
        questions: [],
        reasonRequired: true,
        async run(client, _answers, options) {
          names ??= describeUsers(client, request.ids);
          const result = await client.users[request.action](request.ids, { reason: options.reason ?? PREVIEW_REASON, dryRun: options.dryRun });
          return fromResult(result, await names);
        },
      };
    }
    case 'withdrawDelegation':
      return {
        title: `Retirer la délégation — ${request.partnerId}`,
        questions: [],
        reasonRequired: true,
        async run(client, _answers, options) {
          const result = await client.partners.withdrawDelegation(request.partnerId, { reason: options.reason ?? PREVIEW_REASON, dryRun: options.dryRun });
          const outcome = fromResult(result, () => undefined);
          return {
            ...outcome,
            lines: [...outcome.lines, `  Projet d’avenant n° ${result.avenant.number} à signer : ${escapeForTerminal(result.avenant.title)}`],
            traceIds: [...outcome.traceIds, ...(result.avenant.traceId === null ? [] : [result.avenant.traceId])],
          };
        },
      };
    case 'review':
      return reviewPlan(request.partnerId, today);
    case 'avenant':
      return avenantPlan(request.partnerId);
    case 'userCreate':
    case 'userEdit':
    case 'groupCreate':
    case 'groupEdit':
    case 'habilitationCreate':
    case 'partnerCreate':
    case 'partnerEdit':
    case 'conventionEdit':
      return recordPlanFor(request);
    default:
      return workflowPlanFor(request, today);
  }
}
