import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import {
  contactLine,
  HABILITATION_STATUS_LABELS,
  MANAGEMENT_MODE_LABELS,
  USER_ROLE_LABELS,
  USER_STATUS_LABELS,
  conventionStatusLabel,
  countOf,
  describeAvenantChange,
  describeContractSupport,
  describeTermination,
  escapeForTerminal,
  parisDay,
  type Flag,
  type Habilitation,
  type Review,
  type Trace,
  type User,
} from '@cafsup/shared';
import { withNearestIds } from '../../cli/suggest.js';
import { avenantStanding, frenchDate, severityCounts } from '../../format.js';
import { FilterBar } from '../components/FilterBar.js';
import { LoadState, emptyListText } from '../components/Loading.js';
import { QuotaBar } from '../components/QuotaBar.js';
import { Table, type ColumnSpec } from '../components/Table.js';
import { Tabs } from '../components/Tabs.js';
import { actionOnFlags, flagKey, flagSearchText } from '../flags.js';
import { useFilterEditing } from '../hooks/use-filter-editing.js';
import { useKeys } from '../hooks/use-keys.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { excessHolders, quotaKey, usePartner, type People, type PartnerSheet } from '../hooks/use-partner.js';
import { GLOBAL_BINDINGS, SCREEN_BINDINGS, commandOf, footerOf } from '../keys.js';
import { PARTNER_TABS, useNavigation, type PartnerTab } from '../navigation.js';
import { filterRows, traceSearchText } from '../search.js';
import { useSession } from '../session.js';
import { theme } from '../theme.js';
import { flagColumns } from './AlertsScreen.js';
import { TRACE_COLUMNS } from './TracesScreen.js';

const KEYS = SCREEN_BINDINGS.partner;
const LONG_LABELS = ['Synthèse', 'Quotas', 'Habilitations', 'Utilisateurs', 'Alertes', 'Avenants', 'Revues', 'Traces'];
const SHORT_LABELS = ['Synth.', 'Quotas', 'Habil.', 'Util.', 'Alertes', 'Avenants', 'Revues', 'Traces'];

type Line = { text: string; colour?: string };

function summaryLines(sheet: PartnerSheet): Line[] {
  const { detail } = sheet;
  const { convention, caf } = detail;
  const state = detail.state;
  const say = escapeForTerminal;
  const lines: Line[] = [
    {
      text: `Convention n° ${say(convention.number)} — ${conventionStatusLabel(state.status, convention.termination)}`,
      ...(state.inForce ? {} : { colour: theme.danger }),
    },
    {
      text: `Signée le ${frenchDate(convention.signedAt)}${convention.effectiveAt === null ? '' : `, effet le ${frenchDate(convention.effectiveAt)}`}${state.nextRenewalAt === null ? '' : ` · renouvellement tacite le ${frenchDate(state.nextRenewalAt)}`}${state.endsAt === null ? '' : ` · fin le ${frenchDate(state.endsAt)}`}`,
    },
  ];
  if (convention.termination !== null) lines.push({ text: describeTermination(convention.termination, state), colour: theme.warning });
  lines.push({
    text: `Gestion des habilitations : ${MANAGEMENT_MODE_LABELS[detail.terms.managementMode]}${convention.delegationWithdrawnAt === null ? '' : ` (délégation retirée le ${frenchDate(convention.delegationWithdrawnAt)})`}`,
  });
  lines.push({ text: `Dernière revue inverse : ${frenchDate(detail.lastReviewAt)}` });
  lines.push({ text: `Alertes : ${severityCounts(sheet.report.summary)} (C critique, E élevée, M moyenne, F faible)` });
  if (caf !== null) lines.push({ text: say(`${caf.name}${caf.address === null ? '' : ` — ${caf.address}`}`) });
  // The contract's desk and ladder (contrat art. 3.2, 3.3): their text is data, escaped.
  for (const text of describeContractSupport(detail.terms)) lines.push({ text: say(text) });
  for (const contact of detail.terms.contacts) {
    lines.push({
      text: contactLine(contact, detail.terms.contacts),
    });
  }
  return lines;
}

