import { AsyncLocalStorage } from 'node:async_hooks';
import { randomInt } from 'node:crypto';
import pg from 'pg';
import { CafsupError, LASTING, MAYBE_WRITTEN } from '@cafsup/shared';
import { fnv1a64 } from '../../fnv.js';
import { redact } from '../../settings.js';
import { numberNow, unavailable, type Params, type Sql } from './engine.js';

/**
 * Rewrites `?` and `@name` parameters as PostgreSQL's `$n`, skipping string literals, quoted
 * identifiers and comments. A name used twice is one parameter.
 */
export function toPostgres(
  sql: string,
  render: (position: number, name: string | null) => string = (position) => `$${position}`,
): { text: string; names: string[] | null; count: number } {
  let text = '';
  const names: string[] = [];
  let positional = 0;
  let index = 0;
  while (index < sql.length) {
    const char = sql[index]!;
    if (char === "'" || char === '"') {
      const end = sql.indexOf(char, index + 1);
      const stop = end === -1 ? sql.length : end + 1;
      text += sql.slice(index, stop);
      index = stop;
      // A doubled quote inside a literal is the quote itself: the scan goes on from it.
      continue;
    }
    if (char === '-' && sql[index + 1] === '-') {
      const end = sql.indexOf('\n', index);
      const stop = end === -1 ? sql.length : end;
      text += sql.slice(index, stop);
      index = stop;
      continue;
    }
    if (char === '?') {
      positional += 1;
      text += render(positional, null);
      index += 1;
      continue;
    }
    if (char === '@' && /[A-Za-z_]/.test(sql[index + 1] ?? '')) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(index + 1))!;
      let position = names.indexOf(match[0]);
      if (position === -1) position = names.push(match[0]) - 1;
      text += render(position + 1, match[0]);
      index += 1 + match[0].length;
      continue;
    }
    text += char;
    index += 1;
  }
  if (positional > 0 && names.length > 0) throw new Error('SQL mixes ? and @name parameters');
  return { text, names: names.length > 0 ? names : null, count: positional };
}

function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** What a text in an array literal has escaped with a backslash. */
const ARRAY_QUOTED = /["\\]/g;

/**
 * One column of `rows` as a PostgreSQL array literal, as node-postgres writes an array parameter
 * (each text quoted, its quotes and backslashes escaped), with less work: one replacement of a
 * text that returns it as it is when it has nothing to escape, where node-postgres ran two after
 * dispatching on its type. On a million habilitations imported, 1.4 s of the importing thread
 * instead of 3.0 (profiled). What is neither text, number nor NULL goes as an array, for
 * node-postgres to write.
 */
function arrayLiteral(rows: readonly (readonly unknown[])[], column: number): unknown {
  let text = '{';
  for (const [index, row] of rows.entries()) {
    const value = bindable(row[column]);
    if (index > 0) text += ',';
    if (value === null) text += 'NULL';
    else if (typeof value === 'number') text += String(value);
    else if (typeof value === 'string') text += `"${value.replace(ARRAY_QUOTED, '\\$&')}"`;
    else return rows.map((each) => bindable(each[column]));
  }
  return `${text}}`;
}

/** What COPY's text format escapes in a text, and how. */
const COPY_ESCAPED = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * The first `columns` values of each of `rows` in COPY's text format: a line per row, values
 * apart by tabs, NULL as `\N`, a text's backslashes, tabs and line ends escaped. Undefined when
 * a value is neither text, number nor NULL (`appendMany` then runs its statement).
 */
function copyData(rows: readonly (readonly unknown[])[], columns: number): Buffer | undefined {
  let text = '';
  for (const row of rows) {
    // The statement's columns only, as `runMany` binds them (a row may carry more).
    for (let column = 0; column < columns; column++) {
      const value = bindable(row[column]);
      if (column > 0) text += '\t';
      if (value === null) text += '\\N';
      else if (typeof value === 'number' && Number.isFinite(value)) text += String(value);
      else if (typeof value === 'string') text += value.replace(COPY_ESCAPED, (char) => COPY_ESCAPES[char]!);
      else return undefined;
    }
    text += '\n';
  }
  return Buffer.from(text);
}

/** The driver's side of COPY FROM STDIN, which node-postgres leaves to its callers: the data as one message once the server asks. */
interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** `COPY … FROM STDIN` with its rows (`copyData`), run as node-postgres runs its own queries. */
class CopyIn extends pg.Query {
  constructor(
    text: string,
    private readonly data: Buffer,
    done: (error: Error | undefined) => void,
  ) {
    super(text, done);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }
}

/** A write's commit round trip (`begin`): whether it was handed to the connection, and the tags of the statements the server completed. */
interface CommitRound {
  sent: boolean;
  tags: string[];
}

/**
 * The commit's round trip (`begin`), noting what `Written` is decided by: once a query is sent
 * the server may run it, and once a COMMIT is completed (its tag « COMMIT ») the write landed.
 */
class Committing extends pg.Query {
  constructor(
    config: pg.QueryConfig,
    private readonly round: CommitRound,
    done: (error: Error | undefined, results: pg.QueryResult | pg.QueryResult[]) => void,
  ) {
    super(config, done as never);
  }

  // A property in the driver's types: its method is the prototype's.
  override submit = (connection: pg.Connection): void => {
    this.round.sent = true;
    return pg.Query.prototype.submit.call(this, connection);
  };

  handleCommandComplete(message: { text?: string }, connection: unknown): void {
    this.round.tags.push(message.text ?? '');
    (pg.Query.prototype as unknown as { handleCommandComplete(message: unknown, connection: unknown): void }).handleCommandComplete.call(
      this,
      message,
      connection,
    );
  }
}

/** A parameter written into a statement sent without parameters (`runAll`): NULL, a number or a quoted string. */
function literal(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return pg.escapeLiteral(value);
  throw new Error(`runAll: no literal for ${typeof value}`);
}

/**
 * Whether every value is a text or NULL: then a quoted literal, untyped, takes its type from its
 * place as a parameter does, so the statement means the same with either.
 */
function allTexts(values: readonly unknown[]): boolean {
  return values.every((value) => value === null || typeof value === 'string');
}

/** `sql` with its parameters written in as literals (`literalOf`), for the simple protocol. */
function withLiterals(sql: string, params: Params | undefined, literalOf: (value: unknown) => string): string {
  const value = (position: number, name: string | null) =>
    literalOf(bindable(name === null ? (params as readonly unknown[])[position - 1] : (params as Record<string, unknown>)[name]));
  return toPostgres(sql, value).text;
}

/**
 * The numbers a write's statements decide (`laterNumber`), by stand-in, each with the setting of
 * the transaction where its statement keeps it for the write's later statements of the same round
 * trip: its value undefined until that round trip is back. The settings are named by their place
 * among the write's (`cafsup.late_0`, `_1`…), never by their stand-in: PostgreSQL keeps every
 * setting a connection ever named for the connection's life, and on 15 sorted them all at each new
 * one, while the write held the chain's head (review 30, H1: 45 ms a write after 700 writes).
 */
type LateNumbers = Map<number, { setting: string; value: number | undefined; none: () => Error }>;
/** Stand-ins lie past any trace number and below 2^53, drawn at random: no data holds one but by a chance of 2^-47. */
const drawStandIn = () => 2 ** 52 + randomInt(2 ** 47);
/** The column that names a stand-in in the answer of its statement (`laterNumber`). */
const LATE_COLUMN = 'cafsup_late';
/** What the statement of a `laterNumber` that decided no number fails with, its setting's name after it. */
const NO_NUMBER = 'cafsup sans nombre';

/** The refusal a `laterNumber` gave for its statement when it decides no number, if that is why `error` failed the write. */
function noNumber(inside: Context, error: unknown): Error | undefined {
  const setting = new RegExp(`${NO_NUMBER} (cafsup\\.late_\\d+)`).exec((error as { message?: unknown } | null)?.message as string)?.[1];
  for (const entry of inside.late?.values() ?? []) if (entry.setting === setting) return entry.none();
  return undefined;
}

/** A text with the stand-ins it holds, whose numbers are known, replaced by them. */
function knownIn(text: string, late: LateNumbers): string {
  for (const [standIn, { value }] of late) if (value !== undefined && text.includes(String(standIn))) text = text.replaceAll(String(standIn), String(value));
  return text;
}

/**
 * A value with the stand-ins whose numbers are known replaced by them. One whose statement a
 * savepoint rolled back stays as it is: the number of a trace that never was, as meaningless as
 * the one JavaScript would have given it.
 */
function withKnown(value: unknown, late: LateNumbers | undefined): unknown {
  if (late === undefined) return value;
  if (typeof value === 'number') return late.get(value)?.value ?? value;
  return typeof value === 'string' ? knownIn(value, late) : value;
}

/** A parameter as a literal, each stand-in whose number is not known yet read from its setting. */
function lateLiteral(value: unknown, late: LateNumbers | undefined): string {
  const known = withKnown(value, late);
  if (late === undefined) return literal(known);
  if (typeof known === 'number') {
    const pending = late.get(known);
    return pending === undefined || pending.value !== undefined ? literal(known) : `CAST(current_setting('${pending.setting}') AS bigint)`;
  }
  if (typeof known !== 'string') return literal(known);
  let sql = literal(known);
  for (const [standIn, { setting, value }] of late)
    if (value === undefined && known.includes(String(standIn))) sql = `replace(${sql}, '${standIn}', current_setting('${setting}'))`;
  return sql;
}

/** The results of a simple-protocol query, one per statement (node-postgres answers one alone as itself). */
const resultsOf = (results: pg.QueryResult | pg.QueryResult[]): pg.QueryResult[] => (Array.isArray(results) ? results : [results]);

/** Records the numbers that statements of `laterNumber`, among `results`, decided. */
function noteLate(inside: Context, results: readonly pg.QueryResult[]): void {
  if (inside.late === undefined) return;
  for (const result of results) {
    if (result.fields?.[0]?.name !== LATE_COLUMN) continue;
    for (const row of result.rows as unknown[]) {
      const [standIn, value]: unknown[] = Array.isArray(row)
        ? (row as unknown[])
        : [(row as Record<string, unknown>)[LATE_COLUMN], (row as Record<string, unknown>).value];
      const entry = inside.late.get(Number(standIn));
      if (entry !== undefined) entry.value = Number(value);
    }
  }
}

/**
 * What a write's transaction answers, with the stand-ins of its `laterNumber`s replaced by their
 * numbers (`withKnown`), wherever they are (a trace's number in an action's answer, a number in a
 * text): in place, as the objects and arrays the work made.
 */
function withNumbers(value: unknown, late: LateNumbers): unknown {
  if (typeof value === 'number' || typeof value === 'string') return withKnown(value, late);
  if (Array.isArray(value)) value.forEach((item, index) => (value[index] = withNumbers(item, late)));
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = withNumbers(record[key], late);
  }
  return value;
}

