import { compareCodePoints } from '../compare.js';
import { quotaKey, listQuotas, type ServiceQuota, type Terms } from '../terms.js';
import { countOf } from '../labels.js';
import { makeFlag, type FlagOf } from './flag.js';

/** Holders counted for one (service, profile) of a partner, as the store counts them. */
export interface HolderCount {
  assigned: number;
  active: number;
}

/** Use of one effective quota (the shape of `cafsup quotas --json`). */
export interface QuotaUsage {
  partnerId: string;
  conventionNumber: string;
  service: string;
  profile: string;
  maxUsers: number;
  departements: string[] | null;
  assigned: number;
  active: number;
  over: boolean;
}

/**
 * Usage of every effective quota of one partner, ordered by service then profile. Suspension
 * does not free a place; only revocation does (contrat art. 2.2.1), which the counts reflect.
 */
export function quotaUsages(partnerId: string, conventionNumber: string, terms: Terms, counts: ReadonlyMap<string, HolderCount>): QuotaUsage[] {
  return listQuotas(terms)
    .map((quota) => {
      const count = counts.get(quotaKey(quota.service, quota.profile)) ?? { assigned: 0, active: 0 };
      return {
        partnerId,
        conventionNumber,
        service: quota.service,
        profile: quota.profile,
        maxUsers: quota.maxUsers,
        departements: quota.departements,
        assigned: count.assigned,
        active: count.active,
        over: count.assigned > quota.maxUsers,
      };
    })
    .sort((a, b) => compareCodePoints(a.service, b.service) || compareCodePoints(a.profile, b.profile));
}

/**
 * One partner's places at a date, over its quotas in force: those given (holders) and those
 * granted (`maxUsers`), and how many of its quotas are over — a line of the partner lists
 * (`quotas.totals`).
 */
export interface QuotaTotals {
  partnerId: string;
  assigned: number;
  maxUsers: number;
  overQuotas: number;
}

/** A holder of a quota and the earliest grant among the held habilitations that give it. */
export interface Holder {
  userId: string;
  firstGrantedMs: number;
}

/** The `assigned − maxUsers` holders granted last, in grant order then user id (rules.md). */
export function excessUserIds(holders: readonly Holder[], maxUsers: number): string[] {
  if (holders.length <= maxUsers) return [];
  return [...holders]
    .sort((a, b) => a.firstGrantedMs - b.firstGrantedMs || compareCodePoints(a.userId, b.userId))
    .slice(maxUsers)
    .map((holder) => holder.userId);
}

/** Rule 1. */
export function quotaExceededFlag(usage: QuotaUsage, excess: string[]): FlagOf<'QUOTA_EXCEEDED'> {
  return makeFlag(
    'QUOTA_EXCEEDED',
    usage.partnerId,
    { service: usage.service, profile: usage.profile, assigned: usage.assigned, maxUsers: usage.maxUsers, excessUserIds: excess },
    `Quota dépassé : ${countOf(usage.assigned, 'utilisateur habilité', 'utilisateurs habilités')} au profil ${usage.profile} du service ${usage.service} pour ${countOf(usage.maxUsers, 'autorisé')} (${usage.assigned - usage.maxUsers} en trop).`,
  );
}

export type ScopeViolation = 'PROFILE_NOT_SUBSCRIBED' | 'DEPARTEMENT_OUT_OF_SCOPE' | null;

/**
 * Rules 2 and 3 for a held habilitation on (service, profile, département). A habilitation
 * without a département reaches every département, so it is out of a restricted quota's scope;
 * a quota of 0 is rule 2's alone.
 */
export function scopeViolation(quotas: ReadonlyMap<string, ServiceQuota>, service: string, profile: string, departement: string | null): ScopeViolation {
  const quota = quotas.get(quotaKey(service, profile));
  if (quota === undefined || quota.maxUsers === 0) return 'PROFILE_NOT_SUBSCRIBED';
  if (quota.departements !== null && quota.departements.length > 0 && (departement === null || !quota.departements.includes(departement))) {
    return 'DEPARTEMENT_OUT_OF_SCOPE';
  }
  return null;
}

/** The flag of rule 2 or 3 for one habilitation, given its violation. */
export function scopeFlag(
  violation: Exclude<ScopeViolation, null>,
  partnerId: string,
  habilitation: { id: string; service: string; profile: string; departement: string | null },
): FlagOf<'PROFILE_NOT_SUBSCRIBED'> | FlagOf<'DEPARTEMENT_OUT_OF_SCOPE'> {
  if (violation === 'PROFILE_NOT_SUBSCRIBED') {
    return makeFlag(
      'PROFILE_NOT_SUBSCRIBED',
      partnerId,
      { habilitationId: habilitation.id },
      `Habilitation ${habilitation.id} au profil ${habilitation.profile} du service ${habilitation.service}, que le bulletin d’adhésion n’accorde pas.`,
    );
  }
  return makeFlag(
    'DEPARTEMENT_OUT_OF_SCOPE',
    partnerId,
    { habilitationId: habilitation.id, departement: habilitation.departement },
    habilitation.departement === null
      ? `Habilitation ${habilitation.id} sans département, donc sur tous, alors que le quota ${habilitation.profile} est limité à certains départements.`
      : `Habilitation ${habilitation.id} sur le département ${habilitation.departement}, hors des départements du quota ${habilitation.profile}.`,
  );
}
