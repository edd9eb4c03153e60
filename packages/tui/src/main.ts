import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT_CODE, isCalendarDate, toCafsupError, todayInParis } from '@cafsup/shared';
import { GLOBAL_OPTIONS, type Command, type CommandResult, type OptionSpec } from './cli/command.js';
import { MAX_COMMAND_WORDS, commandHelp, findCommand, mainHelp, subcommandsOf } from './cli/commands/index.js';
import { demoCommand } from './cli/commands/data.js';
import { dashboardCommand } from './cli/commands/read.js';
import { Context, UsageError, onTerminal, type GlobalOptions } from './cli/context.js';
import { json } from './cli/output.js';

const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

function parseOptions(specs: Record<string, OptionSpec>, args: string[]): { options: ParsedOptions; positionals: string[] } {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short === undefined ? {} : { short: spec.short }) };
  }
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { options: parsed.values as ParsedOptions, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(frenchParseError(error));
  }
}

/** node:util's parse errors are English; the option they name is all we keep. */
function frenchParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
  const code = (error as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `Option inconnue : ${option}.`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return message.includes('does not take an argument') ? `L’option ${option} ne prend pas de valeur.` : `L’option ${option} attend une valeur.`;
  }
  return `Ligne de commande illisible : ${message}`;
}

/** The command words come first, after any global options (`cafsup --db x.db partners`). */
function splitCommand(argv: string[]): { words: string[]; rest: string[] } {
  const leading: string[] = [];
  let index = 0;
  while (index < argv.length && argv[index]!.startsWith('-')) {
    const name = argv[index]!.replace(/^-+/, '').split('=')[0]!;
    const takesValue = GLOBAL_OPTIONS[name]?.type === 'string' && !argv[index]!.includes('=');
    leading.push(argv[index]!, ...(takesValue && index + 1 < argv.length ? [argv[index + 1]!] : []));
    index += takesValue ? 2 : 1;
  }
  const words: string[] = [];
  while (index < argv.length && !argv[index]!.startsWith('-') && words.length < MAX_COMMAND_WORDS) words.push(argv[index++]!);
  return { words, rest: [...leading, ...argv.slice(index)] };
}

function globalOptions(options: ParsedOptions): GlobalOptions {
  const asOf = options['as-of'];
  if (typeof asOf === 'string' && !isCalendarDate(asOf)) throw new UsageError(`--as-of attend une date réelle AAAA-MM-JJ (reçu « ${asOf} »).`);
  const lang = options.lang;
  if (typeof lang === 'string' && lang !== 'fr') {
    throw new UsageError(`Langue « ${lang} » non disponible : cafsup parle français (--lang fr).`);
  }
  return {
    ...(typeof options.db === 'string' ? { db: options.db } : {}),
    ...(typeof options.profile === 'string' ? { profile: options.profile } : {}),
    ...(typeof options.actor === 'string' ? { actor: options.actor } : {}),
    ...(typeof asOf === 'string' ? { asOf } : {}),
    json: options.json === true,
    yes: options.yes === true,
    insecure: options.insecure === true,
  };
}

function print(result: CommandResult, asJson: boolean): void {
  if (asJson) {
    if (result.json !== undefined) process.stdout.write(json(result.json));
  } else {
    const text = result.text();
    if (text !== '') process.stdout.write(`${text}\n`);
  }
}

async function runCommand(command: Command, args: string[]): Promise<number> {
  const { options, positionals } = parseOptions({ ...GLOBAL_OPTIONS, ...command.options }, args);
  if (options.help === true) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const expected = command.positionals ?? { min: 0, max: 0, names: '' };
  if (positionals.length < expected.min) throw new UsageError(`Il manque ${expected.names} : ${command.usage}`);
  if (positionals.length > expected.max) throw new UsageError(`Argument en trop : « ${positionals[expected.max]} ». Usage : ${command.usage}`);
  const context = new Context(globalOptions(options));
  try {
    const result = await command.run(context, { options, positionals });
    print(result, context.options.json);
    return result.exitCode ?? 0;
  } finally {
    await context.close();
  }
}

function isPromptInterrupted(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError');
}