/** PostgreSQL answers 64-bit integers and numerics as strings; cafsup's counts and keys fit in a double. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};

const CURSOR_BATCH = 2000;

/** `maintenance_work_mem` of a bulk load's transaction (`appending`), in kB. */
const APPENDING_SORT_KB = 256 * 1024;

/** Statements named for PostgreSQL to prepare, at most (per process; each connection prepares those it runs). */
const PREPARED_NAMES = 256;

/** Rows sent by one statement of `runMany`: with arrays, as many as a buffer of a few MB holds. */
const MANY_ROWS = 5000;
/** Rows of one multi-row `VALUES` list (`runMany` of a statement other than an insert), under the 65,535 parameters of a statement. */
const VALUES_ROWS = 1000;

const INSERT_VALUES = /^(\s*INSERT INTO (\w+) \(([^)]+)\)\s*)VALUES \(([?, ]+)\)/;

/** An `INSERT INTO table (columns) VALUES (?, …) …`: its head up to VALUES, the rest after the tuple, its table and columns; null for another statement. */
function insertValues(sql: string): { start: string; rest: string; table: string; columns: string[] } | null {
  const match = INSERT_VALUES.exec(sql);
  if (match === null) return null;
  const [throughTuple, start, table, columns] = match as unknown as [string, string, string, string];
  return { start, rest: sql.slice(throughTuple.length), table, columns: columns.split(',').map((name) => name.trim()) };
}

/**
 * Rows whose texts average more than this many characters go as parameters of their own rather
 * than in arrays: an array goes as one literal (`arrayLiteral`), each element's quotes and
 * backslashes escaped in JavaScript. A national audit's kept flags (40 MB of JSON in 5,000 rows)
 * took 3.3 s so, mostly collecting the garbage of it, of a first `audit --json` of 8.4 s. An
 * import's rows (users, habilitations) are short and stay in arrays.
 */
const ARRAY_ROW_CHARS = 1000;

function hasLongTexts(rows: readonly (readonly unknown[])[]): boolean {
  let chars = 0;
  for (const row of rows) for (const value of row) if (typeof value === 'string') chars += value.length;
  return chars > ARRAY_ROW_CHARS * rows.length;
}

/** `sql` with its single `VALUES (?, …)` tuple repeated `count` times. */
function manyValues(sql: string, count: number): string {
  const tuple = /VALUES (\([?, ]+\))/.exec(sql)?.[1];
  if (tuple === undefined) throw new Error('runMany needs a statement with one VALUES (?, …) tuple');
  return sql.replace(tuple, Array.from({ length: count }, () => tuple).join(', '));
}

/**
 * Every write holds the chain's head until it commits, so writes follow one another at the pace of
 * their commits. A commit waiting for its WAL to reach the disk held the head meanwhile (1.3 ms a
 * sync here, as long as the rest of a write's turn): a write commits without waiting, which lets
 * go of the head at once, and in the same round trip, when it wrote anything, a transaction of
 * nothing but a WAL record commits waiting for the disk as the server is set to
 * (synchronous_commit: a synchronous standby's confirmation too). The WAL reaches the disk in
 * order, so once that one has, so has the write, which is answered only then (writes answered at
 * the same moment may share one sync: PostgreSQL's group commit). Other sessions see the write
 * meanwhile: an answer read back is given as a write's own only once `settled` has waited the
 * same way. What a crash (or a failover) can lose is a write not answered yet, which someone may
 * have read, and the writes after it on the chain, none answered either: the chain stays whole.
 * Where the role may not emit a WAL record (EXECUTE on pg_logical_emit_message revoked) or the
 * server is a standby, a write commits waiting for the disk, as before (`durableLater`).
 */
const LET_GO_BEFORE_THE_DISK = 'SET LOCAL synchronous_commit = off';
/** Whether the transaction wrote anything (it has an id) decides whether there is anything to wait for. */
/** The WAL record of the transaction that waits for the disk. */
const DURABLE_RECORD = "pg_logical_emit_message(true, 'cafsup', 'durable')";
const COMMIT_THEN_WAIT_FOR_THE_DISK = [
  "SELECT set_config('cafsup.wrote', (pg_current_xact_id_if_assigned() IS NOT NULL)::text, false)",
  'COMMIT',
  'BEGIN',
  `SELECT CASE WHEN current_setting('cafsup.wrote')::boolean THEN ${DURABLE_RECORD} END`,
  'COMMIT',
].join('; ');
const WAIT_FOR_THE_DISK = `BEGIN; SELECT ${DURABLE_RECORD}; COMMIT`;
const CAN_WAIT_LATER =
  "SELECT has_function_privilege('pg_catalog.pg_logical_emit_message(boolean, text, text)', 'EXECUTE') AND NOT pg_is_in_recovery() AS can, current_setting('server_encoding') = 'UTF8' AS utf8";

/** 42P05: a statement prepared already; 26000: none of that name; 0A000: a prepared SELECT whose columns changed. */
const PREPARED_GONE_WRONG = new Set(['42P05', '26000', '0A000']);

