import { readFile } from 'node:fs/promises';
import {
  digitsOf,
  CafsupError,
  SIDE_LABELS,
  countOf,
  describeAvenantChange,
  escapeForTerminal,
  formatActor,
  purgeFindsNothing,
  type ActionResult,
  type AvenantChange,
  inUserTerms,
} from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
import { ACTION_OPTIONS, idsOf, nothingToChange, parseJsonInput, stringOption, type Command, type CommandInput, type CommandResult } from '../command.js';
import { UsageError, type Context } from '../context.js';
import { AVENANT_TITLE_QUESTION, changeTypeQuestion, changesFrom, followChange, questionAsked } from '../../avenant-form.js';
import { askQuestions } from '../ask.js';
import { count, describeActionResult, frenchDate, unreadableReason } from '../../format.js';

/** What an action acts on, agreeing with its number (« 1 habilitation modifiée », « 2 utilisateurs modifiés »). */
interface Noun {
  one: string;
  changed: string;
}

const HABILITATIONS: Noun = { one: 'habilitation', changed: 'habilitation modifiée' };
const USERS: Noun = { one: 'utilisateur', changed: 'utilisateur modifié' };
const PARTNERS: Noun = { one: 'partenaire', changed: 'partenaire modifié' };

/**
 * The shape of every action: show the dry run, stop there with --dry-run, ask « o/n » on a
 * terminal (or require --yes), then act and show the result with its traces.
 */
async function act(
  context: Context,
  options: CommandInput['options'],
  noun: Noun,
  run: (client: CafsupClient, settings: { reason?: string; dryRun: boolean }) => Promise<ActionResult<Record<string, unknown>>>,
): Promise<CommandResult> {
  const given = stringOption(options.reason);
  const finalReason = await context.reasonRule(given, options['dry-run'] === true);
  const client = await context.client({ write: true });
  // The SDK names the settings `options.reason`; the command line, as every other command, `reason`.
  const preview = await inUserTerms(run(client, { ...(given === undefined ? {} : { reason: given }), dryRun: true }), 'options');
  const plan = `${countOf(preview.changed.length, noun.one)} à modifier :\n${describeActionResult(preview).join('\n')}`;
  if (options['dry-run'] === true) return { json: preview, text: () => `${plan}\n(simulation : rien n’a été modifié)` };
  if (preview.changed.length === 0) return { json: nothingToChange(preview), text: () => `Rien à modifier.\n${describeActionResult(preview).join('\n')}` };
  context.note(plan);
  const reason = await finalReason();
  await context.approve(async () => `Appliquer ces modifications au nom de ${formatActor(await context.writer())} ?`);
  const result = await inUserTerms(run(client, { ...(reason === undefined ? {} : { reason }), dryRun: false }), 'options');
  return { json: result, text: () => `${countOf(result.changed.length, noun.changed)} :\n${describeActionResult(result).join('\n')}` };
}

const TARGET_OPTIONS = {
  habilitation: {
    type: 'string' as const,
    multiple: true,
    value: 'ID',
    description: 'des habilitations : option répétable, ou identifiants séparés par des virgules',
  },
  user: { type: 'string' as const, multiple: true, value: 'ID', description: 'des utilisateurs : option répétable, ou identifiants séparés par des virgules' },
  ...ACTION_OPTIONS,
};

function targets(options: CommandInput['options']): { kind: 'habilitation' | 'user'; ids: string[] } {
  const habilitations = idsOf(options.habilitation);
  const users = idsOf(options.user);
  if (habilitations.length > 0 === users.length > 0) throw new UsageError('Indiquez soit --habilitation ID…, soit --user ID….');
  return habilitations.length > 0 ? { kind: 'habilitation', ids: habilitations } : { kind: 'user', ids: users };
}

export const suspendCommand: Command = {
  name: 'suspend',
  aliases: ['suspendre'],
  summary: 'suspend à titre conservatoire des habilitations ou des utilisateurs',
  usage: 'cafsup suspend (--habilitation ID… | --user ID…) --reason MOTIF [--dry-run] [--yes]',
  example: 'cafsup suspend --habilitation amp-h0021,amp-h0022 --reason "Quota T13 dépassé" --yes',
  options: TARGET_OPTIONS,
  run(context, { options }) {
    const { kind, ids } = targets(options);
    return act(context, options, kind === 'habilitation' ? HABILITATIONS : USERS, (client, settings) =>
      kind === 'habilitation' ? client.habilitations.suspend(ids, settings) : client.users.suspend(ids, settings),
    );
  },
};

