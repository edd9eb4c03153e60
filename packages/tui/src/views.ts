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

/**
 * The calls of one view, their answers in order: made together over HTTP, where each is a round
 * trip to the server that overlaps the others (three of them cost one across a slow network);
 * one after the other on a local store, where on PostgreSQL calls made together open a
 * connection each, and a new one (a server process started, its caches filled) cost more than
 * the overlap gained (`cafsup partner p00042`: 255 against 230 ms, medians of 11; SQLite: the same).
 */
export async function callsOfView<T extends readonly unknown[]>(client: CafsupClient, calls: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if (client.info().kind === 'http') return (await Promise.all(calls.map((call) => call()))) as unknown as T;
  const answers: unknown[] = [];
  for (const call of calls) answers.push(await call());
  return answers as unknown as T;
}

/** Every partner matching `query`, with its places and flags at `asOf` (the audit's kept counts and quota totals). */
export async function partnerRows(
  client: CafsupClient,
  query: Omit<PartnersListInput, 'cursor' | 'limit'>,
  asOf: CalendarDate | undefined,
): Promise<{ asOf: CalendarDate; partners: PartnerRow[] }> {
  const dated = asOf === undefined ? {} : { asOf };
  const [counts, places, listed] = await callsOfView(client, [
    () => client.audit.counts(dated),
    () => client.quotas.totals(dated),
    () => client.partners.all({ ...query, ...dated }),
  ]);
  const flags = new Map(counts.partners.map((partner) => [partner.partnerId, partner.flags]));
  const totals = new Map(places.partners.map((partner) => [partner.partnerId, partner]));
  const partners: PartnerRow[] = [];
  for (const partner of listed) {
    const total = totals.get(partner.id) ?? { assigned: 0, maxUsers: 0, overQuotas: 0 };
    // Object.assign, not a spread: V8 copied each summary (parsed from one long JSON text, read
    // from the store) five times slower through a spread, ~30 ms for a national list.
    partners.push(
      Object.assign({}, partner, {
        places: { assigned: total.assigned, maxUsers: total.maxUsers },
        overQuotas: total.overQuotas,
        flags: flags.get(partner.id) ?? emptySummary(),
      }),
    );
  }
  return { asOf: counts.asOf, partners };
}

/** Over quotas, the largest excess first (then by partner), as the dashboards list them. */
export function mostOverQuota(quotas: readonly QuotaUsage[]): QuotaUsage[] {
  const excess = (quota: QuotaUsage) => quota.assigned - quota.maxUsers;
  return quotas.filter((quota) => quota.over).sort((a, b) => excess(b) - excess(a) || compareCodePoints(a.partnerId, b.partnerId));
}
