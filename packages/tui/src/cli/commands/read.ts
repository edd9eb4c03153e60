import {
  digitsOf,
  CONVENTION_STATUS_LABELS,
  contactLine,
  HABILITATION_STATUS_LABELS,
  MANAGEMENT_MODE_LABELS,
  conventionStatusLabel,
  describeContractSupport,
  describeTermination,
  PARTNER_KIND_LABELS,
  RULES,
  SEVERITIES,
  SEVERITY_LABELS,
  TRACE_ACTION_LABELS,
  USER_ROLE_LABELS,
  USER_STATUS_LABELS,
  atLeast,
  countOf,
  describeAvenantChange,
  escapeForTerminal,
  isRuleName,
  parisDay,
  profileLabel,
  ruleDefinition,
  type AuditReport,
  type AvenantView,
  type Flag,
  type HabilitationStatus,
  type ManagementMode,
  type Severity,
  type SeveritySummary,
  type UserRole,
  type UserStatus,
  type Habilitation,
  type QuotaUsage,
  type Review,
  type Trace,
  type User,
  MAX_PAGE_SIZE,
} from '@cafsup/shared';
import { idsOf, stringOption, type Command } from '../command.js';
import { UsageError, type Context } from '../context.js';
import { avenantStanding, frenchDate, severityCounts, traceTarget } from '../../format.js';
import { listTable, severitySummaryText, severityText, type Cell, type RowSpec } from '../output.js';
import { callsOfView, flagTotal, mostOverQuota, partnerRows, type PartnerRow } from '../../views.js';
import { suggest } from '../suggest.js';

const SUMMARY_LEGEND = 'Alertes : C critique, E élevée, M moyenne, F faible.';

function asOfOf(context: Context): { asOf?: string } {
  return context.options.asOf === undefined ? {} : { asOf: context.options.asOf };
}

/** A moment (shown as its Paris day and time), or nothing. */
function dateTimeCell(timestamp: string | null): Cell {
  return timestamp === null ? null : { at: timestamp };
}

/** A calendar date, or nothing. */
function dateCell(date: string | null | undefined): Cell {
  return date === null || date === undefined ? null : { date };
}

const PARTNER_ROWS: RowSpec<PartnerRow> = {
  key: 'partners',
  sheet: 'Partenaires',
  id: (p) => p.id,
  columns: [
    { field: 'id', header: 'Identifiant', cell: (p) => p.id, table: { grow: 2 } },
    {
      field: 'name',
      header: 'Nom',
      cell: (p) => `${p.name}${p.conventionStatus === 'active' ? '' : ` (${CONVENTION_STATUS_LABELS[p.conventionStatus]})`}`,
      table: { grow: 3 },
      only: 'table',
    },
    { field: 'name', header: 'Nom', cell: (p) => p.name, only: 'data' },
    { field: 'kind', header: 'Type', cell: (p) => PARTNER_KIND_LABELS[p.kind], only: 'data' },
    { field: 'cafCode', header: 'Caf', cell: (p) => p.cafCode },
    { field: 'conventionNumber', header: 'Convention', cell: (p) => p.conventionNumber, only: 'data' },
    { field: 'conventionStatus', header: 'État de la convention', cell: (p) => CONVENTION_STATUS_LABELS[p.conventionStatus], only: 'data' },
    { field: 'managementMode', header: 'Mode', cell: (p) => MANAGEMENT_MODE_LABELS[p.managementMode] },
    // In the JSON and cli.md's list of fields, so in --json=CHAMPS and the spreadsheets too (trial 36).
    { field: 'endsAt', header: 'Fin de la convention', cell: (p) => dateCell(p.endsAt), only: 'data' },
    { field: 'nextRenewalAt', header: 'Prochain renouvellement', cell: (p) => dateCell(p.nextRenewalAt), only: 'data' },
    {
      field: 'places',
      header: 'Places',
      cell: (p) => `${p.places.assigned}/${p.places.maxUsers}${p.overQuotas > 0 ? ' !' : ''}`,
      table: { align: 'right', colour: (p) => (p.overQuotas > 0 ? 'red' : null) },
      only: 'table',
    },
    { field: 'places', header: 'Places attribuées', cell: (p) => p.places.assigned, only: 'data' },
    { field: 'places', header: 'Places accordées', cell: (p) => p.places.maxUsers, only: 'data' },
    { field: 'overQuotas', header: 'Quotas dépassés', cell: (p) => p.overQuotas, only: 'data' },
    { field: 'flags', header: 'Alertes', cell: (p) => severityCounts(p.flags), only: 'table' },
    { field: 'flags', header: 'Alertes critiques', cell: (p) => p.flags.critical, only: 'data' },
    { field: 'flags', header: 'Alertes élevées', cell: (p) => p.flags.high, only: 'data' },
    { field: 'flags', header: 'Alertes moyennes', cell: (p) => p.flags.medium, only: 'data' },
    { field: 'flags', header: 'Alertes faibles', cell: (p) => p.flags.low, only: 'data' },
  ],
};