export const reinstateCommand: Command = {
  name: 'reinstate',
  aliases: ['reactiver'],
  summary: 'réactive des habilitations ou des utilisateurs suspendus',
  usage: 'cafsup reinstate (--habilitation ID… | --user ID…) --reason MOTIF [--dry-run] [--yes]',
  example: 'cafsup reinstate --user amp-u007 --reason "Vérification faite" --yes',
  options: TARGET_OPTIONS,
  run(context, { options }) {
    const { kind, ids } = targets(options);
    return act(context, options, kind === 'habilitation' ? HABILITATIONS : USERS, (client, settings) =>
      kind === 'habilitation' ? client.habilitations.reinstate(ids, settings) : client.users.reinstate(ids, settings),
    );
  },
};

export const revokeCommand: Command = {
  name: 'revoke',
  aliases: ['devalider'],
  summary: 'dévalide des habilitations, ou toutes celles données directement à un utilisateur',
  usage: 'cafsup revoke (--habilitation ID… | --user ID…) --reason MOTIF [--dry-run] [--yes]',
  example: 'cafsup revoke --user amp-u031 --reason "Départ de l’agent" --yes',
  options: TARGET_OPTIONS,
  run(context, { options }) {
    const { kind, ids } = targets(options);
    return act(context, options, HABILITATIONS, (client, settings) =>
      kind === 'habilitation' ? client.habilitations.revoke(ids, settings) : client.users.revokeHabilitations(ids, settings),
    );
  },
};

export const resetPasswordCommand: Command = {
  name: 'reset-password',
  summary: 'force le changement de mot de passe à la prochaine connexion (utilisateurs, ou tout un partenaire)',
  usage: 'cafsup reset-password (--user ID… | --partner ID) --reason MOTIF [--dry-run] [--yes]',
  example: 'cafsup reset-password --partner amp --reason "Compte partagé signalé" --yes',
  options: {
    user: TARGET_OPTIONS.user,
    partner: { type: 'string', value: 'ID', description: 'tous les utilisateurs non désactivés du partenaire' },
    ...ACTION_OPTIONS,
  },
  run(context, { options }) {
    const users = idsOf(options.user);
    const partner = stringOption(options.partner);
    if (users.length > 0 === (partner !== undefined)) throw new UsageError('Indiquez soit --user ID…, soit --partner ID.');
    return act(context, options, USERS, (client, settings) =>
      client.users.forcePasswordReset(partner === undefined ? users : { partnerId: partner }, settings),
    );
  },
};

export const withdrawDelegationCommand: Command = {
  name: 'withdraw-delegation',
  summary: 'retire la délégation : la Caf reprend la gestion des habilitations, un projet d’avenant est créé',
  usage: 'cafsup withdraw-delegation PARTENAIRE --reason MOTIF [--dry-run] [--yes]',
  example: 'cafsup withdraw-delegation amp --reason "Manquements répétés" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: ACTION_OPTIONS,
  async run(context, { positionals, options }) {
    const outcome = await act(context, options, PARTNERS, (client, settings) => client.partners.withdrawDelegation(positionals[0]!, settings));
    const { avenant, dryRun } = outcome.json as { avenant?: { number: number; title: string }; dryRun?: boolean };
    return avenant === undefined
      ? outcome
      : {
          ...outcome,
          text: () =>
            `${outcome.text()}\nProjet d’avenant n° ${avenant.number} ${dryRun === true ? 'qui serait créé' : 'créé'} : ${escapeForTerminal(avenant.title)}`,
        };
  },
};

/** Asks for the changes of an avenant with prompts, when no --file is given: the interface's questions, the title unless given. */
/** The avenant asked question by question; `asked` names a refused field by its question. */
async function promptChanges(title: string | undefined): Promise<{ title: string; changes: AvenantChange[]; asked: (path: string) => string }> {
  const answers = await askQuestions(
    title === undefined ? [AVENANT_TITLE_QUESTION, changeTypeQuestion(0)] : [changeTypeQuestion(0)],
    (question, value) => followChange(question, value, []) ?? [],
  );
  return { title: title ?? answers.title!, changes: changesFrom(answers), asked: (path) => questionAsked(path, answers, []) };
}

