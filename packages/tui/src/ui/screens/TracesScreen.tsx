import { useEffect } from 'react';
import { Box, Text } from 'ink';
import { TRACE_ACTION_LABELS, type Trace } from '@cafsup/shared';
import { count, frenchDateTime, traceTarget } from '../../format.js';
import { FilterBar } from '../components/FilterBar.js';
import { LoadState, emptyListText } from '../components/Loading.js';
import { Table, type ColumnSpec } from '../components/Table.js';
import { useFilterEditing } from '../hooks/use-filter-editing.js';
import { useKeys } from '../hooks/use-keys.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useTraces } from '../hooks/use-traces.js';
import { GLOBAL_BINDINGS, SCREEN_BINDINGS, commandOf, footerOf } from '../keys.js';
import { useNavigation } from '../navigation.js';
import { theme } from '../theme.js';

const KEYS = SCREEN_BINDINGS.traces;

export const TRACE_COLUMNS: ColumnSpec<Trace>[] = [
  { header: 'N°', width: 6, align: 'right', cell: (row) => String(row.id) },
  { header: 'Date', width: 16, cell: (row) => frenchDateTime(row.at) },
  { header: 'Qui', grow: 1, cell: (row) => row.actor.name },
  { header: 'Action', width: 27, cell: (row) => TRACE_ACTION_LABELS[row.action] },
  { header: 'Cible', whole: true, cell: traceTarget },
  { header: 'Motif', grow: 2, hideBelow: 100, cell: (row) => row.reason },
];

/** The audit trail, newest first; pages load as the cursor goes down; Entrée shows a trace's before and after. */
export function TracesScreen({ width, height }: { width: number; height: number }) {
  const navigation = useNavigation();
  const traces = useTraces();
  const filter = useFilterEditing(traces.setFilter);
  const tableHeight = height - 3;
  const list = useListCursor(traces.rows.length, tableHeight);
  // Asks for more pages when the cursor nears the end; traces and the height are read at that moment.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => traces.reach(list.cursor + tableHeight), [list.cursor, traces.rows.length, traces.loading]);
  useKeys(
    (press) => {
      if (list.handle(press)) return;
      const command = commandOf(KEYS, press);
      if (command === 'filter') return filter.start();
      const current = traces.rows[list.cursor];
      if (command === 'open' && current !== undefined) return navigation.detail({ kind: 'trace', trace: current });
      return command !== null;
    },
    { active: navigation.active && !filter.editing, waiting: traces.loading && traces.rows.length === 0 && traces.error === null },
  );
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`Traces (${count(traces.rows.length)}${traces.complete ? '' : '+'}) · les plus récentes d’abord  `}
        <LoadState loading={traces.loading} error={traces.error} />
      </Text>
      <Table
        columns={TRACE_COLUMNS}
        rows={traces.rows}
        cursor={list.cursor}
        offset={list.offset}
        height={tableHeight}
        width={width}
        empty={emptyListText(traces, 'Aucune trace.')}
      />
      <Box flexGrow={1} />
      <FilterBar value={traces.filter} editing={filter.editing} onChange={traces.setFilter} onDone={filter.done} />
      {filter.editing || traces.filter !== '' ? null : (
        <Text color={theme.muted} wrap="truncate">{`${footerOf(KEYS, ['open', 'filter'], true)} · ${footerOf(GLOBAL_BINDINGS, ['help'], true)}`}</Text>
      )}
    </Box>
  );
}
