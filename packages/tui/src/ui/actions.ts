import {
  CONTACT_ROLES,
  avenantDraftSchema,
  describeAvenantChange,
  isCalendarDate,
  type AvenantChange,
  type CalendarDate,
} from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
import { describeActionResult } from '../format.js';
import type { ActionRequest } from './navigation.js';

/** One question of a dialog: free text or a choice among values. */
export interface Question {
  key: string;
  label: string;
  choices?: { label: string; value: string }[];
  optional?: boolean;
  initial?: string;
  /** A French sentence when the answer cannot be taken. */
  check?(value: string): string | null;
}

export type Answers = Record<string, string>;

export interface Outcome {
  lines: string[];
  traceIds: number[];
  /** Nothing would change: the dialog says so and stops. */
  nothing: boolean;
}

/** What a dialog does for one request: its questions, then a dry run and a real run through the SDK. */
export interface ActionPlan {
  title: string;
  questions: Question[];
  /** Questions that an answer opens (the fields of a change type, another change). */
  follow?(question: Question, value: string, answers: Answers): Question[];
  reasonRequired: boolean;
  run(client: CafsupClient, answers: Answers, options: { reason: string | undefined; dryRun: boolean }): Promise<Outcome>;
}

/** The reason a dry run is made with: nothing is written, so it is never recorded. */
export const PREVIEW_REASON = 'aperçu avant confirmation';

function fromResult(result: { dryRun: boolean; changed: { traceId: number | null }[]; unchanged: unknown[] } & Parameters<typeof describeActionResult>[0]): Outcome {
  return {
    lines: describeActionResult(result),
    traceIds: result.changed.flatMap((change) => (change.traceId === null ? [] : [change.traceId])),
    nothing: result.changed.length === 0,
  };
}

const dateCheck = (value: string) => (value === '' || isCalendarDate(value) ? null : 'date attendue au format AAAA-MM-JJ');

const HABILITATION_ACTIONS = { suspend: 'Suspendre', reinstate: 'Réactiver', revoke: 'Dévalider' } as const;
const USER_ACTIONS = { suspend: 'Suspendre', reinstate: 'Réactiver', forcePasswordReset: 'Forcer le changement de mot de passe de' } as const;

const CHANGE_TYPES: { label: string; value: AvenantChange['type'] }[] = [
  { label: 'Fixer un quota (service, profil, maximum)', value: 'setQuota' },
  { label: 'Retirer un quota', value: 'removeQuota' },
  { label: 'Ajouter un service', value: 'addService' },
  { label: 'Retirer un service', value: 'removeService' },
  { label: 'Changer le mode de gestion', value: 'setManagementMode' },
  { label: 'Remplacer un contact', value: 'setContact' },
  { label: 'Note (modification rédigée)', value: 'note' },
];

function changeQuestions(index: number, type: string): Question[] {
  const key = (name: string) => `change${index}.${name}`;
  const service: Question = { key: key('service'), label: 'Service', initial: 'CDAP' };
  const profile: Question = { key: key('profile'), label: 'Profil (T1…T22)' };
  switch (type) {
    case 'setQuota':
      return [
        service,
        profile,
        { key: key('maxUsers'), label: 'Nombre maximal d’utilisateurs', check: (value) => (/^\d+$/.test(value) ? null : 'nombre entier attendu') },
        { key: key('departements'), label: 'Départements (séparés par des virgules, vide : tous)', optional: true },
      ];
    case 'removeQuota':
      return [service, profile];
    case 'addService':
    case 'removeService':
      return [service];
    case 'setManagementMode':
      return [{ key: key('mode'), label: 'Mode', choices: [{ label: 'délégué', value: 'delegated' }, { label: 'centralisé', value: 'centralised' }] }];
    case 'setContact':
      return [
        { key: key('side'), label: 'Côté', choices: [{ label: 'partenaire', value: 'partner' }, { label: 'Caf', value: 'caf' }] },
        { key: key('role'), label: 'Rôle', choices: CONTACT_ROLES.map((role) => ({ label: role, value: role })) },
        { key: key('name'), label: 'Nom' },
        { key: key('email'), label: 'Mél' },
        { key: key('function'), label: 'Fonction', optional: true },
      ];
    default:
      return [{ key: key('text'), label: 'Texte de la modification' }];
  }
}

function changeFrom(answers: Answers, index: number): AvenantChange {
  const get = (name: string) => answers[`change${index}.${name}`] ?? '';
  const type = get('type') as AvenantChange['type'];
  const departements = get('departements').split(',').map((item) => item.trim()).filter((item) => item !== '');
  switch (type) {
    case 'setQuota':
      return { type, service: get('service'), profile: get('profile'), maxUsers: Number(get('maxUsers')), ...(departements.length === 0 ? {} : { departements }) };
    case 'removeQuota':
      return { type, service: get('service'), profile: get('profile') };
    case 'addService':
      return { type, service: get('service'), quotas: [] };
    case 'removeService':
      return { type, service: get('service') };
    case 'setManagementMode':
      return { type, mode: get('mode') as 'delegated' };
    case 'setContact':
      return {
        type,
        contact: { side: get('side') as 'partner', role: get('role') as 'administrator', name: get('name'), email: get('email'), ...(get('function') === '' ? {} : { function: get('function') }) },
      };
    default:
      return { type: 'note', text: get('text') };
  }
}