export const avenantAddCommand: Command = {
  name: 'avenant add',
  summary: 'enregistre un avenant (numéro suivant) ; sans --file, le demande modification par modification',
  usage: 'cafsup avenant add PARTENAIRE [--file MODIFICATIONS.json] [--title TITRE] [--reason MOTIF] [--dry-run] [--yes]',
  example: 'cafsup avenant add amp --file t13-25.json --title "Avenant 2 : T13 porté à 25" --yes',
  positionals: { min: 1, max: 1, names: 'PARTENAIRE' },
  options: {
    file: {
      type: 'string',
      file: true,
      description: 'JSON : { "title", "changes": [...], "effectiveAt" } ou le tableau des modifications',
    },
    title: { type: 'string', value: 'TITRE', description: 'titre de l’avenant' },
    reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : le titre)' },
    'dry-run': ACTION_OPTIONS['dry-run']!,
  },
  async run(context, { positionals, options }) {
    const partnerId = positionals[0]!;
    // The file's fields go to the operation as they are (effectiveAt, signatures…): its schema
    // refuses one it does not know, rather than this command dropping it without a word.
    let draft: { title?: string; changes?: unknown; [field: string]: unknown };
    // A file's fields are named by their paths; answers, by their questions.
    let asked: ((path: string) => string) | undefined;
    const file = stringOption(options.file);
    if (file !== undefined) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (error) {
        throw new CafsupError('VALIDATION', `Fichier de modifications ${file} : ${unreadableReason(error)}.`);
      }
      const parsed = await parseJsonInput(bytes, file);
      if (!Array.isArray(parsed) && (typeof parsed !== 'object' || parsed === null)) {
        throw new CafsupError('VALIDATION', `${file} : un objet JSON { "title", "changes", … } ou le tableau des modifications est attendu.`);
      }
      // What the command's options say, not a file's: a simulation or a reason is asked for on the line.
      const misplaced = ['dryRun', 'reason'].filter((key) => Object.hasOwn(parsed, key));
      if (misplaced.length > 0) {
        throw new CafsupError(
          'VALIDATION',
          `${file} : ${misplaced.map((key) => `« ${key} »`).join(' et ')} n’a pas sa place dans le fichier : --dry-run et --reason se donnent sur la ligne de commande.`,
        );
      }
      draft = Array.isArray(parsed) ? { changes: parsed } : (parsed as typeof draft);
    } else if (context.interactive) {
      const prompted = await promptChanges(stringOption(options.title));
      asked = prompted.asked;
      draft = { title: prompted.title, changes: prompted.changes };
    } else throw new UsageError('Sans terminal, donnez les modifications avec --file MODIFICATIONS.json.');
    const title = stringOption(options.title) ?? draft.title;
    if (title === undefined) throw new UsageError('Titre obligatoire : --title « Avenant N : … ».');
    const client = await context.client({ write: true });
    const request = {
      ...(draft as Record<string, never>),
      title,
      changes: draft.changes as never,
      ...(stringOption(options.reason) === undefined ? {} : { reason: stringOption(options.reason)! }),
    };
    const preview = await inUserTerms(client.avenants.create(partnerId, { ...request, dryRun: true }), 'draft', asked);
    const plan = `Avenant n° ${preview.avenant.number} pour ${escapeForTerminal(partnerId)} : ${escapeForTerminal(title)}\n${preview.avenant.changes.map((change) => `  · ${escapeForTerminal(describeAvenantChange(change))}`).join('\n')}`;
    if (options['dry-run'] === true) return { json: preview, text: () => `${plan}\n(simulation : rien n’a été enregistré)` };
    context.note(plan);
    await context.approve('Enregistrer cet avenant ?');
    const created = await client.avenants.create(partnerId, request);
    return {
      json: created,
      text: () =>
        `Avenant n° ${created.avenant.number} enregistré (trace n° ${created.traceId}). À signer : cafsup avenant sign ${partnerId} ${created.avenant.number} --side caf --date AAAA-MM-JJ`,
    };
  },
};