export const partnersCommand: Command = {
  name: 'partners',
  aliases: ['partenaires'],
  summary: 'liste les partenaires, avec l’usage de leurs quotas et leurs alertes',
  usage: 'cafsup partners [--caf C] [--mode délégué|centralisé] [--search TEXTE] [--flagged]',
  example: 'cafsup partners --caf 78 --search aix --flagged',
  options: {
    caf: { type: 'string', value: 'C', description: 'code de la Caf (département)' },
    mode: { type: 'string', value: 'MODE', description: 'mode en vigueur', choices: MANAGEMENT_MODE_LABELS },
    search: { type: 'string', value: 'TEXTE', description: 'dans le nom ou l’identifiant' },
    flagged: { type: 'boolean', description: 'seulement les partenaires qui ont des alertes' },
  },
  rows: PARTNER_ROWS,
  async run(context, { options }) {
    const client = await context.client();
    const mode = stringOption(options.mode) as ManagementMode | undefined;
    const query = {
      ...(stringOption(options.caf) === undefined ? {} : { cafCode: stringOption(options.caf)! }),
      ...(stringOption(options.search) === undefined ? {} : { search: stringOption(options.search)! }),
      ...(mode === undefined ? {} : { mode }),
    };
    const rows = await partnerRows(client, query, context.options.asOf);
    const partners = options.flagged === true ? rows.partners.filter((partner) => flagTotal(partner.flags) > 0) : rows.partners;
    const text = () =>
      partners.length === 0
        ? 'Aucun partenaire ne correspond.'
        : `${listTable(PARTNER_ROWS, partners)}\n${countOf(partners.length, 'partenaire')}. Places : attribuées/accordées, « ! » = quota dépassé.\n${SUMMARY_LEGEND}`;
    return { json: { asOf: rows.asOf, partners }, text, rows: partners };
  },
};

