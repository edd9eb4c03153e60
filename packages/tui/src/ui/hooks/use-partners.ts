import { useMemo, useState } from 'react';
import { compareCodePoints } from '@cafsup/shared';
import { partnerRows, flagTotal, type PartnerRow } from '../../views.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { filterRows } from '../search.js';
import { useAsync, type AsyncState } from './use-async.js';

// Ties by id in code-point order, the order of every list (rules.md), not a locale's.
export const PARTNER_SORTS = [
  { label: 'nom', compare: (a: PartnerRow, b: PartnerRow) => a.name.localeCompare(b.name, 'fr') },
  {
    label: 'alertes',
    compare: (a: PartnerRow, b: PartnerRow) => b.flags.critical - a.flags.critical || flagTotal(b.flags) - flagTotal(a.flags) || compareCodePoints(a.id, b.id),
  },
  {
    label: 'places',
    compare: (a: PartnerRow, b: PartnerRow) => b.places.assigned - b.places.maxUsers - (a.places.assigned - a.places.maxUsers) || compareCodePoints(a.id, b.id),
  },
] as const;

export interface PartnersView extends AsyncState<{ asOf: string; partners: PartnerRow[] }> {
  rows: PartnerRow[];
  filter: string;
  setFilter(filter: string): void;
  sort: (typeof PARTNER_SORTS)[number];
  nextSort(): void;
}

/** Every partner with its places and flags; filter and sort happen on the loaded rows, instantly. */
export function usePartners(): PartnersView {
  const { client } = useSession();
  const { asOf, revision } = useNavigation();
  const state = useAsync(() => partnerRows(client, {}, asOf), [asOf, revision]);
  const [filter, setFilter] = useState('');
  const [sortIndex, setSortIndex] = useState(0);
  const sort = PARTNER_SORTS[sortIndex]!;
  const rows = useMemo(() => {
    return [...filterRows(state.data?.partners ?? [], filter, (row) => `${row.name} ${row.id} ${row.cafCode} ${row.conventionNumber}`)].sort(sort.compare);
  }, [state.data, filter, sort]);
  return { ...state, rows, filter, setFilter, sort, nextSort: () => setSortIndex((index) => (index + 1) % PARTNER_SORTS.length) };
}
