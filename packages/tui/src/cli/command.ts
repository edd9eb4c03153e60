import { ACCEPTED_DATE, CafsupError, codeFromWord, foldWord, isCalendarDate, isYearInRange } from '@cafsup/shared';
import { UsageError, type Context } from './context.js';
import { suggest } from './suggest.js';
import type { RowSpec } from './output.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  value?: string;
  description: string;
  /** The codes the option takes and their French words, accepted too (`--severity critique`). */
  choices?: Readonly<Record<string, string>>;
  /** A calendar date AAAA-MM-JJ, checked before the command runs (a wrong one is a usage error). */
  date?: boolean;
  /**
   * A file's name (FICHIER in help unless `value` says more, as --db's FICHIER|URL): an empty or
   * blank one (a variable left unset in a script) is a usage error before the command runs. Taken
   * as given, it failed naming no file (« Écriture impossible :  »), wrote a workbook named by two
   * spaces, or ended `traces checkpoint --file ''` in an internal error (exit 70).
   */
  file?: boolean;
}

/**
 * What a command hands back: the JSON of `--json` and the text for a person, built only when
 * printed (tables and French number formats cost a JSON run time for nothing).
 */
export interface CommandResult {
  json: unknown;
  /**
   * The JSON of `--json` already made (`jsonText`, in UTF-8, in pieces), when the command has it
   * without building `json` (the audit's flags are kept in that form): written as it is.
   */
  jsonText?: readonly Uint8Array[];
  text: () => string;
  exitCode?: number;
  /** The rows of a list command (its `rows` spec says how to show them). */
  rows?: readonly unknown[];
  /** What --quiet prints for one thing made (a token for a script to keep); lists print their ids. */
  quiet?: string;
}