function avenantPlan(partnerId: string): ActionPlan {
  const typeQuestion = (index: number): Question => ({ key: `change${index}.type`, label: `Modification n° ${index + 1}`, choices: CHANGE_TYPES });
  return {
    title: `Nouvel avenant — ${partnerId}`,
    questions: [{ key: 'title', label: 'Titre de l’avenant' }, typeQuestion(0)],
    follow(question, value) {
      const typeMatch = /^change(\d+)\.type$/.exec(question.key);
      if (typeMatch !== null) {
        const index = Number(typeMatch[1]);
        return [...changeQuestions(index, value), { key: `more${index}`, label: 'Ajouter une autre modification ?', choices: [{ label: 'non', value: 'n' }, { label: 'oui', value: 'o' }] }];
      }
      const moreMatch = /^more(\d+)$/.exec(question.key);
      if (moreMatch !== null) {
        if (value === 'o') return [typeQuestion(Number(moreMatch[1]) + 1)];
        return [
          { key: 'signedByCafAt', label: 'Signé par la Caf le (AAAA-MM-JJ, vide : pas encore)', optional: true, check: dateCheck },
          { key: 'signedByPartnerAt', label: 'Signé par le partenaire le (AAAA-MM-JJ, vide : pas encore)', optional: true, check: dateCheck },
          { key: 'effectiveAt', label: 'Prend effet le (AAAA-MM-JJ, vide : à la dernière signature)', optional: true, check: dateCheck },
        ];
      }
      return [];
    },
    reasonRequired: false,
    async run(client, answers, { reason, dryRun }) {
      const count = Object.keys(answers).filter((key) => /^change\d+\.type$/.test(key)).length;
      const changes = Array.from({ length: count }, (_, index) => changeFrom(answers, index));
      const date = (key: string): CalendarDate | null => (answers[key] === undefined || answers[key] === '' ? null : answers[key]!);
      const draft = avenantDraftSchema.parse({
        title: answers.title,
        changes,
        signedByCafAt: date('signedByCafAt'),
        signedByPartnerAt: date('signedByPartnerAt'),
        effectiveAt: date('effectiveAt'),
        ...(reason === undefined ? {} : { reason }),
        dryRun,
      });
      const created = await client.avenants.create(partnerId, draft);
      return {
        lines: [`  Avenant n° ${created.avenant.number} : ${created.avenant.title}`, ...created.avenant.changes.map((change) => `    · ${describeAvenantChange(change)}`)],
        traceIds: created.traceId === null ? [] : [created.traceId],
        nothing: false,
      };
    },
  };
}

/** The plan of each request kind. */
export function planFor(request: ActionRequest, today: CalendarDate): ActionPlan {
  switch (request.kind) {
    case 'habilitations':
      return {
        title: `${HABILITATION_ACTIONS[request.action]} ${request.ids.length} habilitation(s)`,
        questions: [],
        reasonRequired: true,
        run: async (client, _answers, options) => fromResult(await client.habilitations[request.action](request.ids, { reason: options.reason ?? PREVIEW_REASON, dryRun: options.dryRun })),
      };
    case 'users':
      return {
        title: `${USER_ACTIONS[request.action]} ${request.ids.length} utilisateur(s)`,
        questions: [],
        reasonRequired: true,
        run: async (client, _answers, options) => fromResult(await client.users[request.action](request.ids, { reason: options.reason ?? PREVIEW_REASON, dryRun: options.dryRun })),
      };
    case 'withdrawDelegation':
      return {
        title: `Retirer la délégation — ${request.partnerId}`,
        questions: [],
        reasonRequired: true,
        async run(client, _answers, options) {
          const result = await client.partners.withdrawDelegation(request.partnerId, { reason: options.reason ?? PREVIEW_REASON, dryRun: options.dryRun });
          const outcome = fromResult(result);
          return {
            ...outcome,
            lines: [...outcome.lines, `  Projet d’avenant n° ${result.avenant.number} à signer : ${result.avenant.title}`],
            traceIds: [...outcome.traceIds, ...(result.avenant.traceId === null ? [] : [result.avenant.traceId])],
          };
        },
      };
    case 'review':
      return {
        title: `Enregistrer une revue inverse — ${request.partnerId}`,
        questions: [
          { key: 'completedAt', label: 'Date de la revue (AAAA-MM-JJ)', initial: today, check: (value) => (isCalendarDate(value) ? null : 'date attendue au format AAAA-MM-JJ') },
          { key: 'reviewer', label: 'Faite par' },
          { key: 'proof', label: 'Preuve (courrier, référence)', optional: true },
        ],
        reasonRequired: false,
        async run(client, answers, { reason, dryRun }) {
          const recorded = await client.reviews.record(request.partnerId, {
            completedAt: answers.completedAt!,
            reviewer: answers.reviewer!,
            proof: answers.proof === '' || answers.proof === undefined ? null : answers.proof,
            ...(reason === undefined ? {} : { reason }),
            dryRun,
          });
          return {
            lines: [`  Revue du ${recorded.review.completedAt} par ${recorded.review.reviewer}`],
            traceIds: recorded.traceId === null ? [] : [recorded.traceId],
            nothing: false,
          };
        },
      };
    case 'avenant':
      return avenantPlan(request.partnerId);
  }
}
