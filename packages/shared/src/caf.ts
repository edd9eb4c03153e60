import { z } from 'zod';
import { emailSchema } from './fields.js';

export const serviceDeskSchema = z.object({
  email: emailSchema.nullable().default(null),
  phone: z.string().nullable().default(null),
  hours: z.string().nullable().default(null),
  answerWithinWorkingDays: z.number().int().positive().nullable().default(null),
});

export const escalationContactSchema = z.object({
  order: z.number().int().positive(),
  name: z.string().min(1),
  function: z.string().nullable().default(null),
  email: emailSchema.nullable().default(null),
  phone: z.string().nullable().default(null),
});

/** A Caf, identified by its département code. */
export const cafSchema = z.object({
  code: z.string().regex(/^(\d{2,3}|2A|2B)$/, 'code de Caf invalide (code de département)'),
  name: z.string().min(1),
  address: z.string().nullable().default(null),
  serviceDesk: serviceDeskSchema.nullable().default(null),
  escalation: z.array(escalationContactSchema).default([]),
});
export type Caf = z.infer<typeof cafSchema>;
export type EscalationContact = z.infer<typeof escalationContactSchema>;
