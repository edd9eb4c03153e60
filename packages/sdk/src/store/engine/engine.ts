/**
 * The one asynchronous store interface (operations.md, "Two engines, one behaviour"): every
 * module of the store talks to its database through this, never to a driver. Two engines
 * implement it: SQLite (better-sqlite3, embedded) and PostgreSQL (node-postgres, shared).
 *
 * SQL is written once where both dialects agree — which is most of it: `?` or `@name`
 * parameters, `ON CONFLICT`, `RETURNING`, `CASE WHEN … THEN 1 ELSE 0 END` for a boolean that is
 * counted — and per engine, through `pick`, where they differ (JSON functions, locking).
 */

import { CafsupError } from '@cafsup/shared';

/**
 * Raised for a job whose deadline passed before it started or got the write lock: nothing was
 * written. `busy` tells it from a database that could not be reached (a lock wait, not an outage).
 */
export function unavailable(retryAfterSeconds: number): CafsupError {
  return new CafsupError('UNAVAILABLE', 'Base de données occupée (une autre écriture ou un import est en cours) : rien n’a été écrit, réessayez.', {
    retryAfterSeconds,
    busy: true,
  });
}

/** `?` parameters in order, or `@name` parameters by name. A boolean is stored as 1 or 0, undefined as NULL. */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>;

export type Dialect = 'sqlite' | 'postgres';

