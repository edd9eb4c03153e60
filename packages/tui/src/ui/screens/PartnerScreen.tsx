import { useEffect, type ReactNode } from 'react';
import { Box, Text, useInput } from 'ink';
import { MANAGEMENT_MODE_LABELS, SEVERITY_LABELS, conventionStatusLabel, describeAvenantChange, describeContractSupport, describeTermination, parisDay, ruleDefinition, type Flag, type Habilitation, type Trace, type User } from '@cafsup/shared';
import { avenantStanding, frenchDate, frenchDateTime, severityCounts } from '../../format.js';
import { LoadState } from '../components/Loading.js';
import { QuotaBar } from '../components/QuotaBar.js';
import { Table, type ColumnSpec } from '../components/Table.js';
import { Tabs } from '../components/Tabs.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { excessUsers, usePartner, type PartnerSheet } from '../hooks/use-partner.js';
import { PARTNER_TABS, useNavigation, type PartnerTab } from '../navigation.js';
import { useSession } from '../session.js';
import { HABILITATION_STATUS_LABEL, ROLE_LABEL, SEVERITY_COLOUR, USER_STATUS_LABEL, theme } from '../theme.js';

const LONG_LABELS = ['Synthèse', 'Quotas', 'Habilitations', 'Utilisateurs', 'Alertes', 'Avenants', 'Revues', 'Traces'];
const SHORT_LABELS = ['Synth.', 'Quotas', 'Habil.', 'Util.', 'Alertes', 'Avenants', 'Revues', 'Traces'];

