import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { calendarDateSchema, idSchema } from './fields.js';
import { avenantChangeSchema, checkDraftedChanges } from './avenant.js';
import { reasonSchema, reviewerSchema, safeTextSchema } from './text.js';

/**
 * The one reason rule: a write states why (rules.md, "Actions"), except a dry run, whose reason
 * is asked after its preview. `defaulted` writes fill a reason of their own (an avenant's title).
 */
export function withReason<S extends z.ZodRawShape>(shape: S, options: { defaulted?: boolean } = {}) {
  return z.strictObject({ ...shape, reason: reasonSchema.optional(), dryRun: z.boolean().optional() }).superRefine((value, context) => {
    const { reason, dryRun } = value as { reason?: string; dryRun?: boolean };
    if (reason === undefined && dryRun !== true && options.defaulted !== true) {
      context.addIssue({ code: 'custom', path: ['reason'], message: 'motif obligatoire (sauf pour un essai à blanc)' });
    }
  });
}

export const actionOptionsSchema = lazySchema(() => withReason({}));
export type ActionOptions = z.input<typeof actionOptionsSchema>;

export const idListSchema = lazySchema(() => z.array(idSchema).min(1, 'au moins un identifiant'));

/** One entity an action changed, with its state before and after. */
export interface ChangedEntity<T = Record<string, unknown>> {
  id: string;
  before: T;
  after: T;
  traceId: number | null;
}

/** One entity an action left as it was, and why. */
export interface UnchangedEntity {
  id: string;
  reason: string;
}

/** What every action returns; with `dryRun`, what it would do, and `traceId`s are null. */
export interface ActionResult<T = Record<string, unknown>> {
  dryRun: boolean;
  changed: ChangedEntity<T>[];
  unchanged: UnchangedEntity[];
}

export const avenantDraftSchema = lazySchema(() =>
  withReason(
    {
      title: safeTextSchema().trim().min(1, 'titre obligatoire'),
      changes: z.array(avenantChangeSchema).min(1, 'au moins une modification').max(200, '200 modifications au plus').superRefine(checkDraftedChanges),
      signedByCafAt: calendarDateSchema.nullable().optional(),
      signedByPartnerAt: calendarDateSchema.nullable().optional(),
      effectiveAt: calendarDateSchema.nullable().optional(),
    },
    { defaulted: true },
  ),
);
export type AvenantDraft = z.input<typeof avenantDraftSchema>;

export const avenantSignatureSchema = lazySchema(() => withReason({ side: z.enum(['caf', 'partner']), date: calendarDateSchema }, { defaulted: true }));
export type AvenantSignature = z.input<typeof avenantSignatureSchema>;

export const reviewRecordSchema = lazySchema(() =>
  withReason(
    {
      completedAt: calendarDateSchema,
      reviewer: reviewerSchema,
      proof: safeTextSchema().nullable().optional(),
    },
    { defaulted: true },
  ),
);
export type ReviewRecord = z.input<typeof reviewRecordSchema>;
