import {
  CONVENTION_STATUS_LABELS,
  MANAGEMENT_MODE_LABELS,
  conventionStatusLabel,
  describeContractSupport,
  describeTermination,
  RULES,
  SEVERITIES,
  atLeast,
  describeAvenantChange,
  ruleDefinition,
  isRuleName,
  parisDay,
  profileLabel,
  type AuditReport,
  type Flag,
  type Habilitation,
  type PartnerSummary,
  type Trace,
  type User,
  type QuotaUsage,
  type RuleName,
  type Severity,
  type SeveritySummary,
} from '@cafsup/shared';
import { colourEnabled, paint } from '../ansi.js';
import { idsOf, stringOption, type Command } from '../command.js';
import { UsageError, type Context } from '../context.js';
import { avenantStanding, count, frenchDate, frenchDateTime, severityCounts } from '../../format.js';
import { severitySummaryText, severityText, table } from '../output.js';
import { flagTotal, mostOverQuota, partnerRows } from '../../views.js';


function severityOption(value: string | undefined, option: string): Severity | undefined {
  if (value === undefined) return undefined;
  if (!(SEVERITIES as readonly string[]).includes(value)) {
    throw new UsageError(`--${option} attend une gravité parmi ${SEVERITIES.join(', ')} (reçu « ${value} »).`);
  }
  return value as Severity;
}

const SUMMARY_LEGEND = 'Alertes : C critique, E élevée, M moyenne, F faible.';

function asOfOf(context: Context): { asOf?: string } {
  return context.options.asOf === undefined ? {} : { asOf: context.options.asOf };
}

