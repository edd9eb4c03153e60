import { existsSync, rmSync } from 'node:fs';
import { CafsupError, readOnlyStore, readOnlyWrite, type Actor } from '@cafsup/shared';
import type { CafsupClient, ResolvedConnection, StoreAside } from '@cafsup/sdk';
import { readSettings, shownLocation, shownServer } from '@cafsup/sdk/settings';
import type { ConfigValues } from './config.js';
import { endingOnStop, removedOnStop, whileAsking } from './interrupt.js';

/**
 * PostgreSQL connections of a plain command's client. Each costs the server a new backend, whose
 * first statements also fill its catalogue caches: a command whose calls start together opened
 * three for a few queries of a millisecond each, and `cafsup partner` on the national store took
 * ~50 ms less with two (medians of 9, alternated). The interface keeps the store's default: a
 * write waiting for a lock there must not hold back every screen's reads.
 */
const COMMAND_CONNECTIONS = 2;

/** Both ends are a person's terminal: someone can answer a question and read a screen. */
export function onTerminal(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}

/** A mistake in the command line itself: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * `work`, whose refusal of what it was given (VALIDATION: settings that contradict each other, a
 * database URL the driver could not read) is a mistake in how cafsup was called: exit 2.
 */
export function asUsage<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof CafsupError && error.code === 'VALIDATION') throw new UsageError(error.message);
    throw error;
  }
}

/** Ctrl-C at one of cafsup's own questions: exit 130, like any interrupted program. */
export class InterruptedError extends Error {
  constructor() {
    super('Interrompu.');
    this.name = 'InterruptedError';
  }
}

/** A question cafsup would ask while the full-screen interface holds the terminal: it asks once the screen is given back. */
export class TerminalTaken extends Error {
  constructor() {
    super('Question posée pendant que l’interface occupe le terminal.');
    this.name = 'TerminalTaken';
  }
}

export interface GlobalOptions {
  db?: string;
  profile?: string;
  actor?: string;
  asOf?: string;
  json: boolean;
  /** `--json=CHAMPS`: the fields of a list's rows that its JSON keeps. */
  jsonFields?: readonly string[];
  quiet: boolean;
  yes: boolean;
  /** Plain http:// to a remote server is allowed (`--insecure`). */
  insecure: boolean;
}

/**
 * What every command may ask for, resolved once per run at the edge: database, actor, clock,
 * terminal. The SDK and the settings are loaded when first asked for: a command that needs
 * neither (completion, config path) starts without the store, SQLite or zod.
 */
export class Context {
  private opened: CafsupClient | null = null;
  /** The folder of a dry run's store (`dryRunClient`), removed once the client is closed, and what stops listening for a stop meanwhile. */
  private scratch: { folder: string; stopListening: () => void } | null = null;
  /** The file a new SQLite store is made in (`newStoreClient`) until put in place, and what stops listening for a stop meanwhile. */
  private aside: { made: StoreAside; stopListening: () => void } | null = null;
  /** Settings are read once per run, however many times a command asks where the data is. */
  private resolved: ResolvedConnection | null = null;
  private config: ConfigValues | null = null;

  constructor(readonly options: GlobalOptions) {}

  get interactive(): boolean {
    return onTerminal();
  }

  /**
   * Where the data is, by the one precedence of every setting (`resolveConnection`: flag >
   * environment > settings); `fileOnly` for a command on a local file.
   */
  async connection(fileOnly = false): Promise<ResolvedConnection> {
    if (this.resolved !== null) return this.resolved;
    const { resolveConnection } = await import('@cafsup/sdk');
    this.resolved = asUsage(() =>
      resolveConnection({
        ...(this.options.db === undefined ? {} : { db: this.options.db }),
        ...(this.options.profile === undefined ? {} : { profile: this.options.profile }),
        fileOnly,
      }),
    );
    return this.resolved;
  }

