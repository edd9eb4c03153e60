import type Database from 'better-sqlite3';
import { MOVED_VALUE, storeMovedAway } from '../meta.js';
import { numberNow, type Params, type Sql } from './engine.js';

/** SQLite takes numbers, strings, bigints, buffers and null: a boolean becomes 1 or 0, undefined NULL. */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

function bind(params: Params | undefined): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params.map(bindable);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) named[name] = bindable(value);
  return [named];
}

/** The page cache while a bulk load appends rows (`appending`), in KiB as `cache_size` takes it when negative. */
const APPENDING_CACHE_KIB = 16_384;

/** Statements built from filters vary; the cache keeps the most recent ones. */
const STATEMENT_CACHE = 256;

/**
 * The embedded engine: one better-sqlite3 connection. Its calls are synchronous underneath, so
 * one store runs one operation at a time (the worker pool and the local transport see to it):
 * a transaction is the connection's, not a caller's.
 */
export class SqliteSql implements Sql {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();
  private depth = 0;
  /**
   * How a transaction waits for another process's write lock: inside SQLite (its busy timeout)
   * unless set. A store worker sets it, to wait in short slices that its pool's close can end
   * (store-worker.ts).
   */
  beginWhenFree: ((begin: () => void) => void) | null = null;

  /** Transactions committed on this connection: whether a job wrote anything (store-worker.ts). */
  commits = 0;

  constructor(readonly db: Database.Database) {}

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  all<T>(sql: string, params?: Params): Promise<T[]> {
    return Promise.resolve(this.prepare(sql).all(...bind(params)) as T[]);
  }

  each<T>(sql: string, params: Params | undefined, each: (row: T) => void): Promise<void> {
    for (const row of this.prepare(sql).iterate(...bind(params))) each(row as T);
    return Promise.resolve();
  }

  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return Promise.resolve(this.prepare(sql).get(...bind(params)) as T | undefined);
  }

  value<T>(sql: string, params?: Params): Promise<T | undefined> {
    // Not `raw()`: it would change the cached statement for every later caller.
    const row = this.prepare(sql).get(...bind(params)) as Record<string, unknown> | undefined;
    return Promise.resolve((row === undefined ? undefined : Object.values(row)[0]) as T | undefined);
  }

  /**
   * Outside a transaction (a token's last use), as `runAll` and `runMany`: in one of its own, so
   * that the file's mark (`MOVED_VALUE`) is read under the write lock as for every write. In
   * autocommit, a token's use landed on a file copied into PostgreSQL (review 41).
   */
  run(sql: string, params?: Params): Promise<{ changes: number }> {
    if (!this.db.inTransaction) return this.transaction(() => this.run(sql, params));
    const statement = this.prepare(sql);
    // A statement with RETURNING reads rows; its effect is what counts here.
    if (statement.reader) return Promise.resolve({ changes: statement.all(...bind(params)).length });
    return Promise.resolve({ changes: statement.run(...bind(params)).changes });
  }

  async runLater(sql: string, params?: Params): Promise<void> {
    await this.run(sql, params);
  }

  laterNumber(sql: string, params: readonly unknown[], none: () => Error): Promise<number> {
    return numberNow(this, sql, params, none);
  }

  runAll(statements: readonly string[], params: Readonly<Record<string, unknown>>): Promise<void> {
    if (!this.db.inTransaction) return this.transaction(() => this.runAll(statements, params));
    const bound = bind(params);
    for (const sql of statements) this.prepare(sql).run(...bound);
    return Promise.resolve();
  }

  runMany(sql: string, rows: readonly (readonly unknown[])[]): Promise<{ changes: number }> {
    if (!this.db.inTransaction) return this.transaction(() => this.runMany(sql, rows));
    const statement = this.prepare(sql);
    let changes = 0;
    for (const row of rows) changes += statement.run(...bind(row)).changes;
    return Promise.resolve({ changes });
  }

  async runManyLater(sql: string, rows: readonly (readonly unknown[])[]): Promise<void> {
    await this.runMany(sql, rows);
  }

  async appendMany(sql: string, rows: readonly (readonly unknown[])[]): Promise<void> {
    await this.runMany(sql, rows);
  }

  async appending<T>(work: () => Promise<T>): Promise<T> {
    const cache = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = -${APPENDING_CACHE_KIB}`);
    try {
      return await work();
    } finally {
      this.db.pragma(`cache_size = ${cache}`);
    }
  }

  exec(script: string): Promise<void> {
    this.db.exec(script);
    return Promise.resolve();
  }

  async *iterate<T>(sql: string, params?: Params): AsyncIterable<T> {
    // A fresh statement: the cached one may be iterated by an outer loop.
    for (const row of this.db.prepare(sql).iterate(...bind(params))) yield row as T;
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  get inWrite(): boolean {
    return this.depth > 0;
  }

  /** synchronous = FULL: a commit is on disk before another connection sees it. */
  async settled(): Promise<void> {}

  inSteps<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async withLockTimeout<T>(ms: number, work: () => Promise<T>): Promise<T> {
    // One operation at a time on this connection: the setting is this call's alone until it ends.
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.round(ms))}`);
    try {
      return await work();
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.depth > 0) return this.savepoint(work);
    const begin = () => this.db.exec('BEGIN IMMEDIATE');
    if (this.beginWhenFree === null) begin();
    else this.beginWhenFree(begin);
    this.depth = 1;
    try {
      // Read under the write lock, which `cafsup migrate` holds until it has marked the file:
      // a server left running on it is refused from its next write on.
      const moved = this.prepare(MOVED_VALUE).get() as { value: string } | undefined;
      if (moved !== undefined) throw storeMovedAway(this.db.name, moved.value);
      const result = await work();
      this.db.exec('COMMIT');
      this.commits += 1;
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.depth = 0;
    }
  }

  private async savepoint<T>(work: () => Promise<T>): Promise<T> {
    const name = `s${this.depth}`;
    this.db.exec(`SAVEPOINT ${name}`);
    this.depth += 1;
    try {
      const result = await work();
      this.db.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw error;
    } finally {
      this.depth -= 1;
    }
  }

  /** The single writer holds everything already. */
  async lockPartners<T>(_select: string, read: string, params: Params): Promise<{ locked: null; rows: T[] }> {
    return { locked: null, rows: await this.all<T>(read, params) };
  }

  async snapshot<T>(work: () => Promise<T>): Promise<T> {
    if (this.db.inTransaction) return work();
    this.db.exec('BEGIN');
    try {
      return await work();
    } finally {
      if (this.db.inTransaction) this.db.exec('COMMIT');
    }
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