function avenantLines(sheet: PartnerSheet): Line[] {
  if (sheet.avenants.length === 0) return [{ text: 'Aucun avenant.', colour: theme.muted }];
  return sheet.avenants.flatMap((avenant) => [
    { text: `${avenant.number}. ${escapeForTerminal(avenant.title)} — ${avenantStanding(avenant)}`, ...(avenant.signed ? {} : { colour: theme.warning }) },
    { text: `   Caf : ${frenchDate(avenant.signedByCafAt)} · partenaire : ${frenchDate(avenant.signedByPartnerAt)}`, colour: theme.muted },
    ...avenant.changes.map((change) => ({ text: `   · ${escapeForTerminal(describeAvenantChange(change))}` })),
  ]);
}

/** How a user holds a quota's profile: their own habilitations, or through which groups. */
function holdings(userId: string, quota: { service: string; profile: string }, habilitations: readonly Habilitation[], people: People | undefined): string {
  const held = habilitations.filter(
    (habilitation) => habilitation.status !== 'revoked' && habilitation.service === quota.service && habilitation.profile === quota.profile,
  );
  const own = held.filter((habilitation) => habilitation.userId === userId).map((habilitation) => habilitation.id);
  const groups = held.flatMap((habilitation) => {
    const group = habilitation.groupId === null ? undefined : people?.groups.get(habilitation.groupId);
    return group?.memberIds.includes(userId) === true ? [`groupe ${group.name} (${habilitation.id})`] : [];
  });
  return [...own, ...groups].join(', ') || '—';
}

function ScrolledLines({ lines, offset, height }: { lines: Line[]; offset: number; height: number }) {
  return (
    <>
      {lines.slice(offset, offset + height).map((line, index) => (
        <Text key={offset + index} wrap="truncate" {...(line.colour === undefined ? {} : { color: line.colour })}>
          {line.text}
        </Text>
      ))}
    </>
  );
}

/** The rows of the tabs that are lists, and the text `/` searches in each. */
type TabRows =
  | { tab: 'habilitations'; rows: readonly Habilitation[] }
  | { tab: 'utilisateurs'; rows: readonly User[] }
  | { tab: 'alertes'; rows: readonly Flag[] }
  | { tab: 'revues'; rows: readonly Review[] }
  | { tab: 'traces'; rows: readonly Trace[] };