export const partnerCommand: Command = {
  name: 'partner',
  aliases: ['partenaire'],
  summary: 'fiche d’un partenaire : convention, renouvellement, mode, contacts, escalade, quotas, alertes, avenants',
  usage: 'cafsup partner ID',
  example: 'cafsup partner amp',
  positionals: { min: 1, max: 1, names: 'ID' },
  async run(context, { positionals }) {
    const client = await context.client();
    const id = positionals[0]!;
    const detail = await client.partners.get(id, asOfOf(context));
    const [usage, report, avenants] = await callsOfView(client, [
      () => client.quotas.usage({ partnerId: id, asOf: detail.asOf }),
      () => client.audit.run({ partnerId: id, asOf: detail.asOf }),
      () => client.avenants.list(id, { asOf: detail.asOf }),
    ]);
    const { state, convention, terms } = detail;
    const e = escapeForTerminal;
    const lines = [
      `${e(detail.name)} (${e(detail.id)}) — ${PARTNER_KIND_LABELS[detail.kind]}, Caf ${e(detail.cafCode)}${detail.siret ? `, SIRET ${e(detail.siret)}` : ''}`,
      `Convention ${e(convention.number)} : ${conventionStatusLabel(state.status, convention.termination)}, signée le ${frenchDate(convention.signedAt)}` +
        `${convention.effectiveAt ? `, effet le ${frenchDate(convention.effectiveAt)}` : ''}` +
        `${state.nextRenewalAt ? `, renouvellement tacite le ${frenchDate(state.nextRenewalAt)}` : ''}` +
        `${state.endsAt ? `, fin le ${frenchDate(state.endsAt)}` : ''}`,
      ...(convention.termination ? [describeTermination(convention.termination, state)] : []),
      `Mode de gestion des habilitations : ${MANAGEMENT_MODE_LABELS[terms.managementMode]}` +
        `${convention.delegationWithdrawnAt ? ` (délégation retirée le ${frenchDate(convention.delegationWithdrawnAt)})` : ''}`,
      `Dernière revue inverse : ${frenchDate(detail.lastReviewAt)}`,
    ];
    lines.push(...describeContractSupport(terms).map(e));
    if (terms.contacts.length > 0) {
      lines.push('Contacts :', ...terms.contacts.map((c) => `  ${contactLine(c, terms.contacts)}`));
    }
    lines.push('', quotaTable(usage.quotas, false));
    lines.push('', `Alertes : ${severitySummaryText(report.summary)}`);
    lines.push(
      '',
      avenants.length === 0 ? 'Aucun avenant.' : `Avenants :\n${avenants.map((a) => `  ${a.number}. ${e(a.title)} — ${avenantStanding(a)}`).join('\n')}`,
    );
    return { json: { ...detail, quotas: usage.quotas, flags: report.summary, avenants }, text: () => lines.join('\n') };
  },
};

/**
 * Quota usage rows. Across partners the partner id needs the room; for one partner the
 * terminal table drops it and names the profile instead (T13 « Instructeur FSL »).
 */
function quotaRows(withPartner: boolean): RowSpec<QuotaUsage> {
  return {
    key: 'quotas',
    sheet: 'Quotas',
    columns: [
      ...(withPartner ? [{ field: 'partnerId', header: 'Partenaire', cell: (q: QuotaUsage) => q.partnerId, table: { grow: 2 } }] : []),
      { field: 'conventionNumber', header: 'Convention', cell: (q) => q.conventionNumber, only: 'data' },
      { field: 'service', header: 'Service', cell: (q) => q.service },
      withPartner
        ? { field: 'profile', header: 'Profil', cell: (q) => q.profile }
        : { field: 'profile', header: 'Profil', cell: (q) => [q.profile, profileLabel(q.service, q.profile)].filter(Boolean).join(' '), table: { grow: 1 } },
      { field: 'assigned', header: 'Attribués', cell: (q) => q.assigned, table: { align: 'right' } },
      { field: 'active', header: 'Actifs', cell: (q) => q.active, table: { align: 'right' } },
      { field: 'maxUsers', header: 'Max', cell: (q) => q.maxUsers, table: { align: 'right' } },
      { field: 'departements', header: 'Dép.', cell: (q) => q.departements?.join(' ') ?? 'tous', table: { grow: 1 } },
      {
        field: 'over',
        header: 'État',
        cell: (q) => (q.over ? `DÉPASSÉ +${q.assigned - q.maxUsers}` : 'ok'),
        table: { colour: (q) => (q.over ? 'red' : null) },
      },
    ],
  };
}

const QUOTA_ROWS = quotaRows(true);

function quotaTable(quotas: readonly QuotaUsage[], withPartner: boolean): string {
  return quotas.length === 0 ? 'Aucun quota en vigueur.' : listTable(withPartner ? QUOTA_ROWS : quotaRows(false), quotas);
}

export const quotasCommand: Command = {
  name: 'quotas',
  summary: 'usage des quotas par service et profil (partenaires dont la convention est en vigueur)',
  usage: 'cafsup quotas [PARTENAIRE] [--over]',
  example: 'cafsup quotas amp --over --json',
  positionals: { min: 0, max: 1, names: 'PARTENAIRE' },
  options: { over: { type: 'boolean', description: 'seulement les quotas dépassés' } },
  rows: QUOTA_ROWS,
  async run(context, { positionals, options }) {
    const client = await context.client();
    const usage = await client.quotas.usage({
      ...asOfOf(context),
      ...(positionals[0] === undefined ? {} : { partnerId: positionals[0] }),
      ...(options.over === true ? { over: true } : {}),
    });
    return { json: usage, text: () => `${quotaTable(usage.quotas, positionals[0] === undefined)}\nÉvalué au ${frenchDate(usage.asOf)}.`, rows: usage.quotas };
  },
};

