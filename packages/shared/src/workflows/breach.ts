import { z } from '../zod.js';
import { lazySchema } from '../lazy.js';
import { withReason } from '../actions.js';
import type { CalendarDate } from '../dates.js';
import { calendarDateSchema, timestampSchema } from '../fields.js';
import { safeTextSchema } from '../text.js';
import { RULE_NAMES, type RuleName, type Severity } from '../flags/catalogue.js';
import type { ManagementMode } from '../terms.js';
import type { ConventionStatus, Termination } from '../convention.js';
import type { DeskClock } from './working-days.js';
import { countOf } from '../labels.js';
import { longFrenchDate } from '../wording.js';

// From a breach to termination (contrat de services, art. 2.2.1; convention, art. 9.2, 17.2,
// 17.3, 17.4): questions to the partner, the mise en demeure, a unilateral notice, the remedy, the
// close-out, and the ladder that proposes the next proportionate step (workflows.md, section 3).

export const CASE_KINDS = ['question', 'incident'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];
export const CASE_KIND_LABELS: Record<CaseKind, string> = { question: 'question au partenaire', incident: 'incident' };

/**
 * A question to the partner on the relevance of habilitations (contrat art. 2.2.1: « interroger
 * ce dernier à tout moment »), or an incident brought to the Caf's service desk (art. 3.2).
 */
export const questionDraftSchema = lazySchema(() =>
  withReason(
    {
      kind: z.enum(CASE_KINDS).default('question'),
      text: safeTextSchema().trim().min(1, 'texte obligatoire'),
      flags: z
        .array(z.enum(RULE_NAMES as [RuleName, ...RuleName[]]))
        .max(16)
        .optional(),
      /** The answer's due date; without it, the contract desk's delay in working days. */
      dueAt: calendarDateSchema.optional(),
      /** When it was opened (default: now). */
      openedAt: timestampSchema.optional(),
    },
    { defaulted: true },
  ),
);
export type QuestionDraft = z.input<typeof questionDraftSchema>;

export const questionAnswerSchema = lazySchema(() =>
  withReason({ text: safeTextSchema().trim().min(1, 'réponse obligatoire'), answeredAt: timestampSchema.optional() }, { defaulted: true }),
);
export type QuestionAnswer = z.input<typeof questionAnswerSchema>;

/** One question or incident, with its clock at `asOf`. */
export interface QuestionRecord {
  partnerId: string;
  number: number;
  kind: CaseKind;
  text: string;
  flags: RuleName[];
  openedAt: string;
  dueAt: CalendarDate | null;
  answer: string | null;
  answeredAt: string | null;
  clock: DeskClock;
  traceIds: number[];
}

/** A mise en demeure (`breach`) or a unilateral termination (`unilateral`), by registered letter (art. 17.2). */
export const noticeDraftSchema = lazySchema(() =>
  withReason({
    kind: z.enum(['breach', 'unilateral']),
    sentAt: calendarDateSchema.optional(),
    receivedAt: calendarDateSchema,
    /** Unilateral: the date asked; the effect is never before received + 3 months. */
    requestedEffectiveAt: calendarDateSchema.optional(),
  }),
);
export type NoticeDraft = z.input<typeof noticeDraftSchema>;

export const noticeRemedySchema = lazySchema(() => withReason({ date: calendarDateSchema }));
export type NoticeRemedy = z.input<typeof noticeRemedySchema>;

/** A failing a mise en demeure lists: an open flag, with its article. */
export interface Failing {
  rule: RuleName;
  severity: Severity;
  article: string;
  message: string;
}

export interface NoticeRecord {
  partnerId: string;
  kind: Termination['kind'];
  sentAt: CalendarDate | null;
  termination: Termination;
  failings: Failing[];
  traceId: number | null;
}

export const LADDER_STEPS = ['ask', 'suspend', 'forcePasswordReset', 'withdrawDelegation', 'noticeOfBreach', 'closeOut'] as const;
export type LadderStep = (typeof LADDER_STEPS)[number];

const CONTRAT_2_2_1 = 'contrat de services, art. 2.2.1';
const CONVENTION_9_1 = 'convention, art. 9.1';
const CONVENTION_17_2 = 'convention, art. 17.2';

