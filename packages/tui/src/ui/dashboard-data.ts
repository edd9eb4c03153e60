import { SEVERITIES, type CalendarDate, type QuotaUsage, type SeveritySummary } from '@cafsup/shared';
import type { CafsupClient, DatasetSummary } from '@cafsup/sdk';
import { emptySummary, mostOverQuota } from '../views.js';

/** The dashboard's counts and the partners most over quota. */
export interface DashboardOverview {
  asOf: string;
  summary: DatasetSummary;
  flags: SeveritySummary;
  overQuotas: QuotaUsage[];
  /** The names of the partners listed (names first, ids beside them). */
  names: ReadonlyMap<string, string>;
}

/** Delegated partners whose yearly review is late or falls due within 30 days. */
export interface ReviewsDue {
  reviews: { partnerId: string; dueAt: string; late: boolean }[];
  names: ReadonlyMap<string, string>;
}

/**
 * What the dashboard shows on one day, in two parts: the reviews due come apart because on the
 * national store they cost seconds (an audit at a later date) where the rest costs a fraction
 * of one, and the rest need not wait for them.
 */
export interface DashboardLoads {
  overview: Promise<DashboardOverview>;
  reviews: Promise<ReviewsDue>;
}

/** No screen shows more rows of a dashboard list than this. */
const LISTED = 30;

const REVIEW_HORIZON_DAYS = 30;

async function namesOf(client: CafsupClient, day: CalendarDate, partnerIds: string[]): Promise<Map<string, string>> {
  const partners = await Promise.all([...new Set(partnerIds)].map((id) => client.partners.get(id, { asOf: day })));
  return new Map(partners.map((partner) => [partner.id, partner.name]));
}

async function loadOverview(client: CafsupClient, day: CalendarDate): Promise<DashboardOverview> {
  const dated = { asOf: day };
  // The flags' counts, not the flags: on the national store the full report is 100,000+ flags
  // to build and to copy from the store's thread, for four numbers.
  const [summary, counts, usage] = await Promise.all([client.dataset.summary(), client.audit.counts(dated), client.quotas.usage({ ...dated, over: true })]);
  const overQuotas = mostOverQuota(usage.quotas);
  const names = await namesOf(
    client,
    day,
    overQuotas.slice(0, LISTED).map((quota) => quota.partnerId),
  );
  const flags = emptySummary();
  for (const partner of counts.partners) for (const severity of SEVERITIES) flags[severity] += partner.flags[severity];
  return { asOf: counts.asOf, summary, flags, overQuotas, names };
}

async function loadReviews(client: CafsupClient, day: CalendarDate): Promise<ReviewsDue> {
  // The campaign of `review due`: one definition of a review late or falling due within the window.
  const campaign = await client.reviews.campaign({ asOf: day, within: REVIEW_HORIZON_DAYS });
  return {
    reviews: campaign.reviews.map((review) => ({ partnerId: review.partnerId, dueAt: review.dueAt, late: review.overdue })),
    names: new Map(campaign.reviews.map((review) => [review.partnerId, review.partnerName])),
  };
}

/**
 * Asks the store for the dashboard of `day`: the reviews only once the overview is answered, so
 * that the store's thread, which answers in order, never holds the overview's last questions
 * (the partners' names) behind the long one.
 */
export function loadDashboard(client: CafsupClient, day: CalendarDate): DashboardLoads {
  const overview = loadOverview(client, day);
  const reviews = overview.then(
    () => loadReviews(client, day),
    () => loadReviews(client, day),
  );
  // Not taken (the person left at once, or moved on): a failure is nobody's to report; whoever
  // takes them still sees it.
  overview.catch(() => undefined);
  reviews.catch(() => undefined);
  return { overview, reviews };
}

/**
 * The first screen's data asked for before the screen exists: `cafsup` starts it as soon as the
 * store's worker is on its way, so that the store answers while the interface's code loads
 * rather than after its first frame. The dashboard takes it once, for that day; later loads
 * (`r`, another date, a change by someone else) ask the store again.
 */
export class DashboardAhead {
  private pending: DashboardLoads | null;

  constructor(
    client: CafsupClient,
    readonly day: CalendarDate,
  ) {
    this.pending = loadDashboard(client, day);
  }

  /** The data asked for ahead, once, when it is for `day`. */
  take(day: CalendarDate): DashboardLoads | null {
    const pending = day === this.day ? this.pending : null;
    this.pending = null;
    return pending;
  }
}
