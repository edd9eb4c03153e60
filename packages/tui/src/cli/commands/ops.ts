import { readFileSync } from 'node:fs';
import { countOf, escapeForTerminal } from '@cafsup/shared';
import { OPERATIONS, backupDatabase, copySqliteToPostgres, isOperation, isPostgresUrl, operationSpec, parseOperationInput, readableUrl } from '@cafsup/sdk';
import { blankFileName, parseJsonInput, stringOption, type Command } from '../command.js';
import { UsageError, asUsage } from '../context.js';
import { json } from '../output.js';
import { unreadableReason } from '../../format.js';

/** `--input` as JSON text, `@FICHIER` for a file, or `-` for the standard input. */
async function readInput(value: string | undefined): Promise<unknown> {
  if (value === undefined) return {};
  let input: string | Uint8Array;
  if (value.startsWith('@') && value.slice(1).trim() === '') throw blankFileName('--input @');
  try {
    input = value === '-' ? readFileSync(0) : value.startsWith('@') ? readFileSync(value.slice(1)) : value;
  } catch (error) {
    throw new UsageError(`${value === '-' ? 'Entrée standard' : value.slice(1)} : ${unreadableReason(error)}.`);
  }
  return parseJsonInput(input, '--input');
}

export const apiCommand: Command = {
  name: 'api',
  summary: 'appelle n’importe quelle opération de l’API par son nom (comme gh api), en local ou sur le serveur',
  usage: 'cafsup api OPÉRATION [--input JSON|@FICHIER|-] [--file JEU.json]',
  example: 'cafsup api partners.list --input \'{"limit": 5}\'',
  positionals: { min: 1, max: 1, names: 'OPÉRATION' },
  options: {
    input: {
      type: 'string',
      value: 'JSON',
      description: 'l’entrée de l’opération (JSON, @FICHIER, ou - pour l’entrée standard), comme le corps de POST /v1/OPÉRATION',
    },
    file: { type: 'string', file: true, description: 'le jeu de données de dataset.import' },
  },
  async run(context, { positionals, options }) {
    const name = positionals[0]!;
    if (!isOperation(name)) throw new UsageError(`Opération inconnue : « ${name} ». Opérations : ${OPERATIONS.join(', ')}.`);
    const spec = operationSpec(name);
    const input = await readInput(stringOption(options.input));
    const file = stringOption(options.file);
    if ((spec.stream === 'in') !== (file !== undefined)) {
      throw new UsageError(spec.stream === 'in' ? `${name} lit un jeu de données : --file FICHIER.` : `--file ne sert qu’à dataset.import.`);
    }
    // Checked here first: a refused input is answered before any confirmation is asked.
    const { input: parsed } = parseOperationInput(name, input);
    if (spec.access === 'write' && spec.dryRun?.(parsed) !== true) {
      await context.approve(`Exécuter ${name} (${spec.summary}) ?`);
    }
    const client = await context.client({ write: spec.access === 'write' });
    const value = await client.call(name, file === undefined ? input : { ...(input as object), source: { path: file } });
    // Text from data, printed: escaped like every JSON output (output.ts).
    return { json: value, text: () => json(value).trimEnd() };
  },
};

export const backupCommand: Command = {
  name: 'backup',
  summary: 'copie cohérente de la base SQLite, même pendant que le serveur écrit (fichier 0600)',
  usage: 'cafsup backup --out FICHIER [--force] [--db FICHIER]',
  example: 'cafsup backup --out cafsup-$(date +%F).db',
  options: {
    out: { type: 'string', file: true, description: 'fichier de la sauvegarde (jamais la base elle-même)' },
    force: { type: 'boolean', description: 'remplace le fichier s’il existe' },
  },
  async run(context, { options }) {
    const out = stringOption(options.out);
    if (out === undefined) throw new UsageError(`Il manque --out FICHIER. Usage : ${backupCommand.usage}`);
    const database = await context.databasePath();
    if (isPostgresUrl(database)) {
      throw new UsageError('Sur PostgreSQL, la sauvegarde se fait avec pg_dump (voir le README, « Backups ») : cafsup backup copie un fichier SQLite.');
    }
    const outcome = await backupDatabase(database, out, { force: options.force === true });
    return {
      json: outcome,
      text: () => `Sauvegarde écrite : ${escapeForTerminal(outcome.path)} (${countOf(outcome.bytes, 'octet')}, intégrité vérifiée).`,
    };
  },
};

export const migrateCommand: Command = {
  name: 'migrate',
  summary:
    'copie la base SQLite dans une base PostgreSQL vide, traces et jetons compris (la chaîne reste vérifiable) ; le fichier ne reçoit ensuite plus d’écritures',
  usage: 'cafsup migrate --to postgres://… [--db FICHIER]',
  example: 'cafsup migrate --db cafsup.db --to postgres://cafsup@db.caf78.fr/cafsup',
  options: {
    to: { type: 'string', value: 'URL', description: 'la base PostgreSQL de destination (vide ; son schéma est créé)' },
  },
  async run(context, { options }) {
    const to = stringOption(options.to);
    if (to === undefined) throw new UsageError(`Il manque --to postgres://… (la base de destination). Usage : ${migrateCommand.usage}`);
    if (!isPostgresUrl(to))
      // Not repeated: what was given may hold a password.
      throw new UsageError(`--to : une URL postgres://… ou postgresql://… est attendue (la base de destination). Usage : ${migrateCommand.usage}`);
    asUsage(() => readableUrl(to, '--to'));
    const from = await context.databasePath();
    if (isPostgresUrl(from)) throw new UsageError('La source de « cafsup migrate » est un fichier SQLite (--db FICHIER).');
    const report = await copySqliteToPostgres(from, to, (table, rows) => {
      if (process.stderr.isTTY) process.stderr.write(`  ${table} : ${countOf(rows, 'ligne')}\n`);
    });
    return {
      json: report,
      text: () =>
        `${
          report.resumed
            ? `La copie précédente dans ${report.to} avait abouti : seul le marquage du fichier restait à faire.`
            : `Base copiée dans ${report.to} : ${report.tables.map((table) => `${table.name} ${table.rows}`).join(', ')}.`
        }\nTête de la chaîne des traces : n° ${report.traceHead} (vérifiez avec « cafsup traces verify --db URL »).\n${
          report.sourceMarked
            ? `Le fichier ${escapeForTerminal(report.from)} ne reçoit plus d’écritures ni de seconde copie : il se lit encore, mais on écrit dans la base PostgreSQL.`
            : `Attention : le fichier ${escapeForTerminal(report.from)} n’a pas pu être marqué comme copié (ce compte ne peut pas l’écrire, ou l’écriture a échoué) : ce qui y serait encore écrit manquerait à la base PostgreSQL. Arrêtez ce qui y écrit.`
        }`,
    };
  },
};