  /** The SQLite file of a local connection; commands that build a file (demo, import) need one. */
  async databasePath(): Promise<string> {
    const connection = await this.connection(true);
    if (connection.kind === 'http') throw new UsageError((await import('@cafsup/sdk')).serverNotFile(connection).message);
    // SQLite's name for a store in memory, which a command's end takes away: an import there said
    // « Import terminé » and kept nothing (trial 38b).
    if (connection.database === ':memory:')
      throw new UsageError('--db :memory: : une base en mémoire ne garde rien d’une commande à l’autre ; donnez un fichier.');
    return connection.database;
  }

  /** The file path, or the server's or PostgreSQL's URL without its password, for status lines. */
  async source(): Promise<string> {
    const connection = await this.connection();
    return connection.kind === 'http' ? shownServer(connection.baseUrl) : shownLocation(connection.database);
  }

  /**
   * The client on the store; `create` only for commands that build a database (demo, import);
   * `actor` for writes made by cafsup itself rather than by a supervisor (the demo data).
   */
  /**
   * `interactive`: the full-screen interface, which runs the store off its thread (a lock held
   * elsewhere never freezes the screen) and opens a read-only file read only, offering no action.
   */
  async client(options: { write?: boolean; create?: boolean | 'by-import'; actor?: Actor; interactive?: boolean } = {}): Promise<CafsupClient> {
    if (this.opened !== null) return this.opened;
    const connection = await this.connection();
    const { createClient, databaseNotFound, isPostgresUrl, writable } = await import('@cafsup/sdk');
    // Remotely the actor is the token's owner (art. 9.2): the client never chooses it.
    if (connection.kind === 'http')
      return (this.opened = createClient({ baseUrl: connection.baseUrl, token: connection.token, insecure: this.options.insecure }));
    const database = await this.databasePath();
    // A PostgreSQL database has no file: what its role may do is said when a write is tried.
    const onFile = !isPostgresUrl(database);
    const readOnly = onFile && existsSync(database) && !writable(database);
    if ((options.write === true || options.create === true) && readOnly && options.interactive !== true) {
      throw readOnlyWrite(database);
    }
    if (options.interactive === true && onFile && !existsSync(database)) {
      // The off-thread store would say so only at its first call, inside the screen.
      throw databaseNotFound(shownLocation(database));
    }
    const actor = options.actor ?? (options.write && !readOnly ? await this.actor() : null);
    try {
      this.opened =
        options.interactive === true && !readOnly
          ? createClient({ database, actor, offThread: true, create: false })
          : createClient({
              database,
              actor,
              create: options.create ?? false,
              ...(readOnly ? { readonly: true } : {}),
              ...(options.interactive === true ? {} : { connections: COMMAND_CONNECTIONS }),
            });
    } catch (error) {
      // Opening sets up the journal, which a read-only file or folder refuses: say so, exit 6.
      throw readOnlyStore(database, error) ?? error;
    }
    // A PostgreSQL store opens at its first call, which the interface makes inside its screen: a
    // database without cafsup's tables is refused here, exit 6, as a missing file is above.
    if (options.interactive === true && !onFile) await this.opened.traces.head();
    return this.opened;
  }

  /** The actor's text and the setting that gives it, by the one precedence: flag, environment, `saved` (the settings file). */
  private actorGiven(saved: () => unknown): [string, string] | null {
    if (this.options.actor !== undefined) return [this.options.actor, '--actor'];
    if ((process.env.CAFSUP_ACTOR ?? '') !== '') return [process.env.CAFSUP_ACTOR!, 'CAFSUP_ACTOR'];
    const value = saved();
    return typeof value === 'string' ? [value, 'config actor'] : null;
  }

  /** The actor a local write would use and the setting that gives it, without asking: null when none is set. */
  async actorSetting(): Promise<{ actor: Actor; chosenBy: string } | null> {
    const { parseActor, readConfig } = await import('./config.js');
    const given = this.actorGiven(() => (this.config ??= readConfig()).actor);
    if (given === null) return null;
    const [text, chosenBy] = given;
    const actor = parseActor(text);
    if (actor === null) throw new UsageError(`Personne qui agit illisible (${chosenBy}) : « ${text} » ; attendu « Prénom Nom <mél> ».`);
    return { actor, chosenBy };
  }

