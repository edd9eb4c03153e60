import { z } from 'zod';
import {
  actionOptionsSchema,
  auditRunInputSchema,
  avenantDraftSchema,
  avenantSignatureSchema,
  calendarDateSchema,
  groupsListInputSchema,
  habilitationsListInputSchema,
  idListSchema,
  idSchema,
  partnersListInputSchema,
  quotasUsageInputSchema,
  reviewRecordSchema,
  tracesListInputSchema,
  tracesPurgeInputSchema,
  usersListInputSchema,
} from '@cafsup/shared';
import type { Operation } from '@cafsup/sdk';

const byId = z.strictObject({ id: idSchema });
const dated = { asOf: calendarDateSchema.optional() };
const action = z.strictObject({ ids: idListSchema, options: actionOptionsSchema });
const none = z.strictObject({});

/**
 * The body of each operation, as the SDK's resources send it: the shared schemas, strict, so
 * an unknown field is refused rather than ignored. The dataset import has its own route.
 */
export const OPERATION_INPUTS: Record<Exclude<Operation, 'dataset.import' | 'dataset.export'>, z.ZodType> = {
  'partners.list': partnersListInputSchema,
  'partners.get': z.strictObject({ id: idSchema, ...dated }),
  'partners.withdrawDelegation': z.strictObject({ id: idSchema, options: actionOptionsSchema }),
  'conventions.get': z.strictObject({ partnerId: idSchema, ...dated }),
  'quotas.usage': quotasUsageInputSchema,
  'audit.run': auditRunInputSchema,
  'users.list': usersListInputSchema,
  'users.get': byId,
  'users.suspend': action,
  'users.reinstate': action,
  'users.forcePasswordReset': z.union([action, z.strictObject({ partnerId: idSchema, options: actionOptionsSchema })]),
  'groups.list': groupsListInputSchema,
  'groups.get': byId,
  'habilitations.list': habilitationsListInputSchema,
  'habilitations.get': byId,
  'habilitations.suspend': action,
  'habilitations.reinstate': action,
  'habilitations.revoke': action,
  'avenants.list': z.strictObject({ partnerId: idSchema, ...dated }),
  'avenants.create': z.strictObject({ partnerId: idSchema, draft: avenantDraftSchema }),
  'avenants.sign': z.strictObject({ partnerId: idSchema, number: z.number().int().positive(), signature: avenantSignatureSchema }),
  'reviews.list': z.strictObject({ partnerId: idSchema }),
  'reviews.record': z.strictObject({ partnerId: idSchema, review: reviewRecordSchema }),
  'traces.list': tracesListInputSchema,
  'traces.verify': none,
  'traces.purge': tracesPurgeInputSchema,
  'dataset.summary': none,
};

export function isBodyOperation(name: string): name is keyof typeof OPERATION_INPUTS {
  return Object.hasOwn(OPERATION_INPUTS, name);
}

/** The dataset's import takes the document as its body and its options in the query string. */
export const IMPORT_QUERY = z.strictObject({ reason: z.string().optional(), dryRun: z.enum(['true', 'false']).optional() });