export interface CommandInput {
  positionals: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

/**
 * What help, completion and the option parser know of a command: data only, so that they
 * never load a command's code (commands/table.ts).
 */
export interface CommandDeclaration {
  /** One or two words: `partners`, `avenant add`. */
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  example: string;
  options?: Record<string, OptionSpec>;
  positionals?: { min: number; max: number; names: string };
  /** A list command's row fields (its `rows`): --json=CHAMPS keeps some of them. */
  fields?: string[];
}

export interface Command extends Omit<CommandDeclaration, 'fields'> {
  /** A list command's rows: piped TSV, --csv, --xlsx, --json FIELDS and --quiet come with it. */
  // Each command lists rows of its own type; the command table holds them all.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  rows?: RowSpec<any>;
  run(context: Context, input: CommandInput): Promise<CommandResult>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  db: {
    type: 'string',
    value: 'FICHIER|URL',
    file: true,
    description: 'base SQLite, ou PostgreSQL (postgres://…) ; prime sur CAFSUP_DB, CAFSUP_DATABASE_URL, CAFSUP_URL, CAFSUP_PROFILE et la configuration',
  },
  profile: {
    type: 'string',
    value: 'NOM',
    description: 'profil enregistré (un serveur ou un fichier) ; prime sur CAFSUP_DB, CAFSUP_URL, CAFSUP_PROFILE et le profil actif',
  },
  actor: {
    type: 'string',
    value: '"NOM <MÉL>"',
    description: 'qui agit en local ; prime sur CAFSUP_ACTOR et la configuration (sur un serveur : le titulaire du jeton)',
  },
  'as-of': { type: 'string', value: 'AAAA-MM-JJ', description: 'date d’évaluation des règles (défaut : aujourd’hui, Europe/Paris)', date: true },
  json: { type: 'boolean', value: '[CHAMPS]', description: 'sortie JSON pour les scripts ; --json=id,name garde ces champs des lignes d’une liste' },
  quiet: { type: 'boolean', short: 'q', description: 'rien sur la sortie que les identifiants d’une liste ; pas de message sur stderr hors erreurs' },
  yes: { type: 'boolean', short: 'y', description: 'confirme d’avance les actions' },
  insecure: { type: 'boolean', description: 'accepte http:// vers un serveur distant (le jeton y circule en clair)' },
  lang: { type: 'string', value: 'fr', description: 'langue des messages (fr)' },
  help: { type: 'boolean', short: 'h', description: 'aide de la commande' },
};

/** Options of every list command (one with `rows`). */
export const LIST_OPTIONS: Record<string, OptionSpec> = {
  csv: { type: 'boolean', description: 'CSV pour Excel et LibreOffice en français (;, BOM UTF-8, CRLF)' },
  xlsx: { type: 'string', file: true, description: 'écrit un classeur XLSX' },
  force: { type: 'boolean', description: 'avec --xlsx, remplace un fichier existant sans demander' },
};

/** Options of every action. */
export const ACTION_OPTIONS: Record<string, OptionSpec> = {
  reason: { type: 'string', value: 'MOTIF', description: 'motif (5 caractères visibles au moins ; demandé après l’aperçu sur un terminal)' },
  'dry-run': { type: 'boolean', description: 'montre ce qui changerait, sans rien modifier' },
};

/**
 * The answer of a write whose dry run found nothing to change: the real run, which is then not
 * asked, would change nothing and write no trace either, so the preview is its answer and no
 * simulation (`dryRun: false`, as the API answers the same request).
 */
export function nothingToChange<T extends object>(preview: T): T & { dryRun: false } {
  return { ...preview, dryRun: false };
}

/** The ids of a repeatable option, also accepting comma-separated lists. */
export function idsOf(value: string | boolean | string[] | undefined): string[] {
  if (value === undefined || typeof value === 'boolean') return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((item) => item.split(','))
    .map((id) => id.trim())
    .filter((id) => id !== '');
}

export function stringOption(value: string | boolean | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : Array.isArray(value) ? value.at(-1) : undefined;
}

/** A file's name given blank (`--xlsx ''`, `import ''`): refused before anything runs, as nothing can be written or read by that name. */
export function blankFileName(what: string): UsageError {
  return new UsageError(`${what} attend un nom de fichier (reçu une valeur vide).`);
}

/**
 * Checks option values once, before the command runs (exit 2 when wrong, 5 for a date out of
 * range): a file's name must not be blank, dates must be real calendar dates, and a French word
 * given for a choice becomes its code.
 */
export function normaliseOptions(specs: Record<string, OptionSpec>, options: CommandInput['options']): void {
  for (const [name, spec] of Object.entries(specs)) {
    const value = options[name];
    if (spec.file === true && [value].flat().some((given) => typeof given === 'string' && given.trim() === '')) {
      throw blankFileName(`--${name}`);
    }
    if (typeof value !== 'string') continue;
    if (spec.date === true) {
      // Not a date at all: the option is misused (exit 2). A real date outside the years cafsup
      // takes: the input refused as rules.md says, VALIDATION (exit 5), but said at once and of
      // the option, not later of the operation's « asOf ».
      if (!isCalendarDate(value)) throw new UsageError(`--${name} attend ${ACCEPTED_DATE} (reçu « ${value} »).`);
      if (!isYearInRange(value)) throw new CafsupError('VALIDATION', `--${name} attend ${ACCEPTED_DATE} (reçu « ${value} »).`);
    }
    if (spec.choices !== undefined) options[name] = choiceOption(name, value, spec.choices);
  }
}

/**
 * JSON given to a command (a form, an avenant's changes, an operation's input; `where` names
 * the option or file): its value, or VALIDATION (exit 5) saying in French where it stops being
 * JSON, line and column, as an import does.
 */
export async function parseJsonInput(input: string | Uint8Array, where: string): Promise<unknown> {
  if (typeof input === 'string') {
    try {
      return JSON.parse(input) as unknown;
    } catch {
      // Located and said in French below.
    }
  }
  // The SDK is loaded by then for the command's client; --help never comes here. A file's bytes
  // go through its one decoder (`utf8Text`: a byte-order mark dropped, a byte that is no UTF-8 refused).
  const { JsonSyntaxError, parseJsonText, utf8Text } = await import('@cafsup/sdk');
  try {
    return parseJsonText(typeof input === 'string' ? input : utf8Text(input));
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new CafsupError('VALIDATION', `JSON invalide dans ${where}, ligne ${error.at.line}, colonne ${error.at.column} : ${error.reason}.`);
  }
}

/** « critique (critical), élevée (high)… »: what an option with choices takes, for its help. */
export function choicesText(choices: Readonly<Record<string, string>>): string {
  return Object.entries(choices)
    .map(([code, label]) => (foldWord(code) === foldWord(label) ? code : `${label} (${code})`))
    .join(', ');
}

/**
 * The code an option names, given as the code or its French word (`--severity critique`,
 * `--status suspendue`), through the one table of labels; else a usage error listing both.
 */
function choiceOption<Code extends string>(name: string, value: string, labels: Readonly<Record<Code, string>>): Code {
  const code = codeFromWord(labels, value);
  if (code !== null) return code;
  const hint = suggest(value, [...Object.keys(labels), ...Object.values<string>(labels)]);
  throw new UsageError(`--${name} attend ${choicesText(labels)} (reçu « ${value} »).${hint}`);
}
