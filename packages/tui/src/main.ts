import { inspect, parseArgs, type ParseArgsConfig } from 'node:util';
import {
  CafsupError,
  DOCUMENT_PATH,
  EXIT_CODE,
  countOf,
  escapeForTerminal,
  invalidInput,
  invalidInputMessage,
  quoted,
  refusalLines,
  toCafsupError,
  todayInParis,
} from '@cafsup/shared';
import { GLOBAL_OPTIONS, normaliseOptions, type Command, type CommandResult, type OptionSpec } from './cli/command.js';
import type { DeclaredCommand } from './cli/commands/table.js';
import type { Session } from './ui/session.js';
import { Context, InterruptedError, TerminalTaken, UsageError, onTerminal, type GlobalOptions } from './cli/context.js';
import { checkOutputFile, writeFileAtomically } from './cli/files.js';
import { COMMANDS, MAX_COMMAND_WORDS, commandHelp, findCommand, mainHelp, optionsOf, subcommandsOf } from './cli/help.js';
import { EXIT_INTERRUPTED } from './cli/interrupt.js';
import { suggest, withNearestIds } from './cli/suggest.js';
import { commandStart } from './route.js';

/** Set by the bundler from package.json (build.mjs). */
declare const __CAFSUP_VERSION__: string;

const EXIT_USAGE = 2;

type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

function parseOptions(specs: Record<string, OptionSpec>, args: string[]): { options: ParsedOptions; positionals: string[]; listedBefore: Map<number, string> } {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short === undefined ? {} : { short: spec.short }) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new UsageError(frenchParseError(error, Object.keys(specs)));
  }
  // Positionals right after a list option's value (« --habilitation a b »), by their rank among
  // the positionals, with that option's name: taken for more ids, they are said how to be given.
  const listedBefore = new Map<number, string>();
  let rank = 0;
  let list: string | null = null;
  for (const token of parsed.tokens) {
    if (token.kind === 'positional') {
      if (list !== null) listedBefore.set(rank, list);
      rank += 1;
    } else list = token.kind === 'option' && specs[token.name]?.multiple === true && token.value !== undefined ? token.name : null;
  }
  return { options: parsed.values as ParsedOptions, positionals: parsed.positionals, listedBefore };
}

