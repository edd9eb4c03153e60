import { compareCodePoints, type CalendarDate, type PartnersListInput, type PartnerSummary, type QuotaUsage, type SeveritySummary } from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';

/** A partner as lists show it: with places used and granted, over quotas and flags by severity. */
export interface PartnerRow extends PartnerSummary {
  places: { assigned: number; maxUsers: number };
  overQuotas: number;
  flags: SeveritySummary;
}

export function emptySummary(): SeveritySummary {
  return { critical: 0, high: 0, medium: 0, low: 0 };
}

export function flagTotal(summary: SeveritySummary): number {
  return summary.critical + summary.high + summary.medium + summary.low;
}

function places(quotas: readonly QuotaUsage[]): Map<string, { assigned: number; maxUsers: number; over: number }> {
  const totals = new Map<string, { assigned: number; maxUsers: number; over: number }>();
  for (const quota of quotas) {
    const total = totals.get(quota.partnerId) ?? { assigned: 0, maxUsers: 0, over: 0 };
    total.assigned += quota.assigned;
    total.maxUsers += quota.maxUsers;
    if (quota.over) total.over += 1;
    totals.set(quota.partnerId, total);
  }
  return totals;
}

/** Every partner matching `query`, with its places and flags at `asOf` (one count of the audit's flags, one quota pass). */
export async function partnerRows(
  client: CafsupClient,
  query: Omit<PartnersListInput, 'cursor' | 'limit'>,
  asOf: CalendarDate | undefined,
): Promise<{ asOf: CalendarDate; partners: PartnerRow[] }> {
  const dated = asOf === undefined ? {} : { asOf };
  const [counts, usage] = await Promise.all([client.audit.counts(dated), client.quotas.usage(dated)]);
  const flags = new Map(counts.partners.map((partner) => [partner.partnerId, partner.flags]));
  const totals = places(usage.quotas);
  const partners: PartnerRow[] = [];
  for await (const partner of client.partners.iterate({ ...query, ...dated, limit: 500 })) {
    const total = totals.get(partner.id) ?? { assigned: 0, maxUsers: 0, over: 0 };
    partners.push({
      ...partner,
      places: { assigned: total.assigned, maxUsers: total.maxUsers },
      overQuotas: total.over,
      flags: flags.get(partner.id) ?? emptySummary(),
    });
  }
  return { asOf: counts.asOf, partners };
}

/** Over quotas, the largest excess first (then by partner), as the dashboards list them. */
export function mostOverQuota(quotas: readonly QuotaUsage[]): QuotaUsage[] {
  const excess = (quota: QuotaUsage) => quota.assigned - quota.maxUsers;
  return quotas.filter((quota) => quota.over).sort((a, b) => excess(b) - excess(a) || compareCodePoints(a.partnerId, b.partnerId));
}