/** The SQLSTATE of a driver error, or of the one a CafsupError wraps. */
function sqlState(error: unknown): string | undefined {
  const raw = error instanceof CafsupError && error.cause !== undefined ? error.cause : error;
  const code = (raw as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** How long a write waits for another's turn by default, as SQLite's busy timeout (connection.ts). */
const LOCK_TIMEOUT_MS = 15_000;

/**
 * A statement as the driver is sent it (`query`, `each`), once what was left for later has gone.
 * A read outside a write is a named statement: each connection parses and plans it once, then
 * only binds and runs it (the server's pages, token checks and version reads). Each number a
 * statement left for later decided is known now.
 */
function sent(inside: Context | undefined, text: string, values: unknown[], name: string | undefined): pg.QueryConfig {
  const bound = inside?.late === undefined ? values : values.map((value) => withKnown(value, inside.late));
  return name === undefined || inside?.writes === true ? { text, values: bound } : { name, text, values: bound };
}

/** The error with which the server ended a connection of the pool, if it did. */
const ENDED_BY = new WeakMap<pg.PoolClient | pg.Client, Error>();

/**
 * A write whose process stops talking in the middle of its transaction (frozen: SIGSTOP, a paused
 * machine, its event loop stalled; or cut off by the network, which TCP notices after hours) kept
 * its locks, a partner's or every one's, and each write through every other server answered
 * « occupée » for as long (trial 33, 1). PostgreSQL ends such a session once it has been idle in
 * its transaction this long, which cafsup's own client never is, unless the role, the database or
 * the URL has set a limit of its own (a 0 set there reads as none). An import, whose input may
 * pause (a pipe), goes back to that limit (`appending`).
 */
const IDLE_IN_WRITE = `SELECT set_config('idle_in_transaction_session_timeout', '15s', true) WHERE current_setting('idle_in_transaction_session_timeout') = '0'`;

/**
 * The advisory locks that let writes on different partners run at the same time (operations.md,
 * "Two engines, one behaviour"): a write that names its partners (`lockPartners`) holds the
 * global key shared and each partner's key exclusively; any other write holds the global key
 * exclusively, so it runs alone as every write used to. Keys are taken in one order — the
 * global key, then the partners' keys ascending, then the chain head row when the traces are
 * appended (traces.ts) — so two writes never wait for each other in a circle.
 */
const LOCK_SPACE = 1667327603; // 'cafs'
export const GLOBAL_LOCK = `pg_advisory_xact_lock(${LOCK_SPACE}, 0)`;
const GLOBAL_SHARED_LOCK = `pg_advisory_xact_lock_shared(${LOCK_SPACE}, 0)`;
const partnerLock = (key: string | number, wait: boolean) => `pg_${wait ? '' : 'try_'}advisory_xact_lock(${LOCK_SPACE + 1}, ${key})`;

/** A partner's advisory key: FNV-1a (32 bits, as a signed integer) over the UTF-16 code units of its id. Two partners sharing one only take turns. */
export function partnerLockKey(partnerId: string): number {
  return fnv1a64(partnerId)[0] | 0;
}

/**
 * The partners `select` names (its first column), each with its advisory key (`id`, `key`):
 * `partnerLockKey`, a character past U+FFFF as its two surrogates, computed here, in the
 * statement that takes the locks, so that they are taken in the round trip that names them;
 * a server that computes it in JavaScript (an older one; any, on a database whose text is not
 * UTF-8, whose characters `ascii` does not read) keeps out the same writes. Only on UTF-8.
 */
export function partnerKeys(select: string): string {
  const step = (hash: string, unit: string) => `(((${hash}) # (${unit})) * 16777619) % 4294967296`;
  const code = 'ascii(rest)';
  const pair = step(step('k', `55232 + (${code} >> 10)`), `56320 + (${code} & 1023)`);
  return `SELECT id, CAST(CASE WHEN k >= 2147483648 THEN k - 4294967296 ELSE k END AS integer) AS key FROM (
    WITH RECURSIVE named AS (SELECT DISTINCT s.partner_id AS id FROM (${select}) AS s (partner_id)),
      folded (id, rest, k) AS (
        SELECT id, id, CAST(2166136261 AS bigint) FROM named
        UNION ALL
        SELECT id, substr(rest, 2), CASE WHEN ${code} < 65536 THEN ${step('k', code)} ELSE ${pair} END FROM folded WHERE rest <> ''
      )
    SELECT id, k FROM folded WHERE rest = '') AS keyed`;
}

/** What a write transaction holds: nothing yet, the global key alone, or the global key shared and these partners' keys. */
type Locks = { kind: 'none' } | { kind: 'global' } | { kind: 'partners'; keys: ReadonlySet<number> };

interface Context {
  client: pg.PoolClient;
  depth: number;
  writes: boolean;
  locks: Locks;
  /** Statements of this write left for later (`runLater`), each one statement, sent before or with the next. */
  pending: string[];
  /** The numbers its statements decide (`laterNumber`), once it asked for one. */
  late?: LateNumbers;
  /** A round trip of PREPAREs failed: some may exist on the server unrecorded, so the connection is dropped at the end. */
  unsure?: boolean;
}

/**
 * 55P03: a lock not granted within the write's own `lock_timeout`; nothing was written. The
 * statement's error may come already translated (`translateError` names a role's lock timeout
 * for any statement): the driver's is its cause.
 */
function lockNotGranted(error: unknown, timeout: number): unknown {
  return sqlState(error) === '55P03' ? unavailable(Math.max(1, Math.ceil(timeout / 1000))) : error;
}

/**
 * What a write that failed with `cause` left (`Written`): `lost`, whether its connection was lost
 * (its ROLLBACK failed); `commit`, its commit's round trip once the work was done. Undefined for
 * cafsup's own refusals, and the server's while the connection stays: they say what they say.
 */
function leftBy(cause: unknown, lost: boolean, commit: CommitRound | undefined, stepsBefore: boolean): Written | undefined {
  if (cause instanceof CafsupError) return undefined;
  // Of a step (`inSteps`) after others committed: this one's nothing is not the operation's.
  const none: Written = stepsBefore ? 'stepNone' : 'none';
  // The server ended the session idle in its transaction: a COMMIT sent meanwhile came too late.
  if (sqlState(cause) === '25P03') return none;
  if (commit?.sent === true && (lost || commit.tags.includes('COMMIT'))) return 'maybe';
  return lost ? none : undefined;
}

/** A server certificate no authority this machine knows has signed (a self-signed one, a private CA's). */
const UNKNOWN_AUTHORITY =
  'certificat du serveur signé par une autorité inconnue de ce poste (donnez-la : sslrootcert=FICHIER dans l’URL, ou NODE_EXTRA_CA_CERTS)';
/** A connection the server ended: stopped or restarted, or no PostgreSQL at the port (an HTTP server closes it at once). */
const CUT = 'connexion coupée par le serveur (arrêté ou redémarré, ou un autre service que PostgreSQL à cette adresse ?)';
/** What a connection, permission or limit failure means to the person who gave the URL (SQLSTATE or system code). */
const CONNECTION_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'serveur injoignable (adresse ou port ?)',
  ENOTFOUND: 'serveur introuvable (nom d’hôte ?)',
  // A Unix socket (host= a folder) that is not there: no server in that folder, or on another port (trial 24).
  ENOENT: 'socket du serveur introuvable (dossier host= ou port ?)',
  EAI_AGAIN: 'serveur introuvable (nom d’hôte ?)',
  // getaddrinfo's refusal of a name no resolver takes (longer than 255 characters…).
  EINVAL: 'nom d’hôte invalide',
  ETIMEDOUT: 'serveur muet (pare-feu ?)',
  ECONNRESET: CUT,
  '57P03': 'le serveur démarre ou s’arrête',
  '57P01': 'connexion fermée par le serveur (arrêt, ou pg_terminate_backend par un administrateur)',
  '57P02': 'connexion fermée par le serveur, qui redémarre après une panne',
  // That nothing of a write was written, `begin` says (`Written`).
  '25P03':
    'connexion fermée par le serveur : restée muette au milieu d’une transaction au-delà du délai (idle_in_transaction_session_timeout), processus figé ou réseau coupé',
  '57014': 'requête annulée par le serveur (statement_timeout du rôle ou de la base, ou annulation par un administrateur)',
  // The server's limit, or its role's or database's (CONNECTION LIMIT): one code for the three.
  '53300':
    'trop de connexions ouvertes, pour le serveur (max_connections) ou pour ce rôle ou cette base (CONNECTION LIMIT) : réessayez quand d’autres seront fermées, ou demandez à un administrateur de relever la limite',
  '55P03': 'verrou non obtenu à temps (lock_timeout du rôle ou de la base)',
  '3D000': 'base de données inexistante (son nom dans l’URL ?)',
  // A limit of PostgreSQL's own, which SQLite does not have: the inputs are bounded to stay within
  // them (an index entry of 2,704 bytes at most: CODE_MAX, REVIEWER_MAX), so this is a value
  // cafsup let through that it should have refused; said rather than « erreur interne » (trial 38).
  '54000': 'une valeur dépasse une limite de PostgreSQL (une entrée d’index de plus de 2 704 octets ?)',
  // No schema to find or create cafsup's tables in (a read said « où créer », trial 35); or, when
  // creating them, one of them taken by another application's table.
  '3F000': 'le search_path de l’URL ne nomme aucun schéma qui existe : cafsup n’y trouve ni n’y crée ses tables, rien n’a été écrit',
  '42P07':
    'la base a déjà une table du nom d’une de celles de cafsup, sans être une base de cafsup (une autre application ?), rien n’a été créé : donnez à cafsup une base, ou un schéma, à lui',
  '28P01': 'authentification refusée (utilisateur ou mot de passe)',
  '28000': 'connexion refusée (rôle inconnu, ou refusé par pg_hba.conf)',
  // A role that may only read is refused a write (42501), a standby or a read-only role any write
  // (25006); nothing was written, the transaction being rolled back.
  '42501':
    'droits insuffisants pour ce rôle, rien n’a été écrit (lire demande SELECT sur les tables de cafsup, écrire le droit d’y écrire, créer ou migrer le schéma celui de créer des tables)',
  '25006':
    'base en lecture seule (serveur de secours, ou rôle en default_transaction_read_only), rien n’a été écrit : écrivez sur le serveur principal, avec un rôle qui peut écrire',
  // Node's TLS checks of the server's certificate (sslmode=verify-ca or verify-full in the URL).
  DEPTH_ZERO_SELF_SIGNED_CERT: UNKNOWN_AUTHORITY,
  SELF_SIGNED_CERT_IN_CHAIN: UNKNOWN_AUTHORITY,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNKNOWN_AUTHORITY,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNKNOWN_AUTHORITY,
  CERT_HAS_EXPIRED: 'certificat du serveur expiré',
  CERT_NOT_YET_VALID: 'certificat du serveur pas encore valide (horloge de ce poste ?)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificat du serveur fait pour un autre nom que l’hôte de l’URL',
};

/**
 * The URL as node-postgres is given it. node-postgres 8 reads sslmode=prefer, require and
 * verify-ca as verify-full (the server's certificate and name checked), and says so at each start
 * in an English warning on stderr, which a supervisor can do nothing about. cafsup writes the
 * verify-full it means, which the driver takes without a word: the same connection. With
 * uselibpqcompat=true the driver follows libpq's meanings, without a warning either; left as it is.
 */
function driverUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0 || /[?&]uselibpqcompat=true(&|$)/.test(url)) return url;
  return url.slice(0, query) + url.slice(query).replace(/([?&])sslmode=(prefer|require|verify-ca)(?=&|$)/g, '$1sslmode=verify-full');
}

