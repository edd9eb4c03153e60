import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { MANAGEMENT_MODES, profileCodeSchema, serviceCodeSchema, type Terms } from './terms.js';
import { calendarDateField, calendarDateSchema, departementSchema, idField, idSchema } from './fields.js';
import { booleanField, choiceField, optionalField, plainInput } from './plain.js';
import { safeTextSchema } from './text.js';
import { withReason } from './actions.js';
import { SEVERITIES, RULE_NAMES } from './flags/catalogue.js';
import { HABILITATION_STATUSES } from './habilitation.js';
import { USER_ROLES, USER_STATUSES } from './user.js';
import { STORE_ID_PATTERN, TRACE_ACTIONS, TRACE_HASH_PATTERN } from './trace.js';
import { longFrenchDate } from './wording.js';
import type { Caf } from './caf.js';
import type { Convention, ConventionState, ConventionStatus } from './convention.js';
import type { Partner } from './partner.js';
import type { Avenant } from './avenant.js';

// Inputs of the SDK's read operations; the server validates request bodies with the same schemas.

/** The largest page a list answers; whole lists are read by pages of it (the SDK's `all`). */
export const MAX_PAGE_SIZE = 1000;

/**
 * The longest cursor a list gives: the base64url of `[id]`, an id of 200 UTF-16 units taking 3
 * bytes each in UTF-8 at most (a quote or backslash escaped, 2): 604 bytes, 808 characters. At
 * 500, the next page after an id of 200 « € » was refused (review 38).
 */
const CURSOR_MAX = 1024;

const pageInput = lazySchema(() => ({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z.string().max(CURSOR_MAX).nullable().optional(),
}));

export const partnersListInputSchema = lazySchema(() =>
  z.strictObject({
    // A Caf is known by its département's code; anything else (a NUL byte, which PostgreSQL refuses in text) is not one.
    cafCode: departementSchema.optional(),
    search: safeTextSchema(200).optional(),
    mode: z.enum(MANAGEMENT_MODES).optional(),
    asOf: calendarDateSchema.optional(),
    ...pageInput,
  }),
);
export type PartnersListInput = z.input<typeof partnersListInputSchema>;

export const usersListInputSchema = lazySchema(() =>
  z.strictObject({
    partnerId: idSchema,
    status: z.enum(USER_STATUSES).optional(),
    role: z.enum(USER_ROLES).optional(),
    ...pageInput,
  }),
);
export type UsersListInput = z.input<typeof usersListInputSchema>;

export const habilitationsListInputSchema = lazySchema(() =>
  z.strictObject({
    partnerId: idSchema,
    service: serviceCodeSchema.optional(),
    profile: profileCodeSchema.optional(),
    status: z.enum(HABILITATION_STATUSES).optional(),
    userId: idSchema.optional(),
    ...pageInput,
  }),
);
export type HabilitationsListInput = z.input<typeof habilitationsListInputSchema>;

export const groupsListInputSchema = lazySchema(() => z.strictObject({ partnerId: idSchema, ...pageInput }));
export type GroupsListInput = z.input<typeof groupsListInputSchema>;

export const tracesListInputSchema = lazySchema(() =>
  z
    .strictObject({
      partnerId: idSchema.optional(),
      targetId: idSchema.optional(),
      /** Traces about this user, their habilitations (direct or through a group) and their groups. */
      userId: idSchema.optional(),
      action: z.enum(TRACE_ACTIONS).optional(),
      since: calendarDateSchema.optional(),
      until: calendarDateSchema.optional(),
      ...pageInput,
    })
    .superRefine((query, context) => {
      // Reversed, the range holds no day: said, rather than an empty list read as « nothing happened ».
      if (query.since !== undefined && query.until !== undefined && query.until < query.since) {
        context.addIssue({
          code: 'custom',
          path: ['until'],
          message: `antérieure à since (${longFrenchDate(query.since)}), la période ne contient aucun jour`,
        });
      }
    }),
);
export type TracesListInput = z.input<typeof tracesListInputSchema>;

/**
 * `traces.verify`: the whole chain by default. With `checkpoint` (a head a signed checkpoint
 * vouches for, as `traces.head` gives it), the chain must still pass through that head, in the
 * same store, with the same last version-1 trace: a tail rewritten with recomputed hashes up to
 * it or before no longer does, which the walk alone cannot see. With `onlyAfter` too, only the
 * traces after it are walked (a server's stop, whose budget a long trail would exceed): what
 * comes before is then the whole walk's to check.
 */