/** A flag's key field, whichever rule it comes from (rules.md names them alike across rules). */
function flagField(flag: Flag, field: string): unknown {
  return (flag as unknown as Record<string, unknown>)[field];
}

function listCell(value: unknown): string | null {
  if (Array.isArray(value)) return value.join(' ');
  return value === undefined || value === null
    ? null
    : typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : JSON.stringify(value);
}

/** Every key field of the rules (rules.md), so that a spreadsheet loses nothing of the JSON. */
const FLAG_ROWS: RowSpec<Flag> = {
  key: 'flags',
  sheet: 'Alertes',
  columns: [
    { field: 'severity', header: 'Gravité', cell: (f) => SEVERITY_LABELS[f.severity] },
    { field: 'rule', header: 'Règle', cell: (f) => ruleDefinition(f.rule).label },
    { field: 'rule', header: 'Code de la règle', cell: (f) => f.rule },
    { field: 'partnerId', header: 'Partenaire', cell: (f) => f.partnerId },
    ...(
      [
        ['habilitationId', 'Habilitation'],
        ['userId', 'Utilisateur'],
        ['service', 'Service'],
        ['profile', 'Profil'],
        ['departement', 'Département'],
        ['email', 'Mél'],
      ] as const
    ).map(([field, header]) => ({ field, header, cell: (f: Flag) => listCell(flagField(f, field)) })),
    ...(['assigned', 'maxUsers', 'days', 'heldCount'] as const).map((field) => ({
      field,
      header: { assigned: 'Attribués', maxUsers: 'Maximum', days: 'Jours', heldCount: 'Habilitations détenues' }[field],
      cell: (f: Flag) => (typeof flagField(f, field) === 'number' ? (flagField(f, field) as number) : null),
    })),
    ...(
      [
        ['excessUserIds', 'Utilisateurs en excédent'],
        ['userIds', 'Utilisateurs'],
        ['profiles', 'Profils'],
      ] as const
    ).map(([field, header]) => ({ field, header, cell: (f: Flag) => listCell(flagField(f, field)) })),
    ...(
      [
        ['missionEndAt', 'Fin de mission'],
        ['lastSeenAt', 'Dernière connexion'],
        ['lastReviewAt', 'Dernière revue'],
        ['dueAt', 'Revue due le'],
      ] as const
    ).map(([field, header]) => ({ field, header, cell: (f: Flag) => dateCell(flagField(f, field) as string | null | undefined) })),
    {
      field: 'status',
      header: 'État de la convention',
      cell: (f) => (f.rule === 'CONVENTION_NOT_IN_FORCE' ? CONVENTION_STATUS_LABELS[flagField(f, 'status') as 'draft'] : null),
    },
    { field: 'article', header: 'Article', cell: (f) => f.article },
    { field: 'message', header: 'Message', cell: (f) => f.message },
  ],
};