function summaryLines(sheet: PartnerSheet): { text: string; colour?: string }[] {
  const { detail } = sheet;
  const { convention, caf } = detail;
  const state = detail.state;
  const lines: { text: string; colour?: string }[] = [
    { text: `Convention n° ${convention.number} — ${conventionStatusLabel(state.status, convention.termination)}`, ...(state.inForce ? {} : { colour: theme.danger }) },
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
  if (caf !== null) lines.push({ text: `${caf.name}${caf.address === null ? '' : ` — ${caf.address}`}` });
  for (const text of describeContractSupport(detail.terms)) lines.push({ text });
  for (const contact of detail.terms.contacts) {
    lines.push({ text: `${contact.side === 'caf' ? 'Caf' : 'Partenaire'} · ${ROLE_LABEL[contact.role] ?? contact.role} : ${contact.name} <${contact.email}>` });
  }
  return lines;
}

function avenantLines(sheet: PartnerSheet): { text: string; colour?: string }[] {
  if (sheet.avenants.length === 0) return [{ text: 'Aucun avenant.', colour: theme.muted }];
  return sheet.avenants.flatMap((avenant) => [
    {
      text: `${avenant.number}. ${avenant.title} — ${avenantStanding(avenant)}`,
      ...(avenant.signed ? {} : { colour: theme.warning }),
    },
    { text: `   Caf : ${frenchDate(avenant.signedByCafAt)} · partenaire : ${frenchDate(avenant.signedByPartnerAt)}`, colour: theme.muted },
    ...avenant.changes.map((change) => ({ text: `   · ${describeAvenantChange(change)}` })),
  ]);
}

function ScrolledLines({ lines, offset, height }: { lines: { text: string; colour?: string }[]; offset: number; height: number }) {
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

/** One partner, its eight tabs, and the actions on the rows of its lists. */
export function PartnerScreen({ partnerId, tab, focusId, width, height }: { partnerId: string; tab: PartnerTab; focusId?: string; width: number; height: number }) {
  const navigation = useNavigation();
  const { canWrite } = useSession();
  const { sheet, habilitations, users, traces } = usePartner(partnerId, tab);
  const bodyHeight = height - 3;
  const excess = excessUsers(sheet.data?.report);

  const textLines = sheet.data === undefined ? [] : tab === 'synthese' ? summaryLines(sheet.data) : tab === 'avenants' ? avenantLines(sheet.data) : [];
  const rowsOfTab: readonly unknown[] =
    tab === 'habilitations' ? (habilitations.data ?? []) : tab === 'utilisateurs' ? (users.data ?? []) : tab === 'traces' ? (traces.data ?? []) : tab === 'alertes' ? (sheet.data?.report.flags ?? []) : tab === 'revues' ? (sheet.data?.reviews ?? []) : tab === 'quotas' ? (sheet.data?.quotas ?? []) : textLines;
  const visibleRows = tab === 'quotas' ? Math.max(1, Math.floor(bodyHeight / 2)) : tab === 'synthese' || tab === 'avenants' ? bodyHeight : bodyHeight - 1;
  const list = useListCursor(rowsOfTab.length, visibleRows);

  useEffect(() => {
    if (focusId === undefined) return;
    const index = (rowsOfTab as { id?: string }[]).findIndex((row) => row.id === focusId);
    if (index >= 0) list.moveTo(index);
  }, [focusId, rowsOfTab.length]);

  const selectedIds = (): string[] => {
    const marked = [...list.marked];
    if (marked.length > 0) return marked;
    const row = rowsOfTab[list.cursor] as { id?: string } | undefined;
    return row?.id === undefined ? [] : [row.id];
  };

  const switchTab = (next: PartnerTab) => {
    list.clearMarks();
    list.moveTo(0);
    navigation.replace({ screen: 'partner', partnerId, tab: next });
  };

  useInput(
    (input, key) => {
      const index = PARTNER_TABS.indexOf(tab);
      if (key.tab || key.rightArrow) return switchTab(PARTNER_TABS[(index + (key.shift ? PARTNER_TABS.length - 1 : 1)) % PARTNER_TABS.length]!);
      if (key.leftArrow) return switchTab(PARTNER_TABS[(index + PARTNER_TABS.length - 1) % PARTNER_TABS.length]!);
      if (/^[1-8]$/.test(input)) return switchTab(PARTNER_TABS[Number(input) - 1]!);
      const idOf = tab === 'habilitations' || tab === 'utilisateurs' ? (row: number) => (rowsOfTab[row] as { id: string }).id : undefined;
      if (list.handle(input, key, idOf)) return;
      if (input === 'f') return navigation.push({ screen: 'workflows', partnerId });
      if (!canWrite) return;
      if (input === 'w') return navigation.act({ kind: 'withdrawDelegation', partnerId });
      if (input === 'a') return navigation.act({ kind: 'avenant', partnerId });
      if (input === 'v') return navigation.act({ kind: 'review', partnerId });
      const ids = selectedIds();
      if (ids.length === 0) return;
      if (tab === 'habilitations') {
        const action = input === 's' ? 'suspend' : input === 'R' ? 'reinstate' : input === 'x' ? 'revoke' : null;
        if (action !== null) {
          list.clearMarks();
          navigation.act({ kind: 'habilitations', action, ids });
        }
      } else if (tab === 'utilisateurs') {
        const action = input === 's' ? 'suspend' : input === 'R' ? 'reinstate' : input === 'p' ? 'forcePasswordReset' : null;
        if (action !== null) {
          list.clearMarks();
          navigation.act({ kind: 'users', action, ids });
        }
      }
    },
    { isActive: navigation.active },
  );

  const detail = sheet.data?.detail;
  const title = detail === undefined ? partnerId : `${detail.name} (${detail.id}) — Caf ${detail.cafCode}`;
  const loading = sheet.loading || habilitations.loading || users.loading || traces.loading;
  const error = sheet.error ?? habilitations.error ?? users.error ?? traces.error;
  const tableProps = { cursor: list.cursor, offset: list.offset, height: visibleRows, width, marked: list.marked };

  let body: ReactNode = null;
  if (tab === 'synthese' || tab === 'avenants') body = <ScrolledLines lines={textLines} offset={list.offset} height={bodyHeight} />;
  else if (tab === 'quotas') {
    const quotas = sheet.data?.quotas ?? [];
    body =
      quotas.length === 0 ? (
        <Text color={theme.muted}>Aucun quota en vigueur (convention non en vigueur ou aucun service souscrit).</Text>
      ) : (
        quotas.slice(list.offset, list.offset + visibleRows).map((quota, index) => (
          <Box key={`${quota.service}/${quota.profile}`}>
            <Text inverse={list.offset + index === list.cursor}>{list.offset + index === list.cursor ? '›' : ' '}</Text>
            <QuotaBar quota={quota} width={width - 1} />
          </Box>
        ))
      );
  } else if (tab === 'habilitations') body = <Table<Habilitation> {...tableProps} rows={habilitations.data ?? []} columns={habilitationColumns(excess)} idOf={(row) => row.id} empty="Aucune habilitation." />;
  else if (tab === 'utilisateurs') body = <Table<User> {...tableProps} rows={users.data ?? []} columns={USER_COLUMNS} idOf={(row) => row.id} empty="Aucun utilisateur." />;
  else if (tab === 'alertes') body = <Table<Flag> {...tableProps} rows={sheet.data?.report.flags ?? []} columns={FLAG_COLUMNS} empty="Aucune alerte." />;
  else if (tab === 'revues') body = <Table {...tableProps} rows={sheet.data?.reviews ?? []} columns={REVIEW_COLUMNS} empty="Aucune revue inverse enregistrée." />;
  else body = <Table<Trace> {...tableProps} rows={traces.data ?? []} columns={TRACE_COLUMNS} idOf={(row) => String(row.id)} empty="Aucune trace." />;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`${title}  `}
        <LoadState loading={loading} error={error} />
      </Text>
      <Tabs labels={width >= 100 ? LONG_LABELS : SHORT_LABELS} current={PARTNER_TABS.indexOf(tab)} />
      {body}
      <Box flexGrow={1} />
      <Text color={theme.muted} wrap="truncate">{footer(tab, canWrite, list.marked.size)}</Text>
    </Box>
  );
}