export const tracesVerifyInputSchema = lazySchema(() =>
  z
    .strictObject({
      checkpoint: z
        .strictObject({
          id: z.number().int().nonnegative(),
          hash: z.string().regex(TRACE_HASH_PATTERN, 'empreinte SHA-256 attendue (64 caractères hexadécimaux)'),
          storeId: z.string().regex(STORE_ID_PATTERN, 'identifiant de base attendu (32 caractères hexadécimaux)'),
          legacyUntil: z.number().int().nonnegative(),
        })
        .optional(),
      onlyAfter: z.boolean().optional(),
    })
    .superRefine((input, context) => {
      if (input.onlyAfter === true && input.checkpoint === undefined) {
        context.addIssue({ code: 'custom', path: ['onlyAfter'], message: 'demande un point de contrôle (checkpoint) après lequel vérifier' });
      }
    }),
);
export type TracesVerifyInput = z.input<typeof tracesVerifyInputSchema>;

export const quotasUsageInputSchema = plainInput({
  partnerId: optionalField(idField),
  asOf: optionalField(calendarDateField),
  over: optionalField(booleanField),
});
export type QuotasUsageInput = z.input<typeof quotasUsageInputSchema>;

export const auditRunInputSchema = plainInput({
  partnerId: optionalField(idField),
  asOf: optionalField(calendarDateField),
  minSeverity: optionalField(choiceField(SEVERITIES)),
  // A list of rules is read by zod (its answer is a copy of the list).
  rules: optionalField({ schema: lazySchema(() => z.array(z.enum(RULE_NAMES as [string, ...string[]]))) }),
});
export type AuditRunInput = z.input<typeof auditRunInputSchema>;

export const auditCountsInputSchema = plainInput({
  partnerId: optionalField(idField),
  asOf: optionalField(calendarDateField),
});
export type AuditCountsInput = z.input<typeof auditCountsInputSchema>;

/** The same question as the flag counts': which partners (one, or all in reach), at which date. */
export const quotasTotalsInputSchema = auditCountsInputSchema;
export type QuotasTotalsInput = AuditCountsInput;

export const tracesPurgeInputSchema = lazySchema(() => withReason({ asOf: calendarDateSchema.optional() }, { defaulted: true }));
export type TracesPurgeInput = z.input<typeof tracesPurgeInputSchema>;

/** A row of `partners.list`: the partner and its convention at a glance. */
export interface PartnerSummary {
  id: string;
  name: string;
  kind: Partner['kind'];
  cafCode: string;
  conventionNumber: string;
  conventionStatus: ConventionStatus;
  /** The effective mode at `asOf` (a withdrawn delegation is centralised). */
  managementMode: Terms['managementMode'];
  endsAt: string | null;
  nextRenewalAt: string | null;
}

/**
 * What `partners.get` answers: the partner, its Caf, its convention and the terms in force. The
 * desk and ladder appear once, in `terms` (the contract's, else the Caf's): `caf` leaves them out.
 */
export interface PartnerDetail extends Partner {
  asOf: string;
  caf: Omit<Caf, 'serviceDesk' | 'escalation'> | null;
  convention: Convention;
  state: ConventionState;
  terms: Terms;
  lastReviewAt: string | null;
}

/** An avenant as `avenants.list` shows it: signed or a draft, and whether it applies. */
export interface AvenantView extends Avenant {
  partnerId: string;
  signed: boolean;
  applies: boolean;
  effectiveFrom: string | null;
}

/** What `traces.purge` removed, or with `dryRun` would remove (contrat art. 5.3.2, rules.md "Retention"). */
export interface PurgeReport {
  dryRun: boolean;
  asOf: string;
  /** Activity traces of a Paris day strictly before this date are erased (6 months). */
  traceCutoff: string;
  /** Decision traces and de-validated records strictly before this date go (6 years). */
  recordCutoff: string;
  /** Traces whose content is erased (their number, time and hashes stay, so the chain verifies). */
  traces: { count: number; activity: number; decision: number; firstId: number | null; lastId: number | null };
  habilitations: { count: number; ids: string[] };
  /** `byLatestActivity`: disabled users without a de-validation date, dated by their latest known activity. */
  users: { count: number; ids: string[]; byLatestActivity: string[] };
  traceId: number | null;
}

/**
 * Whether a purge finds nothing to erase nor remove: then it writes nothing and no trace, as an
 * edit that changes nothing, and the CLI does not ask.
 */
export function purgeFindsNothing(report: PurgeReport): boolean {
  return report.traces.count + report.habilitations.count + report.users.count === 0;
}
