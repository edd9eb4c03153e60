import { useMemo, useState } from 'react';
import type { AuditReport, Flag } from '@cafsup/shared';
import { flagSearchText } from '../flags.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { filterRows } from '../search.js';
import { useAsync, type AsyncState } from './use-async.js';

/** Every flag of every partner, in the order of rules.md, with the partners' names; the filter works on the loaded flags. */
export function useAlerts(): AsyncState<AuditReport & { names: ReadonlyMap<string, string> }> & {
  rows: readonly Flag[];
  filter: string;
  setFilter(filter: string): void;
} {
  const { client } = useSession();
  const { asOf, revision } = useNavigation();
  const state = useAsync(async () => {
    const names = new Map<string, string>();
    const [report] = await Promise.all([
      client.audit.run(asOf === undefined ? {} : { asOf }),
      client.partners.all().then((partners) => partners.forEach((partner) => names.set(partner.id, partner.name))),
    ]);
    return { ...report, names };
  }, [asOf, revision]);
  const [filter, setFilter] = useState('');
  const rows = useMemo(() => {
    const names = state.data?.names;
    return filterRows(state.data?.flags ?? [], filter, (flag) => `${names?.get(flag.partnerId) ?? ''} ${flagSearchText(flag)}`);
  }, [state.data, filter]);
  return { ...state, rows, filter, setFilter };
}
