import { Box, Text } from 'ink';
import { CONVENTION_STATUS_LABELS, MANAGEMENT_MODE_LABELS } from '@cafsup/shared';
import { count, severityCounts } from '../../format.js';
import type { PartnerRow } from '../../views.js';
import { FilterBar } from '../components/FilterBar.js';
import { LoadState, emptyListText } from '../components/Loading.js';
import { Table, type ColumnSpec } from '../components/Table.js';
import { useFilterEditing } from '../hooks/use-filter-editing.js';
import { useKeys } from '../hooks/use-keys.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { usePartners } from '../hooks/use-partners.js';
import { GLOBAL_BINDINGS, SCREEN_BINDINGS, commandOf, footerOf } from '../keys.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { theme } from '../theme.js';

const KEYS = SCREEN_BINDINGS.partners;

const COLUMNS: ColumnSpec<PartnerRow>[] = [
  { header: 'Partenaire', grow: 3, cell: (row) => row.name },
  { header: 'Id', whole: true, cell: (row) => row.id },
  { header: 'Caf', width: 3, cell: (row) => row.cafCode },
  {
    header: 'Convention',
    grow: 1,
    hideBelow: 100,
    cell: (row) => `${row.conventionNumber}${row.conventionStatus === 'active' ? '' : ` ${CONVENTION_STATUS_LABELS[row.conventionStatus]}`}`,
  },
  { header: 'Mode', width: 10, hideBelow: 100, cell: (row) => MANAGEMENT_MODE_LABELS[row.managementMode] },
  {
    header: 'Places',
    width: 7,
    align: 'right',
    cell: (row) => `${row.overQuotas > 0 ? '!' : ''}${row.places.assigned}/${row.places.maxUsers}`,
    colour: (row) => (row.overQuotas > 0 ? theme.danger : undefined),
  },
  {
    header: 'Alertes',
    width: 11,
    cell: (row) => severityCounts(row.flags),
    colour: (row) => (row.flags.critical > 0 ? theme.danger : row.flags.high > 0 ? theme.warning : undefined),
  },
];

/** Every partner: `/` filters, `o` sorts, Entrée opens the sheet; w, a, v act on the one under the cursor. */
export function PartnersScreen({ width, height }: { width: number; height: number }) {
  const navigation = useNavigation();
  const { canWrite } = useSession();
  const view = usePartners();
  const filter = useFilterEditing(view.setFilter);
  const tableHeight = height - 3;
  const list = useListCursor(view.rows.length, tableHeight);
  const current = view.rows[list.cursor];
  useKeys(
    (press) => {
      if (list.handle(press)) return;
      const command = commandOf(KEYS, press, canWrite);
      if (command === 'filter') return filter.start();
      if (command === 'sort') return view.nextSort();
      if (command === 'partnerCreate') return navigation.act({ kind: 'partnerCreate' });
      if (current === undefined) return command !== null;
      if (command === 'open') return navigation.push({ screen: 'partner', partnerId: current.id, tab: 'synthese' });
      if (command === 'withdraw') return navigation.act({ kind: 'withdrawDelegation', partnerId: current.id });
      if (command === 'avenant') return navigation.act({ kind: 'avenant', partnerId: current.id });
      if (command === 'review') return navigation.act({ kind: 'review', partnerId: current.id });
      return false;
    },
    { active: navigation.active && !filter.editing, waiting: view.loading && view.data === undefined },
  );
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`Partenaires (${count(view.rows.length)}${view.filter === '' ? '' : ` sur ${count(view.data?.partners.length ?? 0)}`}) · tri : ${view.sort.label}  `}
        <LoadState loading={view.loading} slow={view.slow} error={view.error} />
      </Text>
      <Table
        columns={COLUMNS}
        rows={view.rows}
        cursor={list.cursor}
        offset={list.offset}
        height={tableHeight}
        width={width}
        idOf={(row) => row.id}
        empty={emptyListText(view, 'Aucun partenaire ne correspond.')}
      />
      <Box flexGrow={1} />
      <FilterBar value={view.filter} editing={filter.editing} onChange={view.setFilter} onDone={filter.done} />
      {filter.editing || view.filter !== '' ? null : (
        <Text
          color={theme.muted}
          wrap="truncate"
        >{`${footerOf(KEYS, ['open', 'filter', 'sort', 'withdraw', 'avenant', 'review'], canWrite)} · ${footerOf(GLOBAL_BINDINGS, ['help'], canWrite)} · Alertes : C critique E élevée M moyenne F faible`}</Text>
      )}
    </Box>
  );
}
