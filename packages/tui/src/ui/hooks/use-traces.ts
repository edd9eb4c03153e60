import { useEffect, useMemo, useState } from 'react';
import { toCafsupError, type CafsupError, type Trace } from '@cafsup/shared';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { filterRows, traceSearchText } from '../search.js';

const PAGE = 200;

export interface TracesView {
  rows: readonly Trace[];
  loading: boolean;
  error: CafsupError | null;
  complete: boolean;
  filter: string;
  setFilter(filter: string): void;
  /** Asks for the next keyset page when the cursor nears the end of what is loaded. */
  reach(index: number): void;
}

/** The audit trail, newest first, a keyset page at a time: a long trail never loads whole. */
export function useTraces(): TracesView {
  const { client } = useSession();
  const { revision } = useNavigation();
  const [pages, setPages] = useState<{ items: Trace[]; cursor: string | null }>({ items: [], cursor: null });
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<CafsupError | null>(null);
  const [filter, setFilter] = useState('');

  const load = (from: string | null, previous: Trace[]) => {
    setLoading(true);
    client.traces.list({ limit: PAGE, ...(from === null ? {} : { cursor: from }) }).then(
      (page) => {
        setPages({ items: [...previous, ...page.items], cursor: page.nextCursor });
        setLoading(false);
      },
      (failure: unknown) => {
        setError(toCafsupError(failure));
        setLoading(false);
      },
    );
  };
  // The trail reloads from its first page only when a revision asks for it.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => load(null, []), [revision]);

  const rows = useMemo(() => filterRows(pages.items, filter, traceSearchText), [pages, filter]);

  return {
    rows,
    loading,
    error,
    complete: pages.cursor === null && !loading,
    filter,
    setFilter,
    reach(index) {
      if (!loading && pages.cursor !== null && index >= rows.length - PAGE / 4) load(pages.cursor, pages.items);
    },
  };
}
