import { PARTNER_KIND_LABELS, type PartnerKind } from '../partner.js';
import { CDAP_SERVICE } from '../catalogue.js';
import type { CalendarDate } from '../dates.js';
import { longFrenchDate } from '../wording.js';
import { makeFlag, type FlagOf } from './flag.js';

/**
 * The Cdap profiles the bulletin d'adhésion (art. 2) reserves to one kind of body: T18 and T19
 * to « agents des (seuls) départements », T10 to social landlords, T12 to courts' legal-aid
 * offices and SPIP, T6, T8 and T20 to social-security bodies. Every other profile may go to any kind.
 */
export const RESERVED_CDAP_PROFILES: Readonly<Record<string, PartnerKind>> = Object.freeze({
  T18: 'departement',
  T19: 'departement',
  T10: 'bailleur',
  T12: 'justice',
  T6: 'organisme_securite_sociale',
  T8: 'organisme_securite_sociale',
  T20: 'organisme_securite_sociale',
});

/** Whether a body of `kind` may hold `profile` of `service` (rule 16). */
export function isProfileEligible(service: string, profile: string, kind: PartnerKind): boolean {
  if (service !== CDAP_SERVICE || !Object.hasOwn(RESERVED_CDAP_PROFILES, profile)) return true;
  return RESERVED_CDAP_PROFILES[profile] === kind;
}

/** Rule 16: a held Cdap habilitation whose profile the bulletin reserves to another kind of body. */
export function profileNotEligibleFlag(partnerId: string, habilitation: { id: string; profile: string }, kind: PartnerKind): FlagOf<'PROFILE_NOT_ELIGIBLE'> {
  return makeFlag(
    'PROFILE_NOT_ELIGIBLE',
    partnerId,
    { habilitationId: habilitation.id, profile: habilitation.profile },
    `Habilitation ${habilitation.id} au profil ${habilitation.profile}, que le bulletin d’adhésion réserve à un autre type d’organisme (${PARTNER_KIND_LABELS[RESERVED_CDAP_PROFILES[habilitation.profile]!]}) que le partenaire (${PARTNER_KIND_LABELS[kind]}).`,
  );
}

/**
 * The first day a habilitation on `service` may be granted (rule 15): the convention's period
 * start, or the subscription's `availableFrom` when later (contrat art. 2.1, annexe 2).
 */
export function firstGrantDay(periodStart: CalendarDate, availableFrom: CalendarDate | null): CalendarDate {
  return availableFrom !== null && availableFrom > periodStart ? availableFrom : periodStart;
}

/** Rule 15: a held habilitation granted on `grantedDay`, before `firstDay`. */
export function grantedOutsideTermsFlag(
  partnerId: string,
  habilitation: { id: string; grantedDay: CalendarDate },
  periodStart: CalendarDate,
  availableFrom: CalendarDate | null,
): FlagOf<'GRANTED_OUTSIDE_TERMS'> | null {
  if (habilitation.grantedDay >= firstGrantDay(periodStart, availableFrom)) return null;
  const before =
    habilitation.grantedDay < periodStart
      ? `avant la prise d’effet de la convention le ${longFrenchDate(periodStart)}`
      : `avant la mise à disposition du service le ${longFrenchDate(availableFrom!)}`;
  return makeFlag(
    'GRANTED_OUTSIDE_TERMS',
    partnerId,
    { habilitationId: habilitation.id },
    `Habilitation ${habilitation.id} accordée le ${longFrenchDate(habilitation.grantedDay)}, ${before}.`,
  );
}
