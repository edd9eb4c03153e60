import { Box, Text } from 'ink';
import { useMemo, useState } from 'react';
import { count } from '../../format.js';
import { FilterBar } from '../components/FilterBar.js';
import { LoadState, emptyListText } from '../components/Loading.js';
import { Table, type ColumnSpec } from '../components/Table.js';
import { useFilterEditing } from '../hooks/use-filter-editing.js';
import { useKeys } from '../hooks/use-keys.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useSearch, type Found } from '../hooks/use-search.js';
import { GLOBAL_BINDINGS, SCREEN_BINDINGS, commandOf, footerOf } from '../keys.js';
import { useNavigation, type Route } from '../navigation.js';
import { filterRows } from '../search.js';
import { escapeForTerminal } from '@cafsup/shared';
import { theme } from '../theme.js';

const KEYS = SCREEN_BINDINGS.search;

const COLUMNS: ColumnSpec<Found>[] = [
  { header: 'Type', width: 12, cell: (row) => row.kind },
  { header: 'Nom', grow: 1, cell: (row) => row.name },
  { header: 'Id', whole: true, cell: (row) => row.id },
  { header: 'Partenaire', grow: 1, hideBelow: 160, cell: (row) => row.partnerName },
  { header: 'Id partenaire', whole: true, hideBelow: 100, cell: (row) => row.partnerId },
  { header: 'Détail', grow: 4, cell: (row) => row.about },
];

function routeOf(found: Found): Route {
  if (found.kind === 'partenaire') return { screen: 'partner', partnerId: found.id, tab: 'synthese' };
  return { screen: 'partner', partnerId: found.partnerId, tab: found.kind === 'personne' ? 'utilisateurs' : 'habilitations', focusId: found.id };
}

/** The results of `:cherche`; Entrée goes to the partner and the row found. */
export function SearchScreen({ query, width, height }: { query: string; width: number; height: number }) {
  const navigation = useNavigation();
  const search = useSearch(query);
  const [filterText, setFilterText] = useState('');
  const filter = useFilterEditing(setFilterText);
  const rows = useMemo(
    () => filterRows(search.data ?? [], filterText, (row) => `${row.kind} ${row.name} ${row.id} ${row.partnerName} ${row.about}`),
    [search.data, filterText],
  );
  const tableHeight = height - 3;
  const list = useListCursor(rows.length, tableHeight);
  useKeys(
    (press) => {
      if (list.handle(press)) return;
      const command = commandOf(KEYS, press);
      if (command === 'filter') return filter.start();
      const current = rows[list.cursor];
      if (command === 'open' && current !== undefined) return navigation.push(routeOf(current));
      return command !== null;
    },
    { active: navigation.active && !filter.editing, waiting: search.loading && search.data === undefined },
  );
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`Recherche « ${escapeForTerminal(query)} » (${search.data === undefined ? '…' : count(rows.length)})  `}
        <LoadState loading={search.loading} slow={search.slow} error={search.error} />
      </Text>
      <Table
        columns={COLUMNS}
        rows={rows}
        cursor={list.cursor}
        offset={list.offset}
        height={tableHeight}
        width={width}
        idOf={(row) => `${row.kind}/${row.id}`}
        empty={emptyListText(search, 'Rien ne correspond.')}
      />
      <Box flexGrow={1} />
      <FilterBar value={filterText} editing={filter.editing} onChange={setFilterText} onDone={filter.done} />
      {filter.editing || filterText !== '' ? null : (
        <Text color={theme.muted} wrap="truncate">{`${footerOf(KEYS, ['open', 'filter'], true)} · ${footerOf(GLOBAL_BINDINGS, ['help'], true)}`}</Text>
      )}
    </Box>
  );
}
