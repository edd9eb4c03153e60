import { SEVERITIES, addDays, type CalendarDate, type QuotaUsage, type SeveritySummary } from '@cafsup/shared';
import type { CafsupClient, DatasetSummary } from '@cafsup/sdk';
import { emptySummary, mostOverQuota } from '../views.js';

export interface DashboardData {
  asOf: string;
  summary: DatasetSummary;
  flags: SeveritySummary;
  overQuotas: QuotaUsage[];
  /** Delegated partners whose yearly review is late or falls due within 30 days. */
  reviewsDue: { partnerId: string; dueAt: string; late: boolean }[];
  /** The names of the partners listed (names first, ids beside them). */
  names: ReadonlyMap<string, string>;
}

/** No screen shows more rows of a dashboard list than this. */
const LISTED = 30;

const REVIEW_HORIZON_DAYS = 30;

/** What the dashboard shows on `day`. */
export async function loadDashboard(client: CafsupClient, day: CalendarDate): Promise<DashboardData> {
  const dated = { asOf: day };
  // A review falls due within 30 days exactly when REVIEW_OVERDUE fires 30 days from now.
  // The flags' counts, not the flags: on the national store the full report is 100,000+ flags
  // to build and to copy from the store's thread, for four numbers.
  const [summary, counts, usage, horizon] = await Promise.all([
    client.dataset.summary(),
    client.audit.counts(dated),
    client.quotas.usage({ ...dated, over: true }),
    client.audit.run({ asOf: addDays(day, REVIEW_HORIZON_DAYS), rules: ['REVIEW_OVERDUE'] }),
  ]);
  const reviewsDue = horizon.flags
    .flatMap((flag) => (flag.rule === 'REVIEW_OVERDUE' ? [{ partnerId: flag.partnerId, dueAt: flag.dueAt, late: flag.dueAt < day }] : []))
    .sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
  const overQuotas = mostOverQuota(usage.quotas);
  const listed = [...new Set([...overQuotas.slice(0, LISTED), ...reviewsDue.slice(0, LISTED)].map((row) => row.partnerId))];
  const partners = await Promise.all(listed.map((id) => client.partners.get(id, dated)));
  const flags = emptySummary();
  for (const partner of counts.partners) for (const severity of SEVERITIES) flags[severity] += partner.flags[severity];
  return { asOf: counts.asOf, summary, flags, overQuotas, reviewsDue, names: new Map(partners.map((partner) => [partner.id, partner.name])) };
}

/**
 * The first screen's data asked for before the screen exists: `cafsup` starts it as soon as the
 * store's worker is on its way, so that the store answers while the interface's code loads
 * rather than after its first frame. The dashboard takes it once, for that day; later loads
 * (`r`, another date, a change by someone else) ask the store again.
 */
export class DashboardAhead {
  private pending: Promise<DashboardData> | null;

  constructor(
    client: CafsupClient,
    readonly day: CalendarDate,
  ) {
    this.pending = loadDashboard(client, day);
    // Not taken (the person left at once): its failure is nobody's to report.
    this.pending.catch(() => undefined);
  }

  /** The data asked for ahead, once, when it is for `day`. */
  take(day: CalendarDate): Promise<DashboardData> | null {
    const pending = day === this.day ? this.pending : null;
    this.pending = null;
    return pending;
  }
}