  /**
   * Whether an actor for local writes is set, read without the SDK or zod (the settings file as
   * saved): the interface then draws its first frame before it opens the store. A saved value
   * that proves unreadable is asked for then (TerminalTaken: once the screen is given back).
   */
  actorSet(): boolean {
    return this.actorGiven(() => readSettings().actor) !== null;
  }

  /** True while the full-screen interface holds the terminal: nothing may be asked on it then. */
  terminalTaken = false;

  /** `--actor`, else `CAFSUP_ACTOR`, else the saved setting; asked once and saved on a terminal. */
  async actor(): Promise<Actor> {
    const setting = await this.actorSetting();
    if (setting !== null) return setting.actor;
    if (!this.interactive) {
      throw new UsageError('Indiquez qui agit avec --actor « Prénom Nom <mél> » (ou CAFSUP_ACTOR, ou « cafsup config set actor … »).');
    }
    const answer = await this.ask('Qui agit ? Toute modification porte votre nom et votre mél (« Prénom Nom <mél> ») : ', null);
    // Ctrl-D: the person gave up, as at « Motif » (trial 26: « Valeur refusée pour actor », exit 5).
    if (answer === null) throw new CafsupError('FORBIDDEN', 'Commande annulée (personne n’agit) : rien n’a été modifié.');
    const { formatActor, openConfig, parseActor, validateConfigValue } = await import('./config.js');
    const value = validateConfigValue('actor', answer.trim());
    (await openConfig()).set('actor', value);
    process.stderr.write(`Enregistré : ${formatActor(parseActor(value)!)} agira pour les prochaines commandes.\n`);
    return parseActor(value)!;
  }

  /** A French « o/n » question (@inquirer's confirm only understands y/n). */
  async confirm(question: string): Promise<boolean> {
    for (;;) {
      const answer = (await this.ask(`${question} (o/n) `)).trim().toLowerCase();
      if (['o', 'oui', 'y', 'yes'].includes(answer)) return true;
      if (['n', 'non', 'no', ''].includes(answer)) return false;
    }
  }

  /**
   * The reason rule of every write (rules.md), before its preview: a dry run needs no reason; a
   * real one without `--reason` is refused before any work when no terminal can ask it. Returns
   * the reason of the real run: the one given, else asked after the preview, or none when the
   * operation words its own (`defaulted`).
   */
  async reasonRule(given: string | undefined, dryRun: boolean, defaulted = false): Promise<() => Promise<string | undefined>> {
    const asked = given === undefined && !defaulted;
    if (asked && !dryRun && !this.interactive) await this.reason(given);
    return async () => (asked ? this.reason(given) : given);
  }

  /**
   * The reason of an action, asked after its preview when `--reason` was not given (rules.md:
   * a dry run needs none); without a terminal it must come with the command.
   */
  private async reason(given: string | undefined): Promise<string> {
    if (given !== undefined) return given;
    if (!this.interactive) throw new UsageError('Motif obligatoire : ajoutez --reason « … » (5 caractères visibles au moins).');
    const answer = await this.ask('Motif (5 caractères visibles au moins) : ', null);
    // Ctrl-D: the person gave up, as a « n » to the confirmation (trial 25: it went on without a reason, then was refused).
    if (answer === null) throw new CafsupError('FORBIDDEN', 'Action annulée (aucun motif) : rien n’a été modifié.');
    return answer.trim();
  }

