import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { departementSchema, idSchema, requiredTextSchema, siretSchema, textSchema } from './fields.js';

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
export const partnerSchema = lazySchema(() =>
  z.object({
    id: idSchema,
    name: requiredTextSchema,
    siret: siretSchema.nullable().default(null),
    kind: z.enum(PARTNER_KINDS),
    cafCode: departementSchema,
    departements: z.array(departementSchema).default([]),
    address: textSchema.nullable().default(null),
    missions: z.array(requiredTextSchema).default([]),
  }),
);
export type Partner = z.infer<typeof partnerSchema>;
export type PartnerKind = (typeof PARTNER_KINDS)[number];

/** How a supervisor names each kind of body. */
export const PARTNER_KIND_LABELS: Record<PartnerKind, string> = {
  commune: 'commune',
  ccas: 'CCAS',
  epci: 'EPCI',
  departement: 'département',
  bailleur: 'bailleur social',
  hopital: 'établissement de santé',
  association: 'association',
  organisme_securite_sociale: 'organisme de sécurité sociale',
  justice: 'juridiction ou SPIP',
  autre: 'autre organisme',
};
