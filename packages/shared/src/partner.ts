import { z } from 'zod';
import { departementSchema, idSchema, siretSchema } from './fields.js';

export const PARTNER_KINDS = [
  'commune',
  'ccas',
  'epci',
  'departement',
  'bailleur',
  'hopital',
  'association',
  'organisme_securite_sociale',
  'justice',
  'autre',
] as const;

/** An organisation under convention with a Caf. */
export const partnerSchema = z.object({
  id: idSchema,
  name: z.string().min(1),
  siret: siretSchema.nullable().default(null),
  kind: z.enum(PARTNER_KINDS),
  cafCode: z.string().min(1),
  departements: z.array(departementSchema).default([]),
  address: z.string().nullable().default(null),
  missions: z.array(z.string()).default([]),
});
export type Partner = z.infer<typeof partnerSchema>;
export type PartnerKind = (typeof PARTNER_KINDS)[number];
