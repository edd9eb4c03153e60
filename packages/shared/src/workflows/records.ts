import { z } from 'zod';
import { withReason } from '../actions.js';
import { CDAP_SERVICE } from '../catalogue.js';
import { calendarDateSchema, departementSchema, emailSchema, idSchema } from '../fields.js';
import { safeTextSchema } from '../text.js';
import { profileCodeSchema, serviceCodeSchema } from '../terms.js';
import { USER_ROLES } from '../user.js';

// What the forms imply, recorded directly by a supervisor without a form (workflows.md, section
// 1): a user, a group, a habilitation (the last two only when the Caf manages habilitations:
// centralised mode, convention art. 9.1, or after a withdrawal of delegation, contrat art. 2.2.1).

/** A new user of a partner; the id is chosen by the Caf or numbered after the partner's. */
export const userDraftSchema = withReason({
  id: idSchema.optional(),
  name: safeTextSchema(200).trim().min(1, 'nom obligatoire'),
  email: emailSchema,
  function: safeTextSchema(200).trim().nullable().optional(),
  role: z.enum(USER_ROLES).default('user'),
  departement: departementSchema.nullable().optional(),
  missionEndAt: calendarDateSchema.nullable().optional(),
});
export type UserDraft = z.input<typeof userDraftSchema>;

export const groupDraftSchema = withReason({
  id: idSchema.optional(),
  name: safeTextSchema(200).trim().min(1, 'nom obligatoire'),
  memberIds: z.array(idSchema).max(10_000).default([]),
});
export type GroupDraft = z.input<typeof groupDraftSchema>;

/** A new habilitation, to a user or to a group, with the end of a temporary mission when there is one. */
export const habilitationDraftSchema = withReason({
  id: idSchema.optional(),
  userId: idSchema.optional(),
  groupId: idSchema.optional(),
  service: serviceCodeSchema.default(CDAP_SERVICE),
  profile: profileCodeSchema,
  departement: departementSchema.nullable().optional(),
  endsAt: calendarDateSchema.nullable().optional(),
}).superRefine((draft, context) => {
  if ((draft.userId === undefined) === (draft.groupId === undefined)) {
    context.addIssue({ code: 'custom', path: ['userId'], message: 'une habilitation a exactement un des champs userId et groupId' });
  }
});
export type HabilitationDraft = z.input<typeof habilitationDraftSchema>;