export interface Sql {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  /**
   * Each row of `sql` handed to `each` as it comes, none kept: for rows turned at once into
   * something else (a JSON text parsed), whose text then dies young. PostgreSQL's driver hands
   * them over as they arrive; the rows of `all` all lived until the last one had come, and each
   * young-generation collection meanwhile copied those already there. An error `each` throws
   * fails the call (on PostgreSQL once the statement has ended; SQLite stops at once).
   */
  each<T = Record<string, unknown>>(sql: string, params: Params | undefined, each: (row: T) => void): Promise<void>;
  /** The first column of the first row, or undefined when there is no row. */
  value<T = unknown>(sql: string, params?: Params): Promise<T | undefined>;
  /** A statement that returns no rows: how many rows it changed. */
  run(sql: string, params?: Params): Promise<{ changes: number }>;
  /**
   * Several statements with the same `@name` parameters, run in order (a refresh of derived
   * facts, run again and again): each a statement prepared once per connection.
   */
  runAll(statements: readonly string[], params: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * A write whose answer is not read (a trace, the chain head, an idempotency key), inside a
   * write transaction: SQLite runs it at once; PostgreSQL sends it with the next statement of
   * the write, its commit most often, saving a round trip; an error in it fails the write.
   */
  runLater(sql: string, params?: Params): Promise<void>;
  /**
   * A statement that answers one number (the first column of its one row), which the write gives
   * in its answer but which PostgreSQL decides only when it runs it (a trace's number, traces.ts):
   * SQLite runs it at once and answers the number. PostgreSQL sends it as `runLater`'s, with the
   * write's next round trip, and answers at once a stand-in, a random number no data holds; until
   * that round trip is back, the stand-in is replaced in SQL by the number wherever it goes in
   * the parameters of the write's statements (as a number, or inside a text: an answer stored
   * under an idempotency key), and after it, in JavaScript, and in what the write's transaction
   * answers; not in `appendMany`'s rows nor in a cursor's parameters (`iterate`). `sql`
   * (positional parameters) must be a query PostgreSQL takes inside `WITH … AS (…)`, answering
   * one row; none fails the write, before its commit, with `none()`. For numbers given or stored,
   * never reasoned upon in JavaScript before the commit. SQLite's is the same statement run at once.
   */
  laterNumber(sql: string, params: readonly unknown[], none: () => Error): Promise<number>;
  /**
   * One statement with a single `VALUES (?, …)` tuple, run for each row of `?` parameters: how
   * many rows it changed in all. SQLite runs the rows in one synchronous loop over one prepared
   * statement (no promise per row); PostgreSQL sends them as multi-row `VALUES` lists, one round
   * trip per few hundred rows. For bulk writes (the import).
   */
  runMany(sql: string, rows: readonly (readonly unknown[])[]): Promise<{ changes: number }>;
  /** `runMany` whose count is not read, inside a write: on PostgreSQL sent with the write's next statement, as `runLater`. */
  runManyLater(sql: string, rows: readonly (readonly unknown[])[]): Promise<void>;
  /**
   * `runMany` of an `INSERT … VALUES (?, …)` whose rows the caller knows to be new: none takes a
   * unique key that a stored row or another of them holds, so the statement's `ON CONFLICT`
   * never applies. PostgreSQL copies them in (`COPY`, its bulk path: a million habilitations in
   * about 4 s of the server against 10 as arrays), and a row that is not new after all fails the
   * transaction; SQLite runs the statement, `ON CONFLICT` included.
   */
  appendMany(sql: string, rows: readonly (readonly unknown[])[]): Promise<void>;
  /**
   * Runs `work`, a bulk load (many rows appended, then the indexes it deferred built and the
   * facts derived from them), holding the engine's memory low: SQLite shrinks its page cache
   * meanwhile (appended pages are written once and not read back; an index's sort spills to a
   * temporary file sooner); PostgreSQL, whose memory is the server's, just runs `work`.
   */
  appending<T>(work: () => Promise<T>): Promise<T>;
  /** Several statements without parameters (migrations, bulk maintenance). */
  exec(script: string): Promise<void>;
  /**
   * A large result read in batches, so that a million rows never sit in memory at once. On
   * PostgreSQL the rows come from a cursor, which needs a transaction: outside one, the
   * iteration opens a read-only snapshot of its own.
   */
  iterate<T = Record<string, unknown>>(sql: string, params?: Params): AsyncIterable<T>;
  /**
   * Runs `work` in one write transaction: all of it lands or none of it. Writes take turns
   * (SQLite: `BEGIN IMMEDIATE` on the single writer; PostgreSQL: an advisory lock, global
   * unless the write names its partners with `lockPartners`, taken before its first statement),
   * so every write sees whole the ones before it that touched the same data; the trace head row
   * is locked `FOR UPDATE` when the traces are appended (traces.ts), so their numbers follow
   * without gaps. Nested calls are savepoints of the outer transaction.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` with its write transactions waiting at most `ms` for their turn (SQLite: the
   * busy timeout; PostgreSQL: the lock timeout of every lock it waits for); past it, nothing is written.
   */
  withLockTimeout<T>(ms: number, work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work`, whose write transactions are the steps of one operation (a purge in batches):
   * once a step has committed, a failure no longer says that nothing was written (PostgreSQL's
   * `Written`). SQLite says nothing of what a failed write left: `work` as it is.
   */
  inSteps<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Inside a write, before anything else it runs: `select`'s first column names the partners
   * the write reads and changes; on PostgreSQL they are locked, and the write runs beside writes
   * on other partners. Then `read` runs, once they are (both with `params`). Answers the partners
   * locked, or null when the write holds everything (SQLite's single writer; a PostgreSQL write
   * that ran a statement before naming them), and the rows of `read`.
   */
  lockPartners<T>(select: string, read: string, params: Params): Promise<{ locked: ReadonlySet<string> | null; rows: T[] }>;
  /**
   * Runs `work` on one consistent snapshot, writing nothing (several reads that must agree:
   * the retention plan, an export, verify).
   */
  snapshot<T>(work: () => Promise<T>): Promise<T>;
  /** True inside `transaction` or `snapshot` (of this caller, on PostgreSQL). */
  readonly inTransaction: boolean;
  /** True inside `transaction` only: what is read may not be committed yet. */
  readonly inWrite: boolean;
  /**
   * Once it returns, every write this caller can see is on disk: before an answer read back is
   * given as a write's own (an idempotent replay). PostgreSQL shows a write a moment before its
   * commit is on disk (postgres.ts, LET_GO_BEFORE_THE_DISK); SQLite's commits are on disk when seen.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** SQL that differs between the engines, chosen by the engine in use. */
export function pick(db: Sql, variants: Record<Dialect, string>): string {
  return variants[db.dialect];
}

/**
 * The fragments that differ between SQLite and PostgreSQL, each in one place. A fragment takes
 * the SQL of its operands and returns SQL.
 */
export function dialectOf(db: Sql) {
  const postgres = db.dialect === 'postgres';
  /** The values of a JSON array of strings given as a parameter, as a one-column table `value`. */
  const jsonValues = (param: string) =>
    postgres ? `(SELECT json_array_elements_text(CAST(${param} AS json)) AS value)` : `(SELECT value FROM json_each(${param}))`;
  /**
   * A text `column` is one of the strings of a JSON array given as a parameter. PostgreSQL:
   * compared with an array made once, which an index on the column can take as its condition,
   * one probe per value (though on `partner_kept`, whose key leads by its aspect, statistics
   * of the table while empty made the plan compare every row of the aspect with it:
   * `inValuesWithin`).
   * As a join (`IN` the set-returning subquery), a table filled that day, which PostgreSQL had
   * no statistics of yet, was planned as one row and the list re-read for each of its rows:
   * 0.7 s a page of 500 partners instead of 2 ms; and a table of a Caf's size (12,000 users)
   * was read whole into a hash for one id asked: 1.9 ms of each write on a user, 0.03 so.
   */
  const inValues = (column: string, param: string) => (postgres ? `${column} = ANY(ARRAY${jsonValues(param)})` : `${column} IN ${jsonValues(param)}`);
  return {
    jsonValues,
    inValues,
    /**
     * `column` is one of the values a subquery (`(SELECT …)`) gives. PostgreSQL, as `inValues`:
     * the subquery's few rows are each looked up through an index on `column`, where an `IN`
     * beside an `OR` is no index condition to it and it read the whole table (every change of an
     * import, for a token's trail; review 22, M5), and an `IN` alone may be hashed against it.
     */
    inRows: (column: string, subquery: string) => (postgres ? `${column} = ANY(ARRAY${subquery})` : `${column} IN ${subquery}`),
    /**
     * `inValues`, for strings that lie together in an index led by `column` (a page of partners,
     * in id order): the index reads the range from the least of them to the greatest, and each
     * row in it is then checked against the list. On `partner_kept` a list of 500 read through
     * the list itself took 7.5 ms on SQLite (a probe per value, in a tree that holds every
     * partner's flags too) and 31 ms on PostgreSQL (every row of the aspect compared with the
     * 500, while the table's statistics were still those of the import's ANALYZE, empty, until
     * autovacuum's next); through the range, 0.6–1.4 and 3.4–5.3 ms, whatever the statistics.
     * Spread values (a Caf's partners) make a range of most of the index: for small rows only.
     * The bounds are taken in byte order, the column's on both engines (SQLite's BINARY,
     * PostgreSQL's COLLATE "C" of every cafsup text column): in a database's own collation
     * (any but C; fr_FR: « a-2 » before « B-1 »), a range could miss ids, or be empty.
     * SQLite's `+` keeps the list from being the index's condition. `param` is named: it is
     * read three times.
     */
    inValuesWithin: (column: string, param: string) => {
      const bound = postgres ? 'value COLLATE "C"' : 'value';
      return `${column} BETWEEN (SELECT MIN(${bound}) FROM ${jsonValues(param)} low) AND (SELECT MAX(${bound}) FROM ${jsonValues(param)} high) AND ${
        postgres ? '' : '+'
      }${inValues(column, param)}`;
    },
    /** The elements of a JSON array given as a parameter, as a one-column table `value` of JSON (objects read with `jsonText`). */
    jsonRows: (param: string) => (postgres ? `(SELECT json_array_elements(CAST(${param} AS json)) AS value)` : `(SELECT value FROM json_each(${param}))`),
    /** A JSON array (as text) of the values of an aggregate, `[]` when there is none. */
    jsonArrayAgg: (expression: string, orderBy?: string) =>
      postgres
        ? `COALESCE(CAST(json_agg(${expression}${orderBy === undefined ? '' : ` ORDER BY ${orderBy}`}) AS text), '[]')`
        : `json_group_array(${expression})`,
    /** The text of a JSON document's top-level field. */
    jsonText: (document: string, field: string) => (postgres ? `(CAST(${document} AS json) ->> '${field}')` : `json_extract(${document}, '$.${field}')`),
    /** A JSON document stored as text, to be nested inside a JSON aggregate without being quoted as a string. */
    json: (document: string) => (postgres ? `CAST(${document} AS json)` : `json(${document})`),
    least: (a: string, b: string) => (postgres ? `LEAST(${a}, ${b})` : `MIN(${a}, ${b})`),
    greatest: (a: string, b: string) => (postgres ? `GREATEST(${a}, ${b})` : `MAX(${a}, ${b})`),
    /** Locks the rows read until the transaction ends (PostgreSQL); SQLite's single writer needs nothing. */
    forUpdate: postgres ? ' FOR UPDATE' : '',
  };
}

/** `laterNumber` run at once (SQLite, or outside a write): the number `sql` answers, or `none()` when it answers no row. */
export async function numberNow(db: Sql, sql: string, params: readonly unknown[], none: () => Error): Promise<number> {
  const value = await db.value(sql, params);
  if (value === undefined) throw none();
  return Number(value);
}

/** `INSERT INTO table (columns) VALUES (?, …)`: the one-tuple statement `runMany` and `appendMany` take, a clause (ON CONFLICT…) to follow. */
export function insertRow(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

/** Counts a condition as 1 or 0 in both dialects (PostgreSQL does not add booleans). */
export const asInt = (condition: string) => `(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;
