import { useMemo, useState } from 'react';
import type { AuditReport, Flag } from '@cafsup/shared';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { useAsync, type AsyncState } from './use-async.js';

/** Every flag of every partner, in the order of rules.md; the filter works on the loaded flags. */
export function useAlerts(): AsyncState<AuditReport> & { rows: Flag[]; filter: string; setFilter(filter: string): void } {
  const { client } = useSession();
  const { asOf, revision } = useNavigation();
  const state = useAsync(() => client.audit.run(asOf === undefined ? {} : { asOf }), [asOf, revision]);
  const [filter, setFilter] = useState('');
  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const flags = state.data?.flags ?? [];
    return needle === '' ? flags : flags.filter((flag) => `${flag.partnerId} ${flag.rule} ${flag.message}`.toLowerCase().includes(needle));
  }, [state.data, filter]);
  return { ...state, rows, filter, setFilter };
}