/** Each step of the ladder, in proportion order, with its article for each management mode. */
export const LADDER: readonly { step: LadderStep; label: string; article: string; centralisedArticle?: string; command: string }[] = [
  {
    step: 'ask',
    label: 'interroger le partenaire sur la pertinence des habilitations',
    article: CONTRAT_2_2_1,
    centralisedArticle: CONVENTION_9_1,
    command: 'cafsup question add',
  },
  {
    step: 'suspend',
    label: 'suspendre à titre conservatoire les habilitations en cause',
    article: CONTRAT_2_2_1,
    centralisedArticle: CONVENTION_9_1,
    command: 'cafsup suspend',
  },
  {
    step: 'forcePasswordReset',
    label: 'forcer la modification des mots de passe',
    article: `${CONTRAT_2_2_1} et convention, art. 9.2`,
    centralisedArticle: 'convention, art. 9.2',
    command: 'cafsup reset-password',
  },
  { step: 'withdrawDelegation', label: 'retirer la délégation (la Caf reprend la gestion)', article: CONTRAT_2_2_1, command: 'cafsup withdraw-delegation' },
  {
    step: 'noticeOfBreach',
    label: 'mettre en demeure par lettre recommandée (un mois pour s’y conformer)',
    article: CONVENTION_17_2,
    command: 'cafsup notice add --kind breach',
  },
  {
    step: 'closeOut',
    label: 'clore : dévalider tout ce qui est détenu et désactiver les gestionnaires',
    article: CONVENTION_17_2,
    command: 'cafsup close-out',
  },
];

/** Rules a precautionary suspension answers: habilitations that should not be held (rules 1–4, 10, 15, 16). */
const SUSPENSION_RULES: ReadonlySet<RuleName> = new Set<RuleName>([
  'QUOTA_EXCEEDED',
  'PROFILE_NOT_SUBSCRIBED',
  'DEPARTEMENT_OUT_OF_SCOPE',
  'MISSION_ENDED',
  'CONVENTION_NOT_IN_FORCE',
  'GRANTED_OUTSIDE_TERMS',
  'PROFILE_NOT_ELIGIBLE',
]);
/** Rules a forced password change answers: shared or non-personal accounts, stale passwords (convention art. 9.2). */
const PASSWORD_RULES: ReadonlySet<RuleName> = new Set<RuleName>(['SHARED_EMAIL', 'NON_PERSONAL_EMAIL', 'PASSWORD_STALE']);

export interface LadderInput {
  asOf: CalendarDate;
  mode: ManagementMode;
  status: ConventionStatus;
  termination: Termination | null;
  terminationEffectiveAt: CalendarDate | null;
  flags: readonly { rule: RuleName; severity: Severity }[];
  /** Held habilitations of the partner. */
  held: number;
  /** The partner's questions: asked, answered, past due. */
  questions: readonly { kind: CaseKind; answered: boolean; dueAt: CalendarDate | null; overdue: boolean }[];
  /** Trace actions already taken for the partner (`habilitation.suspend`, `user.forcePasswordReset`…). */
  actionsTaken: ReadonlySet<string>;
  delegationWithdrawn: boolean;
}

export type LadderStepStatus = 'done' | 'proposed' | 'later' | 'not_applicable';

export interface LadderView {
  asOf: CalendarDate;
  /** False once the convention is terminated and nothing is held any more: nothing left to escalate. */
  offered: boolean;
  steps: { step: LadderStep; label: string; article: string; command: string; status: LadderStepStatus; why: string }[];
  next: LadderStep | null;
  /** Why nothing is proposed now (an answer awaited, no open flag…). */
  note: string | null;
  /** A dispute is first settled amicably, then before the competent court (convention art. 17.4). */
  dispute: string;
}

const DISPUTE = 'En cas de différend : recherche d’une solution amiable, puis la juridiction compétente (convention, art. 17.4).';

/**
 * The next proportionate step for a partner (workflows.md, section 3): ask → precautionary
 * suspension → forced password change → withdrawal of delegation → mise en demeure →
 * termination and close-out. It only proposes: the supervisor decides.
 */