  /** One line typed at the terminal; Ctrl-C rejects with InterruptedError, end of input (Ctrl-D) answers `ended` (''). */
  private async ask(question: string): Promise<string>;
  private async ask<T>(question: string, ended: T): Promise<string | T>;
  private async ask(question: string, ended: unknown = ''): Promise<unknown> {
    if (this.terminalTaken) throw new TerminalTaken();
    // Node's readline loads at the first question: a command that asks none never pays for it.
    const { createInterface } = await import('node:readline/promises');
    // After the interface (a question asked once it gave the terminal back), stdin is left
    // unreferenced by Ink: the wait for the answer must hold the process open.
    process.stdin.ref();
    const readline = createInterface({ input: process.stdin, output: process.stderr });
    // Ended without a line (Ctrl-C, Ctrl-D): what follows is said on a line of its own, once.
    let settled = false;
    const endLine = () => {
      if (!settled) process.stderr.write('\n');
      settled = true;
    };
    const answered = new Promise<unknown>((resolve, reject) => {
      readline.once('SIGINT', () => {
        endLine();
        reject(new InterruptedError());
      });
      readline.once('close', () => {
        endLine();
        resolve(ended);
      });
      readline.question(question).then(
        (line) => {
          settled = true;
          resolve(line);
        },
        () => resolve(ended),
      );
    }).finally(() => readline.close());
    return whileAsking(() => answered);
  }

  /** A line for the person at the terminal (plans, progress), on stderr; none with --json or --quiet. */
  note(text: string): void {
    if (!this.options.json && !this.options.quiet) process.stderr.write(`${text}\n`);
  }

  /** The client if a command opened one (for « vouliez-vous dire » after a missing id). */
  get openedClient(): CafsupClient | null {
    return this.opened;
  }

  /**
   * Asks « o/n » before a write unless --yes; `question` is made only when it is asked. Without
   * a terminal nobody can confirm: only `--yes` goes ahead (exit 4).
   */
  async approve(question: string | (() => Promise<string>)): Promise<void> {
    if (this.options.yes) return;
    if (!this.interactive) {
      // The question said, so that a script's log tells which write was refused and why it was asked.
      const asked = typeof question === 'string' ? ` « ${question} »` : '';
      throw new CafsupError('FORBIDDEN', `Action refusée : pas de terminal pour confirmer${asked}. Relancez avec --yes pour confirmer d’avance.`);
    }
    if (!(await this.confirm(typeof question === 'string' ? question : await question()))) {
      throw new CafsupError('FORBIDDEN', 'Action annulée : rien n’a été modifié.');
    }
  }

  /**
   * The person a write is made in the name of: on a server the token's owner, as the server
   * records it whatever this machine's settings say (art. 9.2); locally the actor setting.
   */
  async writer(): Promise<Actor> {
    if ((await this.connection()).kind === 'http') {
      // A token always has its owner; null is a local client's without an actor.
      const { actor } = await (await this.client()).whoami();
      if (actor !== null) return actor;
    }
    return this.actor();
  }

  /**
   * The client of an import's dry run (`absent`: the store is not there yet). A missing file or a
   * PostgreSQL database without cafsup's tables is not made by a simulation that says « rien n'a
   * été écrit » (review 32, L1): the file is tried on an empty store in a private temporary
   * folder, which is what importing it there would start from.
   */
  async dryRunClient(): Promise<{ client: CafsupClient; absent: boolean }> {
    const existing = await this.existingStore();
    if (existing !== null) return { client: existing, absent: false };
    const { createClient } = await import('@cafsup/sdk');
    const [{ mkdtempSync }, { tmpdir }, { join }] = await Promise.all([import('node:fs'), import('node:os'), import('node:path')]);
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-simulation-'));
    // Ctrl-C, SIGTERM or the terminal's end during the simulation take its folder with them: it
    // was left behind, a store as large as the file's (review 33, L3).
    this.scratch = { folder, stopListening: removedOnStop(folder) };
    this.opened = createClient({ database: join(folder, 'simulation.db'), actor: await this.actor(), create: true, connections: COMMAND_CONNECTIONS });
    return { client: this.opened, absent: true };
  }

  /**
   * The client of an import, writing in `actor`'s name (the actor setting's unless given), and
   * whether the import makes its store: a file not there yet, or a PostgreSQL database without
   * cafsup's tables (`newStoreClient`). Refused, such an import takes its store away again
   * (`forgetMadeStore`): a refused import writes nothing (dataset.md), and the location must not
   * answer afterwards as an empty store.
   */
  async importClient(actor?: Actor): Promise<{ client: CafsupClient; makesStore: boolean }> {
    const existing = await this.existingStore(actor);
    if (existing !== null) return { client: existing, makesStore: false };
    return { client: await this.newStoreClient(actor ?? (await this.actor())), makesStore: true };
  }