export const avenantSignCommand: Command = {
  name: 'avenant sign',
  summary: 'enregistre la signature d’un avenant par la Caf ou par le partenaire',
  usage: 'cafsup avenant sign PARTENAIRE N --side caf|partenaire --date AAAA-MM-JJ [--dry-run] [--yes]',
  example: 'cafsup avenant sign amp 2 --side partenaire --date 2026-11-30 --yes',
  positionals: { min: 2, max: 2, names: 'PARTENAIRE N' },
  options: {
    side: { type: 'string', value: 'CÔTÉ', description: 'qui signe', choices: SIDE_LABELS },
    date: { type: 'string', value: 'DATE', description: 'date de signature', date: true },
    reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : la signature elle-même)' },
    'dry-run': ACTION_OPTIONS['dry-run']!,
  },
  async run(context, { positionals, options }) {
    const [partnerId, numberText] = positionals as [string, string];
    const number = digitsOf(numberText);
    if (!Number.isInteger(number) || number < 1) throw new UsageError(`Numéro d’avenant invalide : « ${numberText} ».`);
    const side = stringOption(options.side) as keyof typeof SIDE_LABELS | undefined;
    const date = stringOption(options.date);
    if (side === undefined) throw new UsageError('--side caf|partenaire est obligatoire.');
    if (date === undefined) throw new UsageError('--date AAAA-MM-JJ est obligatoire.');
    const client = await context.client({ write: true });
    const signature = { side, date, ...(stringOption(options.reason) === undefined ? {} : { reason: stringOption(options.reason)! }) } as const;
    const preview = await client.avenants.sign(partnerId, number, { ...signature, dryRun: true });
    const who = side === 'caf' ? 'la Caf' : 'le partenaire';
    if (options['dry-run'] === true)
      return { json: preview, text: () => `Signature de l’avenant n° ${number} par ${who} le ${frenchDate(date)}.\n(simulation : rien n’a été enregistré)` };
    if (!preview.changed) return { json: nothingToChange(preview), text: () => `Déjà signé par ${who} le ${frenchDate(date)} : rien à modifier.` };
    await context.approve(`Enregistrer la signature de l’avenant n° ${number} par ${who} le ${frenchDate(date)} ?`);
    const signed = await client.avenants.sign(partnerId, number, signature);
    const complete = signed.avenant.signedByCafAt !== null && signed.avenant.signedByPartnerAt !== null;
    return {
      json: signed,
      text: () =>
        `Signature enregistrée (trace n° ${signed.traceId}).${complete ? ' L’avenant est signé par les deux parties.' : ' En attente de l’autre partie.'}`,
    };
  },
};

export const tracesPurgeCommand: Command = {
  name: 'traces purge',
  summary: 'applique les durées de conservation (contrat art. 5.3.2) : activité 6 mois, décisions et dévalidations 6 ans',
  usage: 'cafsup traces purge [--dry-run] [--yes] [--reason MOTIF]',
  example: 'cafsup traces purge --dry-run',
  options: {
    reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : les durées de conservation)' },
    'dry-run': ACTION_OPTIONS['dry-run']!,
  },
  async run(context, { options }) {
    // A preview writes nothing: it needs no actor.
    const client = await context.client({ write: options['dry-run'] !== true });
    const base = {
      ...(context.options.asOf === undefined ? {} : { asOf: context.options.asOf }),
      ...(stringOption(options.reason) === undefined ? {} : { reason: stringOption(options.reason)! }),
    };
    const preview = await client.traces.purge({ ...base, dryRun: true });
    const describe = (report: typeof preview) =>
      `Traces à effacer : ${countOf(report.traces.count, 'trace')} — ${report.traces.activity} d’activité antérieures au ${frenchDate(report.traceCutoff)}, ` +
      `${report.traces.decision} de décision antérieures au ${frenchDate(report.recordCutoff)} dont l’objet n’est plus conservé ` +
      `(leur numéro et leurs empreintes restent : la chaîne se vérifie toujours)\n` +
      `Habilitations dévalidées avant le ${frenchDate(report.recordCutoff)} : ${count(report.habilitations.count)}\n` +
      `Utilisateurs désactivés avant le ${frenchDate(report.recordCutoff)} : ${count(report.users.count)}` +
      (report.users.byLatestActivity.length === 0
        ? ''
        : ` (sans date de désactivation, datés de leur dernière activité : ${report.users.byLatestActivity.map(escapeForTerminal).join(', ')})`);
    if (options['dry-run'] === true) return { json: preview, text: () => `${describe(preview)}\n(simulation : rien n’a été supprimé)` };
    if (purgeFindsNothing(preview)) return { json: nothingToChange(preview), text: () => 'Rien à supprimer.' };
    context.note(describe(preview));
    await context.approve('Supprimer définitivement ces données ?');
    const done = await client.traces.purge(base);
    return { json: done, text: () => `${describe(done)}\nEffacé et supprimé (trace n° ${done.traceId}).` };
  },
};
