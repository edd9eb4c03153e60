import { addDays, type AuditReport, type QuotaUsage } from '@cafsup/shared';
import type { DatasetSummary } from '@cafsup/sdk';
import { mostOverQuota } from '../../views.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { useAsync, type AsyncState } from './use-async.js';

export interface DashboardData {
  asOf: string;
  summary: DatasetSummary;
  flags: AuditReport['summary'];
  overQuotas: QuotaUsage[];
  /** Delegated partners whose yearly review is late or falls due within 30 days. */
  reviewsDue: { partnerId: string; dueAt: string; late: boolean }[];
  /** The names of the partners listed (names first, ids beside them). */
  names: ReadonlyMap<string, string>;
}

/** No screen shows more rows of a dashboard list than this. */
const LISTED = 30;

const REVIEW_HORIZON_DAYS = 30;

export function useDashboard(): AsyncState<DashboardData> {
  const { client, today } = useSession();
  const { asOf, revision } = useNavigation();
  return useAsync(async () => {
    const day = asOf ?? today;
    const dated = { asOf: day };
    // A review falls due within 30 days exactly when REVIEW_OVERDUE fires 30 days from now.
    const [summary, report, usage, horizon] = await Promise.all([
      client.dataset.summary(),
      client.audit.run(dated),
      client.quotas.usage({ ...dated, over: true }),
      client.audit.run({ asOf: addDays(day, REVIEW_HORIZON_DAYS), rules: ['REVIEW_OVERDUE'] }),
    ]);
    const reviewsDue = horizon.flags
      .flatMap((flag) => (flag.rule === 'REVIEW_OVERDUE' ? [{ partnerId: flag.partnerId, dueAt: flag.dueAt, late: flag.dueAt < day }] : []))
      .sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
    const overQuotas = mostOverQuota(usage.quotas);
    const listed = [...new Set([...overQuotas.slice(0, LISTED), ...reviewsDue.slice(0, LISTED)].map((row) => row.partnerId))];
    const partners = await Promise.all(listed.map((id) => client.partners.get(id, dated)));
    return { asOf: report.asOf, summary, flags: report.summary, overQuotas, reviewsDue, names: new Map(partners.map((partner) => [partner.id, partner.name])) };
  }, [asOf, revision]);
}
