import { Box, Text, useInput } from 'ink';
import { SEVERITY_LABELS, ruleDefinition, type Flag } from '@cafsup/shared';
import { count } from '../../format.js';
import { FilterBar } from '../components/FilterBar.js';
import { LoadState } from '../components/Loading.js';
import { Table, type ColumnSpec } from '../components/Table.js';
import { useAlerts } from '../hooks/use-alerts.js';
import { useFilterEditing } from '../hooks/use-filter-editing.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useNavigation, type Route } from '../navigation.js';
import { SEVERITY_COLOUR, theme } from '../theme.js';

const COLUMNS: ColumnSpec<Flag>[] = [
  { header: 'Gravité', width: 8, cell: (flag) => SEVERITY_LABELS[flag.severity], colour: (flag) => SEVERITY_COLOUR[flag.severity] },
  { header: 'Partenaire', grow: 1, cell: (flag) => flag.partnerId },
  { header: 'Règle', width: 18, cell: (flag) => ruleDefinition(flag.rule).label },
  { header: 'Constat', grow: 3, cell: (flag) => flag.message },
];

/** Where a flag leads: the partner's tab and row that the flag is about. */
export function routeOfFlag(flag: Flag): Route {
  const base = { screen: 'partner' as const, partnerId: flag.partnerId };
  if ('habilitationId' in flag) return { ...base, tab: 'habilitations', focusId: flag.habilitationId };
  if ('userId' in flag) return { ...base, tab: 'utilisateurs', focusId: flag.userId };
  if (flag.rule === 'SHARED_EMAIL') return { ...base, tab: 'utilisateurs', focusId: flag.userIds[0]! };
  if (flag.rule === 'QUOTA_EXCEEDED') return { ...base, tab: 'quotas' };
  return { ...base, tab: 'synthese' };
}

/** Every flag of every partner, gravest first; Entrée goes to the partner and the row concerned. */
export function AlertsScreen({ width, height }: { width: number; height: number }) {
  const navigation = useNavigation();
  const alerts = useAlerts();
  const filter = useFilterEditing(alerts.setFilter);
  const tableHeight = height - 3;
  const list = useListCursor(alerts.rows.length, tableHeight);
  useInput(
    (input, key) => {
      if (list.handle(input, key)) return;
      if (input === '/') filter.start();
      else if (key.return && alerts.rows[list.cursor] !== undefined) navigation.push(routeOfFlag(alerts.rows[list.cursor]!));
    },
    { isActive: navigation.active && !filter.editing },
  );
  const summary = alerts.data?.summary;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`Alertes (${count(alerts.rows.length)})${summary === undefined ? '' : ` · ${summary.critical} critique, ${summary.high} élevée, ${summary.medium} moyenne, ${summary.low} faible`}  `}
        <LoadState loading={alerts.loading} error={alerts.error} />
      </Text>
      <Table columns={COLUMNS} rows={alerts.rows} cursor={list.cursor} offset={list.offset} height={tableHeight} width={width} empty={alerts.loading ? '' : 'Aucune alerte.'} />
      <Box flexGrow={1} />
      <FilterBar value={alerts.filter} editing={filter.editing} onChange={alerts.setFilter} onDone={filter.done} />
      {filter.editing || alerts.filter !== '' ? null : <Text color={theme.muted} wrap="truncate">{`${list.cursor + 1}/${count(alerts.rows.length)} · Entrée aller à la ligne concernée · / filtrer · ? aide`}</Text>}
    </Box>
  );
}