export const partnersCommand: Command = {
  name: 'partners',
  aliases: ['partenaires'],
  summary: 'liste les partenaires, avec l’usage de leurs quotas et leurs alertes',
  usage: 'cafsup partners [--caf C] [--mode delegated|centralised] [--search TEXTE] [--flagged]',
  example: 'cafsup partners --caf 78 --search aix --flagged',
  options: {
    caf: { type: 'string', value: 'C', description: 'code de la Caf (département)' },
    mode: { type: 'string', value: 'MODE', description: 'delegated ou centralised (mode en vigueur)' },
    search: { type: 'string', value: 'TEXTE', description: 'dans le nom ou l’identifiant' },
    flagged: { type: 'boolean', description: 'seulement les partenaires qui ont des alertes' },
  },
  async run(context, { options }) {
    const client = await context.client();
    const mode = stringOption(options.mode);
    if (mode !== undefined && mode !== 'delegated' && mode !== 'centralised') throw new UsageError(`--mode attend delegated ou centralised (reçu « ${mode} »).`);
    const query = {
      ...(stringOption(options.caf) === undefined ? {} : { cafCode: stringOption(options.caf)! }),
      ...(stringOption(options.search) === undefined ? {} : { search: stringOption(options.search)! }),
      ...(mode === undefined ? {} : { mode: mode as 'delegated' }),
    };
    const rows = await partnerRows(client, query, context.options.asOf);
    const partners = options.flagged === true ? rows.partners.filter((partner) => flagTotal(partner.flags) > 0) : rows.partners;
    const colour = colourEnabled(process.stdout);
    const text = () =>
      partners.length === 0
        ? 'Aucun partenaire ne correspond.'
        : `${table(
            [
              { header: 'Identifiant', grow: 2 },
              { header: 'Nom', grow: 3 },
              { header: 'Caf' },
              { header: 'Mode' },
              { header: 'Places', align: 'right' },
              { header: 'Alertes' },
            ],
            partners.map((p) => [
              p.id,
              `${p.name}${p.conventionStatus === 'active' ? '' : ` (${CONVENTION_STATUS_LABELS[p.conventionStatus]})`}`,
              p.cafCode,
              MANAGEMENT_MODE_LABELS[p.managementMode],
              p.overQuotas > 0 ? paint(colour, 'red', `${p.places.assigned}/${p.places.maxUsers} !`) : `${p.places.assigned}/${p.places.maxUsers}`,
              severityCounts(p.flags),
            ]),
          )}\n${count(partners.length)} partenaire(s). Places : attribuées/accordées, « ! » = quota dépassé.\n${SUMMARY_LEGEND}`;
    return { json: { asOf: rows.asOf, partners }, text };
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
    const [usage, report, avenants] = await Promise.all([
      client.quotas.usage({ partnerId: id, asOf: detail.asOf }),
      client.audit.run({ partnerId: id, asOf: detail.asOf }),
      client.avenants.list(id, { asOf: detail.asOf }),
    ]);
    const { state, convention, terms } = detail;
    const lines = [
      `${detail.name} (${detail.id}) — ${detail.kind}, Caf ${detail.cafCode}${detail.siret ? `, SIRET ${detail.siret}` : ''}`,
      `Convention ${convention.number} : ${conventionStatusLabel(state.status, convention.termination)}, signée le ${frenchDate(convention.signedAt)}` +
        `${convention.effectiveAt ? `, effet le ${frenchDate(convention.effectiveAt)}` : ''}` +
        `${state.nextRenewalAt ? `, renouvellement tacite le ${frenchDate(state.nextRenewalAt)}` : ''}` +
        `${state.endsAt ? `, fin le ${frenchDate(state.endsAt)}` : ''}`,
      ...(convention.termination ? [describeTermination(convention.termination, state)] : []),
      `Mode de gestion des habilitations : ${MANAGEMENT_MODE_LABELS[terms.managementMode]}` +
        `${convention.delegationWithdrawnAt ? ` (délégation retirée le ${frenchDate(convention.delegationWithdrawnAt)})` : ''}`,
      `Dernière revue inverse : ${frenchDate(detail.lastReviewAt)}`,
    ];
    lines.push(...describeContractSupport(terms));
    if (terms.contacts.length > 0) {
      lines.push('Contacts :', ...terms.contacts.map((c) => `  ${c.side === 'caf' ? 'Caf' : 'partenaire'} · ${c.role}${c.order ? ` ${c.order}` : ''} : ${c.name} <${c.email}>`));
    }
    lines.push('', quotaTable(usage.quotas, false));
    lines.push('', `Alertes : ${severitySummaryText(report.summary)}`);
    lines.push('', avenants.length === 0 ? 'Aucun avenant.' : `Avenants :\n${avenants.map((a) => `  ${a.number}. ${a.title} — ${avenantStanding(a)}`).join('\n')}`);
    return { json: { ...detail, quotas: usage.quotas, flags: report.summary, avenants }, text: () => lines.join('\n') };
  },
};

function quotaTable(quotas: readonly QuotaUsage[], withPartner: boolean): string {
  if (quotas.length === 0) return 'Aucun quota en vigueur.';
  const colour = colourEnabled(process.stdout);
  return table(
    [
      ...(withPartner ? [{ header: 'Partenaire', grow: 2 }] : []),
      { header: 'Service' },
      // Across partners the partner id needs the room; for one partner the profile's name helps.
      withPartner ? { header: 'Profil' } : { header: 'Profil', grow: 1 },
      { header: 'Attribués', align: 'right' as const },
      { header: 'Actifs', align: 'right' as const },
      { header: 'Max', align: 'right' as const },
      { header: 'Dép.', grow: 1 },
      { header: 'État' },
    ],
    quotas.map((q) => [
      ...(withPartner ? [q.partnerId] : []),
      q.service,
      !withPartner && profileLabel(q.service, q.profile) ? `${q.profile} ${profileLabel(q.service, q.profile)}` : q.profile,
      String(q.assigned),
      String(q.active),
      String(q.maxUsers),
      q.departements?.join(' ') ?? 'tous',
      q.over ? paint(colour, 'red', `DÉPASSÉ +${q.assigned - q.maxUsers}`) : 'ok',
    ]),
  );
}