export function proposeLadder(input: LadderInput): LadderView {
  const articleOf = (entry: (typeof LADDER)[number]) => (input.mode === 'centralised' ? (entry.centralisedArticle ?? entry.article) : entry.article);
  const rules = new Set(input.flags.map((flag) => flag.rule));
  const critical = input.flags.some((flag) => flag.severity === 'critical');
  const questions = input.questions.filter((question) => question.kind === 'question');
  const pending = questions.find((question) => !question.answered && !question.overdue);
  const breachNotice = input.termination?.kind === 'breach' ? input.termination : null;
  const ended = input.status === 'terminated';

  const decide = (step: LadderStep): { status: LadderStepStatus; why: string } => {
    switch (step) {
      case 'ask':
        if (ended) return { status: 'not_applicable', why: 'convention résiliée' };
        if (questions.length > 0) return { status: 'done', why: `${countOf(questions.length, 'question posée', 'questions posées')}` };
        return input.flags.length > 0
          ? { status: 'proposed', why: `${countOf(input.flags.length, 'alerte ouverte', 'alertes ouvertes')}` }
          : { status: 'not_applicable', why: 'aucune alerte ouverte' };
      case 'suspend':
        if (ended) return { status: 'not_applicable', why: 'convention résiliée' };
        if (input.actionsTaken.has('habilitation.suspend')) return { status: 'done', why: 'des habilitations ont été suspendues' };
        return [...rules].some((rule) => SUSPENSION_RULES.has(rule))
          ? { status: 'proposed', why: 'des habilitations ne devraient pas être détenues' }
          : { status: 'not_applicable', why: 'aucune habilitation en cause' };
      case 'forcePasswordReset':
        if (ended) return { status: 'not_applicable', why: 'convention résiliée' };
        if (input.actionsTaken.has('user.forcePasswordReset')) return { status: 'done', why: 'changement de mot de passe déjà forcé' };
        return [...rules].some((rule) => PASSWORD_RULES.has(rule))
          ? { status: 'proposed', why: 'comptes partagés, non nominatifs ou mots de passe anciens' }
          : { status: 'not_applicable', why: 'aucun compte en cause' };
      case 'withdrawDelegation':
        if (input.delegationWithdrawn) return { status: 'done', why: 'délégation retirée' };
        if (input.mode === 'centralised') return { status: 'not_applicable', why: 'gestion déjà centralisée' };
        if (ended) return { status: 'not_applicable', why: 'convention résiliée' };
        return input.flags.length > 0 ? { status: 'proposed', why: 'manquements persistants' } : { status: 'not_applicable', why: 'aucune alerte ouverte' };
      case 'noticeOfBreach':
        if (breachNotice !== null) return { status: 'done', why: `mise en demeure reçue le ${longFrenchDate(breachNotice.noticeReceivedAt)}` };
        if (ended) return { status: 'not_applicable', why: 'convention résiliée' };
        return input.flags.length > 0 ? { status: 'proposed', why: 'manquements persistants' } : { status: 'not_applicable', why: 'aucune alerte ouverte' };
      case 'closeOut':
        if (ended)
          return input.held > 0
            ? { status: 'proposed', why: `convention résiliée, ${countOf(input.held, 'habilitation encore détenue', 'habilitations encore détenues')}` }
            : { status: 'done', why: 'plus rien n’est détenu' };
        if (input.terminationEffectiveAt !== null) return { status: 'later', why: `résiliation effective le ${longFrenchDate(input.terminationEffectiveAt)}` };
        return { status: 'not_applicable', why: 'aucune résiliation en cours' };
    }
  };

  const steps = LADDER.map((entry) => ({ step: entry.step, label: entry.label, article: articleOf(entry), command: entry.command, ...decide(entry.step) }));
  let note: string | null = null;
  let next: LadderStep | null = null;
  if (ended && input.held === 0) note = 'Convention résiliée et clôturée : plus d’escalade possible.';
  else if (!ended && input.flags.length === 0) note = 'Aucune alerte ouverte : rien à proposer.';
  else if (!ended && pending !== undefined && !critical) {
    // Proportion: while the partner may still answer, only a critical flag justifies going further.
    note = `Réponse du partenaire attendue${pending.dueAt === null ? '' : ` au plus tard le ${longFrenchDate(pending.dueAt)}`} : attendre avant d’aller plus loin.`;
  } else if (!ended && breachNotice !== null && input.terminationEffectiveAt !== null) {
    note = `Mise en demeure en cours : sans correction, résiliation de plein droit le ${longFrenchDate(input.terminationEffectiveAt)}.`;
  } else next = steps.find((step) => step.status === 'proposed')?.step ?? null;
  for (const step of steps) if (step.status === 'proposed' && step.step !== next) step.status = 'later';
  return { asOf: input.asOf, offered: !(ended && input.held === 0), steps, next, note, dispute: DISPUTE };
}
