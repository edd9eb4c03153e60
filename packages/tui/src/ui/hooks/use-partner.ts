import type { AuditReport, AvenantView, Group, Habilitation, PartnerDetail, QuotaUsage, Review, Trace, User } from '@cafsup/shared';
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

/** The partner's people, to put names beside ids: its users and groups. */
export interface People {
  users: ReadonlyMap<string, User>;
  groups: ReadonlyMap<string, Group>;
}

/** `service/profile` of a quota, the key of its excess holders. */
export const quotaKey = (quota: { service: string; profile: string }) => `${quota.service}/${quota.profile}`;

/** The users in excess of each over quota (those who hold through a group included), by `quotaKey`. */
export function excessHolders(report: AuditReport | undefined): Map<string, ReadonlySet<string>> {
  return new Map((report?.flags ?? []).flatMap((flag) => (flag.rule === 'QUOTA_EXCEEDED' ? [[quotaKey(flag), new Set(flag.excessUserIds)] as const] : [])));
}

/** The sheet of one partner and the lists of its tabs. */
export function usePartner(partnerId: string): {
  sheet: AsyncState<PartnerSheet>;
  people: AsyncState<People>;
  habilitations: AsyncState<Habilitation[]>;
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
  const people = useAsync(async () => {
    const [users, groups] = await Promise.all([client.users.all({ partnerId }), client.groups.all({ partnerId })]);
    return { users: new Map(users.map((user) => [user.id, user])), groups: new Map(groups.map((group) => [group.id, group])) };
  }, [partnerId, revision]);
  // Loaded with the sheet, not with their tab: a tab opens on its rows, and keys typed right
  // after `3` land on them. A partner holds hundreds of habilitations at most.
  const habilitations = useAsync(() => client.habilitations.all({ partnerId }), [partnerId, revision]);
  const traces = useAsync(async () => (await client.traces.list({ partnerId, limit: 200 })).items, [partnerId, revision]);
  return { sheet, people, habilitations, traces };
}