export const quotasCommand: Command = {
  name: 'quotas',
  summary: 'usage des quotas par service et profil (partenaires dont la convention est en vigueur)',
  usage: 'cafsup quotas [PARTENAIRE] [--over]',
  example: 'cafsup quotas amp --over --json',
  positionals: { min: 0, max: 1, names: 'PARTENAIRE' },
  options: { over: { type: 'boolean', description: 'seulement les quotas dépassés' } },
  async run(context, { positionals, options }) {
    const client = await context.client();
    const usage = await client.quotas.usage({
      ...asOfOf(context),
      ...(positionals[0] === undefined ? {} : { partnerId: positionals[0] }),
      ...(options.over === true ? { over: true } : {}),
    });
    return { json: usage, text: () => `${quotaTable(usage.quotas, positionals[0] === undefined)}\nÉvalué au ${frenchDate(usage.asOf)}.` };
  },
};

/** Every key field of the 14 rules (rules.md), so that a spreadsheet loses nothing of the JSON. */
const CSV_FIELDS = [
  'severity', 'rule', 'partnerId', 'habilitationId', 'userId', 'service', 'profile', 'departement', 'email',
  'assigned', 'maxUsers', 'excessUserIds', 'userIds', 'profiles', 'missionEndAt', 'lastSeenAt', 'days',
  'status', 'heldCount', 'lastReviewAt', 'dueAt', 'article', 'message',
] as const;

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : Array.isArray(value) ? value.join(' ') : String(value);
  return /[",\n;]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const auditCommand: Command = {
  name: 'audit',
  aliases: ['alertes'],
  summary: 'les alertes des 14 règles ; avec --fail-on, sort en 1 si une alerte atteint la gravité donnée',
  usage: 'cafsup audit [PARTENAIRE] [--severity S] [--rule R…] [--csv] [--fail-on S]',
  example: 'cafsup audit --severity high --fail-on critical --json',
  positionals: { min: 0, max: 1, names: 'PARTENAIRE' },
  options: {
    severity: { type: 'string', value: 'S', description: 'gravité minimale : critical, high, medium, low' },
    rule: { type: 'string', multiple: true, value: 'R', description: `une règle (${RULES.length} : QUOTA_EXCEEDED…), répétable` },
    csv: { type: 'boolean', description: 'sortie CSV' },
    'fail-on': { type: 'string', value: 'S', description: 'sort en 1 si une alerte est au moins de cette gravité' },
  },
  async run(context, { positionals, options }) {
    const client = await context.client();
    const rules = idsOf(options.rule);
    for (const rule of rules) if (!isRuleName(rule)) throw new UsageError(`Règle inconnue : « ${rule} » (voir « cafsup audit --help »).`);
    const minSeverity = severityOption(stringOption(options.severity), 'severity');
    const failOn = severityOption(stringOption(options['fail-on']), 'fail-on');
    const report: AuditReport = await client.audit.run({
      ...asOfOf(context),
      ...(positionals[0] === undefined ? {} : { partnerId: positionals[0] }),
      ...(minSeverity === undefined ? {} : { minSeverity }),
      ...(rules.length === 0 ? {} : { rules: rules as RuleName[] }),
    });
    const failed = failOn !== undefined && report.flags.some((flag) => atLeast(flag.severity, failOn));
    const text = () => {
      if (options.csv === true) {
        return [CSV_FIELDS.join(','), ...report.flags.map((flag) => CSV_FIELDS.map((field) => csvCell((flag as unknown as Record<string, unknown>)[field])).join(','))].join('\n');
      }
      if (report.flags.length === 0) return `Aucune alerte au ${frenchDate(report.asOf)}.`;
      // One flag per paragraph: the message is what the supervisor needs, so it is never cut.
      return [
        ...report.flags.map((flag) => `${severityText(flag.severity)} · ${flag.partnerId} · ${ruleDefinition(flag.rule).label} (${flag.rule})\n    ${flag.message}`),
        `${severitySummaryText(report.summary)} au ${frenchDate(report.asOf)}.`,
      ].join('\n');
    };
    return { json: report, text, ...(failed ? { exitCode: 1 } : {}) };
  },
};

