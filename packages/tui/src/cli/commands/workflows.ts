import { readFile } from 'node:fs/promises';
import {
  digitsOf,
  CafsupError,
  CASE_KIND_LABELS,
  REQUEST_KIND_LABELS,
  REQUEST_KINDS,
  REQUEST_STATUS_LABELS,
  USER_ROLE_LABELS,
  escapeForTerminal,
  isRuleName,
  countOf,
  REVIEW_KIT_COLUMNS,
  reviewKitCsv,
  reviewKitMarkdown,
  type RequestDraft,
  type RequestKind,
  type RequestRecord,
  type QuestionRecord,
  type RequestStatus,
  type ReviewDue,
  type RuleName,
  type ActionResult,
  inUserTerms,
} from '@cafsup/shared';
import type { CafsupClient, ReviewSheetOutcome } from '@cafsup/sdk';
import { ACTION_OPTIONS, idsOf, nothingToChange, parseJsonInput, stringOption, type Command, type CommandInput, type CommandResult } from '../command.js';
import { UsageError, type Context } from '../context.js';
import { describeActionResult, frenchDate, unreadableReason } from '../../format.js';
import { checkOutputFile, writeFileAtomically } from '../files.js';
import { listTable, type RowSpec } from '../output.js';
import { readReturnedSheetFile, sheetRecordFields, sheetRevocationReason } from '../../returned-sheet.js';
import { followRequestForm, requestFormFrom, requestFormQuestions } from '../../request-form.js';
import { CONVENTION_FIELDS, GROUP_FIELDS, PARTNER_FIELDS, USER_FIELDS, changeLines, type RecordField } from '../../record-forms.js';
import { askQuestions } from '../ask.js';
import {
  describeChanges,
  describeCloseOut,
  describeNextStep,
  describeNotice,
  describeRemedy,
  describeRequest,
  type AppliedChanges,
} from '../../workflow-words.js';

// The supervision workflows of workflows.md ("Commands"): each write shows its dry run, asks
// « o/n » (or needs --yes), then acts; every step is traced by the SDK.

const dryRunOption = ACTION_OPTIONS['dry-run']!;

function required(options: CommandInput['options'], name: string, usage: string): string {
  const value = stringOption(options[name]);
  if (value === undefined) throw new UsageError(`Il manque --${name}. Usage : ${usage}`);
  return value;
}

function numberOf(text: string, what: string): number {
  const number = digitsOf(text);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`Numéro de ${what} invalide : « ${text} ».`);
  return number;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Dry run, its description, « o/n », then the write: the shape of every workflow step. */
async function twoStep<T>(
  context: Context,
  options: CommandInput['options'],
  run: (client: CafsupClient, settings: { dryRun: boolean; reason?: string }) => Promise<T>,
  /** `reason`: the one the step was given, for a preview that quotes it. */
  describe: (result: T, dryRun: boolean, reason: string | undefined) => string,
  question: string,
  reason: 'asked' | 'defaulted' = 'asked',
  nothingToDo: (preview: T) => boolean = () => false,
): Promise<CommandResult> {
  const given = stringOption(options.reason);
  const finalReason = await context.reasonRule(given, options['dry-run'] === true, reason === 'defaulted');
  const client = await context.client({ write: true });
  const preview = await run(client, { dryRun: true, ...(given === undefined ? {} : { reason: given }) });
  if (options['dry-run'] === true) return { json: preview, text: () => `${describe(preview, true, given)}\n(simulation : rien n’a été modifié)` };
  if (nothingToDo(preview)) return { json: nothingToChange(preview as object), text: () => describe(preview, false, given) };
  context.note(describe(preview, true, given));
  const final = await finalReason();
  await context.approve(question);
  const done = await run(client, { dryRun: false, ...(final === undefined ? {} : { reason: final }) });
  return { json: done, text: () => describe(done, false, final) };
}

async function readJson(file: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = file === '-' ? new Uint8Array(await new Response(process.stdin as unknown as ReadableStream).arrayBuffer()) : await readFile(file);
  } catch (error) {
    throw new CafsupError('VALIDATION', `${file === '-' ? 'Entrée standard' : file} : ${unreadableReason(error)}.`);
  }
  return parseJsonInput(bytes, file === '-' ? 'l’entrée standard' : file);
}

/** The form's fields asked one by one, with the paper form's French labels (the interface's questions). */
async function promptForm(kind: RequestKind): Promise<unknown> {
  return requestFormFrom(kind, await askQuestions(requestFormQuestions(kind), followRequestForm));
}