function report(error: unknown, asJson: boolean): number {
  if (isPromptInterrupted(error)) return EXIT_INTERRUPTED;
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\nAide : cafsup --help\n`);
    if (asJson) process.stdout.write(json({ error: { code: 'USAGE', message: error.message } }));
    return EXIT_USAGE;
  }
  const failure = toCafsupError(error);
  const problems = failure.details.problems ?? [];
  process.stderr.write(`${failure.message}\n${problems.map((problem) => `  ${problem.path} : ${problem.message}\n`).join('')}`);
  if (failure.code === 'INTERNAL' || process.env.CAFSUP_DEBUG === '1') {
    const cause = failure.code === 'INTERNAL' ? failure.cause : error;
    if (process.env.CAFSUP_DEBUG === '1') process.stderr.write(`${cause instanceof Error ? cause.stack : String(cause)}\n`);
    else if (failure.code === 'INTERNAL') process.stderr.write('Relancez avec CAFSUP_DEBUG=1 pour le détail, et signalez-le.\n');
  }
  if (asJson) process.stdout.write(json({ error: failure.toJSON() }));
  return EXIT_CODE[failure.code];
}

/**
 * Loads the interface's chunk, as a person at a terminal expects it whatever their shell
 * exports: Ink decides once, when loaded, to draw only the last frame if `CI` or `CI_*` is
 * set; and yoga-layout (its layout engine) decodes its inlined wasm through `fetch` whenever
 * one exists, which loads Node's whole HTTP client (~30 ms of the first frame) for a data: URL
 * it decodes itself when there is none.
 */
async function loadInterface(): Promise<typeof import('./ui/run.js')> {
  const { fetch } = globalThis;
  const ciVariables = Object.entries(process.env).filter(([name]) => name === 'CI' || name === 'CONTINUOUS_INTEGRATION' || name.startsWith('CI_'));
  Reflect.deleteProperty(globalThis, 'fetch');
  for (const [name] of ciVariables) delete process.env[name];
  try {
    return await import('./ui/run.js');
  } finally {
    globalThis.fetch = fetch;
    for (const [name, value] of ciVariables) process.env[name] = value;
  }
}

/**
 * The full-screen interface, in its own chunk so that plain commands never load Ink and React;
 * the actor is asked (once, then saved) before the screen is taken over.
 */
async function openInterface(args: string[]): Promise<number> {
  const { options, positionals } = parseOptions(GLOBAL_OPTIONS, args);
  if (positionals.length > 0) throw new UsageError(`Argument en trop : « ${positionals[0]} ». Usage : cafsup tui [--db FICHIER]`);
  const context = new Context(globalOptions(options));
  if (!context.interactive) throw new UsageError('L’interface plein écran demande un terminal ; sans terminal, utilisez les commandes (cafsup --help).');
  try {
    const client = await context.client({ write: true });
    const identity = await client.whoami();
    const { runInterface } = await loadInterface();
    const session = { client, source: context.source(), actor: identity.actor, canWrite: identity.role === 'supervisor', today: todayInParis(new Date()) };
    return await runInterface(session, context.options.asOf === undefined ? {} : { asOf: context.options.asOf });
  } finally {
    await context.close();
  }
}

/** `cafsup` alone: the interface on a terminal, the plain dashboard otherwise (and with --json). */
function openDefault(args: string[]): Promise<number> {
  const interactive = onTerminal() && !args.includes('--json');
  return interactive ? openInterface(args) : runCommand(dashboardCommand, args);
}

/** `cafsup start` (the README's first command): the demo database when missing, then `cafsup`. */
async function start(rest: string[]): Promise<number> {
  const created = await runCommand(demoCommand, ['--if-missing', ...rest]);
  return created === 0 ? openDefault(rest) : created;
}

async function main(argv: string[]): Promise<number> {
  const { words, rest } = splitCommand(argv);
  if (words.length === 0) {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(mainHelp());
      return 0;
    }
    return openDefault(rest);
  }
  if (words[0] === 'tui') return openInterface([...words.slice(1), ...rest]);
  if (words[0] === 'start') return start([...words.slice(1), ...rest]);
  if (words[0] === 'help') {
    const found = findCommand(words.slice(1));
    process.stdout.write(found === null ? mainHelp() : commandHelp(found.command));
    return 0;
  }
  const found = findCommand(words);
  if (found === null) {
    const family = subcommandsOf(words.slice(0, 1));
    if (family.length > 0) {
      throw new UsageError(`« cafsup ${words.join(' ')} » : précisez ${family.map((command) => `« cafsup ${command.name} »`).join(', ')}.`);
    }
    throw new UsageError(`Commande inconnue : « ${words[0]} ».`);
  }
  return runCommand(found.command, [...words.slice(found.consumed), ...rest]);
}

// A terminal's colour settings follow NO_COLOR for the libraries that only read FORCE_COLOR.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0';
process.on('SIGINT', () => process.exit(EXIT_INTERRUPTED));
// `cafsup audit | head` closes the pipe early: the reader has what it wanted, that is no error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
const asJson = argv.includes('--json');
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error, asJson);
  },
);