export const usersCommand: Command = {
  name: 'users',
  aliases: ['utilisateurs'],
  summary: 'les utilisateurs d’un partenaire',
  usage: 'cafsup users PARTENAIRE [--status S] [--role R]',
  example: 'cafsup users amp --status suspended',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    status: { type: 'string', value: 'S', description: 'active, suspended ou disabled' },
    role: { type: 'string', value: 'R', description: 'administrator, deputy, habilitation_manager ou user' },
  },
  async run(context, { positionals, options }) {
    const client = await context.client();
    const partnerId = positionals[0]!;
    const users: User[] = [];
    const query = {
      partnerId,
      ...(stringOption(options.status) === undefined ? {} : { status: stringOption(options.status) as 'active' }),
      ...(stringOption(options.role) === undefined ? {} : { role: stringOption(options.role) as 'user' }),
    };
    for await (const user of client.users.iterate(query)) users.push(user);
    const text = () => `${table(
      [{ header: 'Id' }, { header: 'Nom', grow: 2 }, { header: 'Mél', grow: 2 }, { header: 'Rôle', grow: 1 }, { header: 'Statut' }, { header: 'Connexion' }],
      users.map((u) => [u.id, u.name, u.email, u.role, u.status, u.lastLoginAt === null ? 'jamais' : frenchDate(parisDay(u.lastLoginAt))]),
    )}\n${count(users.length)} utilisateur(s).`;
    return { json: { partnerId, users }, text };
  },
};

export const habilitationsCommand: Command = {
  name: 'habilitations',
  summary: 'les habilitations d’un partenaire',
  usage: 'cafsup habilitations PARTENAIRE [--service S] [--profile P] [--status S] [--user ID]',
  example: 'cafsup habilitations amp --profile T13 --status active',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    service: { type: 'string', value: 'S', description: 'code du service (CDAP…)' },
    profile: { type: 'string', value: 'P', description: 'code du profil (T13…)' },
    status: { type: 'string', value: 'S', description: 'active, suspended ou revoked' },
    user: { type: 'string', value: 'ID', description: 'celles d’un utilisateur, directes ou par ses groupes' },
  },
  async run(context, { positionals, options }) {
    const client = await context.client();
    const partnerId = positionals[0]!;
    const query = {
      partnerId,
      ...Object.fromEntries(
        (['service', 'profile', 'status'] as const).filter((key) => stringOption(options[key]) !== undefined).map((key) => [key, stringOption(options[key])]),
      ),
      ...(stringOption(options.user) === undefined ? {} : { userId: stringOption(options.user)! }),
    };
    const habilitations: Habilitation[] = [];
    for await (const habilitation of client.habilitations.iterate(query)) habilitations.push(habilitation);
    const text = () => `${table(
      [{ header: 'Id', grow: 1 }, { header: 'Titulaire', grow: 1 }, { header: 'Service' }, { header: 'Profil' }, { header: 'Dép.' }, { header: 'Statut' }, { header: 'Accordée' }],
      habilitations.map((h) => [
        h.id,
        h.userId ?? `groupe ${h.groupId}`,
        h.service,
        h.profile,
        h.departement ?? '—',
        h.status,
        frenchDate(parisDay(h.grantedAt)),
      ]),
    )}\n${count(habilitations.length)} habilitation(s).`;
    return { json: { partnerId, habilitations }, text };
  },
};

