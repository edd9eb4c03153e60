import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { CafsupError, formatActor, parseActor, type Actor } from '@cafsup/shared';
import { createClient, resolveProfile, type CafsupClient, type Connection } from '@cafsup/sdk';
import { openConfig, readConfig, validateConfigValue } from './config.js';

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

export interface GlobalOptions {
  db?: string;
  profile?: string;
  actor?: string;
  asOf?: string;
  json: boolean;
  yes: boolean;
  /** Plain http:// to a remote server is allowed (`--insecure`). */
  insecure: boolean;
}

/** What every command may ask for, resolved once per run at the edge: database, actor, clock, terminal. */
export class Context {
  private opened: CafsupClient | null = null;
  /** Settings are read once per run, however many times a command asks where the data is. */
  private resolved: Connection | null = null;
  private readonly config = readConfig();

  constructor(readonly options: GlobalOptions) {}

  get interactive(): boolean {
    return onTerminal();
  }

  /**
   * Where the data is: `--db` or `CAFSUP_DB` (a file) first, else `--profile` or
   * `CAFSUP_PROFILE` or the active profile (a server or a file), else the saved database, else
   * the platform's data folder.
   */
  connection(): Connection {
    if (this.resolved === null) {
      const file = this.options.db ?? process.env.CAFSUP_DB;
      this.resolved = file !== undefined ? { kind: 'local', profile: null, database: file, actor: null } : resolveProfile(this.options.profile ?? process.env.CAFSUP_PROFILE);
    }
    return this.resolved;
  }

  /** The SQLite file of a local connection; commands that build a file (demo, import) need one. */
  databasePath(): string {
    const connection = this.connection();
    if (connection.kind === 'http') throw new UsageError(`Le profil « ${connection.profile} » est un serveur (${connection.baseUrl}) : cette commande agit sur un fichier local (--db FICHIER).`);
    return connection.database;
  }

  /** The file path or the server URL, for status lines. */
  source(): string {
    const connection = this.connection();
    return connection.kind === 'http' ? connection.baseUrl : connection.database;
  }

  databaseExists(): boolean {
    return existsSync(this.databasePath());
  }

  /**
   * The client on the store; `create` only for commands that build a database (demo, import);
   * `actor` for writes made by cafsup itself rather than by a supervisor (the demo data).
   */
  async client(options: { write?: boolean; create?: boolean; actor?: Actor } = {}): Promise<CafsupClient> {
    if (this.opened !== null) return this.opened;
    const connection = this.connection();
    // Remotely the actor is the token's owner (art. 9.2): the client never chooses it.
    if (connection.kind === 'http') return (this.opened = createClient({ baseUrl: connection.baseUrl, token: connection.token, insecure: this.options.insecure }));
    const actor = options.actor ?? (options.write ? await this.actor() : null);
    this.opened = createClient({ database: this.databasePath(), actor, create: options.create ?? false });
    return this.opened;
  }

  /** `--actor`, else `CAFSUP_ACTOR`, else the saved setting; asked once and saved on a terminal. */
  async actor(): Promise<Actor> {
    const given = this.options.actor ?? process.env.CAFSUP_ACTOR ?? this.config.actor;
    if (given !== undefined) {
      const actor = parseActor(given);
      if (actor === null) throw new UsageError(`Personne qui agit illisible : « ${given} » ; attendu « Prénom Nom <mél> ».`);
      return actor;
    }
    if (!this.interactive) {
      throw new UsageError('Indiquez qui agit avec --actor « Prénom Nom <mél> » (ou CAFSUP_ACTOR, ou « cafsup config set actor … »).');
    }
    const answer = await this.ask('Qui agit ? Toute modification porte votre nom et votre mél (« Prénom Nom <mél> ») : ');
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

  private async ask(question: string): Promise<string> {
    const readline = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await readline.question(question);
    } finally {
      readline.close();
    }
  }

  /** Refuses an action that nobody can confirm: without a terminal, only `--yes` goes ahead (exit 4). */
  async approve(question: string): Promise<void> {
    if (this.options.yes) return;
    if (!this.interactive) {
      throw new CafsupError('FORBIDDEN', 'Action refusée : pas de terminal pour la confirmer. Relancez avec --yes pour confirmer d’avance.');
    }
    if (!(await this.confirm(question))) throw new CafsupError('FORBIDDEN', 'Action annulée : rien n’a été modifié.');
  }

  async close(): Promise<void> {
    await this.opened?.close();
  }
}