export const auditCommand: Command = {
  name: 'audit',
  aliases: ['alertes'],
  summary: `les alertes des ${RULES.length} règles ; avec --fail-on, sort en 1 si une alerte atteint la gravité donnée`,
  usage: 'cafsup audit [PARTENAIRE] [--severity S] [--rule R…] [--fail-on S]',
  example: 'cafsup audit --severity élevée --fail-on critique --json > alertes.json || echo "alerte critique"',
  positionals: { min: 0, max: 1, names: 'PARTENAIRE' },
  options: {
    severity: { type: 'string', value: 'S', description: 'gravité minimale', choices: SEVERITY_LABELS },
    rule: { type: 'string', multiple: true, value: 'R', description: `une règle (${RULES.length} : QUOTA_EXCEEDED…), répétable` },
    'fail-on': { type: 'string', value: 'S', description: 'sort en 1 si une alerte est au moins de cette gravité', choices: SEVERITY_LABELS },
  },
  rows: FLAG_ROWS,
  async run(context, { positionals, options }) {
    const client = await context.client();
    const rules = idsOf(options.rule);
    for (const rule of rules) {
      if (!isRuleName(rule))
        throw new UsageError(
          `Règle inconnue : « ${rule} ».${suggest(
            rule,
            RULES.map((definition) => definition.rule),
          )} Voir « cafsup audit --help ».`,
        );
    }
    const minSeverity = stringOption(options.severity) as Severity | undefined;
    const failOn = stringOption(options['fail-on']) as Severity | undefined;
    const query = {
      ...asOfOf(context),
      ...(positionals[0] === undefined ? {} : { partnerId: positionals[0] }),
      ...(minSeverity === undefined ? {} : { minSeverity }),
      ...(rules.length === 0 ? {} : { rules: rules }),
    };
    const reaches = (summary: SeveritySummary) => failOn !== undefined && SEVERITIES.some((severity) => summary[severity] > 0 && atLeast(severity, failOn));
    if (context.options.json && context.options.jsonFields === undefined) {
      // The whole report as JSON: its text from the store, as kept, never built here (a national report is 40 MB).
      const { summary, text } = await client.audit.runText(query);
      return { json: undefined, jsonText: text, text: () => '', ...(reaches(summary) ? { exitCode: 1 } : {}) };
    }
    const report: AuditReport = await client.audit.run(query);
    const failed = reaches(report.summary);
    const text = () => {
      if (report.flags.length === 0) return `Aucune alerte au ${frenchDate(report.asOf)}.`;
      // One flag per paragraph: the message is what the supervisor needs, so it is never cut.
      return [
        ...report.flags.map(
          (flag) =>
            `${severityText(flag.severity)} · ${escapeForTerminal(flag.partnerId)} · ${ruleDefinition(flag.rule).label} (${flag.rule})\n    ${escapeForTerminal(flag.message)}`,
        ),
        `${severitySummaryText(report.summary)} au ${frenchDate(report.asOf)}.`,
      ].join('\n');
    };
    return { json: report, text, rows: report.flags, ...(failed ? { exitCode: 1 } : {}) };
  },
};

const USER_ROWS: RowSpec<User> = {
  key: 'users',
  sheet: 'Utilisateurs',
  id: (u) => u.id,
  columns: [
    { field: 'id', header: 'Id', cell: (u) => u.id },
    { field: 'name', header: 'Nom', cell: (u) => u.name, table: { grow: 2 } },
    { field: 'email', header: 'Mél', cell: (u) => u.email, table: { grow: 2 } },
    { field: 'function', header: 'Fonction', cell: (u) => u.function, only: 'data' },
    { field: 'role', header: 'Rôle', cell: (u) => USER_ROLE_LABELS[u.role], table: { grow: 1 } },
    { field: 'status', header: 'Statut', cell: (u) => USER_STATUS_LABELS[u.status] },
    { field: 'lastLoginAt', header: 'Connexion', cell: (u) => (u.lastLoginAt === null ? 'jamais' : frenchDate(parisDay(u.lastLoginAt))), only: 'table' },
    { field: 'lastLoginAt', header: 'Dernière connexion', cell: (u) => dateTimeCell(u.lastLoginAt), only: 'data' },
    { field: 'createdAt', header: 'Créé le', cell: (u) => dateTimeCell(u.createdAt), only: 'data' },
    { field: 'passwordChangedAt', header: 'Mot de passe changé le', cell: (u) => dateTimeCell(u.passwordChangedAt), only: 'data' },
    { field: 'mustChangePassword', header: 'Changement de mot de passe imposé', cell: (u) => (u.mustChangePassword ? 'oui' : 'non'), only: 'data' },
    { field: 'missionEndAt', header: 'Fin de mission', cell: (u) => dateCell(u.missionEndAt), only: 'data' },
    { field: 'departement', header: 'Département', cell: (u) => u.departement, only: 'data' },
  ],
};

