import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { calendarDateSchema, departementSchema, emailSchema, idSchema, requiredTextSchema, textSchema, timestampSchema } from './fields.js';
import { REVIEWER_MAX, safeTextSchema } from './text.js';

export const USER_ROLES = ['administrator', 'deputy', 'habilitation_manager', 'user'] as const;
export const USER_STATUSES = ['active', 'suspended', 'disabled'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export type UserStatus = (typeof USER_STATUSES)[number];

/** A person with an MCP account at a partner. */
export const userSchema = lazySchema(() =>
  z
    .object({
      id: idSchema,
      partnerId: idSchema,
      name: requiredTextSchema,
      email: emailSchema,
      function: textSchema.nullable().default(null),
      role: z.enum(USER_ROLES),
      status: z.enum(USER_STATUSES),
      createdAt: timestampSchema,
      lastLoginAt: timestampSchema.nullable().default(null),
      passwordChangedAt: timestampSchema.nullable().default(null),
      mustChangePassword: z.boolean().default(false),
      missionEndAt: calendarDateSchema.nullable().default(null),
      /** When the account was de-validated; the flags read the status alone, retention reads this (contrat art. 5.3.2). */
      disabledAt: timestampSchema.nullable().default(null),
      departement: departementSchema.nullable().default(null),
    })
    .superRefine((user, ctx) => {
      if (user.disabledAt !== null && user.status !== 'disabled') {
        ctx.addIssue({ code: 'custom', path: ['disabledAt'], message: 'disabledAt seulement sur un utilisateur désactivé (status disabled)' });
      }
    }),
);
export type User = z.infer<typeof userSchema>;

/**
 * A group's members, each listed once: twice, a person was stored twice and counted as two
 * members. Not a function of zod's (a set would lose the order members are kept in).
 */
export function memberIdsSchema(max?: number) {
  const ids = max === undefined ? z.array(idSchema) : z.array(idSchema).max(max);
  return ids.superRefine((members, context) => {
    const seen = new Set<string>();
    members.forEach((id, index) => {
      if (seen.has(id)) context.addIssue({ code: 'custom', path: [index], message: `membre en double : ${id}` });
      seen.add(id);
    });
  });
}

/** A set of users of one partner; a habilitation may be given to it. */
export const groupSchema = lazySchema(() =>
  z.object({
    id: idSchema,
    partnerId: idSchema,
    name: requiredTextSchema,
    memberIds: memberIdsSchema().default([]),
  }),
);
export type Group = z.infer<typeof groupSchema>;

/** A yearly reverse review of habilitations (contrat art. 2.2.2). */
export const reviewSchema = lazySchema(() =>
  z.object({
    partnerId: idSchema,
    completedAt: calendarDateSchema,
    // As an action's, but not trimmed: an import keeps what the file says (its export gives it back).
    reviewer: safeTextSchema(REVIEWER_MAX).min(1, 'texte vide'),
    proof: textSchema.nullable().default(null),
  }),
);
export type Review = z.infer<typeof reviewSchema>;
