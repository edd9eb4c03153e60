import { z } from '../zod.js';
import { lazySchema } from '../lazy.js';
import { withReason } from '../actions.js';
import { checkDraftedSubscriptions } from '../avenant.js';
import { CDAP_SERVICE } from '../catalogue.js';
import { escalationContactSchema, serviceDeskSchema } from '../caf.js';
import { conventionSchema } from '../convention.js';
import { calendarDateSchema, departementSchema, emailSchema, idSchema, newIdSchema, requiredTextSchema, siretSchema, textSchema } from '../fields.js';
import { PARTNER_KINDS, partnerSchema } from '../partner.js';
import { safeTextSchema } from '../text.js';
import { MANAGEMENT_MODES, contactSchema, profileCodeSchema, serviceCodeSchema, subscriptionSchema } from '../terms.js';
import { USER_ROLES, memberIdsSchema } from '../user.js';

// What the forms imply, recorded directly by a supervisor without a form (workflows.md, section
// 1): a user, a group, a habilitation (the last two only when the Caf manages habilitations:
// centralised mode, convention art. 9.1, or after a withdrawal of delegation, contrat art. 2.2.1).

/** A new user of a partner; the id is chosen by the Caf or numbered after the partner's. */
export const userDraftSchema = lazySchema(() =>
  withReason({
    id: newIdSchema.optional(),
    name: safeTextSchema(200).trim().min(1, 'nom obligatoire'),
    email: emailSchema,
    function: safeTextSchema(200).trim().nullable().optional(),
    role: z.enum(USER_ROLES).default('user'),
    departement: departementSchema.nullable().optional(),
    missionEndAt: calendarDateSchema.nullable().optional(),
  }),
);
export type UserDraft = z.input<typeof userDraftSchema>;

export const groupDraftSchema = lazySchema(() =>
  withReason({
    id: newIdSchema.optional(),
    name: safeTextSchema(200).trim().min(1, 'nom obligatoire'),
    memberIds: memberIdsSchema(10_000).default([]),
  }),
);
export type GroupDraft = z.input<typeof groupDraftSchema>;

/** A new habilitation, to a user or to a group, with the end of a temporary mission when there is one. */
export const habilitationDraftSchema = lazySchema(() =>
  withReason({
    id: newIdSchema.optional(),
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
  }),
);
export type HabilitationDraft = z.input<typeof habilitationDraftSchema>;

/** A new partner with its convention, as the signed documents give them (no avenant yet). */
export const partnerDraftSchema = lazySchema(() =>
  withReason({ partner: partnerSchema.extend({ id: newIdSchema }), convention: conventionSchema }).superRefine((draft, ctx) =>
    checkDraftedSubscriptions(draft.convention.subscriptions, ctx, ['convention', 'subscriptions']),
  ),
);
export type PartnerDraft = z.input<typeof partnerDraftSchema>;

/** Corrections to a partner's own fields; the id and Caf stay. */
export const partnerEditSchema = lazySchema(() =>
  withReason({
    name: requiredTextSchema.optional(),
    siret: siretSchema.nullable().optional(),
    kind: z.enum(PARTNER_KINDS).optional(),
    departements: z.array(departementSchema).optional(),
    address: textSchema.nullable().optional(),
    missions: z.array(requiredTextSchema).optional(),
  }),
);
export type PartnerEdit = z.input<typeof partnerEditSchema>;

/**
 * Corrections to a convention as it was signed: number, dates, mode, subscriptions, contacts,
 * desk and ladder. Later changes of terms are avenants signed by both parties (convention
 * art. 17.3); a termination goes through `notices`.
 */
export const conventionEditSchema = lazySchema(() =>
  withReason({
    number: requiredTextSchema.optional(),
    signedAt: calendarDateSchema.nullable().optional(),
    effectiveAt: calendarDateSchema.nullable().optional(),
    managementMode: z.enum(MANAGEMENT_MODES).optional(),
    tacitRenewal: z.boolean().optional(),
    subscriptions: z.array(subscriptionSchema).optional(),
    contacts: z.array(contactSchema).optional(),
    serviceDesk: serviceDeskSchema.nullable().optional(),
    escalation: z.array(escalationContactSchema).nullable().optional(),
  }).superRefine((edit, ctx) => checkDraftedSubscriptions(edit.subscriptions, ctx, ['subscriptions'])),
);
export type ConventionEdit = z.input<typeof conventionEditSchema>;

export const userEditSchema = lazySchema(() =>
  withReason({
    name: safeTextSchema(200).trim().min(1, 'nom obligatoire').optional(),
    email: emailSchema.optional(),
    function: safeTextSchema(200).trim().nullable().optional(),
    role: z.enum(USER_ROLES).optional(),
    departement: departementSchema.nullable().optional(),
    missionEndAt: calendarDateSchema.nullable().optional(),
  }),
);
export type UserEdit = z.input<typeof userEditSchema>;

export const groupEditSchema = lazySchema(() =>
  withReason({
    name: safeTextSchema(200).trim().min(1, 'nom obligatoire').optional(),
    memberIds: memberIdsSchema(10_000).optional(),
  }),
);
export type GroupEdit = z.input<typeof groupEditSchema>;
