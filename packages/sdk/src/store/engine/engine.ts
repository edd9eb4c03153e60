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

/** Raised for a job whose deadline passed before it started or got the write lock: nothing was written. */
export function unavailable(retryAfterSeconds: number): CafsupError {
  return new CafsupError('UNAVAILABLE', 'Base de données occupée (une autre écriture ou un import est en cours) : rien n’a été écrit, réessayez.', {
    retryAfterSeconds,
  });
}

/** `?` parameters in order, or `@name` parameters by name. A boolean is stored as 1 or 0, undefined as NULL. */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>;

export type Dialect = 'sqlite' | 'postgres';

export interface Sql {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  /** The first column of the first row, or undefined when there is no row. */
  value<T = unknown>(sql: string, params?: Params): Promise<T | undefined>;
  /** A statement that returns no rows: how many rows it changed. */
  run(sql: string, params?: Params): Promise<{ changes: number }>;
  /** Several statements without parameters (migrations, bulk maintenance). */
  exec(script: string): Promise<void>;
  /**
   * A large result read in batches, so that a million rows never sit in memory at once. On
   * PostgreSQL the rows come from a cursor, which needs a transaction: outside one, the
   * iteration opens a read-only snapshot of its own.
   */
  iterate<T = Record<string, unknown>>(sql: string, params?: Params): AsyncIterable<T>;
  /**
   * Runs `work` in one write transaction: all of it lands or none of it. Writes are serialised
   * (SQLite: `BEGIN IMMEDIATE` on the single writer; PostgreSQL: the trace head row locked
   * `FOR UPDATE` first), so every write sees the ones before it whole. Nested calls are
   * savepoints of the outer transaction.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` on one consistent snapshot, writing nothing (several reads that must agree:
   * the retention plan, an export, verify).
   */
  snapshot<T>(work: () => Promise<T>): Promise<T>;
  /** True inside `transaction` or `snapshot` (of this caller, on PostgreSQL). */
  readonly inTransaction: boolean;
  /** True inside `transaction` only: what is read may not be committed yet. */
  readonly inWrite: boolean;
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
  return {
    /** The values of a JSON array of strings given as a parameter, as a one-column table `value`. */
    jsonValues: (param: string) =>
      postgres ? `(SELECT json_array_elements_text(CAST(${param} AS json)) AS value)` : `(SELECT value FROM json_each(${param}))`,
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

/** Counts a condition as 1 or 0 in both dialects (PostgreSQL does not add booleans). */
export const asInt = (condition: string) => `(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;

/** Rows per statement: under SQLite's 32,766 parameters and PostgreSQL's 65,535 for the widest row. */
const ROWS_PER_STATEMENT = 500;

/**
 * Inserts many rows with multi-row `VALUES` statements: on PostgreSQL one round trip per 500
 * rows rather than per row. `into` is `INSERT INTO t (a, b, …)`; every row has as many values.
 */
export async function insertRows(db: Sql, into: string, rows: readonly (readonly unknown[])[]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const values = chunk.map((row) => `(${row.map(() => '?').join(', ')})`).join(', ');
    await db.run(`${into} VALUES ${values}`, chunk.flat());
  }
}

/**
 * Updates many rows, each by its integer key, in statements of 500 (`UPDATE … FROM (VALUES …)`,
 * which both engines take; their `VALUES` columns are named column1, column2, …). Each set column
 * says its type, so PostgreSQL does not take the parameters for text.
 */
export async function updateRows(
  db: Sql,
  table: string,
  columns: readonly { name: string; type: 'TEXT' | 'BIGINT' }[],
  rows: readonly { key: number; values: readonly unknown[] }[],
): Promise<void> {
  const set = columns.map((column, index) => `${column.name} = v.column${index + 2}`).join(', ');
  const row = `(CAST(? AS BIGINT), ${columns.map((column) => `CAST(? AS ${column.type})`).join(', ')})`;
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    await db.run(
      `UPDATE ${table} SET ${set} FROM (VALUES ${chunk.map(() => row).join(', ')}) AS v WHERE ${table}.key = v.column1`,
      chunk.flatMap((entry) => [entry.key, ...entry.values]),
    );
  }
}