/** One partner, its eight tabs, and the actions on the rows of its lists. */
export function PartnerScreen({
  partnerId,
  tab,
  focusId,
  width,
  height,
}: {
  partnerId: string;
  tab: PartnerTab;
  focusId?: string;
  width: number;
  height: number;
}) {
  const navigation = useNavigation();
  const { canWrite, client } = useSession();
  const { sheet, people, habilitations, traces } = usePartner(partnerId);
  // A partner that does not exist (`:partenaire zzz`): its empty sheet offered its actions
  // (trial 35). The screen before comes back, the refusal in the status bar with the nearest
  // ids, as the CLI says it.
  useEffect(() => {
    if (sheet.error?.code !== 'NOT_FOUND') return;
    const refused = sheet.error;
    navigation.back();
    void withNearestIds(client, refused).then((said) => navigation.notify(said.message, 'error'));
    // Once per refusal; navigation and client are the session's own.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sheet.error]);
  const [filterText, setFilterText] = useState('');
  const filter = useFilterEditing(setFilterText);
  const bodyHeight = height - 3;
  const excess = useMemo(() => excessHolders(sheet.data?.report), [sheet.data]);
  const users = people.data?.users;

  const listed: TabRows | null = useMemo(() => {
    const named = (userId: string | null) => (userId === null ? '' : (users?.get(userId)?.name ?? ''));
    switch (tab) {
      case 'habilitations':
        return {
          tab,
          rows: filterRows(
            habilitations.data ?? [],
            filterText,
            (row) =>
              `${row.id} ${named(row.userId)} ${row.userId ?? ''} ${row.groupId === null ? '' : `groupe ${people.data?.groups.get(row.groupId)?.name ?? ''} ${row.groupId}`} ${row.profile} ${row.departement ?? ''} ${HABILITATION_STATUS_LABELS[row.status]}`,
          ),
        };
      case 'utilisateurs':
        return {
          tab,
          rows: filterRows(
            [...(users?.values() ?? [])],
            filterText,
            (row) => `${row.id} ${row.name} ${row.email} ${USER_ROLE_LABELS[row.role]} ${USER_STATUS_LABELS[row.status]}`,
          ),
        };
      case 'alertes':
        return { tab, rows: filterRows(sheet.data?.report.flags ?? [], filterText, flagSearchText) };
      case 'revues':
        return { tab, rows: filterRows(sheet.data?.reviews ?? [], filterText, (row) => `${row.reviewer} ${row.proof ?? ''} ${frenchDate(row.completedAt)}`) };
      case 'traces':
        return { tab, rows: filterRows(traces.data ?? [], filterText, traceSearchText) };
      default:
        return null;
    }
    // People are searched through people.data; users is the same list under another name.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tab, habilitations.data, people.data, sheet.data, traces.data, filterText]);

  const textLines = sheet.data === undefined ? [] : tab === 'synthese' ? summaryLines(sheet.data) : tab === 'avenants' ? avenantLines(sheet.data) : [];
  const quotas = sheet.data?.quotas ?? [];
  const length = listed?.rows.length ?? (tab === 'quotas' ? quotas.length : textLines.length);
  const visibleRows =
    tab === 'quotas'
      ? Math.max(1, Math.min(quotas.length, Math.floor(bodyHeight / 4)))
      : tab === 'synthese' || tab === 'avenants'
        ? bodyHeight
        : bodyHeight - 2;
  const list = useListCursor(length, visibleRows);
  const rowId = (index: number): string => {
    const row = listed?.rows[index];
    if (row === undefined) return '';
    if (listed!.tab === 'alertes') return flagKey(row as Flag);
    return 'id' in row ? String(row.id) : String(index);
  };

  useEffect(() => {
    if (focusId === undefined || listed === null) return;
    const index = (listed.rows as readonly { id?: unknown }[]).findIndex((row) => row.id === focusId);
    if (index >= 0) list.moveTo(index);
    // Moves to the row asked for once its tab's rows are there, not at every render of the list.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusId, listed?.rows.length]);

  const detail = sheet.data?.detail;
  const switchTab = (next: PartnerTab) => {
    list.clearMarks();
    list.moveTo(0);
    setFilterText('');
    navigation.replace({ screen: 'partner', partnerId, tab: next });
  };
  const chosenRows = <T,>(rows: readonly T[], idOf: (row: T) => string): T[] => {
    const marked = rows.filter((row) => list.marked.has(idOf(row)));
    return marked.length > 0 ? marked : rows[list.cursor] === undefined ? [] : [rows[list.cursor]!];
  };
  const act: typeof navigation.act = (request) => {
    list.clearMarks();
    navigation.act(request);
  };

  useKeys(
    (press) => {
      const command = commandOf(KEYS, press, canWrite);
      const index = PARTNER_TABS.indexOf(tab);
      if (command === 'nextTab') return switchTab(PARTNER_TABS[(index + 1) % PARTNER_TABS.length]!);
      if (command === 'previousTab') return switchTab(PARTNER_TABS[(index + PARTNER_TABS.length - 1) % PARTNER_TABS.length]!);
      if (command === 'tab') return switchTab(PARTNER_TABS[Number(press.text) - 1]!);
      const selectable = canWrite && (tab === 'habilitations' || tab === 'utilisateurs' || tab === 'alertes');
      if (list.handle(press, selectable ? rowId : undefined)) return;
      if (command === 'filter' && listed !== null) return filter.start();
      if (command === 'workflows') return navigation.push({ screen: 'workflows', partnerId });
      if (command === 'withdraw') return act({ kind: 'withdrawDelegation', partnerId });
      if (command === 'avenant') return act({ kind: 'avenant', partnerId });
      if (command === 'review') return act({ kind: 'review', partnerId });
      if (command === 'partnerEdit') return act({ kind: 'partnerEdit', partnerId, ...(detail === undefined ? {} : { current: detail }) });
      if (command === 'conventionEdit') return act({ kind: 'conventionEdit', partnerId, ...(detail === undefined ? {} : { current: detail.convention }) });
      if (command === 'habilitationCreate') {
        const user = listed?.tab === 'utilisateurs' ? listed.rows[list.cursor] : undefined;
        return act({ kind: 'habilitationCreate', partnerId, ...(user === undefined ? {} : { holder: user.id }) });
      }
      if (command === 'groupCreate') return act({ kind: 'groupCreate', partnerId });
      if (command === 'groupEdit') {
        const groups = [...(people.data?.groups.values() ?? [])];
        if (groups.length === 0) return navigation.notify('Ce partenaire n’a aucun groupe.');
        return act({ kind: 'groupEdit', groups: groups.map((group) => ({ id: group.id, current: group })) });
      }
      if (command === 'dormant') {
        const dormant = (sheet.data?.report.flags ?? []).flatMap((flag) => (flag.rule === 'DORMANT_ACCOUNT' ? [flag.userId] : []));
        if (dormant.length === 0) return navigation.notify('Aucun compte dormant chez ce partenaire.');
        return act({ kind: 'users', action: 'suspend', ids: dormant, scope: `tous les comptes dormants de ${partnerId}` });
      }
      if (command === 'excess' && tab === 'quotas') {
        const quota = quotas[list.cursor];
        const holders = quota === undefined ? undefined : excess.get(quotaKey(quota));
        if (quota === undefined || holders === undefined || holders.size === 0) return navigation.notify('Ce quota n’est pas dépassé.');
        return act({ kind: 'users', action: 'suspend', ids: [...holders], scope: `titulaires en excédent du quota ${quota.service} ${quota.profile}` });
      }
      if (listed === null) return command !== null;
      if (listed.tab === 'habilitations') {
        const row = listed.rows[list.cursor];
        if (command === 'open' && row !== undefined) return navigation.detail({ kind: 'habilitation', id: row.id });
        const action = command === 'suspend' ? 'suspend' : command === 'reinstate' ? 'reinstate' : command === 'revoke' ? 'revoke' : null;
        const ids = chosenRows(listed.rows, (habilitation) => habilitation.id).map((habilitation) => habilitation.id);
        if (action !== null && ids.length > 0) return act({ kind: 'habilitations', action, ids });
      } else if (listed.tab === 'utilisateurs') {
        const row = listed.rows[list.cursor];
        if (command === 'open' && row !== undefined) return navigation.detail({ kind: 'user', id: row.id });
        const action = command === 'suspend' ? 'suspend' : command === 'reinstate' ? 'reinstate' : command === 'password' ? 'forcePasswordReset' : null;
        const ids = chosenRows(listed.rows, (user) => user.id).map((user) => user.id);
        if (action !== null && ids.length > 0) return act({ kind: 'users', action, ids });
        if (command === 'personExtract' && row !== undefined) return act({ kind: 'personExtract', userId: row.id });
        if (command === 'userCreate') return act({ kind: 'userCreate', partnerId });
        if (command === 'userEdit' && row !== undefined) return act({ kind: 'userEdit', userId: row.id, current: row });
      } else if (listed.tab === 'alertes') {
        const row = listed.rows[list.cursor];
        if (command === 'open' && row !== undefined) return navigation.detail({ kind: 'flag', flag: row });
        if (command === 'suspend' || command === 'revoke' || command === 'password') {
          const request = actionOnFlags(chosenRows(listed.rows, flagKey), command);
          return typeof request === 'string' ? navigation.notify(request, 'error') : act(request);
        }
      } else if (listed.tab === 'traces') {
        const row = listed.rows[list.cursor];
        if (command === 'open' && row !== undefined) return navigation.detail({ kind: 'trace', trace: row });
      }
      return command !== null;
    },
    { active: navigation.active && !filter.editing, waiting: [sheet, people, habilitations, traces].some((load) => load.loading && load.data === undefined) },
  );

  const title = detail === undefined ? partnerId : `${escapeForTerminal(detail.name)} (${detail.id}) — Caf ${detail.cafCode}`;
  const loads = [sheet, people, habilitations, traces];
  const loading = loads.some((load) => load.loading);
  const slow = loads.some((load) => load.slow);
  const error = loads.find((load) => load.error !== null)?.error ?? null;
  const tableProps = { cursor: list.cursor, offset: list.offset, height: visibleRows, width, marked: list.marked };
  const habilitationColumnList = useMemo(() => habilitationColumns(excess, people.data), [excess, people.data]);
  const userColumnList = useMemo(() => userColumns(sheet.data?.report), [sheet.data]);
  const partnerFlagColumns = useMemo(() => flagColumns(undefined, false), []);

  let body: ReactNode = null;
  if (tab === 'synthese' || tab === 'avenants') body = <ScrolledLines lines={textLines} offset={list.offset} height={bodyHeight} />;
  else if (tab === 'quotas') {
    const quota = quotas[list.cursor];
    const holders = quota === undefined ? undefined : excess.get(quotaKey(quota));
    body =
      quotas.length === 0 ? (
        <Text color={theme.muted}>Aucun quota en vigueur (convention non en vigueur ou aucun service souscrit).</Text>
      ) : (
        <>
          {quotas.slice(list.offset, list.offset + visibleRows).map((shown, index) => (
            <Box key={quotaKey(shown)}>
              <Text inverse={list.offset + index === list.cursor}>{list.offset + index === list.cursor ? '›' : ' '}</Text>
              <QuotaBar quota={shown} width={width - 1} />
            </Box>
          ))}
          {quota !== undefined && holders !== undefined ? (
            <>
              <Text
                bold
                wrap="truncate"
              >{`Titulaires en excédent du quota ${quota.service} ${quota.profile} (${countOf(holders.size, 'personne')}, les derniers habilités) :`}</Text>
              {[...holders].slice(0, Math.max(1, bodyHeight - visibleRows * 2 - 2)).map((userId) => (
                <Text key={userId} wrap="truncate" color={theme.danger}>
                  {`  EXCÉDENT ${escapeForTerminal(users?.get(userId)?.name ?? '')} (${userId}) — par ${escapeForTerminal(holdings(userId, quota, habilitations.data ?? [], people.data))}`}
                </Text>
              ))}
            </>
          ) : null}
        </>
      );
  } else if (listed?.tab === 'habilitations')
    body = (
      <Table<Habilitation>
        {...tableProps}
        rows={listed.rows}
        columns={habilitationColumnList}
        idOf={(row) => row.id}
        empty={emptyListText(habilitations, 'Aucune habilitation.')}
      />
    );
  else if (listed?.tab === 'utilisateurs')
    body = (
      <Table<User> {...tableProps} rows={listed.rows} columns={userColumnList} idOf={(row) => row.id} empty={emptyListText(people, 'Aucun utilisateur.')} />
    );
  else if (listed?.tab === 'alertes')
    body = <Table<Flag> {...tableProps} rows={listed.rows} columns={partnerFlagColumns} idOf={flagKey} empty={emptyListText(sheet, 'Aucune alerte.')} />;
  else if (listed?.tab === 'revues')
    body = <Table<Review> {...tableProps} rows={listed.rows} columns={REVIEW_COLUMNS} empty={emptyListText(sheet, 'Aucune revue inverse enregistrée.')} />;
  else if (listed?.tab === 'traces')
    body = (
      <Table<Trace> {...tableProps} rows={listed.rows} columns={TRACE_COLUMNS} idOf={(row) => String(row.id)} empty={emptyListText(traces, 'Aucune trace.')} />
    );

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`${title}  `}
        <LoadState loading={loading} slow={slow} error={error} />
      </Text>
      <Tabs labels={width >= 100 ? LONG_LABELS : SHORT_LABELS} current={PARTNER_TABS.indexOf(tab)} />
      {body}
      <Box flexGrow={1} />
      <FilterBar value={filterText} editing={filter.editing} onChange={setFilterText} onDone={filter.done} />
      {filter.editing ? null : (
        <Text color={theme.muted} wrap="truncate">
          {footer(tab, canWrite, list.marked.size)}
        </Text>
      )}
    </Box>
  );
}

function footer(tab: PartnerTab, canWrite: boolean, marked: number): string {
  const selection = marked > 0 ? `${countOf(marked, 'sélectionnée', 'sélectionnées')} · ` : '';
  const help = footerOf(GLOBAL_BINDINGS, ['help'], canWrite);
  const keys: Record<PartnerTab, (keyof typeof KEYS)[]> = {
    synthese: ['nextTab', 'workflows', 'withdraw', 'avenant', 'review', 'partnerEdit', 'conventionEdit'],
    quotas: ['nextTab', 'excess'],
    habilitations: ['open', 'filter', 'select', 'selectAll', 'suspend', 'reinstate', 'revoke', 'habilitationCreate', 'groupCreate', 'groupEdit'],
    utilisateurs: [
      'open',
      'filter',
      'select',
      'selectAll',
      'suspend',
      'reinstate',
      'password',
      'userCreate',
      'userEdit',
      'habilitationCreate',
      'personExtract',
      'dormant',
    ],
    alertes: ['open', 'filter', 'select', 'suspend', 'revoke', 'password'],
    avenants: ['nextTab', 'avenant'],
    revues: ['filter', 'review'],
    traces: ['open', 'filter'],
  };
  return `${selection}${footerOf(KEYS, keys[tab], canWrite)} · ${help}`;
}

function habilitationColumns(excess: ReadonlyMap<string, ReadonlySet<string>>, people: People | undefined): ColumnSpec<Habilitation>[] {
  const inExcess = (row: Habilitation): number => {
    const holders = excess.get(quotaKey(row));
    if (holders === undefined || row.status === 'revoked') return 0;
    if (row.userId !== null) return holders.has(row.userId) ? 1 : 0;
    // A group's habilitation counts each member: it is in excess when one of them is.
    return (people?.groups.get(row.groupId!)?.memberIds ?? []).filter((member) => holders.has(member)).length;
  };
  return [
    { header: 'Id', whole: true, cell: (row) => row.id },
    {
      header: 'Titulaire',
      grow: 1,
      cell: (row) =>
        row.userId !== null ? (people?.users.get(row.userId)?.name ?? row.userId) : `groupe ${people?.groups.get(row.groupId!)?.name ?? row.groupId}`,
    },
    { header: 'Profil', width: 9, cell: (row) => `${row.service === 'CDAP' ? '' : `${row.service} `}${row.profile}` },
    { header: 'Dép.', width: 4, optional: true, cell: (row) => row.departement ?? '—' },
    {
      header: 'Statut',
      width: 9,
      cell: (row) => HABILITATION_STATUS_LABELS[row.status],
      colour: (row) => (row.status === 'suspended' ? theme.warning : row.status === 'revoked' ? theme.muted : undefined),
    },
    { header: 'Accordée', width: 10, hideBelow: 100, optional: true, cell: (row) => frenchDate(parisDay(row.grantedAt)) },
    {
      header: 'Quota',
      width: 12,
      cell: (row) => {
        const count = inExcess(row);
        return count === 0 ? '' : row.userId !== null ? 'EXCÉDENT' : `EXCÉDENT (${count})`;
      },
      colour: () => theme.danger,
    },
  ];
}

function userColumns(report: { flags: readonly Flag[] } | undefined): ColumnSpec<User>[] {
  const dormant = new Set((report?.flags ?? []).flatMap((flag) => (flag.rule === 'DORMANT_ACCOUNT' ? [flag.userId] : [])));
  return [
    { header: 'Nom', grow: 2, cell: (row) => row.name },
    { header: 'Id', whole: true, cell: (row) => row.id },
    { header: 'Mél', grow: 2, hideBelow: 100, cell: (row) => row.email },
    { header: 'Rôle', width: 14, optional: true, cell: (row) => USER_ROLE_LABELS[row.role] },
    {
      header: 'Statut',
      width: 10,
      cell: (row) => `${USER_STATUS_LABELS[row.status]}${row.mustChangePassword ? '*' : ''}`,
      colour: (row) => (row.status === 'active' ? undefined : theme.warning),
    },
    {
      header: 'Connexion',
      width: 10,
      optional: true,
      cell: (row) => (dormant.has(row.id) ? 'DORMANT' : row.lastLoginAt === null ? 'jamais' : frenchDate(parisDay(row.lastLoginAt))),
      colour: (row) => (dormant.has(row.id) ? theme.warning : undefined),
    },
  ];
}

const REVIEW_COLUMNS: ColumnSpec<Review>[] = [
  { header: 'Date', width: 10, cell: (row) => frenchDate(row.completedAt) },
  { header: 'Par', grow: 1, cell: (row) => row.reviewer },
  { header: 'Preuve', grow: 1, cell: (row) => row.proof ?? '—' },
];
