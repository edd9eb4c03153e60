import { z } from 'zod';
import { avenantApplies, avenantSchema, applyChange, type Avenant } from './avenant.js';
import { addMonths, laterDate, type CalendarDate } from './dates.js';
import { calendarDateSchema, idSchema } from './fields.js';
import { MANAGEMENT_MODES, contactSchema, subscriptionSchema, type Terms } from './terms.js';

export const terminationSchema = z.object({
  kind: z.enum(['unilateral', 'breach']),
  noticeReceivedAt: calendarDateSchema,
  requestedEffectiveAt: calendarDateSchema.nullable().optional(),
  remediedAt: calendarDateSchema.nullable().optional(),
});
export type Termination = z.infer<typeof terminationSchema>;

/** The access convention of one partner, with its contract terms and avenants. */
export const conventionSchema = z
  .object({
    partnerId: idSchema,
    number: z.string().min(1),
    signedAt: calendarDateSchema.nullable(),
    effectiveAt: calendarDateSchema.nullable().default(null),
    managementMode: z.enum(MANAGEMENT_MODES).default('delegated'),
    tacitRenewal: z.boolean().default(true),
    termination: terminationSchema.nullable().default(null),
    delegationWithdrawnAt: calendarDateSchema.nullable().default(null),
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
            : `numéro d'avenant ${avenant.number} inattendu : les avenants sont numérotés 1, 2, 3… sans trou (${convention.avenants.length} avenant(s))`,
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
  });
export type Convention = z.infer<typeof conventionSchema>;

export const CONVENTION_STATUSES = ['draft', 'active', 'notice', 'terminated'] as const;
export type ConventionStatus = (typeof CONVENTION_STATUSES)[number];

/** How a supervisor names each convention state. */
export const CONVENTION_STATUS_LABELS: Record<ConventionStatus, string> = { draft: 'non signée', active: 'en vigueur', notice: 'en préavis', terminated: 'résiliée' };

/** When a termination takes effect (convention art. 17.2); null when a breach was remedied in time. */
export function terminationEffectiveAt(termination: Termination | null): CalendarDate | null {
  if (termination === null) return null;
  const { noticeReceivedAt } = termination;
  if (termination.kind === 'unilateral') {
    return laterDate(termination.requestedEffectiveAt ?? noticeReceivedAt, addMonths(noticeReceivedAt, 3));
  }
  const deadline = addMonths(noticeReceivedAt, 1);
  const remediedAt = termination.remediedAt ?? null;
  return remediedAt !== null && remediedAt <= deadline ? null : deadline;
}

export interface ConventionState {
  status: ConventionStatus;
  inForce: boolean;
  terminationEffectiveAt: CalendarDate | null;
  periodStart: CalendarDate | null;
  nextRenewalAt: CalendarDate | null;
}

type ConventionDates = Pick<Convention, 'signedAt' | 'effectiveAt' | 'termination'>;

/** Status, termination date, period start and next tacit renewal (art. 17.1) at `asOf`. */
export function conventionState(convention: ConventionDates, asOf: CalendarDate): ConventionState {
  const endsAt = terminationEffectiveAt(convention.termination);
  let status: ConventionStatus;
  if (convention.signedAt === null || convention.signedAt > asOf) status = 'draft';
  else if (endsAt !== null && endsAt <= asOf) status = 'terminated';
  else if (convention.termination !== null && endsAt !== null && convention.termination.noticeReceivedAt <= asOf) status = 'notice';
  else status = 'active';
  const periodStart = convention.effectiveAt ?? convention.signedAt;
  return {
    status,
    inForce: status === 'active' || status === 'notice',
    terminationEffectiveAt: endsAt,
    periodStart,
    nextRenewalAt: periodStart === null ? null : nextRenewal(periodStart, asOf),
  };
}

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

type TermsSource = Pick<Convention, 'managementMode' | 'subscriptions' | 'contacts' | 'avenants' | 'delegationWithdrawnAt'>;

/**
 * The terms in force at `asOf`: the convention's own, then each applying avenant in ascending
 * number, each one's changes in order; a withdrawn delegation makes the mode centralised
 * whatever the avenants say (contrat art. 2.2.1).
 */
export function effectiveTerms(convention: TermsSource, asOf: CalendarDate): Terms {
  const terms: Terms = structuredClone({
    managementMode: convention.managementMode,
    subscriptions: convention.subscriptions,
    contacts: convention.contacts,
  });
  const applying = convention.avenants
    .filter((avenant) => avenantApplies(avenant, asOf))
    .sort((a: Avenant, b: Avenant) => a.number - b.number);
  for (const avenant of applying) {
    for (const change of avenant.changes) applyChange(terms, change);
  }
  if (convention.delegationWithdrawnAt !== null && convention.delegationWithdrawnAt <= asOf) {
    terms.managementMode = 'centralised';
  }
  return terms;
}
