import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { isKnownProfile } from './catalogue.js';
import { calendarDateSchema, departementSchema, idSchema, timestampSchema } from './fields.js';
import { profileCodeSchema, profileNotInCatalogueMessage, serviceCodeSchema } from './terms.js';

export const HABILITATION_STATUSES = ['active', 'suspended', 'revoked'] as const;
export type HabilitationStatus = (typeof HABILITATION_STATUSES)[number];

/** The right of one user, or one group, to use one service under one profile. */
export const habilitationSchema = lazySchema(() =>
  z
    .object({
      id: idSchema,
      partnerId: idSchema,
      userId: idSchema.nullable().default(null),
      groupId: idSchema.nullable().default(null),
      service: serviceCodeSchema,
      profile: profileCodeSchema,
      departement: departementSchema.nullable().default(null),
      status: z.enum(HABILITATION_STATUSES),
      grantedAt: timestampSchema,
      suspendedAt: timestampSchema.nullable().default(null),
      revokedAt: timestampSchema.nullable().default(null),
      /** Last day of a temporary habilitation (« mission temporaire, date de fin » of the request form). */
      endsAt: calendarDateSchema.nullable().default(null),
    })
    .superRefine((habilitation, ctx) => {
      if ((habilitation.userId === null) === (habilitation.groupId === null)) {
        ctx.addIssue({
          code: 'custom',
          path: ['userId'],
          message: 'une habilitation a exactement un des champs userId et groupId',
        });
      }
      if (!isKnownProfile(habilitation.service, habilitation.profile)) {
        ctx.addIssue({ code: 'custom', path: ['profile'], message: profileNotInCatalogueMessage(habilitation.service, habilitation.profile) });
      }
      if (habilitation.revokedAt !== null && habilitation.status !== 'revoked') {
        ctx.addIssue({ code: 'custom', path: ['revokedAt'], message: 'revokedAt seulement sur une habilitation dévalidée (status revoked)' });
      }
      if (habilitation.suspendedAt !== null && habilitation.status !== 'suspended') {
        ctx.addIssue({ code: 'custom', path: ['suspendedAt'], message: 'suspendedAt seulement sur une habilitation suspendue (status suspended)' });
      }
    }),
);
export type Habilitation = z.infer<typeof habilitationSchema>;

/** Held habilitations count against quotas; a revoked one does not (contrat art. 2.2.1). */
export const HELD_STATUSES: readonly HabilitationStatus[] = ['active', 'suspended'];

export function isHeld(status: HabilitationStatus): boolean {
  return status !== 'revoked';
}
