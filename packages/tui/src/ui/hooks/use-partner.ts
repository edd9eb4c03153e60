import type { AuditReport, AvenantView, Habilitation, PartnerDetail, QuotaUsage, Review, Trace, User } from '@cafsup/shared';
import type { PartnerTab } from '../navigation.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { useAsync, type AsyncState } from './use-async.js';

export interface PartnerSheet {
  detail: PartnerDetail;
  quotas: QuotaUsage[];
  report: AuditReport;
  avenants: AvenantView[];
  reviews: Review[];
}

/** The holders of a quota that went over, to mark them in the habilitations tab. */
export function excessUsers(report: AuditReport | undefined): Set<string> {
  return new Set((report?.flags ?? []).flatMap((flag) => (flag.rule === 'QUOTA_EXCEEDED' ? flag.excessUserIds : [])));
}

/** The sheet of one partner; the long lists of its tabs load when their tab opens. */
export function usePartner(partnerId: string, tab: PartnerTab): {
  sheet: AsyncState<PartnerSheet>;
  habilitations: AsyncState<Habilitation[]>;
  users: AsyncState<User[]>;
  traces: AsyncState<Trace[]>;
} {
  const { client } = useSession();
  const { asOf, revision } = useNavigation();
  const dated = asOf === undefined ? {} : { asOf };
  const sheet = useAsync(async () => {
    const [detail, usage, report, avenants, reviews] = await Promise.all([
      client.partners.get(partnerId, dated),
      client.quotas.usage({ ...dated, partnerId }),
      client.audit.run({ ...dated, partnerId }),
      client.avenants.list(partnerId, dated),
      client.reviews.list(partnerId),
    ]);
    return { detail, quotas: usage.quotas, report, avenants, reviews };
  }, [partnerId, asOf, revision]);
  const collect = async <T,>(items: AsyncIterable<T>): Promise<T[]> => {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    return all;
  };
  const habilitations = useAsync(
    async () => (tab === 'habilitations' ? collect(client.habilitations.iterate({ partnerId, limit: 500 })) : []),
    [partnerId, tab === 'habilitations', revision],
  );
  const users = useAsync(async () => (tab === 'utilisateurs' ? collect(client.users.iterate({ partnerId, limit: 500 })) : []), [partnerId, tab === 'utilisateurs', revision]);
  const traces = useAsync(async () => (tab === 'traces' ? (await client.traces.list({ partnerId, limit: 200 })).items : []), [partnerId, tab === 'traces', revision]);
  return { sheet, habilitations, users, traces };
}
