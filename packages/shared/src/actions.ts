import { z } from 'zod';
import { calendarDateSchema, idSchema } from './fields.js';
import { avenantChangeSchema } from './avenant.js';
import { reasonSchema } from './text.js';

export const actionOptionsSchema = z.strictObject({
  reason: reasonSchema,
  dryRun: z.boolean().optional(),
});
export type ActionOptions = z.input<typeof actionOptionsSchema>;

export const idListSchema = z.array(idSchema).min(1, 'au moins un identifiant');

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

export const avenantDraftSchema = z.strictObject({
  title: z.string().trim().min(1, 'titre obligatoire'),
  changes: z.array(avenantChangeSchema).min(1, 'au moins une modification'),
  signedByCafAt: calendarDateSchema.nullable().optional(),
  signedByPartnerAt: calendarDateSchema.nullable().optional(),
  effectiveAt: calendarDateSchema.nullable().optional(),
  reason: reasonSchema.optional(),
  dryRun: z.boolean().optional(),
});
export type AvenantDraft = z.input<typeof avenantDraftSchema>;

export const avenantSignatureSchema = z.strictObject({
  side: z.enum(['caf', 'partner']),
  date: calendarDateSchema,
  reason: reasonSchema.optional(),
  dryRun: z.boolean().optional(),
});
export type AvenantSignature = z.input<typeof avenantSignatureSchema>;

export const reviewRecordSchema = z.strictObject({
  completedAt: calendarDateSchema,
  reviewer: z.string().trim().min(1, 'nom de la personne qui a fait la revue obligatoire'),
  proof: z.string().nullable().optional(),
  reason: reasonSchema.optional(),
  dryRun: z.boolean().optional(),
});
export type ReviewRecord = z.input<typeof reviewRecordSchema>;