  /** A writing client on the store there (in `actor`'s name when given), or null when there is none yet (nothing made). A server has its store. */
  private async existingStore(actor?: Actor): Promise<CafsupClient | null> {
    if ((await this.connection()).kind === 'http') return this.client({ write: true });
    const { isAbsentStore } = await import('@cafsup/sdk');
    try {
      const client = await this.client({ write: true, ...(actor === undefined ? {} : { actor }) });
      // A PostgreSQL store opens at its first call.
      await client.traces.head();
      return client;
    } catch (error) {
      if (!isAbsentStore(error)) throw error;
    }
    await this.opened?.close();
    this.opened = null;
    return null;
  }

  /**
   * A client on a new store at the database's location, writing in `actor`'s name, for its first
   * import. On PostgreSQL, the database itself, whose tables the import makes in its own
   * transaction (`create: 'by-import'`): a stop, even kill -9, or a refusal before its commit
   * leaves none, and a store another process made there meanwhile is not imported into but
   * kept (CONFLICT). A SQLite file is made aside (made-aside.ts; `create: 'made-aside'`, its
   * commits unsynced) and put in place, synced, once its import committed (`putMadeStoreInPlace`);
   * until then its location stays « introuvable », and the file goes with its client (`close`),
   * or before Ctrl-C, SIGTERM or SIGHUP ends the process.
   * An empty store left by an import cut short answered « 0 partenaire » (trial 35); a stop of one
   * of two first imports into one new path took away the file the other was writing (review 37, 4).
   * `replacing`: the store there, if any, is replaced by the new one once made (`demo --force`).
   */
  async newStoreClient(actor: Actor, options: { replacing?: boolean } = {}): Promise<CafsupClient> {
    const database = await this.databasePath();
    const { createClient, isPostgresUrl, makeStoreAside, removeStoreFile } = await import('@cafsup/sdk');
    if (isPostgresUrl(database)) return this.client({ write: true, create: 'by-import', actor });
    const made = makeStoreAside(database, await this.source(), options);
    // This process's own file: no other process's lock holds the main thread meanwhile (interrupt.ts).
    this.aside = { made, stopListening: endingOnStop(() => removeStoreFile(made.file)) };
    return (this.opened = createClient({ database: made.file, actor, create: 'made-aside', connections: COMMAND_CONNECTIONS }));
  }

  /** Once its import committed: the store `newStoreClient` made aside, closed and put in place (a conflict if another process made one there meanwhile). */
  async putMadeStoreInPlace(): Promise<void> {
    if (this.aside === null) return;
    await this.opened?.close();
    this.opened = null;
    const { putStoreInPlace } = await import('@cafsup/sdk');
    // Failed, the file made aside stays this process's to remove (`close`).
    await putStoreInPlace(this.aside.made, await this.databasePath(), await this.source());
    this.aside.stopListening();
    this.aside = null;
  }

  /** After a refused import that made its store: a file made aside goes (PostgreSQL's tables, made in the import's transaction, went with it). */
  async forgetMadeStore(): Promise<void> {
    await this.opened?.close();
    this.opened = null;
    if (this.aside !== null) await this.dropAside();
  }

  /** The store made aside and never put in place, its client closed: removed. */
  private async dropAside(): Promise<void> {
    const aside = this.aside!;
    this.aside = null;
    const { removeStoreFile } = await import('@cafsup/sdk');
    removeStoreFile(aside.made.file);
    aside.stopListening();
  }

  async close(): Promise<void> {
    try {
      await this.opened?.close();
    } finally {
      if (this.aside !== null) await this.dropAside();
      if (this.scratch !== null) {
        this.scratch.stopListening();
        rmSync(this.scratch.folder, { recursive: true, force: true });
      }
    }
  }
}
