import { toCafsupError } from '@cafsup/shared';
import { authorize, executeOperation, type Caller } from '../operations/execute.js';
import { operationSpec, type Operation } from '../operations/table.js';
import type { PostgresSql } from '../store/engine/postgres.js';
import { isPostgresUrl } from '../settings.js';
import { Store } from '../store/store.js';
import { KeptAnswers } from './answers.js';
import { StorePool, type JobOptions } from './pool.js';
import { TokenReads } from './token-reads.js';
import { RefusedCredential, ServerJobs, hashedBody, queryHash, type InternalJob, type JobOutcome, type SerializedError, type StoreStatus } from './protocol.js';

/** What `cafsup serve` asks of its store, whichever engine: the worker pool (SQLite) or this (PostgreSQL). */
export type StoreExecutor = Pick<StorePool, 'run' | 'exportStream' | 'cancelWaiting' | 'internal' | 'status' | 'authenticate' | 'close' | 'internalErrors'>;

/**
 * The server's store on PostgreSQL: the driver is asynchronous, so operations run on the event
 * loop, each write in a transaction of its own connection that waits for the head row no longer
 * than its request may last. Nothing is kept in this process that another server process on
 * the same database would need (operations.md, "Horizontal scale").
 */
export class DirectExecutor extends ServerJobs implements StoreExecutor {
  internalErrors: (error: SerializedError) => void = () => undefined;
  private readonly answers = new KeptAnswers();
  private readonly tokenReads: TokenReads;

  private constructor(private readonly store: Store) {
    super();
    this.tokenReads = new TokenReads(store.tokens);
  }

  static async open(options: { database: string; clock?: string | null; create?: boolean }): Promise<DirectExecutor> {
    const clock = options.clock ?? null;
    return new DirectExecutor(
      await Store.open(options.database, {
        ...(clock === null ? {} : { now: () => new Date(clock) }),
        ...(options.create === undefined ? {} : { create: options.create }),
      }),
    );
  }

  private get db(): PostgresSql {
    return this.store.db as PostgresSql;
  }

  run(name: Operation, input: unknown, caller: Caller, options: JobOptions): Promise<JobOutcome> {
    return options.credential === undefined
      ? this.execute(name, input, caller, options)
      : this.settled(options.credential, this.execute(name, input, caller, options));
  }

  private async execute(name: Operation, input: unknown, caller: Caller, options: JobOptions): Promise<JobOutcome> {
    let bodyHash: string | (() => string) | undefined;
    let source = options.source;
    if (options.idempotency !== undefined) {
      const query = queryHash(input);
      if (operationSpec(name).stream === 'in' && source !== undefined) ({ source, bodyHash } = hashedBody(source, query));
      else bodyHash = query;
    }
    try {
      // The server's kept principal, checked before anything runs: a token revoked meanwhile is refused here.
      const checked = options.credential === undefined ? undefined : await this.tokenReads.read(options.credential.tokenHash);
      if (checked?.principal === null) throw new RefusedCredential();
      const version = checked?.version;
      // A kept answer at this head is given at once, without the lock timeout and conventions' scopes a computation needs.
      const key = version === undefined || options.asJson !== true ? null : this.answers.keyOf(name, input, caller, this.store.today());
      const kept = key === null ? undefined : this.answers.get(version!, key);
      if (kept !== undefined) return { value: null, json: kept, replayed: false };
      const execute = () =>
        executeOperation(this.store, name, input, caller, {
          ...(options.validated === true ? { validated: true } : {}),
          ...(options.idempotency === undefined || bodyHash === undefined ? {} : { idempotency: { ...options.idempotency, bodyHash } }),
          ...(source === undefined ? {} : { source }),
        });
      // The head just read is the conventions' version too: no second round trip for it.
      const outcome = await this.db.withLockTimeout(options.deadlineMs, () => (version === undefined ? execute() : this.store.atDataVersion(version, execute)));
      if (options.asJson !== true) return { value: outcome.value, replayed: outcome.replayed };
      const json = JSON.stringify(outcome.value);
      // Computed across awaits: kept only if no later request saw the head move meanwhile.
      if (key !== null) this.answers.offer(version!, key, json);
      return { value: null, json, replayed: outcome.replayed };
    } catch (error) {
      const failure = toCafsupError(error);
      if (failure.code === 'INTERNAL') this.internalErrors({ ...failure.toJSON(), stack: (failure.cause as Error | undefined)?.stack ?? failure.stack ?? '' });
      throw failure;
    }
  }

  async *exportStream(caller: Caller, _deadlineMs: number): AsyncGenerator<string> {
    authorize('dataset.export', caller);
    yield* this.store.exportChunks();
  }

  /** Nothing waits in a queue of this process: each request has its own connection. */
  cancelWaiting(): number {
    return 0;
  }

  override async internal<T>(job: InternalJob, deadlineMs: number): Promise<T> {
    const work = async (): Promise<unknown> => {
      switch (job.kind) {
        case 'authenticate':
          return this.tokenReads.read(job.tokenHash);
        case 'authFailure':
          return this.store.tokens.recordFailure(job.address, job.tokenPrefix, job.limit);
        case 'tokenUsed':
          return this.store.tokens.recordUse(job.tokenId);
        case 'failuresDue':
          return this.store.tokens.traceFailuresDue();
        case 'ping': {
          // Imported here: the SDK's index exports this module, and a SQLite command must not load the driver.
          const { POSTGRES_SCHEMA_VERSION, postgresSchemaVersion, postgresUnwritable } = await import('../store/engine/postgres-schema.js');
          return {
            file: true,
            schemaVersion: await postgresSchemaVersion(this.db),
            expectedSchemaVersion: POSTGRES_SCHEMA_VERSION,
            traceHead: (await this.store.traceHead()).id,
            // Only a SQLite file is copied away.
            moved: null,
            unwritable: await postgresUnwritable(this.db),
          } satisfies StoreStatus;
        }
      }
    };
    return (await this.db.withLockTimeout(deadlineMs, work)) as T;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** The server's store for `database`: PostgreSQL runs here, SQLite in worker threads. */
export async function openExecutor(options: {
  database: string;
  clock?: string | null;
  readers?: number;
  create?: boolean;
  /** Settles when the opening is to be given up (a stop during `serve`'s start). */
  stopped?: Promise<unknown>;
}): Promise<StoreExecutor> {
  if (isPostgresUrl(options.database)) return DirectExecutor.open(options);
  const pool = StorePool.start({
    database: options.database,
    clock: options.clock ?? null,
    ...(options.create === undefined ? {} : { create: options.create }),
    keepAnswers: true,
    ...(options.readers === undefined ? {} : { readers: options.readers }),
  });
  // Its threads wait for another process's lock in short slices, and end when closed (pool.ts).
  // Only while opening: a later stop closes the server, which closes the pool after its checkpoint.
  let opening = true;
  void options.stopped?.then(() => {
    if (opening) void pool.close();
  });
  try {
    await pool.opened;
  } finally {
    opening = false;
  }
  return pool;
}
