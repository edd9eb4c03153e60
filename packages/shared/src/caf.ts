import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { departementSchema, emailSchema, requiredTextSchema, textSchema } from './fields.js';

/**
 * A contract's service desk (contrat art. 3.2): how to reach it, when, how fast it answers, and
 * after how long without an answer the escalation may start (art. 3.3; Val d'Oise: « dans un
 * délai d'1 mois », 30 days).
 */
export const serviceDeskSchema = lazySchema(() =>
  z.object({
    email: emailSchema.nullable().default(null),
    phone: textSchema.nullable().default(null),
    days: textSchema.nullable().optional(),
    hours: textSchema.nullable().default(null),
    answerWithinWorkingDays: z.number().int().positive().nullable().default(null),
    escalateAfterDays: z.number().int().positive().nullable().optional(),
  }),
);
export type ServiceDesk = z.infer<typeof serviceDeskSchema>;

export const ESCALATION_SIDES = ['caf', 'partner'] as const;
export type EscalationSide = (typeof ESCALATION_SIDES)[number];

/** One rung of the escalation ladder (contrat art. 3.3), on the Caf's side or the partner's. */
export const escalationContactSchema = lazySchema(() =>
  z.object({
    order: z.number().int().positive(),
    side: z.enum(ESCALATION_SIDES).default('caf'),
    name: requiredTextSchema,
    function: textSchema.nullable().default(null),
    email: emailSchema.nullable().default(null),
    phone: textSchema.nullable().default(null),
  }),
);
export type EscalationContact = z.infer<typeof escalationContactSchema>;

/** A Caf, identified by its département code; its desk and ladder are the defaults of its contracts. */
export const cafSchema = lazySchema(() =>
  z.object({
    code: departementSchema,
    name: requiredTextSchema,
    address: textSchema.nullable().default(null),
    serviceDesk: serviceDeskSchema.nullable().default(null),
    escalation: z.array(escalationContactSchema).nullable().default([]),
  }),
);
export type Caf = z.infer<typeof cafSchema>;

/** The ladder as it is read: the Caf's rungs first, then the partner's, each side by `order` (art. 3.3 lists them so). */
export function orderedEscalation(ladder: readonly EscalationContact[]): EscalationContact[] {
  const sideRank = (side: EscalationSide) => ESCALATION_SIDES.indexOf(side);
  return [...ladder].sort((a, b) => sideRank(a.side) - sideRank(b.side) || a.order - b.order);
}