export const usersCommand: Command = {
  name: 'users',
  aliases: ['utilisateurs'],
  summary: 'les utilisateurs d’un partenaire',
  usage: 'cafsup users PARTENAIRE [--status S] [--role R]',
  example: 'cafsup users amp --status suspendu',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    status: { type: 'string', value: 'S', description: 'statut', choices: USER_STATUS_LABELS },
    role: { type: 'string', value: 'R', description: 'rôle', choices: USER_ROLE_LABELS },
  },
  rows: USER_ROWS,
  async run(context, { positionals, options }) {
    const status = stringOption(options.status) as UserStatus | undefined;
    const role = stringOption(options.role) as UserRole | undefined;
    const client = await context.client();
    const partnerId = positionals[0]!;
    const users = await client.users.all({ partnerId, ...(status === undefined ? {} : { status }), ...(role === undefined ? {} : { role }) });
    const text = () => (users.length === 0 ? 'Aucun utilisateur ne correspond.' : `${listTable(USER_ROWS, users)}\n${countOf(users.length, 'utilisateur')}.`);
    return { json: { partnerId, users }, text, rows: users };
  },
};

const HABILITATION_ROWS: RowSpec<Habilitation> = {
  key: 'habilitations',
  sheet: 'Habilitations',
  id: (h) => h.id,
  columns: [
    { field: 'id', header: 'Id', cell: (h) => h.id, table: { grow: 1 } },
    { field: 'userId', header: 'Titulaire', cell: (h) => h.userId ?? `groupe ${h.groupId}`, table: { grow: 1 }, only: 'table' },
    { field: 'userId', header: 'Utilisateur', cell: (h) => h.userId, only: 'data' },
    { field: 'groupId', header: 'Groupe', cell: (h) => h.groupId, only: 'data' },
    { field: 'service', header: 'Service', cell: (h) => h.service },
    { field: 'profile', header: 'Profil', cell: (h) => h.profile },
    { field: 'departement', header: 'Dép.', cell: (h) => h.departement ?? '—', only: 'table' },
    { field: 'departement', header: 'Département', cell: (h) => h.departement, only: 'data' },
    { field: 'status', header: 'Statut', cell: (h) => HABILITATION_STATUS_LABELS[h.status] },
    { field: 'grantedAt', header: 'Accordée', cell: (h) => frenchDate(parisDay(h.grantedAt)), only: 'table' },
    { field: 'grantedAt', header: 'Accordée le', cell: (h) => dateTimeCell(h.grantedAt), only: 'data' },
    { field: 'suspendedAt', header: 'Suspendue le', cell: (h) => dateTimeCell(h.suspendedAt), only: 'data' },
    { field: 'revokedAt', header: 'Dévalidée le', cell: (h) => dateTimeCell(h.revokedAt), only: 'data' },
  ],
};

export const habilitationsCommand: Command = {
  name: 'habilitations',
  summary: 'les habilitations d’un partenaire',
  usage: 'cafsup habilitations PARTENAIRE [--service S] [--profile P] [--status S] [--user ID]',
  example: 'cafsup habilitations amp --profile T13 --status active',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    service: { type: 'string', value: 'S', description: 'code du service (CDAP…)' },
    profile: { type: 'string', value: 'P', description: 'code du profil (T13…) ; ici --profile n’est pas le profil de connexion (CAFSUP_PROFILE)' },
    status: { type: 'string', value: 'S', description: 'statut', choices: HABILITATION_STATUS_LABELS },
    user: { type: 'string', value: 'ID', description: 'celles d’un utilisateur, directes ou par ses groupes' },
  },
  rows: HABILITATION_ROWS,
  async run(context, { positionals, options }) {
    const status = stringOption(options.status) as HabilitationStatus | undefined;
    const client = await context.client();
    const partnerId = positionals[0]!;
    const query = {
      partnerId,
      ...(stringOption(options.service) === undefined ? {} : { service: stringOption(options.service)! }),
      ...(stringOption(options.profile) === undefined ? {} : { profile: stringOption(options.profile)! }),
      ...(status === undefined ? {} : { status }),
      ...(stringOption(options.user) === undefined ? {} : { userId: stringOption(options.user)! }),
    };
    const habilitations = await client.habilitations.all(query);
    const text = () =>
      habilitations.length === 0
        ? 'Aucune habilitation ne correspond.'
        : `${listTable(HABILITATION_ROWS, habilitations)}\n${countOf(habilitations.length, 'habilitation')}.`;
    return { json: { partnerId, habilitations }, text, rows: habilitations };
  },
};