/** How long a connection may take to open, unless the URL says (libpq's `connect_timeout`). */
const CONNECT_TIMEOUT_MS = 10_000;
/** The longest wait a Node timer takes (about 24 days). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * The time given to open a connection: the URL's `connect_timeout`, else PGCONNECT_TIMEOUT, in
 * seconds as libpq reads them (0 or less: no limit; 1 is 2, libpq's least), or
 * CONNECT_TIMEOUT_MS. node-postgres itself takes the parameter but does not apply it. A value
 * that is not a number, in the URL or in PGCONNECT_TIMEOUT, was refused with the URL (profiles.ts).
 */
function connectTimeoutMs(url: string): number {
  const raw = /[?&]connect_timeout=([^&#]*)/.exec(url)?.[1];
  // Decoded, as profiles.ts read it to check it (« %202 » is 2 s there and here).
  const given = raw === undefined ? process.env.PGCONNECT_TIMEOUT : decodedParameter(raw);
  const seconds = Number.parseInt(given ?? '', 10);
  if (Number.isNaN(seconds)) return CONNECT_TIMEOUT_MS;
  // At most what a Node timer holds: beyond it, Node warns in English and waits 1 ms.
  return seconds <= 0 ? 0 : Math.min(Math.max(2, seconds) * 1000, LONGEST_TIMER_MS);
}

/** A URL parameter's value as URLSearchParams gives it (« + » a space, escapes decoded), or as written when it does not decode. */
function decodedParameter(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/** A connection lost, said of a write's (`Written`) when nothing names how more precisely. */
const LOST = 'connexion perdue avec le serveur';

/** What a connection whose server stopped answering fails with (DRIVER_PROBLEMS words it). */
const MUTE = (seconds: number) => new Error(`muet depuis ${seconds} s`);

/**
 * Whether the connection of backend `pid` is still there, asked on a new connection within `ms`:
 * the server lists it among its sessions. An answer that lists it, or a refusal (too many
 * connections, a password), says the server is there; one that does not list it (a server
 * restarted, another one behind the address), silence, or a connection refused or cut, that
 * the connection is gone. An answer already read when the time ran out still counts: the event
 * loop may have been busy.
 */
async function stillThere(config: pg.ClientConfig, pid: number, ms: number): Promise<boolean> {
  const probe = new pg.Client({ ...config, connectionTimeoutMillis: ms });
  probe.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  let verdict: boolean | undefined;
  const silent = new Promise<false>((resolve) => {
    timer = setTimeout(() => setImmediate(() => resolve(false)), ms);
  });
  const answered = (async () => {
    try {
      await probe.connect();
      verdict = (await probe.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;
    } catch (error) {
      verdict = error instanceof pg.DatabaseError;
    }
    return verdict;
  })();
  try {
    return (await Promise.race([answered, silent])) || verdict === true;
  } finally {
    clearTimeout(timer);
    // Ended without waiting: a server that does not answer would not answer its goodbye either.
    void probe.end().catch(() => undefined);
  }
}

/**
 * node-postgres' client, giving up opening a connection after `ms` (0: never), and giving up a
 * query whose connection no longer answers: a query that has heard nothing for `ms` makes the
 * client ask the server, on a connection of its own, whether this one is still there; if that
 * one gets no answer within `ms` either (a server stopped or frozen, a network cut, whose
 * connections the kernel keeps open), or one that does not list it, the connection is closed
 * and its query fails, said in French. A query that waits for a lock, or runs long, on a server
 * that answers, waits on, asked about again each `ms`.
 */
function connectingWithin(ms: number): typeof pg.Client {
  return class extends pg.Client {
    constructor(config: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: ms });
      if (ms <= 0) return;
      this.once('connect', () => {
        const internals = this as unknown as {
          connection: { stream: NodeJS.EventEmitter & { destroy(error: Error): void } };
          processID: number;
          _getActiveQuery(): unknown;
        };
        const { stream } = internals.connection;
        // A monotonic clock: a clock set back would blind the watch.
        let heard = performance.now();
        stream.on('data', () => {
          heard = performance.now();
        });
        let query: unknown = null;
        let since = 0;
        let asking = false;
        const watch = setInterval(
          () => {
            const active = internals._getActiveQuery();
            if (active !== query) [query, since] = [active, performance.now()];
            if (active === null || asking || performance.now() - Math.max(heard, since) < ms) return;
            asking = true;
            const silentSince = Math.max(heard, since);
            void stillThere(config, internals.processID, ms).then((there) => {
              asking = false;
              // Asked again only after another `ms` of silence.
              since = performance.now();
              // Nothing heard meanwhile either: the query's answer may have come with the probe's.
              if (!there && internals._getActiveQuery() === active && heard <= silentSince)
                stream.destroy(MUTE(Math.round((performance.now() - silentSince) / 1000)));
            });
          },
          Math.max(250, ms / 4),
        );
        watch.unref();
        this.once('end', () => clearInterval(watch));
      });
    }
  };
}

/**
 * The same for the driver's own errors, which carry no code: by their message (English, never
 * shown: `translateError`); `$1` in the words is what the pattern's first group found.
 */
const DRIVER_PROBLEMS: [RegExp, string][] = [
  [/client password must be a string/, 'mot de passe absent : le serveur en demande un (dans l’URL, ou PGPASSWORD)'],
  // The server's proof that it knows the password (SCRAM's last message) missing or wrong: it may
  // not be the server the URL means (or a pooler between them not passing SCRAM through).
  [
    /^SASL: SCRAM-SERVER-FINAL-MESSAGE: /,
    'le serveur n’a pas prouvé qu’il connaît le mot de passe (SCRAM) : connexion abandonnée ; ce n’est peut-être pas le serveur attendu, prévenez son administrateur',
  ],
  [/^SASL: /, 'échange d’authentification (SCRAM) que ce poste ne sait pas mener avec ce serveur : prévenez son administrateur'],
  // Before « Connection terminated » below: the client ends a connection the server never answered.
  [/^timeout expired$/, 'serveur muet, aucune réponse à la connexion dans le délai (pare-feu ? connect_timeout=SECONDES dans l’URL pour attendre plus)'],
  [/^Connection terminated/, CUT],
  // A connection already lost, asked again (trial 26: an import over HTTP while the server stopped, answered 500).
  [/^Client (has encountered a connection error|was closed) and is not queryable$/, LOST],
  [
    /^muet depuis (\d+) s$/,
    'serveur muet : plus aucune réponse depuis $1 s, ni à une nouvelle connexion (serveur arrêté ou figé, réseau coupé ?) ; requête abandonnée',
  ],
  [/does not support SSL/, 'le serveur n’accepte pas SSL (retirez sslmode de l’URL, ou activez SSL sur le serveur)'],
  // Neither yes nor no to the request for SSL (an exit 70 « Erreur interne » before).
  [
    /^There was an error establishing an SSL connection$/,
    'réponse à la demande de SSL qui n’est pas celle d’un serveur PostgreSQL (un autre service à cette adresse ? vérifiez le port de l’URL)',
  ],
];

/** What a driver error's message means, in `DRIVER_PROBLEMS`' words, or undefined. */
function driverProblem(message: string): string | undefined {
  for (const [pattern, words] of DRIVER_PROBLEMS) {
    const found = pattern.exec(message);
    // The words in place of what was found, and nothing else of the message.
    if (found !== null) return found[0].replace(pattern, words);
  }
  return undefined;
}

/**
 * What the server refuses as it opens the connection (severity FATAL); the same codes from
 * cafsup's own statements are errors of the statement (ERROR), left to `CONNECTION_PROBLEMS`
 * (42501) or as they are. A setting the connection asks for (`options=-c …` in the URL, or
 * PGOPTIONS): a value the server cannot take (22023), a name it does not know (42704), options
 * it cannot read (42601). A permission (42501): to connect to this database (CONNECT, told by
 * the server's routine, which its translations leave alone), or else to set a superuser's setting.
 */
const STARTUP_SETTING = 'réglage refusé par le serveur à l’ouverture de la connexion (options= de l’URL, ou PGOPTIONS)';
const STARTUP_PROBLEMS: Record<string, string> = {
  '22023': STARTUP_SETTING,
  '42704': STARTUP_SETTING,
  '42601': STARTUP_SETTING,
  '42501':
    'connexion refusée par le serveur : ce rôle ne peut pas changer un réglage demandé par options= de l’URL ou PGOPTIONS (réservé à un superutilisateur)',
};
const NO_CONNECT_RIGHT =
  'connexion refusée par le serveur : ce rôle n’a pas le droit de se connecter à cette base (un administrateur peut le lui donner : GRANT CONNECT ON DATABASE … TO …)';

/**
 * What a write whose transaction failed left in the database, where the connection or the
 * commit says (`begin`): surely nothing (`none`: the connection lost before its COMMIT was sent,
 * which rolls the transaction back with the session; `stepNone`, the same of one step of an
 * operation whose earlier steps committed, `inSteps`: a purge cut in a later batch said « rien
 * n’a été écrit » of rows already removed, review 45) or perhaps all of it (`maybe`: its COMMIT
 * sent and the connection lost before the answer, or answered and the wait for the disk after it
 * failed). A write refused by the server, the connection still there, says what it says.
 */
export type Written = 'none' | 'stepNone' | 'maybe';
const WRITTEN_WORDS: Record<Written, string> = {
  none: ' ; rien n’a été écrit',
  stepNone: ' ; rien de cette étape n’a été écrit, les précédentes l’ont été : relancez la commande, elle fera ce qui reste',
  maybe: ` : ${MAYBE_WRITTEN}`,
};

/** The errors `translateError` made, each with the driver's it was made from and the ending it was given (`translatedFrom`). */
const TRANSLATED = new WeakMap<object, { error: unknown; said: string | undefined }>();

/** The driver's error `error` was translated from (`translateError`) with its ending, or `error` itself. */
function translatedFrom(error: unknown): { error: unknown; said: string | undefined } {
  return (typeof error === 'object' && error !== null ? TRANSLATED.get(error) : undefined) ?? { error, said: undefined };
}

/**
 * A driver error's problem in French, if cafsup knows it, and the code its sentence ends with
 * (`translateError`); `written`: of a write, whose failure is then always said: the server's, or
 * the system's (a connection lost under it, in `LOST`'s words where nothing names how). An error
 * neither made is cafsup's own mistake, not a connection's: left as it is (review 45).
 */
function described(error: unknown, said?: string, written?: Written): { problem: string | undefined; shown: string | undefined; lasting: boolean } {
  const { code, message, severity, routine } = error as { code?: string; message?: unknown; severity?: unknown; routine?: unknown };
  const atStartup = severity === 'FATAL' ? (code === '42501' && routine === 'CheckMyDatabase' ? NO_CONNECT_RIGHT : STARTUP_PROBLEMS[code ?? '']) : undefined;
  const known = atStartup ?? CONNECTION_PROBLEMS[code ?? ''] ?? (typeof message === 'string' && code === undefined ? driverProblem(message) : undefined);
  const problem =
    known ?? (written === undefined ? undefined : error instanceof pg.DatabaseError ? 'erreur du serveur' : typeof code === 'string' ? LOST : undefined);
  // What no retry mends (LASTING: a 503 then names no wait, and clients do not ask again): a
  // connection refused at its start-up, or one of `MENDED_BY_A_PERSON`.
  const lasting = atStartup !== undefined || MENDED_BY_A_PERSON.has(code ?? '');
  const shown = said ?? (error instanceof pg.DatabaseError ? `SQLSTATE ${code}` : code);
  return { problem, shown, lasting };
}

/**
 * A driver error as cafsup's: a base that cannot be reached or used is UNAVAILABLE, in French; the
 * rest stays as it is. The driver's and the server's own words (English: « Connection terminated
 * unexpectedly », « password authentication failed for user … ») stay in the cause, which
 * CAFSUP_DEBUG=1 shows; the sentence ends with the error's code for whoever helps the supervisor
 * (a SQLSTATE, Node's or OpenSSL's), as the HTTP transport's do, or with what cafsup found
 * itself (`said`), then, for a write, with what it left (`Written`, in the details too).
 */
export function translateError(error: unknown, url: string, said?: string, written?: Written): unknown {
  // Translated already, or cafsup's own.
  if (error instanceof CafsupError) return error;
  const { problem, shown, lasting } = described(error, said, written);
  if (problem === undefined) return error;
  const left = written === undefined ? '' : WRITTEN_WORDS[written];
  const translated = new CafsupError(
    'UNAVAILABLE',
    `Base PostgreSQL ${redact(url)} : ${problem}${shown === undefined ? '' : ` (${shown})`}${left}.`,
    { path: redact(url), problem: `${problem}${left}`, ...(written === undefined ? {} : { written }), ...(lasting ? LASTING : {}) },
    { cause: error },
  );
  if (typeof error === 'object' && error !== null) TRANSLATED.set(translated, { error, said });
  return translated;
}

/**
 * Why the commit of a write failed (`PostgresSql.transaction`'s error), never in the driver's
 * English: whether it may have landed (`maybe`: not where the connection was lost before the
 * COMMIT was sent, nor where the server answered it with a refusal, the connection still there),
 * the problem in French, and the code (a SQLSTATE, Node's) its sentence ends with.
 */
export function commitFailure(error: unknown): { maybe: boolean; problem: string; code: string | undefined } {
  const driver = translatedFrom(error).error;
  const written = error instanceof CafsupError ? (error.details.written as Written | undefined) : undefined;
  if (driver instanceof CafsupError) return { maybe: written === 'maybe', problem: driver.message.replace(/\.$/, ''), code: undefined };
  // `begin` says nothing of what was left by an answer of the server's before any COMMIT completed: a refusal.
  const refused = written === undefined && driver instanceof pg.DatabaseError;
  const { problem, shown } = described(driver, undefined, refused ? undefined : (written ?? 'maybe'));
  // Neither the server's nor the system's: cafsup's own mistake, after which nothing is known (CAFSUP_DEBUG=1 shows it).
  const unknown = refused ? 'validation (COMMIT) refusée par le serveur' : 'erreur inattendue de cafsup';
  return { maybe: written === 'maybe' || (written === undefined && !refused), problem: problem ?? unknown, code: shown };
}

/**
 * The refusals a person must mend (a right, a role, a name, a password; a standby to write on),
 * where the others pass (a server restarting, a lock, too many connections). `serve` on a role
 * that may only read answered every write 503 with « Retry-After: 1 » (review 41).
 */
const MENDED_BY_A_PERSON: ReadonlySet<string> = new Set(['42501', '25006', '3D000', '28P01', '28000', '3F000', '42P07', '54000', 'EINVAL']);

/**
 * The shared engine: a pool of PostgreSQL connections. Each caller's transaction has a
 * connection of its own, found through async-local storage, so the store's modules need not
 * pass it along; a query outside a transaction takes any free connection.
 */
export class PostgresSql implements Sql {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly context = new AsyncLocalStorage<Context>();
  /** How long a write of this call may wait for each of its locks (`withLockTimeout`). */
  private readonly lockTimeouts = new AsyncLocalStorage<number>();
  /** Of an operation whose write transactions are steps (`inSteps`): whether one has committed. */
  private readonly steps = new AsyncLocalStorage<{ committed: boolean }>();
  private readonly translated = new Map<string, ReturnType<typeof toPostgres> & { name: string | undefined }>();
  /** Names given to statements for PostgreSQL to prepare (see `query`); never reused for another text. */
  private named = 0;
  private cursors = 0;

  /** A session's own connection in its snapshot (`readSession`), or null for the pool's engine. */
  private readonly fixed: Context | null;

  constructor(
    readonly url: string,
    options: { max?: number; session?: { pool: pg.Pool; client: pg.PoolClient } } = {},
  ) {
    if (options.session !== undefined) {
      this.pool = options.session.pool;
      this.fixed = { client: options.session.client, depth: 1, writes: false, locks: { kind: 'none' }, pending: [] };
      return;
    }
    this.fixed = null;
    this.pool = new pg.Pool({
      connectionString: driverUrl(url),
      max: options.max ?? 10,
      types: TYPES,
      application_name: 'cafsup',
      // A server that never answers the opening of a connection (a firewall dropping packets, a
      // frozen host) is said, not waited for. Given to each connection, not to the pool, whose
      // own option would also bound the wait for a free connection behind long reads.
      Client: connectingWithin(connectTimeoutMs(url)),
    });
    // An idle connection the server closed must not crash the process: the next query reconnects.
    this.pool.on('error', () => undefined);
    // Nor one in use (the server restarted under a write): its query fails, and that failure is the
    // caller's; node-postgres would also emit it on the connection, where no listener meant a crash.
    // Its first error is kept: the server's own reason to end a connection (25P03, IDLE_IN_WRITE)
    // says more than the driver's « terminated » after it, or « not queryable » at its next query.
    this.pool.on('connect', (client) => client.on('error', (error) => ENDED_BY.has(client) || ENDED_BY.set(client, error)));
  }

  /**
   * A connection of its own in one read-only snapshot, until `close()`: for a long read that
   * yields as it goes (the export), which a callback-shaped `snapshot` cannot hold open.
   */
  async readSession(): Promise<PostgresSql> {
    const client = await this.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    } catch (error) {
      client.release(true);
      throw translateError(error, this.url);
    }
    return new PostgresSql(this.url, { session: { pool: this.pool, client } });
  }

  private current(): Context | undefined {
    return this.fixed ?? this.context.getStore();
  }

  /** `sql` in PostgreSQL's dialect with its values; `named`: whether a statement seen for the first time gets a name (reads outside a write). */
  private prepare(sql: string, params: Params | undefined, named = true): { text: string; values: unknown[]; name: string | undefined } {
    let entry = this.translated.get(sql);
    if (entry === undefined) {
      // At most PREPARED_NAMES statements are ever named, so each connection prepares no more than that.
      entry = { ...toPostgres(sql), name: named && this.named < PREPARED_NAMES ? `cafsup_${++this.named}` : undefined };
      if (this.translated.size >= 1024) this.translated.clear();
      this.translated.set(sql, entry);
    }
    let values: unknown[];
    if (params === undefined) values = [];
    else if (Array.isArray(params)) values = params.map(bindable);
    else {
      const named = params as Record<string, unknown>;
      values = (entry.names ?? []).map((name) => bindable(named[name]));
    }
    return { text: entry.text, values, name: entry.name };
  }

  /**
   * `sql` run on the write's connection, or the pool's. `inlined`: whether its parameters may be
   * written into its text to go with the statements left for later; `runMany`'s arrays may not
   * (their literals, megabytes of them, escaped again and parsed as SQL text: 85 ms for 570 KB).
   */
  private async query(sql: string, params?: Params, inlined = true): Promise<pg.QueryResult> {
    const { text, values, name } = this.prepare(sql, params);
    const inside = this.current();
    if (inside !== undefined) {
      await this.lockAll(inside);
      // The statements left for later go in the same round trip, the parameters written in as
      // literals when they are text (a quoted literal is typed from its place, as a parameter is).
      if (inlined && inside.pending.length > 0 && allTexts(values))
        return (await this.simple(inside, values.length === 0 ? text : await this.executable(inside, sql, params))).at(-1)!;
      await this.flush(inside);
    }
    try {
      return await (inside?.client ?? this.pool).query(sent(inside, text, values, name));
    } catch (error) {
      throw translateError(error, this.url);
    }
  }

  /**
   * Sends `text`, statements without parameters, on the write's connection after the statements
   * left for later, in one round trip (the simple protocol runs several): the results of `text`.
   */
  private async simple(inside: Context, text: string, rowMode?: 'array', round?: CommitRound): Promise<pg.QueryResult[]> {
    const pending = inside.pending;
    inside.pending = [];
    const config = { text: [...pending, text].join(';\n'), ...(rowMode === undefined ? {} : { rowMode }) };
    try {
      const results = await (round === undefined
        ? inside.client.query(config)
        : new Promise<pg.QueryResult | pg.QueryResult[]>((resolve, reject) => {
            inside.client.query(
              new Committing(config, round, (error, answered) => (error === undefined || error === null ? resolve(answered) : reject(error))),
            );
          }));
      const all = resultsOf(results);
      noteLate(inside, all);
      return all.slice(pending.length);
    } catch (error) {
      throw noNumber(inside, error) ?? translateError(error, this.url);
    }
  }

  /** Sends the statements left for later, before a statement with parameters. */
  private async flush(inside: Context): Promise<void> {
    if (inside.pending.length === 0) return;
    const pending = inside.pending;
    inside.pending = [];
    try {
      const results = await inside.client.query(pending.join(';\n'));
      noteLate(inside, resultsOf(results));
    } catch (error) {
      throw noNumber(inside, error) ?? translateError(error, this.url);
    }
  }

  /**
   * A write whose answer nobody reads (a trace, the chain head, an idempotency key): sent in the
   * round trip of the write's next statement, its commit most often, the parameters written in
   * as literals; an error in it fails the write then. Outside a write, it runs at once.
   */
  async runLater(sql: string, params?: Params): Promise<void> {
    const inside = this.current();
    if (inside === undefined || !inside.writes) {
      await this.run(sql, params);
      return;
    }
    await this.lockAll(inside);
    const execute = await this.executable(inside, sql, params);
    inside.pending.push(execute);
  }

  async laterNumber(sql: string, params: readonly unknown[], none: () => Error): Promise<number> {
    const inside = this.current();
    if (inside === undefined || !inside.writes) return numberNow(this, sql, params, none);
    await this.lockAll(inside);
    const standIn = drawStandIn();
    const late = (inside.late ??= new Map());
    const setting = `cafsup.late_${late.size}`;
    // The statement made before the stand-in is known to the write: its own parameters keep it as
    // it is. Its one row, whatever `sql` answers: none (or several) fails the write before its
    // commit, with a text `noNumber` knows (a cast), rather than let the statements after it read
    // an empty setting, or a change land without its trace.
    const execute = await this.executable(
      inside,
      `WITH late (value) AS (${sql})
        SELECT CAST(? AS text) AS ${LATE_COLUMN}, set_config(?, CAST(CASE WHEN (SELECT COUNT(*) FROM late) = 1 THEN (SELECT value FROM late)
          ELSE CAST(CAST(? AS text) || (SELECT COUNT(*) FROM late) AS bigint) END AS text), true) AS value`,
      [...params, String(standIn), setting, `${NO_NUMBER} ${setting} : `],
    );
    late.set(standIn, { setting, value: undefined, none });
    inside.pending.push(execute);
    return standIn;
  }

  async all<T>(sql: string, params?: Params): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async each<T>(sql: string, params: Params | undefined, each: (row: T) => void): Promise<void> {
    const { text, values, name } = this.prepare(sql, params);
    const inside = this.current();
    if (inside !== undefined) {
      await this.lockAll(inside);
      await this.flush(inside);
    }
    // A query object with a listener of its rows and no callback: node-postgres emits each row
    // as its message is read, and keeps none.
    const query = new pg.Query(sent(inside, text, values, name));
    let failed: { error: unknown } | undefined;
    query.on('row', (row: T) => {
      if (failed !== undefined) return;
      try {
        each(row);
      } catch (error) {
        failed = { error };
      }
    });
    const done = new Promise<void>((resolve, reject) => {
      query.once('end', () => resolve());
      query.once('error', reject);
    });
    const client = inside?.client ?? (await this.connect());
    let broken = false;
    try {
      void client.query(query);
      await done;
    } catch (error) {
      // Outside a transaction the connection goes, as the pool's own query lets one go after an error.
      broken = true;
      throw translateError(error, this.url);
    } finally {
      if (inside === undefined) client.release(broken);
    }
    if (failed !== undefined) throw failed.error;
  }

  async get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async value<T>(sql: string, params?: Params): Promise<T | undefined> {
    const row = (await this.query(sql, params)).rows[0] as Record<string, unknown> | undefined;
    return (row === undefined ? undefined : Object.values(row)[0]) as T | undefined;
  }

  async run(sql: string, params?: Params): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  /**
   * The statements with the write's next round trip, as `runLater`'s: each prepared once per
   * connection with SQL's `PREPARE` (planned as a named statement is), then run by `EXECUTE`
   * with their parameters written in as literals. A refresh of one partner's derived facts was
   * seven round trips, and each costs more of both processes' CPU than its statement.
   */
  async runAll(statements: readonly string[], params: Readonly<Record<string, unknown>>): Promise<void> {
    const inside = this.current();
    if (inside === undefined) throw new Error('runAll runs inside a transaction');
    await this.lockAll(inside);
    // Their answers are not read: sent with the write's next statement, as `runLater`'s. (Awaited
    // first: preparing sends what was left for later, and `inside.pending` is then another array.)
    const executes = await this.executables(inside, statements, params, true);
    inside.pending.push(...executes);
  }

  /**
   * `statements` as the write sends them in its round trips: each prepared once per connection
   * with SQL's `PREPARE` (planned as a named statement is: the server plans a write's few
   * statements once, not at each write, a third of its time on them), then an `EXECUTE` with the
   * parameters written in as literals. Unless `typed` (statements written for it: `runAll`'s),
   * only when every parameter is a text or NULL: a quoted literal takes its type from its place,
   * as a parameter does, where a number's literal is a number and a parameter in the same place
   * could be taken as text (a comparison of texts, and wrong counts). Statements past the first
   * PREPARED_NAMES go as they are.
   */
  private async executables(inside: Context, statements: readonly string[], params: Params | undefined, typed = false): Promise<string[]> {
    let prepared = this.sqlPrepared.get(inside.client);
    if (prepared === undefined) this.sqlPrepared.set(inside.client, (prepared = new Set()));
    // By name: the same statement twice in one call is prepared once.
    const missing = new Map<string, string>();
    const executes: string[] = [];
    for (const sql of statements) {
      // Not named for the reads' statements (`prepare`): these have their own names.
      const { text, values } = this.prepare(sql, params, false);
      let name = this.sqlNames.get(sql);
      if (!typed && !allTexts(values)) name = undefined;
      // `runAll`'s few statements, written for it, are always named; the others, up to PREPARED_NAMES.
      else if (name === undefined && (typed || this.sqlNames.size < PREPARED_NAMES)) this.sqlNames.set(sql, (name = `cafsup_all_${this.sqlNames.size + 1}`));
      const literalOf = (value: unknown) => lateLiteral(value, inside.late);
      if (name === undefined) {
        executes.push(withLiterals(sql, params, literalOf));
        continue;
      }
      if (!prepared.has(name)) missing.set(name, `PREPARE ${name} AS ${text}`);
      executes.push(values.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${values.map(literalOf).join(', ')})`);
    }
    // A prepared statement outlives the transaction (even rolled back): it is marked once PostgreSQL has it.
    if (missing.size > 0) {
      try {
        await this.simple(inside, [...missing.values()].join(';\n'));
      } catch (error) {
        inside.unsure = true;
        throw error;
      }
      for (const name of missing.keys()) prepared.add(name);
    }
    return executes;
  }

  /** One statement as `executables` sends it. */
  private async executable(inside: Context, sql: string, params: Params | undefined): Promise<string> {
    return (await this.executables(inside, [sql], params))[0]!;
  }

  /** Names of the statements `runAll` prepares, the same on every connection… */
  private readonly sqlNames = new Map<string, string>();
  /** …and those each connection has prepared. */
  private readonly sqlPrepared = new WeakMap<pg.PoolClient, Set<string>>();

  /**
   * `runMany`'s rows sent with the write's next statement, as `runLater`'s (their count is not
   * read). An `INSERT … VALUES` goes as `runMany`'s arrays, parameters of one statement, at once.
   */
  async runManyLater(sql: string, rows: readonly (readonly unknown[])[]): Promise<void> {
    const inside = this.current();
    if (inside === undefined || !inside.writes || insertValues(sql) !== null) {
      await this.runMany(sql, rows);
      return;
    }
    for (const [text, params] of this.valueLists(sql, rows)) await this.runLater(text, params);
  }

  async appendMany(sql: string, rows: readonly (readonly unknown[])[]): Promise<void> {
    if (rows.length === 0) return;
    const insert = insertValues(sql);
    const inside = this.current();
    // Outside a write, or for a value COPY's text cannot carry, the statement runs as it is.
    const data = insert === null || inside === undefined || !inside.writes ? undefined : copyData(rows, insert.columns.length);
    if (insert === null || inside === undefined || data === undefined) {
      await this.runMany(sql, rows);
      return;
    }
    const { table, columns } = insert;
    await this.lockAll(inside);
    await this.flush(inside);
    try {
      await new Promise<void>((resolve, reject) => {
        inside.client.query(
          new CopyIn(`COPY ${table} (${columns.join(', ')}) FROM STDIN`, data, (error) => (error === undefined || error === null ? resolve() : reject(error))),
        );
      });
    } catch (error) {
      // The caller's promise broken: said as the fault it is, with the row the server names.
      if (sqlState(error) === '23505')
        throw new Error(`appendMany: a row said to be new is not (${table}: ${(error as { detail?: string }).detail ?? ''})`, { cause: error });
      throw translateError(error, this.url);
    }
  }

  /** A statement with one `VALUES (?, …)` tuple, repeated for up to VALUES_ROWS rows at a time: each statement and its parameters. */
  private *valueLists(sql: string, rows: readonly (readonly unknown[])[]): Generator<[string, unknown[]]> {
    for (let at = 0; at < rows.length; at += VALUES_ROWS) {
      const chunk = rows.slice(at, at + VALUES_ROWS);
      yield [this.cached(`${chunk.length}\u0000${sql}`, () => manyValues(sql, chunk.length)), chunk.flat()];
    }
  }

  /**
   * An `INSERT … VALUES (?, …)` takes its rows as one array per column, unnested by the server:
   * a statement of a few parameters instead of thousands, which PostgreSQL parses and plans in
   * no time. Rows of long texts, and other statements (an `UPDATE … FROM (VALUES …)`), repeat
   * their tuple.
   */
  async runMany(sql: string, rows: readonly (readonly unknown[])[]): Promise<{ changes: number }> {
    if (rows.length === 0) return { changes: 0 };
    const insert = insertValues(sql);
    let changes = 0;
    if (insert === null || hasLongTexts(rows)) {
      for (const [text, params] of this.valueLists(sql, rows)) changes += (await this.run(text, params)).changes;
      return { changes };
    }
    const { start, rest, table, columns: names } = insert;
    const types = await this.columnTypes(table);
    const text = this.cached(sql, () => {
      const arrays = names.map((name) => `CAST(? AS ${types.get(name)!}[])`).join(', ');
      return `${start}SELECT * FROM unnest(${arrays})${rest}`;
    });
    for (let at = 0; at < rows.length; at += MANY_ROWS) {
      const chunk = rows.slice(at, at + MANY_ROWS);
      changes +=
        (
          await this.query(
            text,
            names.map((_, column) => arrayLiteral(chunk, column)),
            false,
          )
        ).rowCount ?? 0;
    }
    return { changes };
  }

  private readonly manyTexts = new Map<string, string>();
  private cached(key: string, build: () => string): string {
    let text = this.manyTexts.get(key);
    if (text === undefined) this.manyTexts.set(key, (text = build()));
    return text;
  }

  private readonly tableTypes = new Map<string, Map<string, string>>();
  /** The type of each column of `table`, as SQL (`text`, `bigint`…). */
  private async columnTypes(table: string): Promise<Map<string, string>> {
    let types = this.tableTypes.get(table);
    if (types === undefined) {
      const rows = await this.all<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = CAST(? AS regclass) AND attnum > 0 AND NOT attisdropped`,
        [table],
      );
      types = new Map(rows.map((row) => [row.name, row.type]));
      this.tableTypes.set(table, types);
    }
    return types;
  }

  async appending<T>(work: () => Promise<T>): Promise<T> {
    // The indexes a bulk load builds again at its end sort in memory rather than in temporary
    // files (measured on a million habilitations: 3.4 s instead of 4.0 to 4.6): the server's
    // memory, for this transaction only, never less than the server's own setting. Its input
    // (`cafsup export | cafsup import -`, from another machine) may pause longer than
    // IDLE_IN_WRITE allows: the session's own limit (the role's, the database's, the URL's) instead.
    // No JIT compilation: the tables loaded in this transaction have no statistics yet, so the
    // planner costs the rebuild of the derived facts in hundreds of millions and has LLVM inline
    // and optimize each of them. Measured on the national file: 1.7 s of compilation (CPU) for
    // the group holdings, a query of 0.47 s without it; the results are the same either way.
    await this.exec(
      `SELECT set_config('maintenance_work_mem', GREATEST(CAST(setting AS bigint), ${APPENDING_SORT_KB}) || 'kB', true) FROM pg_settings WHERE name = 'maintenance_work_mem';
       SELECT set_config('idle_in_transaction_session_timeout', reset_val || COALESCE(unit, ''), true) FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout';
       SELECT set_config('jit', 'off', true)`,
    );
    return work();
  }

  async exec(script: string): Promise<void> {
    const inside = this.current();
    if (inside !== undefined) {
      await this.lockAll(inside);
      await this.simple(inside, script);
      return;
    }
    try {
      // The simple protocol runs several statements in one call.
      await this.pool.query(script);
    } catch (error) {
      throw translateError(error, this.url);
    }
  }

  async *iterate<T>(sql: string, params?: Params): AsyncIterable<T> {
    const inside = this.current();
    if (inside !== undefined) {
      await this.lockAll(inside);
      await this.flush(inside);
    }
    const client = inside?.client ?? (await this.connect());
    const cursor = `cafsup_cursor_${++this.cursors}`;
    const { text, values } = this.prepare(sql, params);
    try {
      if (inside === undefined) await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query({ text: `DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`, values });
      for (;;) {
        const { rows } = await client.query(`FETCH ${CURSOR_BATCH} FROM ${cursor}`);
        for (const row of rows) yield row as T;
        if (rows.length < CURSOR_BATCH) break;
      }
      await client.query(`CLOSE ${cursor}`);
      if (inside === undefined) await client.query('COMMIT');
    } catch (error) {
      if (inside === undefined) await client.query('ROLLBACK').catch(() => undefined);
      throw translateError(error, this.url);
    } finally {
      if (inside === undefined) {
        // A loop left early (break, return) leaves the snapshot open: end it before handing the connection back.
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
    }
  }

  /** Runs `work` with its writes waiting at most `ms` for each lock (a request's deadline); then UNAVAILABLE, nothing written. */
  withLockTimeout<T>(ms: number, work: () => Promise<T>): Promise<T> {
    return this.lockTimeouts.run(ms, work);
  }

  inSteps<T>(work: () => Promise<T>): Promise<T> {
    return this.steps.run({ committed: false }, work);
  }

  get inTransaction(): boolean {
    return this.current() !== undefined;
  }

  get inWrite(): boolean {
    return this.current()?.writes === true;
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw translateError(error, this.url);
    }
  }

  /** Whether writes may let go of the head before the disk (LET_GO_BEFORE_THE_DISK): asked once, on the first write's connection. */
  private canWaitLater: boolean | undefined;
  /** Whether the database's text is UTF-8, which `partnerKeys` reads characters of: asked with it. */
  private utf8 = false;

  private async durableLater(client: pg.PoolClient): Promise<boolean> {
    if (this.canWaitLater === undefined) {
      try {
        const row = (await client.query<{ can: boolean; utf8: boolean }>(CAN_WAIT_LATER)).rows[0];
        this.utf8 = row?.utf8 === true;
        this.canWaitLater = row?.can === true;
      } catch (error) {
        throw translateError(error, this.url);
      }
    }
    return this.canWaitLater;
  }

  async settled(): Promise<void> {
    if (this.canWaitLater === false) return;
    // A connection of its own: never inside a caller's transaction, which its COMMIT would end.
    const client = await this.connect();
    let broken = false;
    try {
      if (await this.durableLater(client)) await client.query(WAIT_FOR_THE_DISK);
    } catch (error) {
      // Its BEGIN may have left the connection inside a failed transaction.
      broken = true;
      throw translateError(error, this.url);
    } finally {
      client.release(broken);
    }
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    const inside = this.current();
    if (inside !== undefined) {
      if (!inside.writes) throw new Error('a write inside a read-only snapshot');
      return this.savepoint(inside, work);
    }
    return this.begin('BEGIN', true, work);
  }

  async snapshot<T>(work: () => Promise<T>): Promise<T> {
    if (this.current() !== undefined) return work();
    return this.begin('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', false, work);
  }

  private async begin<T>(statement: string, writes: boolean, work: () => Promise<T>): Promise<T> {
    const client = await this.connect();
    const timeout = Math.max(1, Math.round(this.lockTimeouts.getStore() ?? LOCK_TIMEOUT_MS));
    const context: Context = { client, depth: 1, writes, locks: { kind: 'none' }, pending: [] };
    let broken = false;
    // Once a write's work is done: its commit's round trip (`Written`). A read's commit is a plain query.
    let commit: CommitRound | undefined;
    try {
      // Every lock this write waits for is bounded by its deadline. A write's BEGIN goes with its
      // first statement, in one round trip.
      const later = writes && (await this.durableLater(client));
      if (writes) context.pending.push(statement, `SET LOCAL lock_timeout = ${timeout}`, IDLE_IN_WRITE, ...(later ? [LET_GO_BEFORE_THE_DISK] : []));
      else await client.query(statement);
      const result = await this.context.run(context, work);
      if (writes) commit = { sent: false, tags: [] };
      await this.simple(context, later ? COMMIT_THEN_WAIT_FOR_THE_DISK : 'COMMIT', undefined, commit);
      const steps = this.steps.getStore();
      if (writes && steps !== undefined) steps.committed = true;
      return context.late === undefined ? result : (withNumbers(result, context.late) as T);
    } catch (error) {
      context.pending = [];
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      const lost = broken;
      // A connection whose prepared statements are not those this process counts on (a PREPARE
      // landed although its round trip failed, a pooler that discards them, a schema changed
      // under a plan) would fail every write: it is dropped, and the next one prepares afresh.
      if (PREPARED_GONE_WRONG.has(sqlState(error) ?? '')) broken = true;
      const ended = ENDED_BY.get(client);
      const { error: cause, said } = sqlState(ended) === undefined ? translatedFrom(error) : { error: ended, said: undefined };
      const written = writes ? leftBy(cause, lost, commit, this.steps.getStore()?.committed === true) : undefined;
      // Nothing to add of what was written: the error as it was (translated already, with its own ending).
      if (written === undefined) throw translateError(lockNotGranted(sqlState(ended) === undefined ? error : ended, timeout), this.url);
      throw translateError(lockNotGranted(cause, timeout), this.url, said, written);
    } finally {
      client.release(broken || context.unsure === true);
    }
  }

  /**
   * Before the first statement of a write that did not name its partners: the global key,
   * exclusively. It then runs alone, and, as before, waits for nothing else without end.
   */
  private async lockAll(inside: Context): Promise<void> {
    if (!inside.writes || inside.locks.kind !== 'none') return;
    await this.simple(inside, `SELECT ${GLOBAL_LOCK}; SET LOCAL lock_timeout = 0`);
    inside.locks = { kind: 'global' };
  }

  /**
   * Inside a write, before it reads what it decides on: locks the partners `select` names (its
   * first column), so that writes on other partners go on meanwhile and two on the same partner
   * take turns, then runs `read`. A partner first named after others were locked is taken only
   * if free (waiting for it could close a circle): else the write is UNAVAILABLE, nothing
   * written, to be retried. The partners locked are null when the write already holds
   * everything (it locked the global key).
   */
  async lockPartners<T>(select: string, read: string, params: Params): Promise<{ locked: ReadonlySet<string> | null; rows: T[] }> {
    const inside = this.current();
    if (inside === undefined || !inside.writes) throw new Error('partners are locked inside a write transaction');
    if (inside.locks.kind === 'global') return { locked: null, rows: await this.all<T>(read, params) };
    const first = inside.locks.kind === 'none';
    if (first) {
      // The global key, shared, before anything is read: a write that holds everything (an import,
      // which drops and builds indexes) is then waited for before a table is touched. Taken after
      // the read, a write held the table an import's DROP INDEX waited for while it waited for the
      // import: a deadlock, and the import failed.
      inside.pending.push(`SELECT ${GLOBAL_SHARED_LOCK}`);
    }
    if (first && this.utf8) {
      // None held yet: every key is waited for, in ascending order (the locks are evaluated after
      // the sort, as PostgreSQL does with volatile output), and `read` follows in the same round
      // trip as the write's BEGIN, a statement of its own, whose snapshot is taken once they are granted.
      const [locking, reading] = await this.executables(
        inside,
        [`SELECT keyed.id, keyed.key, ${partnerLock('keyed.key', true)} FROM (${partnerKeys(select)}) AS keyed ORDER BY keyed.key`, read],
        params,
      );
      const [granted, rows] = await this.simple(inside, `${locking};\n${reading}`);
      const named = granted!.rows as { id: string; key: number }[];
      inside.locks = { kind: 'partners', keys: new Set(named.map((row) => row.key)) };
      return { locked: new Set(named.map((row) => row.id)), rows: rows!.rows as T[] };
    }
    const named = this.utf8
      ? ((await this.simple(inside, await this.executable(inside, partnerKeys(select), params))).at(-1)!.rows as { id: string; key: number }[])
      : ((await this.simple(inside, await this.executable(inside, select, params), 'array')).at(-1)!.rows as unknown[][]).map((row) => ({
          id: String(row[0]),
          key: partnerLockKey(String(row[0])),
        }));
    const held: ReadonlySet<number> = inside.locks.kind === 'partners' ? inside.locks.keys : new Set();
    const keys = [...new Set(named.map((row) => row.key))].filter((key) => !held.has(key)).sort((a, b) => a - b);
    const highest = Math.max(-Infinity, ...held);
    const statements = keys.map((key) => `SELECT ${partnerLock(key, key > highest)} AS granted`);
    // Locks that wait answer nothing worth reading (a lock not granted in time fails the write):
    // they go with `read`, which they come before.
    if (keys.every((key) => key > highest)) inside.pending.push(...statements);
    else {
      const granted = (await this.simple(inside, statements.join(';\n'), 'array')) as pg.QueryResult<unknown[]>[];
      // pg_try_advisory_xact_lock answers false when the key is taken.
      if (granted.some((result) => result.rows[0]?.[0] === false)) throw unavailable(1);
    }
    inside.locks = { kind: 'partners', keys: new Set([...held, ...keys]) };
    return { locked: new Set(named.map((row) => row.id)), rows: await this.all<T>(read, params) };
  }

  private async savepoint<T>(inside: Context, work: () => Promise<T>): Promise<T> {
    const name = `s${inside.depth}`;
    const savepoint = `SAVEPOINT ${name}`;
    // With the next statement.
    inside.pending.push(savepoint);
    inside.depth += 1;
    const locks = inside.locks;
    const lateBefore = inside.late?.size ?? 0;
    try {
      const result = await work();
      inside.pending.push(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      // What was left for later belongs to the work undone; a savepoint not sent yet is only forgotten.
      const unsent = inside.pending.lastIndexOf(savepoint);
      if (unsent === -1) {
        inside.pending = [];
        // A savepoint whose round trip failed before it ran is not there: the failure is the one to tell.
        await inside.client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {
          throw error;
        });
      } else inside.pending = inside.pending.slice(0, unsent);
      // The locks taken since the savepoint went with it; the numbers its statements were to
      // decide stand for themselves (a trace that never was: its setting, never set here, may
      // hold another transaction's leftover on this connection, or nothing).
      inside.locks = locks;
      [...(inside.late?.entries() ?? [])].slice(lateBefore).forEach(([standIn, entry]) => (entry.value ??= standIn));
      throw error;
    } finally {
      inside.depth -= 1;
    }
  }

  async close(): Promise<void> {
    if (this.fixed !== null) {
      await this.fixed.client.query('COMMIT').catch(() => undefined);
      this.fixed.client.release();
      return;
    }
    await this.pool.end();
  }
}