/** node:util's parse errors are English: the option they name is all we keep, with the closest known ones. */
function frenchParseError(error: unknown, known: string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
  const code = (error as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `Option inconnue : ${option}.${suggest(option.replace(/^-+/, ''), known, (name) => `« --${name} »`)}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('does not take an argument')) return `L’option ${option} ne prend pas de valeur.`;
    // Its value starts with a dash (`--limit -1`), which node:util takes for the next option.
    if (message.includes('is ambiguous')) return `L’option ${option} attend une valeur ; une valeur qui commence par « - » s’écrit ${option}=VALEUR.`;
    return `L’option ${option} attend une valeur.`;
  }
  return `Ligne de commande illisible : ${message}`;
}

/** The command words come first, after any global options (`cafsup --db x.db partners`). */
function splitCommand(argv: string[]): { words: string[]; rest: string[] } {
  const start = commandStart(argv);
  let index = start;
  const words: string[] = [];
  while (index < argv.length && !argv[index]!.startsWith('-') && words.length < MAX_COMMAND_WORDS) words.push(argv[index++]!);
  return { words, rest: [...argv.slice(0, start), ...argv.slice(index)] };
}

/**
 * `--json=id,name` (or `--json id,name` when every name is a field of the list) keeps those
 * fields of a list's rows; `--json` alone stays a switch, so `audit --json amp` still names a
 * partner.
 */
function jsonFields(command: DeclaredCommand, args: string[]): { args: string[]; fields: string[] | null } {
  const known = command.fields ?? [];
  const out: string[] = [];
  let fields: string[] | null = null;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const next = args[index + 1];
    if (arg.startsWith('--json=')) {
      fields = arg
        .slice('--json='.length)
        .split(',')
        .map((field) => field.trim())
        .filter((field) => field !== '');
      out.push('--json');
    } else if (
      arg === '--json' &&
      next !== undefined &&
      !next.startsWith('-') &&
      known.length > 0 &&
      next.split(',').every((field) => known.includes(field.trim()))
    ) {
      fields = next.split(',').map((field) => field.trim());
      out.push('--json');
      index += 1;
    } else out.push(arg);
  }
  if (fields === null) return { args: out, fields };
  if (command.fields === undefined) throw new UsageError(`--json=CHAMPS ne s’applique qu’aux listes ; « cafsup ${command.name} » prend --json seul.`);
  if (fields.length === 0) throw new UsageError(`--json= attend des champs séparés par des virgules : ${known.join(', ')}.`);
  for (const field of fields) {
    if (!known.includes(field)) throw new UsageError(`Champ inconnu pour --json : « ${field} ».${suggest(field, known)} Champs : ${known.join(', ')}.`);
  }
  return { args: out, fields };
}

/** The common options, except those the command defines for itself (`habilitations --profile T13` is a profile code). */
function globalOptions(options: ParsedOptions, own: Record<string, OptionSpec> = {}): GlobalOptions {
  const global = (name: string) => (Object.hasOwn(own, name) ? undefined : options[name]);
  const asOf = global('as-of');
  const lang = global('lang');
  if (typeof lang === 'string' && lang !== 'fr') {
    throw new UsageError(`Langue « ${lang} » non disponible : cafsup parle français (--lang fr).`);
  }
  const text = (name: string) => {
    const value = global(name);
    return typeof value === 'string' ? { [name]: value } : {};
  };
  return {
    ...text('db'),
    ...text('profile'),
    ...text('actor'),
    ...(typeof asOf === 'string' ? { asOf } : {}),
    json: global('json') === true,
    quiet: global('quiet') === true,
    yes: global('yes') === true,
    insecure: global('insecure') === true,
  };
}

/** The output formats (JSON, CSV, TSV, tables), loaded by the outputs that use them: a plain text needs none. */
const output = () => import('./cli/output.js');

/** How a list leaves the program: JSON, ids only, CSV, a workbook, TSV when piped, a table on a terminal. */
async function print(command: Command, result: CommandResult, context: Context, options: ParsedOptions): Promise<void> {
  const spec = command.rows;
  const rows = result.rows;
  const xlsx = typeof options.xlsx === 'string' ? options.xlsx : undefined;
  if (spec !== undefined && rows !== undefined && xlsx !== undefined) {
    await checkOutputFile(context, xlsx, options.force === true);
    const [{ workbook }, { json, sheetOf }] = await Promise.all([import('./cli/xlsx.js'), output()]);
    await writeFileAtomically(xlsx, [await workbook([sheetOf(spec, rows)])]);
    if (context.options.json) process.stdout.write(json({ out: xlsx, rows: rows.length }));
    else context.note(`Classeur écrit : ${escapeForTerminal(xlsx)} (${countOf(rows.length, 'ligne')}).`);
    return;
  }
  if (context.options.json) {
    const fields = context.options.jsonFields;
    if (result.jsonText !== undefined && fields === undefined) {
      // Corked, the pieces leave in as few system calls as the stream can (writev).
      process.stdout.cork();
      for (const piece of result.jsonText) process.stdout.write(piece);
      process.stdout.uncork();
      return;
    }
    const { json, pickFields } = await output();
    if (result.json !== undefined)
      process.stdout.write(json(fields === undefined || spec === undefined ? result.json : pickFields(result.json, spec.key, fields)));
    return;
  }
  if (context.options.quiet) {
    if (spec?.id !== undefined && rows !== undefined) process.stdout.write(rows.map((row) => `${spec.id!(row)}\n`).join(''));
    else if (result.quiet !== undefined) process.stdout.write(`${result.quiet}\n`);
    return;
  }
  if (spec !== undefined && rows !== undefined && options.csv === true) {
    process.stdout.write((await output()).csv(spec, rows));
    return;
  }
  const text = spec !== undefined && rows !== undefined && process.stdout.isTTY !== true ? (await output()).tsv(spec, rows) : result.text();
  if (text !== '') process.stdout.write(`${text}\n`);
}

/**
 * An input's refusal in the words of the command's line: the operation's paths (`reason`,
 * `partnerId`, `cafs[0]`, `owner.name`, `ids[0]`, `question.openedAt`) said as what was typed,
 * the option or the argument (trial 35, review 36). A path the line does not explain is left as
 * it is. Any refusal's listed problems are said so; the message too when it is the list.
 */
function inLineTerms(declared: DeclaredCommand, options: Record<string, unknown>, error: unknown): unknown {
  if (!(error instanceof CafsupError)) return error;
  const { problems } = error.details;
  if (problems === undefined) return error;
  const argument = declared.positionals?.names.split(' ')[0];
  // An option given on the line: a value of a file (an avenant's title) is named as the file names it.
  const given = (name: string) => (name in (declared.options ?? {}) && options[name] !== undefined ? `--${name}` : undefined);
  const terms: Record<string, string | undefined> = {
    // The argument when it names a record (not `api`'s OPÉRATION).
    id: argument !== undefined && ['ID', 'PARTENAIRE', 'UTILISATEUR', 'GROUPE'].includes(argument) ? argument : undefined,
    partnerId: argument === 'PARTENAIRE' ? argument : given('partner'),
    'owner.name': argument === 'NOM' ? argument : undefined,
    'owner.email': given('email'),
    cafs: given('caf'),
    cafCode: given('caf'),
    userId: given('user'),
    groupId: given('group'),
    memberIds: given('member'),
    completedAt: given('date'),
    answeredAt: given('at'),
    // A form given inline or as a file.
    form: given('form') ?? given('file'),
    ids: given('habilitation') ?? given('user'),
  };
  // `receivedAt` is `--received`, `openedAt` `--opened`, `endsAt` `--ends`.
  const termOf = (segment: string) =>
    given(segment.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)) ?? given(segment.replace(/At$/, '')) ?? terms[segment];
  const typed = (path: string): string => {
    // `api --input`: the whole input is the option's JSON.
    if (given('input') !== undefined) return path === DOCUMENT_PATH ? '--input' : `--input (${path})`;
    const first = /^[^.[]*/.exec(path)![0];
    const term = termOf(first);
    if (terms[path] !== undefined && term === undefined) return terms[path];
    const rest = path.slice(first.length).replace(/^\./, '');
    // The call's own wrapper (`question.text`, `review.reviewer`): the field within it.
    if (term === undefined) return rest !== '' && first !== '' && !rest.startsWith('[') ? ((next) => (next === rest ? path : next))(typed(rest)) : path;
    // A repeated option's value by its place: the value itself (`--caf « abc »`).
    const place = /^\[(\d+)\]$/.exec(rest);
    const values = options[term.slice(2)];
    if (place !== null && Array.isArray(values) && typeof values[Number(place[1])] === 'string') {
      return `${term} ${quoted(values[Number(place[1])] as string)}`;
    }
    // Within the option's JSON, the field is kept (`--form (email)`).
    return rest === '' || place !== null ? term : `${term} (${rest})`;
  };
  if (problems.every((problem) => typed(problem.path) === problem.path)) return error;
  const said = problems.map((problem) => ({ ...problem, path: typed(problem.path) }));
  if (error.message === invalidInputMessage(problems)) return invalidInput(said);
  return new CafsupError(error.code, error.message, { ...error.details, problems: said }, { cause: error });
}

/** Parses a command's line from its declaration; its code is loaded only once the line is right and asks for more than help. */
async function runCommand(declared: DeclaredCommand, rawArgs: string[]): Promise<number> {
  const { args, fields } = jsonFields(declared, rawArgs);
  const specs = optionsOf(declared);
  const { options, positionals, listedBefore } = parseOptions(specs, args);
  if (options.help === true) {
    process.stdout.write(commandHelp(declared));
    return 0;
  }
  normaliseOptions(specs, options);
  const expected = declared.positionals ?? { min: 0, max: 0, names: '' };
  if (positionals.length < expected.min) throw new UsageError(`Il manque ${expected.names} : ${declared.usage}`);
  if (positionals.length > expected.max) {
    const list = listedBefore.get(expected.max);
    // The form, not these values: the word may as well be the command's own argument, misplaced.
    const hint = list === undefined ? '' : ` Plusieurs valeurs de --${list} se donnent séparées par des virgules (--${list} a,b) ou en répétant l’option.`;
    throw new UsageError(`Argument en trop : « ${positionals[expected.max]} ».${hint} Usage : ${declared.usage}`);
  }
  const context = new Context({ ...globalOptions(options, { ...declared.options }), ...(fields === null ? {} : { jsonFields: fields }) });
  const formats = [context.options.json && '--json', options.csv === true && '--csv', typeof options.xlsx === 'string' && '--xlsx'].filter(Boolean);
  if (formats.length > 1) throw new UsageError(`${formats.join(' et ')} : choisissez une seule sortie.`);
  let result: CommandResult;
  let command: Command;
  try {
    command = await declared.load();
    result = await command.run(context, { options, positionals }).catch(async (error: unknown) => {
      const said = inLineTerms(declared, options, error);
      throw context.openedClient === null ? said : await withNearestIds(context.openedClient, said);
    });
  } catch (error) {
    // Another call of the command may still be on its way, and the failure is said after a moment at most.
    await closeWithin(context);
    throw error;
  }
  try {
    await print(command, result, context, options);
    return result.exitCode ?? 0;
  } finally {
    await context.close();
  }
}

function isPromptInterrupted(error: unknown): boolean {
  return error instanceof InterruptedError || (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError'));
}

async function report(error: unknown, asJson: boolean): Promise<number> {
  if (isPromptInterrupted(error)) return EXIT_INTERRUPTED;
  // Messages quote what was typed or stored: a control character in it never reaches the terminal.
  if (error instanceof UsageError) {
    process.stderr.write(`${escapeForTerminal(error.message)}\nAide : cafsup --help\n`);
    if (asJson) process.stdout.write((await output()).json({ error: { code: 'USAGE', message: error.message } }));
    return EXIT_USAGE;
  }
  const failure = toCafsupError(error);
  const { heading, problems } = refusalLines(failure);
  process.stderr.write(`${escapeForTerminal(heading)}\n${problems.map((problem) => `  ${escapeForTerminal(problem)}\n`).join('')}`);
  if (failure.code === 'INTERNAL' || process.env.CAFSUP_DEBUG === '1') {
    const cause = failure.code === 'INTERNAL' ? failure.cause : error;
    // With its causes: a PostgreSQL error's French sentence leaves the driver's and the server's own words there.
    if (process.env.CAFSUP_DEBUG === '1') process.stderr.write(`${inspect(cause)}\n`);
    else if (failure.code === 'INTERNAL') process.stderr.write('Relancez avec CAFSUP_DEBUG=1 pour le détail, et signalez-le.\n');
  }
  if (asJson) process.stdout.write((await output()).json({ error: failure.toJSON() }));
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
 * an actor not yet set is asked (once, then saved) before the screen is taken over.
 */
async function openInterface(args: string[]): Promise<number> {
  const { options, positionals } = parseOptions(GLOBAL_OPTIONS, args);
  if (positionals.length > 0) throw new UsageError(`Argument en trop : « ${positionals[0]} ». Usage : cafsup tui [--db FICHIER]`);
  normaliseOptions(GLOBAL_OPTIONS, options);
  const context = new Context(globalOptions(options));
  if (!context.interactive) throw new UsageError('L’interface plein écran demande un terminal ; sans terminal, utilisez les commandes (cafsup --help).');
  try {
    const today = todayInParis(new Date());
    const open = async (): Promise<Session> => {
      const client = await context.client({ write: true, interactive: true });
      // The first screen's data is asked for first: the store (a server, or the store's threads)
      // works on it while the rest of the session is put together.
      const { DashboardAhead } = await import('./ui/dashboard-data.js');
      const dashboardAhead = new DashboardAhead(client, context.options.asOf ?? today);
      const [identity, { isReadOnlyStore }] = await Promise.all([client.whoami(), import('./ui/read-only.js')]);
      return {
        client,
        source: await context.source(),
        actor: identity.actor,
        // A read-only file offers no action rather than failing at the first one (tui.md, « lecture seule »).
        canWrite: identity.role === 'supervisor' && identity.readOnly !== true && !isReadOnlyStore(client.info()),
        today,
        dashboardAhead,
      };
    };
    const asOf = context.options.asOf === undefined ? {} : { asOf: context.options.asOf };
    if (context.actorSet()) {
      // No one to ask: the first frame is drawn before the SDK loads and the store opens. Once
      // it is, the store's threads start loading their code, on the other core, while this one
      // loads the SDK. (Started before the frame, they slowed it by 50–100 ms on two cores.)
      const { releaseWarmWorkers, warmStoreWorkers } = await import('@cafsup/sdk/warm');
      const { runInterface, OpeningCancelled } = await loadInterface();
      context.terminalTaken = true;
      const opening = new Promise((drawn) => setImmediate(drawn)).then(() => {
        warmStoreWorkers();
        return open();
      });
      // Those no pool took (a server, PostgreSQL, a store that did not open) end with the opening.
      void opening.finally(releaseWarmWorkers).catch(() => undefined);
      try {
        return await runInterface(opening, asOf);
      } catch (error) {
        if (error instanceof OpeningCancelled) {
          throw new CafsupError(
            'UNAVAILABLE',
            `Ouverture abandonnée (Échap) : ${await context.source()} n’avait pas encore répondu ; vérifiez-le (cafsup whoami), puis relancez cafsup.`,
          );
        }
        // A saved actor found unreadable: asked below, on the terminal given back.
        if (!(error instanceof TerminalTaken)) throw error;
      } finally {
        context.terminalTaken = false;
      }
    }
    // The actor is asked (once, then saved) before the screen is taken; the interface's code loads meanwhile.
    const [session, { runInterface }] = await Promise.all([open(), loadInterface()]);
    return await runInterface(session, asOf);
  } finally {
    // The screen is given back; a read of the interface may still wait (its check for others'
    // writes, behind a PostgreSQL lock held elsewhere): `q` ends it after a moment at most.
    await closeWithin(context);
  }
}

/** A command main runs itself (`cafsup` alone, `cafsup start`). */
function commandNamed(name: string): DeclaredCommand {
  return findCommand([name])!.command;
}

/** `cafsup` alone: the interface on a terminal, the plain dashboard otherwise (and with --json). */
function openDefault(args: string[]): Promise<number> {
  const interactive = onTerminal() && !args.includes('--json');
  return interactive ? openInterface(args) : runCommand(commandNamed('dashboard'), args);
}

/** `cafsup start` (the README's first command): the demo database when missing, then `cafsup`. */
async function start(rest: string[]): Promise<number> {
  const created = await runCommand(commandNamed('demo'), ['--if-missing', ...rest]);
  return created === 0 ? openDefault(rest) : created;
}

/** Every word that starts a command, for « vouliez-vous dire ». */
function commandWords(): string[] {
  return COMMANDS.flatMap((command) => [command.name, ...(command.aliases ?? [])]).map((name) => name.split(' ')[0]!);
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`cafsup ${__CAFSUP_VERSION__}\n`);
    return 0;
  }
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
      const second =
        words[1] === undefined
          ? ''
          : suggest(
              words[1],
              family.map((command) => command.name.split(' ')[1]!),
              (word) => `« cafsup ${words[0]} ${word} »`,
            );
      throw new UsageError(`« cafsup ${words.join(' ')} » : précisez ${family.map((command) => `« cafsup ${command.name} »`).join(', ')}.${second}`);
    }
    throw new UsageError(`Commande inconnue : « ${words[0]} ».${suggest(words[0]!, ['tui', 'start', 'help', ...commandWords()])}`);
  }
  return runCommand(found.command, [...words.slice(found.consumed), ...rest]);
}

// A terminal's colour settings follow NO_COLOR for the libraries that only read FORCE_COLOR.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0';
// No listener of SIGINT or SIGTERM here: a command is ended by the signal itself, at once, even
// while SQLite holds its thread (cli/interrupt.ts). `serve` and the interface listen for their own.
/** How long a failed command, or the interface left, waits for its store to close. */
const CLOSE_WITHIN_MS = 1000;

/**
 * Closes the store, waiting CLOSE_WITHIN_MS at most: closing waits for every call on its way (a
 * PostgreSQL read waiting for a lock held elsewhere, for as long as it is held). Past that, the
 * process ends once what follows is said, whatever its connections still wait for; nothing
 * acknowledged is left behind (a write not yet committed is rolled back by the server).
 */
async function closeWithin(context: Context): Promise<void> {
  const closed = await Promise.race([
    context.close().then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_WITHIN_MS).unref()),
  ]);
  if (!closed) setTimeout(() => process.exit(), CLOSE_WITHIN_MS).unref();
}

// `cafsup audit | head` closes the pipe early: the reader has what it wanted, that is no error.
// Nor is a terminal closed under the command (EIO): nobody is left to read its answer.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE' || error.code === 'EIO') process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
const asJson = argv.some((arg) => arg === '--json' || arg.startsWith('--json='));
let settled = false;
/**
 * A command whose work stopped without settling — a driver's callback never called, an error
 * thrown where nothing waited for it — left nothing for Node to run, and the process ended with
 * exit 0 having said nothing (session 24: a port past 65535). Said as what it is instead: an
 * internal error, whose effect the supervisor must check. `serve` and the interface settle
 * before their handles close, so this never fires for them.
 */
process.once('beforeExit', () => {
  if (settled) return;
  const stopped = new CafsupError(
    'INTERNAL',
    'La commande s’est arrêtée sans aboutir ni dire pourquoi : vérifiez son effet avant de la relancer.',
    {},
    // What CAFSUP_DEBUG=1 prints.
    { cause: new Error('the event loop emptied before the command settled') },
  );
  void report(stopped, asJson).then((code) => {
    process.exitCode = code;
  });
});
main(argv).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  async (error: unknown) => {
    settled = true;
    process.exitCode = await report(error, asJson);
    // A failure said, nothing is left to do, but a driver may still hold a socket nothing will use
    // again (node-postgres, refused at authentication for want of a password, leaves it to the
    // server's own timeout: a minute). Unreferenced: a process with nothing left ends at once.
    setTimeout(() => process.exit(), 1000).unref();
  },
);