export const requestAddCommand: Command = {
  name: 'request add',
  aliases: ['demande add'],
  summary: 'enregistre un formulaire reçu : désignation, demande d’habilitation, suppression d’accès',
  usage:
    'cafsup request add PARTENAIRE --kind designation|habilitation|deletion [--file FORMULAIRE.json | --file - | --form JSON] [--received AAAA-MM-JJ] [--signatory NOM]',
  example:
    'cafsup request add bavans --kind habilitation --form \'{"name": "Paule Valade", "email": "paule.valade@bavans.fr", "departement": "25", "profile": "T4", "temporary": true, "endsAt": "2027-03-31"}\' --signatory "Le maire" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    kind: { type: 'string', value: 'TYPE', description: 'designation, habilitation ou deletion' },
    file: {
      type: 'string',
      file: true,
      description: 'les champs du formulaire en JSON (- : l’entrée standard) ; sans lui ni --form, sur un terminal, ils sont demandés',
    },
    form: { type: 'string', value: 'JSON', description: 'ou les champs du formulaire en JSON sur la ligne de commande' },
    received: { type: 'string', value: 'DATE', description: 'date de réception (défaut : aujourd’hui)', date: true },
    signatory: { type: 'string', value: 'NOM', description: 'signataire pour le partenaire' },
    reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : la réception du formulaire)' },
    'dry-run': dryRunOption,
  },
  async run(context, { positionals, options }) {
    const kind = required(options, 'kind', requestAddCommand.usage);
    if (!(REQUEST_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind attend ${REQUEST_KINDS.join(', ')} (reçu « ${kind} »).`);
    const file = stringOption(options.file);
    const inline = stringOption(options.form);
    let form: unknown;
    if (file !== undefined && inline !== undefined) throw new UsageError('Donnez soit --file, soit --form.');
    if (file !== undefined) form = await readJson(file);
    else if (inline !== undefined) form = await parseJsonInput(inline, '--form');
    else if (context.interactive) form = await promptForm(kind as RequestKind);
    else throw new UsageError('Sans terminal, donnez le formulaire avec --file FORMULAIRE.json (--file - : l’entrée standard) ou --form JSON.');
    const draft = {
      kind,
      form,
      ...optional('receivedAt', stringOption(options.received)),
      ...optional('signatory', stringOption(options.signatory)),
    } as RequestDraft;
    const partnerId = positionals[0]!;
    return twoStep(
      context,
      options,
      // Its fields named as the form names them (`form.email`), not the call's `request.form.email`.
      (client, settings) => inUserTerms(client.requests.add(partnerId, { ...draft, ...settings }), 'request'),
      (result, dryRun) =>
        dryRun
          ? describeRequest(result.request).join('\n')
          : `Demande n° ${result.request.number} enregistrée (trace n° ${result.traceId}). Pour l’appliquer : cafsup request apply ${partnerId} ${result.request.number} --reason « … »`,
      'Enregistrer ce formulaire ?',
      'defaulted',
    );
  },
};

const REQUEST_ROWS: RowSpec<RequestRecord> = {
  key: 'requests',
  sheet: 'Formulaires',
  id: (request) => String(request.number),
  columns: [
    { field: 'number', header: 'N°', cell: (request) => request.number, table: { align: 'right' } },
    { field: 'kind', header: 'Formulaire', cell: (request) => REQUEST_KIND_LABELS[request.kind], table: { grow: 2 } },
    { field: 'receivedAt', header: 'Reçue', cell: (request) => ({ date: request.receivedAt }) },
    { field: 'status', header: 'Statut', cell: (request) => REQUEST_STATUS_LABELS[request.status] },
    { field: 'decisionReason', header: 'Motif', cell: (request) => request.decisionReason, table: { grow: 2 } },
  ],
};

export const requestListCommand: Command = {
  name: 'request list',
  aliases: ['demande list'],
  summary: 'le registre des formulaires d’un partenaire',
  usage: 'cafsup request list PARTENAIRE [--status reçue|appliquée|refusée]',
  example: 'cafsup request list bavans --status reçue',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: { status: { type: 'string', value: 'STATUT', description: 'où en est le formulaire', choices: REQUEST_STATUS_LABELS } },
  rows: REQUEST_ROWS,
  async run(context, { positionals, options }) {
    // A French word is its code already (normaliseOptions).
    const status = stringOption(options.status);
    const client = await context.client();
    const requests = await client.requests.list(positionals[0]!, optional('status', status as RequestStatus | undefined));
    return { json: { requests }, text: () => (requests.length === 0 ? 'Aucune demande.' : listTable(REQUEST_ROWS, requests)), rows: requests };
  },
};

export const requestShowCommand: Command = {
  name: 'request show',
  aliases: ['demande show'],
  summary: 'un formulaire du registre et les traces de ce qu’il a changé',
  usage: 'cafsup request show PARTENAIRE N',
  example: 'cafsup request show bavans 1',
  positionals: { min: 2, max: 2, names: 'PARTENAIRE N' },
  async run(context, { positionals }) {
    const client = await context.client();
    const request = await client.requests.get(positionals[0]!, numberOf(positionals[1]!, 'demande'));
    return { json: request, text: () => describeRequest(request).join('\n') };
  },
};

export const requestApplyCommand: Command = {
  name: 'request apply',
  aliases: ['demande apply'],
  summary: 'applique un formulaire (simulation d’abord) ; refusé avec la règle et l’article qu’il enfreindrait',
  usage: 'cafsup request apply PARTENAIRE N --reason MOTIF [--dry-run] [--yes]',
  example: 'cafsup request apply bavans 1 --reason "Demande signée du maire" --yes',
  positionals: { min: 2, max: 2, names: 'PARTENAIRE N' },
  options: ACTION_OPTIONS,
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const number = numberOf(positionals[1]!, 'demande');
    return twoStep(
      context,
      options,
      (client, settings) => client.requests.apply(partnerId, number, settings),
      (result, dryRun) =>
        [
          `${dryRun ? 'Appliquerait' : 'Appliqué'} :`,
          ...describeChanges(result.changes as AppliedChanges),
          ...(dryRun ? [] : describeRequest(result.request)),
        ].join('\n'),
      `Appliquer la demande n° ${number} ?`,
    );
  },
};

export const requestRefuseCommand: Command = {
  name: 'request refuse',
  aliases: ['demande refuse'],
  summary: 'refuse un formulaire, motif à l’appui',
  usage: 'cafsup request refuse PARTENAIRE N --reason MOTIF [--dry-run] [--yes]',
  example: 'cafsup request refuse bavans 1 --reason "Quota T4 atteint (règle 1)" --dry-run',
  positionals: { min: 2, max: 2, names: 'PARTENAIRE N' },
  options: ACTION_OPTIONS,
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const number = numberOf(positionals[1]!, 'demande');
    return twoStep(
      context,
      options,
      (client, settings) => client.requests.refuse(partnerId, number, settings),
      (result, dryRun, given) =>
        dryRun
          ? `Refuserait la demande n° ${number}${given === undefined ? '' : ` : ${escapeForTerminal(given)}`}.`
          : `Demande n° ${number} refusée (trace n° ${result.traceId}).`,
      `Refuser la demande n° ${number} ?`,
    );
  },
};

export const userAddCommand: Command = {
  name: 'user add',
  aliases: ['utilisateur add'],
  summary: 'crée un utilisateur d’un partenaire (enregistrement direct par la Caf)',
  usage: 'cafsup user add PARTENAIRE --name NOM --email MÉL [--function F] [--role R] [--departement D] [--mission-end DATE] --reason MOTIF',
  example: 'cafsup user add bavans --name "Lucie Perrin" --email lucie.perrin@bavans.fr --reason "Agent recruté" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    id: { type: 'string', value: 'ID', description: 'identifiant (défaut : le suivant du partenaire)' },
    name: { type: 'string', value: 'NOM', description: 'prénom et nom' },
    email: { type: 'string', value: 'MÉL', description: 'adresse mél personnelle et individuelle' },
    function: { type: 'string', value: 'FONCTION', description: 'fonction' },
    role: { type: 'string', value: 'RÔLE', description: 'rôle (défaut : utilisateur)', choices: USER_ROLE_LABELS },
    departement: { type: 'string', value: 'DÉP', description: 'département' },
    'mission-end': { type: 'string', value: 'DATE', description: 'fin d’une mission temporaire', date: true },
    ...ACTION_OPTIONS,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const draft = {
      name: required(options, 'name', userAddCommand.usage),
      email: required(options, 'email', userAddCommand.usage),
      ...optional('id', stringOption(options.id)),
      ...optional('function', stringOption(options.function)),
      ...optional('role', stringOption(options.role) as never),
      ...optional('departement', stringOption(options.departement)),
      ...optional('missionEndAt', stringOption(options['mission-end'])),
    };
    return twoStep(
      context,
      options,
      (client, settings) => inUserTerms(client.users.create(partnerId, { ...draft, ...settings }), 'user'),
      (result, dryRun) =>
        `${dryRun ? 'Créerait' : 'Créé'} : ${result.user.id} ${escapeForTerminal(result.user.name)} <${escapeForTerminal(result.user.email)}>${result.traceId === null ? '' : ` (trace n° ${result.traceId})`}`,
      'Créer cet utilisateur ?',
    );
  },
};

export const groupAddCommand: Command = {
  name: 'group add',
  aliases: ['groupe add'],
  summary: 'crée un groupe (mode centralisé ou délégation retirée)',
  usage: 'cafsup group add PARTENAIRE --name NOM [--member ID…] --reason MOTIF',
  example: 'cafsup group add bavans --name Accueil --member bavans-u002 --reason "Groupe de l’accueil" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    id: { type: 'string', value: 'ID', description: 'identifiant (défaut : le suivant du partenaire)' },
    name: { type: 'string', value: 'NOM', description: 'nom du groupe' },
    member: { type: 'string', multiple: true, value: 'ID', description: 'membre(s), répétable ou séparés par des virgules' },
    ...ACTION_OPTIONS,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const draft = {
      name: required(options, 'name', groupAddCommand.usage),
      memberIds: idsOf(options.member),
      ...optional('id', stringOption(options.id)),
    };
    return twoStep(
      context,
      options,
      (client, settings) => inUserTerms(client.groups.create(partnerId, { ...draft, ...settings }), 'group'),
      (result, dryRun) =>
        `${dryRun ? 'Créerait' : 'Créé'} : groupe ${result.group.id} ${escapeForTerminal(result.group.name)} (${countOf(result.group.memberIds.length, 'membre')})${result.traceId === null ? '' : ` (trace n° ${result.traceId})`}`,
      'Créer ce groupe ?',
    );
  },
};

export const habilitationAddCommand: Command = {
  name: 'habilitation add',
  summary: 'accorde une habilitation (mode centralisé, convention art. 9.1) ; refusée avec la règle et l’article qu’elle enfreindrait',
  usage: 'cafsup habilitation add PARTENAIRE (--user ID | --group ID) --profile P [--service S] [--departement D] [--ends DATE] --reason MOTIF',
  example: 'cafsup habilitation add bavans --user bavans-u005 --profile T1 --reason "Accueil social" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    user: { type: 'string', value: 'ID', description: 'l’utilisateur' },
    group: { type: 'string', value: 'ID', description: 'ou le groupe' },
    service: { type: 'string', value: 'SERVICE', description: 'service (défaut CDAP)' },
    profile: { type: 'string', value: 'PROFIL', description: 'profil' },
    departement: { type: 'string', value: 'DÉP', description: 'département' },
    ends: { type: 'string', value: 'DATE', description: 'dernier jour d’une mission temporaire', date: true },
    ...ACTION_OPTIONS,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const draft = {
      profile: required(options, 'profile', habilitationAddCommand.usage),
      ...optional('userId', stringOption(options.user)),
      ...optional('groupId', stringOption(options.group)),
      ...optional('service', stringOption(options.service)),
      ...optional('departement', stringOption(options.departement)),
      ...optional('endsAt', stringOption(options.ends)),
    };
    return twoStep(
      context,
      options,
      (client, settings) => inUserTerms(client.habilitations.create(partnerId, { ...draft, ...settings }), 'habilitation'),
      (result, dryRun) =>
        `${dryRun ? 'Accorderait' : 'Accordée'} : ${result.habilitation.id} ${result.habilitation.service} ${result.habilitation.profile} à ${result.habilitation.userId ?? `groupe ${result.habilitation.groupId}`}${result.traceId === null ? '' : ` (trace n° ${result.traceId})`}`,
      'Accorder cette habilitation ?',
    );
  },
};

/** A JSON object from --file, with the flags given on the command line over it. */
async function fileAndFlags(options: CommandInput['options'], flags: Record<string, string>): Promise<Record<string, unknown>> {
  const file = stringOption(options.file);
  const inline = stringOption(options.fields);
  if (file !== undefined && inline !== undefined) throw new UsageError('Donnez soit --file, soit --fields.');
  const base = file !== undefined ? await readJson(file) : inline !== undefined ? await parseJsonInput(inline, '--fields') : {};
  if (typeof base !== 'object' || base === null || Array.isArray(base))
    throw new CafsupError('VALIDATION', `${file ?? '--fields'} : un objet JSON est attendu.`);
  const fromFlags = Object.fromEntries(
    Object.entries(flags).flatMap(([option, field]) => (stringOption(options[option]) === undefined ? [] : [[field, stringOption(options[option])]])),
  );
  return { ...(base as Record<string, unknown>), ...fromFlags };
}

const FILE_OPTION = { type: 'string' as const, file: true, description: 'les champs en JSON (- : l’entrée standard)' };
const FIELDS_OPTION = { type: 'string' as const, value: 'JSON', description: 'ou les champs en JSON sur la ligne de commande' };

/** What an edit changes, field by field (rules.md: a dry run says exactly what would change); or that it changes nothing. */
function describeEdit(what: string, fields: readonly RecordField[]) {
  return (result: EditResult, dryRun: boolean) => {
    const lines = changeLines(fields, result.changes);
    if (lines.length === 0) return `Rien à modifier : ${escapeForTerminal(what)} est déjà ainsi.`;
    const done = `${dryRun ? 'Modifierait' : 'Modifié'} : ${escapeForTerminal(what)}${result.traceId === null ? '' : ` (trace n° ${result.traceId})`}`;
    return [done, ...lines.map((line) => `  ${escapeForTerminal(line)}`)].join('\n');
  };
}

interface EditResult {
  changes: { before: Record<string, unknown>; after: Record<string, unknown> };
  traceId: number | null;
}

/** An edit whose dry run changes nothing is not asked about nor run. */
const changesNothing = (result: EditResult) => Object.keys(result.changes.after).length === 0;

export const partnerAddCommand: Command = {
  name: 'partner add',
  aliases: ['partenaire add'],
  summary: 'enregistre un nouveau partenaire et sa convention signée',
  usage: 'cafsup partner add (--file PARTENAIRE.json | --fields JSON) --reason MOTIF (JSON : { "partner": {…}, "convention": {…} }, champs de dataset.md)',
  example:
    'cafsup partner add --fields \'{"partner": {"id": "mairie-exemple", "name": "Mairie d’Exemple", "kind": "commune", "cafCode": "25", "departements": ["25"]}, "convention": {"partnerId": "mairie-exemple", "number": "GC 200", "signedAt": "2026-01-15", "managementMode": "centralised", "subscriptions": [{"service": "CDAP", "quotas": [{"profile": "T1", "maxUsers": 2}]}]}}\' --reason "Convention signée le 15/01/2026" --yes',
  options: { file: FILE_OPTION, fields: FIELDS_OPTION, ...ACTION_OPTIONS },
  async run(context, { options }) {
    if (stringOption(options.file) === undefined && stringOption(options.fields) === undefined)
      throw new UsageError(`Il manque --file ou --fields. Usage : ${partnerAddCommand.usage}`);
    const draft = await fileAndFlags(options, {});
    return twoStep(
      context,
      options,
      (client, settings) => client.partners.create({ ...draft, ...settings } as never),
      (result, dryRun) =>
        `${dryRun ? 'Enregistrerait' : 'Enregistré'} : ${result.partner.id} ${escapeForTerminal(result.partner.name)}, convention ${escapeForTerminal(result.convention.number)}${result.traceId === null ? '' : ` (trace n° ${result.traceId})`}`,
      'Enregistrer ce partenaire ?',
    );
  },
};

export const partnerEditCommand: Command = {
  name: 'partner edit',
  aliases: ['partenaire edit'],
  summary: 'corrige les informations d’un partenaire',
  usage: 'cafsup partner edit PARTENAIRE [--file CHAMPS.json] [--name NOM] [--kind TYPE] [--siret N] [--address ADRESSE] --reason MOTIF',
  example: 'cafsup partner edit bavans --address "1 rue des Fleurs, 25550 Bavans" --reason "Adresse corrigée" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    file: FILE_OPTION,
    fields: FIELDS_OPTION,
    name: { type: 'string', value: 'NOM', description: 'raison sociale' },
    kind: { type: 'string', value: 'TYPE', description: 'type d’organisme (commune, ccas, epci…)' },
    siret: { type: 'string', value: 'N', description: 'SIRET' },
    address: { type: 'string', value: 'ADRESSE', description: 'adresse' },
    ...ACTION_OPTIONS,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const changes = await fileAndFlags(options, { name: 'name', kind: 'kind', siret: 'siret', address: 'address' });
    return twoStep(
      context,
      options,
      (client, settings) => inUserTerms(client.partners.edit(partnerId, { ...changes, ...settings }), 'changes'),
      describeEdit(partnerId, PARTNER_FIELDS),
      `Modifier ${partnerId} ?`,
      'asked',
      changesNothing,
    );
  },
};

export const conventionEditCommand: Command = {
  name: 'convention edit',
  summary: 'corrige la convention telle que signée : numéro, dates, mode, souscriptions, contacts (les changements ultérieurs sont des avenants)',
  usage: 'cafsup convention edit PARTENAIRE [--file CHAMPS.json] [--number N] [--signed DATE] [--effective DATE] --reason MOTIF',
  example: 'cafsup convention edit bavans --signed 2017-07-20 --reason "Date de signature corrigée" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    file: FILE_OPTION,
    fields: FIELDS_OPTION,
    number: { type: 'string', value: 'N', description: 'numéro de convention' },
    signed: { type: 'string', value: 'DATE', description: 'date de signature', date: true },
    effective: { type: 'string', value: 'DATE', description: 'date de prise d’effet', date: true },
    ...ACTION_OPTIONS,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const changes = await fileAndFlags(options, { number: 'number', signed: 'signedAt', effective: 'effectiveAt' });
    return twoStep(
      context,
      options,
      (client, settings) => inUserTerms(client.conventions.edit(partnerId, { ...changes, ...settings }), 'changes'),
      describeEdit(`la convention de ${partnerId}`, CONVENTION_FIELDS),
      `Modifier la convention de ${partnerId} ?`,
      'asked',
      changesNothing,
    );
  },
};

export const userEditCommand: Command = {
  name: 'user edit',
  aliases: ['utilisateur edit'],
  summary: 'corrige un utilisateur (nom, mél, fonction, rôle, département, fin de mission)',
  usage: 'cafsup user edit UTILISATEUR [--name NOM] [--email MÉL] [--function F] [--role R] [--departement D] [--mission-end DATE] --reason MOTIF',
  example: 'cafsup user edit bavans-u002 --email prenom.nom@bavans.fr --reason "Adresse personnelle transmise" --yes',
  positionals: { min: 1, max: 1, names: 'UTILISATEUR' },
  options: {
    file: FILE_OPTION,
    fields: FIELDS_OPTION,
    name: { type: 'string', value: 'NOM', description: 'prénom et nom' },
    email: { type: 'string', value: 'MÉL', description: 'adresse mél personnelle et individuelle' },
    function: { type: 'string', value: 'FONCTION', description: 'fonction' },
    role: { type: 'string', value: 'RÔLE', description: 'rôle', choices: USER_ROLE_LABELS },
    departement: { type: 'string', value: 'DÉP', description: 'département' },
    'mission-end': { type: 'string', value: 'DATE', description: 'fin d’une mission temporaire', date: true },
    ...ACTION_OPTIONS,
  },
  async run(context, { positionals, options }) {
    const userId = positionals[0]!;
    const changes = await fileAndFlags(options, {
      name: 'name',
      email: 'email',
      function: 'function',
      role: 'role',
      departement: 'departement',
      'mission-end': 'missionEndAt',
    });
    return twoStep(
      context,
      options,
      (client, settings) => inUserTerms(client.users.edit(userId, { ...changes, ...settings }), 'changes'),
      describeEdit(userId, USER_FIELDS),
      `Modifier ${userId} ?`,
      'asked',
      changesNothing,
    );
  },
};

export const groupEditCommand: Command = {
  name: 'group edit',
  aliases: ['groupe edit'],
  summary: 'corrige un groupe : son nom, ses membres (mode centralisé)',
  usage: 'cafsup group edit GROUPE [--name NOM] [--member ID…] --reason MOTIF',
  example: 'cafsup group edit bavans-g01 --member bavans-u002,bavans-u004 --reason "Arrivée à l’accueil" --yes',
  positionals: { min: 1, max: 1, names: 'GROUPE' },
  options: {
    name: { type: 'string', value: 'NOM', description: 'nom du groupe' },
    member: { type: 'string', multiple: true, value: 'ID', description: 'les membres, à la place des actuels' },
    ...ACTION_OPTIONS,
  },
  async run(context, { positionals, options }) {
    const groupId = positionals[0]!;
    const members = idsOf(options.member);
    const changes = {
      ...optional('name', stringOption(options.name)),
      ...(members.length === 0 ? {} : { memberIds: members }),
    };
    return twoStep(
      context,
      options,
      (client, settings) => inUserTerms(client.groups.edit(groupId, { ...changes, ...settings }), 'changes'),
      describeEdit(groupId, GROUP_FIELDS),
      `Modifier ${groupId} ?`,
      'asked',
      changesNothing,
    );
  },
};

const person = (contact: { name: string; email: string }) => `${contact.name} <${contact.email}>`;

const REVIEW_DUE_ROWS: RowSpec<ReviewDue> = {
  key: 'reviews',
  sheet: 'Revues dues',
  id: (review) => review.partnerId,
  columns: [
    { field: 'partnerId', header: 'Partenaire', cell: (review) => review.partnerId, table: { grow: 2 } },
    { field: 'lastReviewAt', header: 'Dernière revue', cell: (review) => (review.lastReviewAt === null ? null : { date: review.lastReviewAt }), only: 'data' },
    { field: 'dueAt', header: 'Due le', cell: (review) => ({ date: review.dueAt }) },
    {
      field: 'overdue',
      header: 'État',
      cell: (review) =>
        review.overdue ? `retard ${countOf(-review.daysLeft, 'jour')}` : review.daysLeft === 0 ? 'aujourd’hui' : `dans ${countOf(review.daysLeft, 'jour')}`,
    },
    {
      field: 'administrator',
      header: 'Administrateur, suppléant',
      cell: (review) =>
        [review.administrator, review.deputy]
          .filter((contact) => contact !== null)
          .map(person)
          .join(', ') || null,
      table: { grow: 3 },
    },
  ],
};

export const reviewDueCommand: Command = {
  name: 'review due',
  aliases: ['revue due'],
  summary: 'la campagne de revue inverse : revues dues et en retard ; code de sortie 1 si l’une est en retard (cron)',
  usage: 'cafsup review due [--within N] [--caf C]',
  example: 'cafsup review due --within 30 --caf 25',
  options: {
    within: { type: 'string', value: 'N', description: 'fenêtre en jours (défaut 30)' },
    caf: { type: 'string', value: 'CODE', description: 'une seule Caf' },
  },
  rows: REVIEW_DUE_ROWS,
  async run(context, { options }) {
    const withinText = stringOption(options.within);
    const within = withinText === undefined ? 30 : digitsOf(withinText);
    if (!Number.isInteger(within) || within < 0) throw new UsageError(`--within attend un nombre de jours (reçu « ${withinText} »).`);
    const client = await context.client();
    const campaign = await client.reviews.campaign({ within, ...optional('asOf', context.options.asOf), ...optional('cafCode', stringOption(options.caf)) });
    return {
      json: campaign,
      rows: campaign.reviews,
      exitCode: campaign.overdue > 0 ? 1 : 0,
      text: () =>
        [
          `${countOf(campaign.reviews.length, 'revue due', 'revues dues')} d’ici ${countOf(campaign.within, 'jour')} au ${frenchDate(campaign.asOf)}, dont ${countOf(campaign.overdue, 'en retard', 'en retard')} (contrat de services, art. 2.2.2).`,
          ...(campaign.reviews.length === 0 ? [] : [listTable(REVIEW_DUE_ROWS, campaign.reviews)]),
        ].join('\n'),
    };
  },
};

export const reviewKitCommand: Command = {
  name: 'review kit',
  aliases: ['revue kit'],
  summary: 'la feuille de revue pré-remplie : chaque habilitation détenue, « à conserver (oui/non) » et « motif » à remplir',
  usage: 'cafsup review kit PARTENAIRE [--csv FICHIER | --xlsx FICHIER | --md] [--force]',
  example: 'cafsup review kit amp --csv revue-amp.csv',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    csv: { type: 'string', file: true, description: 'CSV pour Excel et LibreOffice en français (; BOM UTF-8, CRLF)' },
    xlsx: { type: 'string', file: true, description: 'classeur XLSX (à renvoyer tel quel pour « review add --proof-file »)' },
    md: { type: 'boolean', description: 'Markdown, pour un courriel' },
    force: { type: 'boolean', description: 'remplace un fichier existant sans demander' },
  },
  async run(context, { positionals, options }) {
    const csvFile = stringOption(options.csv);
    const xlsxFile = stringOption(options.xlsx);
    if (csvFile !== undefined && xlsxFile !== undefined) throw new UsageError('Donnez soit --csv, soit --xlsx.');
    const file = csvFile ?? xlsxFile;
    if (file !== undefined) await checkOutputFile(context, file, options.force === true);
    const client = await context.client();
    const kit = await client.reviews.kit(positionals[0]!, optional('asOf', context.options.asOf));
    if (file === undefined)
      return {
        json: kit,
        text: () =>
          options.md === true
            ? reviewKitMarkdown(kit)
            : reviewKitCsv(kit)
                .replace(/^\ufeff/, '')
                .replaceAll('\r\n', '\n'),
      };
    if (xlsxFile !== undefined) {
      const { workbook } = await import('../xlsx.js');
      await writeFileAtomically(xlsxFile, [
        await workbook([
          {
            name: 'Revue inverse',
            rows: [REVIEW_KIT_COLUMNS.map((column) => column.header), ...kit.rows.map((row) => REVIEW_KIT_COLUMNS.map((column) => column.cell(row)))],
          },
        ]),
      ]);
    } else await writeFileAtomically(file, [reviewKitCsv(kit)]);
    return {
      json: { ...kit, out: file },
      text: () =>
        `Feuille de revue écrite : ${escapeForTerminal(file)} (${countOf(kit.rows.length, 'habilitation')}). Retour : cafsup review add ${kit.partnerId} --date AAAA-MM-JJ --reviewer NOM --proof-file ${escapeForTerminal(file)}`,
    };
  },
};

export const reviewAddCommand: Command = {
  name: 'review add',
  aliases: ['revue add'],
  summary: 'enregistre une revue inverse (contrat art. 2.2.2) ; avec la feuille retournée, propose les dévalidations qu’elle demande',
  usage: 'cafsup review add PARTENAIRE --date AAAA-MM-JJ --reviewer NOM [--proof-file FICHIER | --proof TEXTE] [--dry-run] [--yes]',
  example: 'cafsup review add amp --date 2026-06-30 --reviewer "Responsable FSL" --proof-file revue-amp.csv --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    date: { type: 'string', value: 'DATE', description: 'date de la revue', date: true },
    reviewer: { type: 'string', value: 'NOM', description: 'qui l’a faite' },
    proof: { type: 'string', value: 'TEXTE', description: 'la preuve transmise' },
    'proof-file': {
      type: 'string',
      file: true,
      description: 'la feuille de revue retournée (CSV ou XLSX) : son SHA-256 est gardé, ses « non » proposés en dévalidation',
    },
    reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : la revue elle-même)' },
    'dry-run': dryRunOption,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const completedAt = required(options, 'date', reviewAddCommand.usage);
    const reviewer = required(options, 'reviewer', reviewAddCommand.usage);
    const proofFile = stringOption(options['proof-file']);
    if (proofFile === undefined) {
      const review = { completedAt, reviewer, ...optional('proof', stringOption(options.proof)) };
      return twoStep(
        context,
        options,
        (client, settings) => client.reviews.record(partnerId, { ...review, ...settings }),
        (result, dryRun) =>
          dryRun
            ? `Revue du ${frenchDate(completedAt)} par ${escapeForTerminal(reviewer)} pour ${partnerId}.`
            : `Revue enregistrée (trace n° ${result.traceId}).`,
        'Enregistrer cette revue ?',
        'defaulted',
      );
    }
    if (stringOption(options.proof) !== undefined) throw new UsageError('Donnez soit --proof, soit --proof-file.');
    const returned = await readReturnedSheetFile(proofFile);
    const fields = sheetRecordFields(returned);
    const revokeReason = sheetRevocationReason(completedAt);
    // The « non » rows as the bulk revocation they propose, listed as `revoke --dry-run` lists
    // habilitations, with the partner's motive for each (workflows.md, section 2).
    const proposal = (revocations: ReviewSheetOutcome['revocations'], revoke: ActionResult<Record<string, unknown>>): string =>
      [
        `${countOf(revoke.changed.length, 'habilitation à dévalider', 'habilitations à dévalider')} selon la feuille (« non ») :`,
        ...describeActionResult(revoke),
        ...revocations.flatMap((row) => (row.motive === null ? [] : [`  motif du partenaire pour ${row.habilitationId} : ${escapeForTerminal(row.motive)}`])),
      ].join('\n');
    const recorded = await twoStep(
      context,
      options,
      async (client, settings) => {
        const outcome = await client.reviews.recordSheet(partnerId, { completedAt, reviewer, ...fields, ...settings });
        // The preview shows which habilitations the confirmation would revoke, not only how many.
        if (!settings.dryRun || outcome.revocations.length === 0) return { ...outcome, revoked: null };
        const ids = outcome.revocations.map((row) => row.habilitationId);
        return { ...outcome, revoked: await client.habilitations.revoke(ids, { reason: revokeReason, dryRun: true }) };
      },
      (result, dryRun) =>
        [
          `Revue du ${frenchDate(completedAt)} par ${escapeForTerminal(reviewer)} : feuille ${escapeForTerminal(returned.fileName)} (${returned.format.toUpperCase()}), SHA-256 du fichier ${returned.sha256}.`,
          `  ${countOf(result.summary.rows, 'ligne')} : ${result.summary.keep} à conserver, ${result.summary.revoke} à dévalider, ${result.summary.undecided.length} sans réponse.`,
          `  Prochaine revue due le ${frenchDate(result.nextDueAt)}.`,
          ...(dryRun ? [] : [`  Enregistrée (traces n° ${result.traceIds.join(', ')}).`]),
          ...(result.revoked === null ? [] : [proposal(result.revocations, result.revoked)]),
        ].join('\n'),
      'Enregistrer cette revue ?',
      'defaulted',
    );
    const outcome = recorded.json as { dryRun: boolean; revocations: ReviewSheetOutcome['revocations'] };
    if (outcome.dryRun || outcome.revocations.length === 0) return recorded;
    // The « non » rows: a bulk revocation, its dry run shown, applied only on confirmation.
    const client = await context.client({ write: true });
    const ids = outcome.revocations.map((row) => row.habilitationId);
    const preview = await client.habilitations.revoke(ids, { reason: revokeReason, dryRun: true });
    context.note(`${recorded.text()}\n${proposal(outcome.revocations, preview)}`);
    try {
      await context.approve('Dévalider ces habilitations ?');
    } catch (error) {
      if (error instanceof CafsupError && error.code === 'FORBIDDEN')
        return { json: { ...outcome, revoked: null }, text: () => `${recorded.text()}\nDévalidations non appliquées : ${ids.join(', ')}.` };
      throw error;
    }
    const revoked = await client.habilitations.revoke(ids, { reason: revokeReason });
    return {
      json: { ...outcome, revoked },
      text: () => `${recorded.text()}\n${countOf(revoked.changed.length, 'habilitation dévalidée', 'habilitations dévalidées')} : ${ids.join(', ')}.`,
    };
  },
};

function ruleNames(values: string[]): RuleName[] {
  return values.map((value) => {
    const name = value.toUpperCase();
    if (!isRuleName(name)) throw new UsageError(`Règle inconnue : « ${value} » (par exemple QUOTA_EXCEEDED).`);
    return name;
  });
}

export const questionAddCommand: Command = {
  name: 'question add',
  summary: 'interroge le partenaire sur la pertinence des habilitations (contrat art. 2.2.1), ou enregistre un incident',
  usage: 'cafsup question add PARTENAIRE --text TEXTE [--flags RÈGLE…] [--due DATE] [--incident] [--opened HORODATAGE]',
  example: 'cafsup question add amp --text "Pourquoi 23 titulaires T13 pour 20 places ?" --flags QUOTA_EXCEEDED --due 2026-12-07 --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    text: { type: 'string', value: 'TEXTE', description: 'la question' },
    flags: { type: 'string', multiple: true, value: 'RÈGLE', description: 'les alertes qu’elle concerne' },
    due: { type: 'string', value: 'DATE', description: 'réponse attendue au plus tard le', date: true },
    incident: { type: 'boolean', description: 'un incident au centre de services (délai en jours ouvrés du contrat)' },
    opened: { type: 'string', value: 'HORODATAGE', description: 'ouverture (défaut : maintenant)' },
    reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : la question elle-même)' },
    'dry-run': dryRunOption,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const draft = {
      kind: options.incident === true ? ('incident' as const) : ('question' as const),
      text: required(options, 'text', questionAddCommand.usage),
      flags: ruleNames(idsOf(options.flags)),
      ...optional('dueAt', stringOption(options.due)),
      ...optional('openedAt', stringOption(options.opened)),
    };
    return twoStep(
      context,
      options,
      (client, settings) => client.questions.add(partnerId, { ...draft, ...settings }),
      (result, dryRun) =>
        `${dryRun ? 'Enregistrerait' : 'Enregistrée'} : ${CASE_KIND_LABELS[result.question.kind]} n° ${result.question.number}, réponse attendue ${result.question.clock.answerDueAt === null ? 'sans date' : `le ${frenchDate(result.question.clock.answerDueAt)}`}${result.traceId === null ? '' : ` (trace n° ${result.traceId})`}`,
      'Enregistrer ?',
      'defaulted',
    );
  },
};

export const questionAnswerCommand: Command = {
  name: 'question answer',
  summary: 'enregistre la réponse à une question ou à un incident',
  usage: 'cafsup question answer PARTENAIRE N --text TEXTE [--at HORODATAGE]',
  example: 'cafsup question answer amp 1 --text "Trois départs non saisis, corrigés" --yes',
  positionals: { min: 2, max: 2, names: 'PARTENAIRE N' },
  options: {
    text: { type: 'string', value: 'TEXTE', description: 'la réponse' },
    at: { type: 'string', value: 'HORODATAGE', description: 'reçue le (défaut : maintenant)' },
    reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : la réponse elle-même)' },
    'dry-run': dryRunOption,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const number = numberOf(positionals[1]!, 'question');
    const answer = {
      text: required(options, 'text', questionAnswerCommand.usage),
      ...optional('answeredAt', stringOption(options.at)),
    };
    return twoStep(
      context,
      options,
      (client, settings) => client.questions.answer(partnerId, number, { ...answer, ...settings }),
      (result, dryRun) =>
        `${dryRun ? 'Enregistrerait' : 'Réponse enregistrée'} pour la question n° ${number}${result.traceId === null ? '' : ` (trace n° ${result.traceId})`}`,
      'Enregistrer cette réponse ?',
      'defaulted',
    );
  },
};

function questionState(question: QuestionRecord): string {
  if (question.clock.answered) return 'répondu';
  if (question.clock.rungDue !== null) return `escalade : ${question.clock.rungDue.name}`;
  return question.clock.overdue ? 'en retard' : 'en attente';
}

const QUESTION_ROWS: RowSpec<QuestionRecord> = {
  key: 'questions',
  sheet: 'Questions',
  id: (question) => String(question.number),
  columns: [
    { field: 'number', header: 'N°', cell: (question) => question.number, table: { align: 'right' } },
    { field: 'kind', header: 'Type', cell: (question) => question.kind },
    { field: 'text', header: 'Texte', cell: (question) => question.text, table: { grow: 3 } },
    { field: 'openedAt', header: 'Ouverte', cell: (question) => ({ date: question.clock.openedOn }) },
    { field: 'dueAt', header: 'Réponse due', cell: (question) => (question.clock.answerDueAt === null ? null : { date: question.clock.answerDueAt }) },
    { field: 'clock', header: 'État', cell: questionState, table: { grow: 2 } },
  ],
};

export const questionListCommand: Command = {
  name: 'question list',
  summary: 'questions et incidents d’un partenaire, leurs délais en jours ouvrés et l’escalade due (contrat art. 3.2, 3.3)',
  usage: 'cafsup question list PARTENAIRE',
  example: 'cafsup question list amp',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  rows: QUESTION_ROWS,
  async run(context, { positionals }) {
    const client = await context.client();
    const questions = await client.questions.list(positionals[0]!, optional('asOf', context.options.asOf));
    return {
      json: { questions },
      text: () => (questions.length === 0 ? 'Aucune question ni incident.' : listTable(QUESTION_ROWS, questions)),
      rows: questions,
    };
  },
};

export const noticeAddCommand: Command = {
  name: 'notice add',
  summary: 'mise en demeure (--kind breach) ou résiliation unilatérale (--kind unilateral) par lettre recommandée (convention art. 17.2)',
  usage: 'cafsup notice add PARTENAIRE --kind breach|unilateral --received DATE [--sent DATE] [--requested DATE] --reason MOTIF',
  example: 'cafsup notice add amp --kind breach --received 2026-11-02 --reason "Quota T13 dépassé malgré la question" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    kind: { type: 'string', value: 'TYPE', description: 'breach (mise en demeure) ou unilateral' },
    received: { type: 'string', value: 'DATE', description: 'réception de la lettre recommandée', date: true },
    sent: { type: 'string', value: 'DATE', description: 'envoi', date: true },
    requested: { type: 'string', value: 'DATE', description: 'date d’effet demandée (unilatérale ; jamais avant réception + 3 mois)', date: true },
    ...ACTION_OPTIONS,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const kind = required(options, 'kind', noticeAddCommand.usage);
    if (kind !== 'breach' && kind !== 'unilateral') throw new UsageError('--kind attend breach ou unilateral.');
    const notice = {
      kind,
      receivedAt: required(options, 'received', noticeAddCommand.usage),
      ...optional('sentAt', stringOption(options.sent)),
      ...optional('requestedEffectiveAt', stringOption(options.requested)),
    } as const;
    return twoStep(
      context,
      options,
      (client, settings) => client.notices.add(partnerId, { ...notice, ...settings }),
      (result, dryRun) => [...describeNotice(kind, result), ...(dryRun ? [] : [`Enregistrée (trace n° ${result.traceId}).`])].join('\n'),
      'Enregistrer cette lettre ?',
    );
  },
};

export const noticeRemedyCommand: Command = {
  name: 'notice remedy',
  summary: 'enregistre la correction des manquements après une mise en demeure',
  usage: 'cafsup notice remedy PARTENAIRE --date DATE --reason MOTIF',
  example: 'cafsup notice remedy amp --date 2026-11-20 --reason "Habilitations excédentaires dévalidées" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: { date: { type: 'string', value: 'DATE', description: 'date de la correction', date: true }, ...ACTION_OPTIONS },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    const remedy = { date: required(options, 'date', noticeRemedyCommand.usage) };
    return twoStep(
      context,
      options,
      (client, settings) => client.notices.remedy(partnerId, { ...remedy, ...settings }),
      (result, dryRun) => `${describeRemedy(remedy.date, result.state)}${dryRun ? '' : ` (trace n° ${result.traceId})`}`,
      'Enregistrer cette correction ?',
    );
  },
};

export const closeOutCommand: Command = {
  name: 'close-out',
  aliases: ['cloture'],
  summary: 'à la date d’effet de la résiliation : dévalide tout ce qui est détenu et désactive les gestionnaires',
  usage: 'cafsup close-out PARTENAIRE --reason MOTIF [--dry-run] [--yes]',
  example: 'cafsup close-out ccas-trappes --reason "Clôture à la date d’effet de la résiliation" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: ACTION_OPTIONS,
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    return twoStep(
      context,
      options,
      (client, settings) => client.partners.closeOut(partnerId, settings),
      (result, dryRun) => `${describeCloseOut(result, dryRun)}${dryRun ? '' : ` (trace n° ${result.traceId})`}`,
      `Clore ${partnerId} ?`,
    );
  },
};

const STEP_STATUS_WORDS = { done: 'fait', proposed: 'proposé', later: 'ensuite', not_applicable: 'sans objet' } as const;
const STEP_MARKS = { done: '✓', proposed: '→', later: '·', not_applicable: ' ' } as const;

export const ladderCommand: Command = {
  name: 'ladder',
  aliases: ['escalade'],
  summary: 'l’échelle d’escalade d’un partenaire : la prochaine étape proportionnée, avec son article',
  usage: 'cafsup ladder PARTENAIRE',
  example: 'cafsup ladder amp',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  async run(context, { positionals }) {
    const client = await context.client();
    const ladder = await client.partners.ladder(positionals[0]!, optional('asOf', context.options.asOf));
    return {
      json: ladder,
      text: () =>
        [
          describeNextStep(ladder),
          ...ladder.steps.map((step) => `  ${STEP_MARKS[step.status]} ${step.label} — ${step.article} : ${STEP_STATUS_WORDS[step.status]} (${step.why})`),
          ladder.dispute,
        ].join('\n'),
    };
  },
};

export const tracesPersonCommand: Command = {
  name: 'traces person',
  summary: 'extrait des traces d’une personne (contrat art. 5.3.4, RGPD art. 15) ; la demande est enregistrée',
  usage: 'cafsup traces person UTILISATEUR --requested-by NOM [--through NOM] [--md | --json] [--out FICHIER]',
  example: 'cafsup traces person amp-u031 --requested-by "l’agent" --through "Responsable FSL" --md --yes',
  positionals: { min: 1, max: 1, names: 'UTILISATEUR' },
  options: {
    'requested-by': { type: 'string', value: 'NOM', description: 'qui demande ses traces' },
    through: { type: 'string', value: 'NOM', description: 'par qui la demande est transmise (responsable, administrateur)' },
    md: { type: 'boolean', description: 'l’extrait en Markdown (défaut sur un terminal)' },
    out: { type: 'string', file: true, description: 'écrit l’extrait dans ce fichier' },
    force: { type: 'boolean', description: 'remplace un fichier existant sans demander' },
    reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : la demande de traces)' },
    'dry-run': dryRunOption,
  },
  async run(context, { positionals, options }) {
    const out = stringOption(options.out);
    if (out !== undefined) await checkOutputFile(context, out, options.force === true);
    const input = {
      userId: positionals[0]!,
      requestedBy: required(options, 'requested-by', tracesPersonCommand.usage),
      ...optional('through', stringOption(options.through)),
    };
    const result = await twoStep(
      context,
      options,
      (client, settings) => client.traces.forPerson({ ...input, ...settings }),
      (extract, dryRun) =>
        dryRun
          ? `Extrait de ${countOf(extract.extract.traces.length, 'trace')} et ${countOf(extract.extract.rights.length, 'habilitation détenue', 'habilitations détenues')} pour ${input.userId}.`
          : `${extract.markdown.split('\n').map(escapeForTerminal).join('\n')}\nSHA-256 de l’extrait : ${extract.sha256} (demande enregistrée, trace n° ${extract.traceId})`,
      'Enregistrer la demande et produire l’extrait ?',
      'defaulted',
    );
    const done = result.json as { dryRun: boolean; markdown: string; sha256: string };
    if (out !== undefined && !done.dryRun) {
      await writeFileAtomically(out, [context.options.json ? JSON.stringify(result.json, null, 2) : done.markdown]);
      return { ...result, text: () => `Extrait écrit : ${escapeForTerminal(out)} (SHA-256 ${done.sha256}).` };
    }
    return result;
  },
};

/** The workflow commands, in the order of workflows.md's table. */
export const WORKFLOW_COMMANDS: Command[] = [
  requestAddCommand,
  requestListCommand,
  requestShowCommand,
  requestRefuseCommand,
  requestApplyCommand,
  partnerAddCommand,
  partnerEditCommand,
  conventionEditCommand,
  userAddCommand,
  userEditCommand,
  groupAddCommand,
  groupEditCommand,
  habilitationAddCommand,
  reviewDueCommand,
  reviewKitCommand,
  reviewAddCommand,
  questionAddCommand,
  questionAnswerCommand,
  questionListCommand,
  noticeAddCommand,
  noticeRemedyCommand,
  closeOutCommand,
  ladderCommand,
  tracesPersonCommand,
];