export const tracesCommand: Command = {
  name: 'traces',
  summary: 'la piste d’audit, la plus récente d’abord',
  usage: 'cafsup traces [--partner ID] [--user ID] [--since AAAA-MM-JJ] [--until AAAA-MM-JJ] [--limit N]',
  example: 'cafsup traces --partner amp --since 2026-11-01',
  options: {
    partner: { type: 'string', value: 'ID', description: 'd’un partenaire' },
    user: { type: 'string', value: 'ID', description: 'sur un utilisateur, ses habilitations (directes ou par ses groupes) et ses groupes' },
    since: { type: 'string', value: 'DATE', description: 'à partir de ce jour (Europe/Paris)' },
    until: { type: 'string', value: 'DATE', description: 'jusqu’à ce jour inclus' },
    limit: { type: 'string', value: 'N', description: 'nombre maximal de traces (défaut 100)' },
  },
  async run(context, { options }) {
    const client = await context.client();
    const limit = Number(stringOption(options.limit) ?? 100);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit attend un entier positif.');
    const query = {
      ...(stringOption(options.partner) === undefined ? {} : { partnerId: stringOption(options.partner)! }),
      ...(stringOption(options.user) === undefined ? {} : { userId: stringOption(options.user)! }),
      ...(stringOption(options.since) === undefined ? {} : { since: stringOption(options.since)! }),
      ...(stringOption(options.until) === undefined ? {} : { until: stringOption(options.until)! }),
    };
    const traces: Trace[] = [];
    for await (const trace of client.traces.iterate(query)) {
      traces.push(trace);
      if (traces.length >= limit) break;
    }
    const text = () =>
      traces.length === 0
        ? 'Aucune trace.'
        : table(
            [{ header: 'N°', align: 'right' }, { header: 'Date' }, { header: 'Qui', grow: 1 }, { header: 'Action', grow: 1 }, { header: 'Cible', grow: 1 }, { header: 'Motif', grow: 2 }],
            traces.map((t) => [String(t.id), frenchDateTime(t.at), t.actor.name, t.action, t.targetId ?? '—', t.reason]),
          );
    return { json: { traces }, text };
  },
};

export const avenantListCommand: Command = {
  name: 'avenant list',
  summary: 'les avenants d’un partenaire, projets compris',
  usage: 'cafsup avenant list PARTENAIRE',
  example: 'cafsup avenant list amp',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  async run(context, { positionals }) {
    const client = await context.client();
    const avenants = await client.avenants.list(positionals[0]!, asOfOf(context));
    const text = () =>
      avenants.length === 0
        ? 'Aucun avenant.'
        : avenants
            .map((a) =>
              [
                `${a.number}. ${a.title} — ${avenantStanding(a)}`,
                `   signé par la Caf le ${frenchDate(a.signedByCafAt)}, par le partenaire le ${frenchDate(a.signedByPartnerAt)}${a.effectiveFrom ? `, effet le ${frenchDate(a.effectiveFrom)}` : ''}`,
                ...a.changes.map((change) => `   · ${describeAvenantChange(change)}`),
              ].join('\n'),
            )
            .join('\n');
    return { json: { partnerId: positionals[0], avenants }, text };
  },
};

export const reviewListCommand: Command = {
  name: 'review list',
  summary: 'les revues inverses d’habilitations d’un partenaire',
  usage: 'cafsup review list PARTENAIRE',
  example: 'cafsup review list amp',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  async run(context, { positionals }) {
    const client = await context.client();
    const reviews = await client.reviews.list(positionals[0]!);
    const text = () =>
      reviews.length === 0
        ? 'Aucune revue enregistrée.'
        : table(
            [{ header: 'Date' }, { header: 'Par', grow: 1 }, { header: 'Preuve', grow: 2 }],
            reviews.map((r) => [frenchDate(r.completedAt), r.reviewer, r.proof ?? '—']),
          );
    return { json: { partnerId: positionals[0], reviews }, text };
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
    const [summary, report, usage] = await Promise.all([client.dataset.summary(), client.audit.run(asOfOf(context)), client.quotas.usage({ ...asOfOf(context), over: true })]);
    const over = mostOverQuota(usage.quotas).slice(0, 5);
    const lines = [
      `cafsup — Caf ${summary.cafCodes.join(', ') || '—'} — ${context.source()}`,
      `${count(summary.partners)} partenaire(s), ${count(summary.users)} utilisateur(s), ${count(summary.habilitationsHeld)} habilitation(s) détenue(s)`,
      `Alertes au ${frenchDate(report.asOf)} : ${severitySummaryText(report.summary)}`,
      '',
      over.length === 0 ? 'Aucun quota dépassé.' : `Quotas les plus dépassés :\n${quotaTable(over, true)}`,
    ];
    return { json: { asOf: report.asOf, source: context.source(), ...summary, flags: report.summary, overQuotas: over }, text: () => lines.join('\n') };
  },
};
