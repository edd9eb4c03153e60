import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { avenantApplies, avenantEffectiveAt, avenantSchema, applyChange, type Avenant } from './avenant.js';
import { escalationContactSchema, serviceDeskSchema, type Caf } from './caf.js';
import { addMonths, laterDate, type CalendarDate } from './dates.js';
import { calendarDateSchema, idSchema, requiredTextSchema } from './fields.js';
import { MANAGEMENT_MODES, contactSchema, subscriptionSchema, type ManagementMode, type Terms } from './terms.js';
import { longFrenchDate } from './wording.js';
import { countOf } from './labels.js';

export const terminationSchema = lazySchema(() =>
  z.object({
    kind: z.enum(['unilateral', 'breach']),
    noticeReceivedAt: calendarDateSchema,
    requestedEffectiveAt: calendarDateSchema.nullable().optional(),
    remediedAt: calendarDateSchema.nullable().optional(),
  }),
);
export type Termination = z.infer<typeof terminationSchema>;

/** The access convention of one partner, with its contract terms and avenants. */
export const conventionSchema = lazySchema(() =>
  z
    .object({
      partnerId: idSchema,
      number: requiredTextSchema,
      signedAt: calendarDateSchema.nullable(),
      effectiveAt: calendarDateSchema.nullable().default(null),
      managementMode: z.enum(MANAGEMENT_MODES).default('delegated'),
      tacitRenewal: z.boolean().default(true),
      termination: terminationSchema.nullable().default(null),
      delegationWithdrawnAt: calendarDateSchema.nullable().default(null),
      // This contract's own desk and ladder (contrat art. 3.2, 3.3); null: the Caf's.
      serviceDesk: serviceDeskSchema.nullable().default(null),
      escalation: z.array(escalationContactSchema).nullable().default(null),
      subscriptions: z.array(subscriptionSchema).default([]),
      contacts: z.array(contactSchema).default([]),
      avenants: z.array(avenantSchema).default([]),
    })
    .superRefine((convention, ctx) => {
      // Numbers 1, 2, 3… without gaps nor repeats, in whatever order the file lists them.
      const seen = new Set<number>();
      convention.avenants.forEach((avenant, index) => {
        if (seen.has(avenant.number) || avenant.number > convention.avenants.length) {
          ctx.addIssue({
            code: 'custom',
            path: ['avenants', index, 'number'],
            message: seen.has(avenant.number)
              ? `numéro d'avenant ${avenant.number} en double`
              : `numéro d'avenant ${avenant.number} inattendu : les avenants sont numérotés 1, 2, 3… sans trou (${countOf(convention.avenants.length, 'avenant')})`,
          });
        }
        seen.add(avenant.number);
      });
      const services = new Set<string>();
      convention.subscriptions.forEach((subscription, index) => {
        if (services.has(subscription.service)) {
          ctx.addIssue({ code: 'custom', path: ['subscriptions', index, 'service'], message: `service ${subscription.service} souscrit deux fois` });
        }
        services.add(subscription.service);
      });
    }),
);
export type Convention = z.infer<typeof conventionSchema>;

export const CONVENTION_STATUSES = ['draft', 'pending', 'active', 'notice', 'terminated'] as const;
export type ConventionStatus = (typeof CONVENTION_STATUSES)[number];

/** How a supervisor names each convention state; a breach notice is a mise en demeure (art. 17.2), see `conventionStatusLabel`. */
export const CONVENTION_STATUS_LABELS: Record<ConventionStatus, string> = {
  draft: 'projet',
  pending: 'signée, pas encore en vigueur',
  active: 'en vigueur',
  notice: 'en préavis de résiliation',
  terminated: 'résiliée',
};

export type TerminationKind = Termination['kind'];

/** What a termination is called: a unilateral one runs a préavis, a breach one starts with a mise en demeure (art. 17.2). */
export const TERMINATION_KIND_LABELS: Record<TerminationKind, string> = {
  unilateral: 'préavis de résiliation',
  breach: 'mise en demeure',
};

/** The state's label, naming a breach notice « mise en demeure ». */
export function conventionStatusLabel(status: ConventionStatus, termination: Pick<Termination, 'kind'> | null): string {
  return status === 'notice' && termination?.kind === 'breach' ? 'mise en demeure' : CONVENTION_STATUS_LABELS[status];
}

/**
 * When a termination takes effect at `asOf` (convention art. 17.2): unilateral, on the date asked
 * but never less than 3 months after the notice; for breach, one month after the mise en
 * demeure, unless remedied by then — a remedy dated after `asOf` does not count yet.
 */
export function terminationEffectiveAt(termination: Termination | null, asOf: CalendarDate): CalendarDate | null {
  if (termination === null) return null;
  const { noticeReceivedAt } = termination;
  if (termination.kind === 'unilateral') {
    return laterDate(termination.requestedEffectiveAt ?? noticeReceivedAt, addMonths(noticeReceivedAt, 3));
  }
  const deadline = addMonths(noticeReceivedAt, 1);
  const remediedAt = termination.remediedAt ?? null;
  return remediedAt !== null && remediedAt <= asOf && remediedAt <= deadline ? null : deadline;
}

export interface ConventionState {
  status: ConventionStatus;
  /** `active` or `notice`. */
  inForce: boolean;
  /** `effectiveAt`, else `signedAt`. */
  periodStart: CalendarDate | null;
  terminationEffectiveAt: CalendarDate | null;
  /** The earliest of the termination and, without tacit renewal, the end of the first year (art. 17.1). */
  endsAt: CalendarDate | null;
  nextRenewalAt: CalendarDate | null;
}

