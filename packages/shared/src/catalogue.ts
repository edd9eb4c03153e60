/**
 * The Cdap profiles of the bulletin d'adhésion (seed 001, annexe 2). T3, T7 and T17 do not
 * exist in the catalogue.
 */
export const CDAP_SERVICE = 'CDAP';

export const CDAP_PROFILES = {
  T1: 'Action sociale',
  T2: 'Prestataires services sociaux',
  T4: 'Services instructeurs',
  T5: 'Chargés de suivi des dossiers RSA et accompagnement des Brsa',
  T6: 'Cpam',
  T8: "Régimes particuliers d'assurance maladie",
  T9: "Protection des majeurs et de l'enfance",
  T10: 'Bailleurs sociaux',
  T11: 'Commissions de surendettement',
  T12: "Bureaux d'aide juridictionnelle et SPIP",
  T13: 'Commissions FSL (Fonds de solidarité pour le logement)',
  T14: "Pensions de réversion et pensions d'orphelin",
  T15: 'Tarification sociale des transports (Comutitres)',
  T16: 'Commission de médiation logement (Dalo), Ccapex',
  T18: 'Contentieux RSA des départements',
  T19: 'Contrôle RSA des départements',
  T20: 'Caisses de Sécurité sociale frontalières',
  T21: 'Centre national Pajemploi',
  T22: 'Crous',
} as const satisfies Record<string, string>;

export type CdapProfile = keyof typeof CDAP_PROFILES;

/** The characters of a service's code, and of a profile's. */
export const SERVICE_CODE = /^[A-Za-z0-9_-]+$/;
export const PROFILE_CODE = /^[A-Za-z0-9]+$/;
/**
 * The longest service or profile code, in characters (ASCII, so as many bytes). PostgreSQL keeps
 * them in index entries of 2,704 bytes at most, beside a partner id: a code of 3,000 characters
 * that SQLite stored failed there (trial 38). The catalogue's have a few characters.
 */
export const CODE_MAX = 40;

/** Whether `code` is a service's code (the schema's test: `serviceCodeSchema` words a refusal). */
export function isServiceCode(code: string): boolean {
  return code.length <= CODE_MAX && SERVICE_CODE.test(code);
}

/** Whether `code` is a profile's code (the schema's test: `profileCodeSchema` words a refusal). */
export function isProfileCode(code: string): boolean {
  return code.length <= CODE_MAX && PROFILE_CODE.test(code);
}

/** Whether `profile` may be used with `service`: Cdap's catalogue, or any letters-and-digits code elsewhere. */
export function isKnownProfile(service: string, profile: string): boolean {
  if (service === CDAP_SERVICE) return Object.hasOwn(CDAP_PROFILES, profile);
  return PROFILE_CODE.test(profile);
}

/** The French label of a profile when the catalogue knows it. */
export function profileLabel(service: string, profile: string): string | null {
  if (service !== CDAP_SERVICE || !Object.hasOwn(CDAP_PROFILES, profile)) return null;
  return CDAP_PROFILES[profile as CdapProfile];
}
