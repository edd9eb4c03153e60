import { useMemo } from 'react';
import { Box, Text } from 'ink';
import { SEVERITIES, SEVERITY_LABELS, countOf, ruleDefinition, type Flag } from '@cafsup/shared';
import { count } from '../../format.js';
import { FilterBar } from '../components/FilterBar.js';
import { LoadState, emptyListText } from '../components/Loading.js';
import { Table, type ColumnSpec } from '../components/Table.js';
import { actionOnFlags, flagKey, routeOfFlag } from '../flags.js';
import { useAlerts } from '../hooks/use-alerts.js';
import { useFilterEditing } from '../hooks/use-filter-editing.js';
import { useKeys } from '../hooks/use-keys.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { GLOBAL_BINDINGS, SCREEN_BINDINGS, commandOf, footerOf } from '../keys.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { SEVERITY_COLOUR, theme } from '../theme.js';

const KEYS = SCREEN_BINDINGS.alerts;

/** The columns of a flag list; `names` gives the partners' names (names first). */
export function flagColumns(names: ReadonlyMap<string, string> | undefined, withPartner: boolean): ColumnSpec<Flag>[] {
  return [
    { header: 'Gravité', width: 8, cell: (flag) => SEVERITY_LABELS[flag.severity], colour: (flag) => SEVERITY_COLOUR[flag.severity] },
    ...(withPartner
      ? [
          { header: 'Partenaire', grow: 1, hideBelow: 100, cell: (flag: Flag) => names?.get(flag.partnerId) ?? '' },
          { header: 'Id', whole: true as const, cell: (flag: Flag) => flag.partnerId },
        ]
      : []),
    { header: 'Règle', width: 26, hideBelow: 120, cell: (flag) => ruleDefinition(flag.rule).label },
    { header: 'Constat', grow: 3, cell: (flag) => flag.message },
  ];
}

/** Every flag of every partner, gravest first; Entrée details one, → goes to its row, s x p act on what it names. */
export function AlertsScreen({ width, height }: { width: number; height: number }) {
  const navigation = useNavigation();
  const { canWrite } = useSession();
  const alerts = useAlerts();
  const filter = useFilterEditing(alerts.setFilter);
  const tableHeight = height - 3;
  const list = useListCursor(alerts.rows.length, tableHeight);
  const current = alerts.rows[list.cursor];
  const idOf = (index: number) => flagKey(alerts.rows[index]!);
  // Stable columns: the table sizes the Id column over every row only when the data changes.
  const columns = useMemo(() => flagColumns(alerts.data?.names, true), [alerts.data]);
  useKeys(
    (press) => {
      if (list.handle(press, canWrite ? idOf : undefined)) return;
      const command = commandOf(KEYS, press, canWrite);
      if (command === 'filter') return filter.start();
      if (current === undefined) return command !== null;
      if (command === 'open') return navigation.detail({ kind: 'flag', flag: current });
      if (command === 'go') return navigation.push(routeOfFlag(current));
      if (command === 'suspend' || command === 'revoke' || command === 'password') {
        const chosen = list.marked.size > 0 ? alerts.rows.filter((flag) => list.marked.has(flagKey(flag))) : [current];
        const request = actionOnFlags(chosen, command);
        if (typeof request === 'string') return navigation.notify(request, 'error');
        list.clearMarks();
        return navigation.act(request);
      }
      return false;
    },
    { active: navigation.active && !filter.editing, waiting: alerts.loading && alerts.data === undefined },
  );
  const summary = alerts.data?.summary;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`Alertes (${count(alerts.rows.length)})${summary === undefined ? '' : ` · ${SEVERITIES.map((severity) => countOf(summary[severity], SEVERITY_LABELS[severity])).join(', ')}`}  `}
        <LoadState loading={alerts.loading} slow={alerts.slow} error={alerts.error} />
      </Text>
      <Table
        columns={columns}
        rows={alerts.rows}
        cursor={list.cursor}
        offset={list.offset}
        height={tableHeight}
        width={width}
        idOf={flagKey}
        marked={list.marked}
        empty={emptyListText(alerts, 'Aucune alerte.')}
      />
      <Box flexGrow={1} />
      <FilterBar value={alerts.filter} editing={filter.editing} onChange={alerts.setFilter} onDone={filter.done} />
      {filter.editing || alerts.filter !== '' ? null : (
        <Text color={theme.muted} wrap="truncate">
          {`${count(alerts.rows.length === 0 ? 0 : list.cursor + 1)}/${count(alerts.rows.length)} · ${list.marked.size > 0 ? `${countOf(list.marked.size, 'sélectionnée', 'sélectionnées')} · ` : ''}${footerOf(KEYS, ['open', 'go', 'filter', 'select', 'suspend', 'revoke', 'password'], canWrite)} · ${footerOf(GLOBAL_BINDINGS, ['help'], canWrite)}`}
        </Text>
      )}
    </Box>
  );
}