const TRACE_ROWS: RowSpec<Trace> = {
  key: 'traces',
  sheet: 'Traces',
  id: (t) => String(t.id),
  columns: [
    { field: 'id', header: 'N°', cell: (t) => t.id, table: { align: 'right' } },
    { field: 'at', header: 'Date', cell: (t) => ({ at: t.at }) },
    { field: 'actor', header: 'Qui', cell: (t) => t.actor.name, table: { grow: 1 } },
    { field: 'actor', header: 'Mél', cell: (t) => t.actor.email, only: 'data' },
    { field: 'action', header: 'Action', cell: (t) => TRACE_ACTION_LABELS[t.action] ?? t.action, table: { grow: 1 } },
    { field: 'targetId', header: 'Cible', cell: traceTarget, table: { grow: 1 }, only: 'table' },
    { field: 'targetId', header: 'Cible', cell: (t) => t.targetId, only: 'data' },
    { field: 'partnerId', header: 'Partenaire', cell: (t) => t.partnerId, only: 'data' },
    { field: 'reason', header: 'Motif', cell: (t) => t.reason, table: { grow: 2 } },
  ],
};

export const tracesCommand: Command = {
  name: 'traces',
  summary: 'la piste d’audit, la plus récente d’abord',
  usage: 'cafsup traces [--partner ID] [--user ID] [--since AAAA-MM-JJ] [--until AAAA-MM-JJ] [--limit N]',
  example: 'cafsup traces --partner amp --limit 5',
  options: {
    partner: { type: 'string', value: 'ID', description: 'd’un partenaire' },
    user: { type: 'string', value: 'ID', description: 'sur un utilisateur, ses habilitations (directes ou par ses groupes) et ses groupes' },
    since: { type: 'string', value: 'DATE', description: 'à partir de ce jour (Europe/Paris)', date: true },
    until: { type: 'string', value: 'DATE', description: 'jusqu’à ce jour inclus', date: true },
    limit: { type: 'string', value: 'N', description: 'nombre maximal de traces (défaut 100)' },
  },
  rows: TRACE_ROWS,
  async run(context, { options }) {
    const limit = digitsOf(stringOption(options.limit) ?? '100');
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit attend un entier positif (reçu « ${stringOption(options.limit)} »).`);
    const client = await context.client();
    const query = {
      ...(stringOption(options.partner) === undefined ? {} : { partnerId: stringOption(options.partner)! }),
      ...(stringOption(options.user) === undefined ? {} : { userId: stringOption(options.user)! }),
      ...(stringOption(options.since) === undefined ? {} : { since: stringOption(options.since)! }),
      ...(stringOption(options.until) === undefined ? {} : { until: stringOption(options.until)! }),
    };
    const traces: Trace[] = [];
    // Pages no larger than what is shown: `--limit 5` reads five traces, not a page of a thousand.
    for await (const trace of client.traces.iterate({ ...query, limit: Math.min(limit, MAX_PAGE_SIZE) })) {
      traces.push(trace);
      if (traces.length >= limit) break;
    }
    const text = () => (traces.length === 0 ? 'Aucune trace.' : listTable(TRACE_ROWS, traces));
    return { json: { traces }, text, rows: traces };
  },
};

const AVENANT_ROWS: RowSpec<AvenantView> = {
  key: 'avenants',
  sheet: 'Avenants',
  columns: [
    { field: 'number', header: 'N°', cell: (a) => a.number },
    { field: 'title', header: 'Titre', cell: (a) => a.title },
    { field: 'applies', header: 'Situation', cell: (a) => avenantStanding(a) },
    { field: 'signedByCafAt', header: 'Signé par la Caf le', cell: (a) => dateCell(a.signedByCafAt) },
    { field: 'signedByPartnerAt', header: 'Signé par le partenaire le', cell: (a) => dateCell(a.signedByPartnerAt) },
    { field: 'effectiveFrom', header: 'Effet le', cell: (a) => dateCell(a.effectiveFrom) },
    { field: 'changes', header: 'Modifications', cell: (a) => a.changes.map((change) => describeAvenantChange(change)).join(' ; ') },
  ],
};

export const avenantListCommand: Command = {
  name: 'avenant list',
  summary: 'les avenants d’un partenaire, projets compris',
  usage: 'cafsup avenant list PARTENAIRE',
  example: 'cafsup avenant list amp',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  rows: AVENANT_ROWS,
  async run(context, { positionals }) {
    const client = await context.client();
    const avenants = await client.avenants.list(positionals[0]!, asOfOf(context));
    const e = escapeForTerminal;
    const text = () =>
      avenants.length === 0
        ? 'Aucun avenant.'
        : avenants
            .map((a) =>
              [
                `${a.number}. ${e(a.title)} — ${avenantStanding(a)}`,
                `   signé par la Caf le ${frenchDate(a.signedByCafAt)}, par le partenaire le ${frenchDate(a.signedByPartnerAt)}${a.effectiveFrom ? `, effet le ${frenchDate(a.effectiveFrom)}` : ''}`,
                ...a.changes.map((change) => `   · ${e(describeAvenantChange(change))}`),
              ].join('\n'),
            )
            .join('\n');
    return { json: { partnerId: positionals[0], avenants }, text, rows: avenants };
  },
};

const REVIEW_ROWS: RowSpec<Review> = {
  key: 'reviews',
  sheet: 'Revues',
  columns: [
    { field: 'completedAt', header: 'Date', cell: (r) => ({ date: r.completedAt }) },
    { field: 'reviewer', header: 'Par', cell: (r) => r.reviewer, table: { grow: 1 } },
    { field: 'proof', header: 'Preuve', cell: (r) => r.proof ?? '—', table: { grow: 2 } },
  ],
};

export const reviewListCommand: Command = {
  name: 'review list',
  summary: 'les revues inverses d’habilitations d’un partenaire',
  usage: 'cafsup review list PARTENAIRE',
  example: 'cafsup review list amp',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  rows: REVIEW_ROWS,
  async run(context, { positionals }) {
    const client = await context.client();
    const reviews = await client.reviews.list(positionals[0]!);
    const text = () => (reviews.length === 0 ? 'Aucune revue enregistrée.' : listTable(REVIEW_ROWS, reviews));
    return { json: { partnerId: positionals[0], reviews }, text, rows: reviews };
  },
};

/** `cafsup` with no command and no terminal: the dashboard in plain text. */
export const dashboardCommand: Command = {
  name: 'dashboard',
  aliases: ['tableau'],
  summary: 'tableau de bord : partenaires, habilitations, alertes par gravité, quotas les plus dépassés',
  usage: 'cafsup dashboard',
  example: 'cafsup dashboard --json',
  async run(context) {
    const client = await context.client();
    const [summary, report, usage] = await callsOfView(client, [
      () => client.dataset.summary(),
      () => client.audit.run(asOfOf(context)),
      () => client.quotas.usage({ ...asOfOf(context), over: true }),
    ]);
    const over = mostOverQuota(usage.quotas).slice(0, 5);
    const source = await context.source();
    const lines = [
      `cafsup — ${summary.cafCodes.length === 0 ? 'aucune Caf' : `Caf ${summary.cafCodes.map(escapeForTerminal).join(', ')}`} — ${escapeForTerminal(source)}`,
      `${countOf(summary.partners, 'partenaire')}, ${countOf(summary.users, 'utilisateur')}, ${countOf(summary.habilitationsHeld, 'habilitation détenue')}`,
      `Alertes au ${frenchDate(report.asOf)} : ${severitySummaryText(report.summary)}`,
      '',
      over.length === 0 ? 'Aucun quota dépassé.' : `Quotas les plus dépassés :\n${quotaTable(over, true)}`,
    ];
    return { json: { asOf: report.asOf, source, ...summary, flags: report.summary, overQuotas: over }, text: () => lines.join('\n') };
  },
};