function footer(tab: PartnerTab, canWrite: boolean, marked: number): string {
  const selection = marked > 0 ? `${marked} sélectionnée(s) · ` : '';
  if (!canWrite) return 'Tab/1-8 onglets · Échap retour · ? aide';
  if (tab === 'habilitations') return `${selection}espace sélectionner · s suspendre · R réactiver · x dévalider · ? aide`;
  if (tab === 'utilisateurs') return `${selection}espace sélectionner · s suspendre · R réactiver · p mot de passe · ? aide`;
  return 'Tab/1-8 onglets · w retirer la délégation · a avenant · v revue · ? aide';
}

function habilitationColumns(excess: ReadonlySet<string>): ColumnSpec<Habilitation>[] {
  return [
    { header: 'Id', grow: 1, cell: (row) => row.id },
    { header: 'Titulaire', grow: 1, cell: (row) => row.userId ?? `groupe ${row.groupId}` },
    { header: 'Profil', width: 9, cell: (row) => `${row.service === 'CDAP' ? '' : `${row.service} `}${row.profile}` },
    { header: 'Dép.', width: 4, cell: (row) => row.departement ?? '—' },
    { header: 'Statut', width: 9, cell: (row) => HABILITATION_STATUS_LABEL[row.status] ?? row.status, colour: (row) => (row.status === 'suspended' ? theme.warning : row.status === 'revoked' ? theme.muted : undefined) },
    { header: 'Accordée', width: 10, cell: (row) => frenchDate(parisDay(row.grantedAt)) },
    {
      header: 'Quota',
      width: 9,
      cell: (row) => (row.userId !== null && excess.has(row.userId) && row.status !== 'revoked' ? 'EXCÉDENT' : ''),
      colour: () => theme.danger,
    },
  ];
}

const USER_COLUMNS: ColumnSpec<User>[] = [
  { header: 'Id', width: 12, cell: (row) => row.id },
  { header: 'Nom', grow: 2, cell: (row) => row.name },
  { header: 'Mél', grow: 2, cell: (row) => row.email },
  { header: 'Rôle', width: 13, cell: (row) => ROLE_LABEL[row.role] ?? row.role },
  { header: 'Statut', width: 9, cell: (row) => `${USER_STATUS_LABEL[row.status] ?? row.status}${row.mustChangePassword ? '*' : ''}`, colour: (row) => (row.status === 'active' ? undefined : theme.warning) },
  { header: 'Connexion', width: 10, cell: (row) => (row.lastLoginAt === null ? 'jamais' : frenchDate(parisDay(row.lastLoginAt))) },
];

const FLAG_COLUMNS: ColumnSpec<Flag>[] = [
  { header: 'Gravité', width: 8, cell: (row) => SEVERITY_LABELS[row.severity], colour: (row) => SEVERITY_COLOUR[row.severity] },
  { header: 'Règle', width: 18, cell: (row) => ruleDefinition(row.rule).label },
  { header: 'Constat', grow: 1, cell: (row) => row.message },
];

const REVIEW_COLUMNS: ColumnSpec<{ completedAt: string; reviewer: string; proof: string | null }>[] = [
  { header: 'Date', width: 10, cell: (row) => frenchDate(row.completedAt) },
  { header: 'Par', grow: 1, cell: (row) => row.reviewer },
  { header: 'Preuve', grow: 1, cell: (row) => row.proof ?? '—' },
];

export const TRACE_COLUMNS: ColumnSpec<Trace>[] = [
  { header: 'N°', width: 6, align: 'right', cell: (row) => String(row.id) },
  { header: 'Date', width: 16, cell: (row) => frenchDateTime(row.at) },
  { header: 'Qui', grow: 1, cell: (row) => row.actor.name },
  { header: 'Action', width: 20, cell: (row) => row.action },
  { header: 'Cible', width: 14, cell: (row) => row.targetId ?? '—' },
  { header: 'Motif', grow: 2, cell: (row) => row.reason },
];