type ConventionDates = Pick<Convention, 'signedAt' | 'effectiveAt' | 'termination' | 'tacitRenewal'>;

/** Status, end and next tacit renewal (convention art. 17.1, 17.2) at `asOf`, as rules.md defines them. */
export function conventionState(convention: ConventionDates, asOf: CalendarDate): ConventionState {
  const periodStart = convention.effectiveAt ?? convention.signedAt;
  const terminationAt = terminationEffectiveAt(convention.termination, asOf);
  // One year, renewed only tacitly (art. 17.1): without tacit renewal the first year is the last.
  const yearEnd = !convention.tacitRenewal && periodStart !== null ? addMonths(periodStart, 12) : null;
  const endsAt = terminationAt === null ? yearEnd : yearEnd === null || terminationAt <= yearEnd ? terminationAt : yearEnd;
  let status: ConventionStatus;
  if (convention.signedAt === null || convention.signedAt > asOf) status = 'draft';
  else if (periodStart !== null && periodStart > asOf) status = 'pending';
  else if (endsAt !== null && endsAt <= asOf) status = 'terminated';
  else if (convention.termination !== null && terminationAt !== null && convention.termination.noticeReceivedAt <= asOf) status = 'notice';
  else status = 'active';
  let nextRenewalAt: CalendarDate | null = null;
  if (periodStart !== null && convention.tacitRenewal && status !== 'terminated') {
    const candidate = nextRenewal(periodStart, asOf);
    if (endsAt === null || endsAt > candidate) nextRenewalAt = candidate;
  }
  return { status, inForce: status === 'active' || status === 'notice', periodStart, terminationEffectiveAt: terminationAt, endsAt, nextRenewalAt };
}

/** The first `addMonths(periodStart, 12·k)`, k ≥ 1, after `asOf`. */
function nextRenewal(periodStart: CalendarDate, asOf: CalendarDate): CalendarDate {
  const yearsElapsed = Number(asOf.slice(0, 4)) - Number(periodStart.slice(0, 4));
  // Start a year early so clamping (29 February) cannot skip the first candidate after asOf.
  let years = Math.max(1, yearsElapsed - 1);
  let candidate = addMonths(periodStart, 12 * years);
  while (candidate <= asOf) {
    years += 1;
    candidate = addMonths(periodStart, 12 * years);
  }
  return candidate;
}

/** The termination in one French line: its kind, its dates and the end (rules.md: every output that shows a termination). */
export function describeTermination(termination: Termination, state: Pick<ConventionState, 'endsAt'>): string {
  const dates = [
    `${termination.kind === 'breach' ? 'reçue' : 'lettre reçue'} le ${longFrenchDate(termination.noticeReceivedAt)}`,
    ...(termination.requestedEffectiveAt == null ? [] : [`effet demandé au ${longFrenchDate(termination.requestedEffectiveAt)}`]),
    ...(termination.remediedAt == null ? [] : [`manquement corrigé le ${longFrenchDate(termination.remediedAt)}`]),
    state.endsAt === null ? 'pas de fin prévue' : `fin le ${longFrenchDate(state.endsAt)}`,
  ];
  const kind = TERMINATION_KIND_LABELS[termination.kind];
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1)} : ${dates.join(', ')}`;
}

type TermsSource = Pick<Convention, 'managementMode' | 'subscriptions' | 'contacts' | 'avenants' | 'delegationWithdrawnAt' | 'serviceDesk' | 'escalation'>;

/** The Caf's desk and ladder, the defaults of every contract that names none (dataset.md). */
export type CafDefaults = Pick<Caf, 'serviceDesk' | 'escalation'>;

/**
 * The terms in force at `asOf`: the convention's own (its desk and ladder, else the Caf's), then
 * each applying avenant in ascending number, each one's changes in order. A withdrawn delegation
 * makes the mode centralised (contrat art. 2.2.1) over every avenant that took effect on or
 * before the withdrawal, never over one effective later that sets the mode: a change of mode
 * takes effect through a signed avenant (art. 2.2).
 */
export function effectiveTerms(convention: TermsSource, asOf: CalendarDate, caf: CafDefaults | null = null): Terms {
  const terms: Terms = structuredClone({
    managementMode: convention.managementMode,
    subscriptions: convention.subscriptions,
    contacts: convention.contacts,
    // Only a null field falls back to the Caf's: an empty ladder stays empty.
    serviceDesk: convention.serviceDesk ?? caf?.serviceDesk ?? null,
    escalation: convention.escalation ?? caf?.escalation ?? [],
  });
  const applying = convention.avenants.filter((avenant) => avenantApplies(avenant, asOf)).sort((a: Avenant, b: Avenant) => a.number - b.number);
  const withdrawnAt = convention.delegationWithdrawnAt !== null && convention.delegationWithdrawnAt <= asOf ? convention.delegationWithdrawnAt : null;
  let modeAfterWithdrawal: ManagementMode | null = null;
  for (const avenant of applying) {
    const afterWithdrawal = withdrawnAt !== null && avenantEffectiveAt(avenant)! > withdrawnAt;
    for (const change of avenant.changes) {
      applyChange(terms, change);
      if (afterWithdrawal && change.type === 'setManagementMode') modeAfterWithdrawal = change.mode;
    }
  }
  if (withdrawnAt !== null) terms.managementMode = modeAfterWithdrawal ?? 'centralised';
  return terms;
}
