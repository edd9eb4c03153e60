import { useEffect } from 'react';
import { Box, Text, useInput } from 'ink';
import { count } from '../../format.js';
import { FilterBar } from '../components/FilterBar.js';
import { LoadState } from '../components/Loading.js';
import { Table } from '../components/Table.js';
import { useFilterEditing } from '../hooks/use-filter-editing.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useTraces } from '../hooks/use-traces.js';
import { useNavigation } from '../navigation.js';
import { theme } from '../theme.js';
import { TRACE_COLUMNS } from './PartnerScreen.js';

/** The audit trail, newest first; pages load as the cursor goes down. */
export function TracesScreen({ width, height }: { width: number; height: number }) {
  const navigation = useNavigation();
  const traces = useTraces();
  const filter = useFilterEditing(traces.setFilter);
  const tableHeight = height - 3;
  const list = useListCursor(traces.rows.length, tableHeight);
  useEffect(() => traces.reach(list.cursor + tableHeight), [list.cursor, traces.rows.length, traces.loading]);
  useInput(
    (input, key) => {
      if (list.handle(input, key)) return;
      if (input === '/') filter.start();
      else if (key.return && traces.rows[list.cursor]?.partnerId) navigation.push({ screen: 'partner', partnerId: traces.rows[list.cursor]!.partnerId!, tab: 'traces' });
    },
    { isActive: navigation.active && !filter.editing },
  );
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`Traces (${count(traces.rows.length)}${traces.complete ? '' : '+'}) · les plus récentes d’abord  `}
        <LoadState loading={traces.loading} error={traces.error} />
      </Text>
      <Table columns={TRACE_COLUMNS} rows={traces.rows} cursor={list.cursor} offset={list.offset} height={tableHeight} width={width} empty={traces.loading ? '' : 'Aucune trace.'} />
      <Box flexGrow={1} />
      <FilterBar value={traces.filter} editing={filter.editing} onChange={traces.setFilter} onDone={filter.done} />
      {filter.editing || traces.filter !== '' ? null : <Text color={theme.muted} wrap="truncate">Entrée ouvrir le partenaire · / filtrer · ? aide</Text>}
    </Box>
  );
}
