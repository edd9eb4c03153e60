import { statSync, type Stats } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { toCafsupError } from '@cafsup/shared';
import { Store } from '../store/store.js';
import { BUSY_TIMEOUT_MS } from '../store/connection.js';
import { SCHEMA_VERSION } from '../store/schema.js';
import { authorize, executeOperation, type IdempotencyRequest } from '../operations/execute.js';
import type { Operation } from '../operations/table.js';
import { CANCELLED, QUEUED, STARTED, hashedBody, type FromWorker, type InternalJob, type RunMessage, type StoreStatus, type ToWorker } from './protocol.js';

// One store worker of `cafsup serve` (pool.ts): its own SQLite connection, off the server's
// event loop. The writer runs its jobs one at a time in arrival order, each in a transaction of
// its own; readers answer while the writer waits for the lock.

const port = parentPort!;
const nextMessage = () => new Promise<ToWorker>((resolve) => port.once('message', resolve));
const send = (message: FromWorker) => port.postMessage(message);

// Set by `open`, before the first job.
let options!: Extract<ToWorker, { type: 'configure' }>['options'];
let store!: Store;
// The pool runs SQLite only: PostgreSQL is asynchronous and needs no worker (direct.ts).
let sqlite!: NonNullable<Store['sqlite']>['db'];
let opened!: Stats;

/**
 * Opens the store as the pool says, then takes jobs. A function rather than the module's own
 * top-level awaits: a worker ended (`terminate`, a pool whose writer could not open the file)
 * while Node 20 starts evaluating a module that awaits at its top level can abort the whole
 * process (V8 « Check failed: (location_) != nullptr » in ExecuteAsyncModule, nodejs/node#53238;
 * seen once under load, `serve` on a file of a newer schema). A failure is the worker's
 * uncaught error, as it was: the pool reports it.
 */
async function open(): Promise<void> {
  const first = await nextMessage();
  if (first.type !== 'configure') throw new Error(`store worker: configure expected, got ${first.type}`);
  options = first.options;
  // A reader opens the file once the writer has (pool.ts): the writer creates or migrates it.
  if (options.role === 'reader') await nextMessage();
  store = await Store.open(options.database, { create: options.create, ...(options.clock === null ? {} : { now: () => new Date(options.clock!) }) });
  sqlite = store.sqlite!.db;
  opened = statSync(options.database);
  port.on('message', receive);
  send({ type: 'ready' });
}

/**
 * The store's health for `/readyz` and `/metrics`. An open connection keeps working on a file
 * deleted or replaced under it, so what counts is the file now at the path.
 */
async function status(): Promise<StoreStatus> {
  const current = statSync(options.database, { throwIfNoEntry: false });
  return {
    file: current !== undefined && current.ino === opened.ino && current.dev === opened.dev,
    schemaVersion: sqlite.pragma('user_version', { simple: true }) as number,
    expectedSchemaVersion: SCHEMA_VERSION,
    traceHead: (await store.traceHead()).id,
  };
}

/** The body of an import, fed by the server one chunk per `need`. */
class Inbox {
  private readonly chunks: (Uint8Array | null | Error)[] = [];
  private waiting: (() => void) | null = null;
  constructor(private readonly id: number) {}
  push(item: Uint8Array | null | Error): void {
    this.chunks.push(item);
    this.waiting?.();
    this.waiting = null;
  }
  async *read(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.chunks.length === 0) {
        send({ type: 'need', id: this.id });
        await new Promise<void>((resolve) => (this.waiting = resolve));
      }
      const item = this.chunks.shift()!;
      if (item === null) return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

const inboxes = new Map<number, Inbox>();
const outboxes = new Map<number, AsyncGenerator<string>>();
const queue: RunMessage[] = [];
let running = false;

function internal(job: InternalJob): Promise<unknown> {
  switch (job.kind) {
    case 'authenticate':
      return store.tokens.authenticateHash(job.tokenHash);
    case 'authFailure':
      return store.tokens.recordFailure(job.address, job.tokenPrefix, job.limit);
    case 'tokenUsed':
      return store.tokens.recordUse(job.tokenId);
    case 'ping':
      return status();
  }
}

let busyTimeout = -1;
/** Sets the connection's busy timeout, only when it changes (a pragma per job would cost more than a page read). */
function waitForLocks(ms: number): void {
  // Rounded down to 50 ms: a deadline's remainder moves by the millisecond.
  const rounded = Math.max(50, Math.floor(ms / 50) * 50);
  if (rounded === busyTimeout) return;
  sqlite.pragma(`busy_timeout = ${rounded}`);
  busyTimeout = rounded;
}

/** How long one attempt at the write lock waits inside SQLite before the claim word is looked at again. */
const LOCK_PROBE_MS = 50;

/**
 * Waits for the write lock while the job may still be given up: the job stays QUEUED (so the
 * server's deadline or the interface's Échap can cancel it) until the lock was free, then is
 * claimed. Reads and jobs of a reader need no lock.
 */
function claimWhenWritable(claim: Int32Array, message: RunMessage): boolean {
  const writes = options.role === 'writer';
  for (;;) {
    if (Atomics.load(claim, 0) !== QUEUED || Date.now() > message.deadlineAt) return false;
    if (!writes) break;
    try {
      waitForLocks(LOCK_PROBE_MS);
      sqlite.exec('BEGIN IMMEDIATE');
      sqlite.exec('ROLLBACK');
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') break; // not a lock: the job itself will report it
    }
  }
  return Atomics.compareExchange(claim, 0, QUEUED, STARTED) === QUEUED;
}

async function run(message: RunMessage): Promise<void> {
  const claim = new Int32Array(message.state);
  // The server may have answered 503 already (deadline passed while queued): then nothing runs.
  if (!claimWhenWritable(claim, message)) {
    Atomics.store(claim, 0, CANCELLED);
    inboxes.delete(message.id);
    send({ type: 'cancelled', id: message.id });
    return;
  }
  try {
    // A write waits for another process's lock no longer than its request may last.
    waitForLocks(Math.max(50, Math.min(BUSY_TIMEOUT_MS, message.deadlineAt - Date.now())));
    if (message.internal !== undefined) {
      send({ type: 'done', id: message.id, value: await internal(message.internal), replayed: false });
      return;
    }
    if (message.streamOut === true) {
      authorize(message.name as Operation, message.caller);
      outboxes.set(message.id, store.exportChunks());
      send({ type: 'done', id: message.id, value: null, replayed: false });
      return;
    }
    // The server's kept principal, checked before anything runs: a token revoked meanwhile is refused here.
    const version = message.credential === undefined ? undefined : await store.tokens.check(message.credential);
    if (version === null) {
      send({ type: 'refused', id: message.id });
      return;
    }
    let source: AsyncIterable<Uint8Array> | undefined;
    let idempotency: IdempotencyRequest | undefined;
    if (message.idempotency !== undefined) {
      const { tokenId, key, bodyHash, queryHash } = message.idempotency;
      if (message.streamIn === true) {
        const hashed = hashedBody(inboxes.get(message.id)!.read(), queryHash);
        source = hashed.source;
        idempotency = { tokenId, key, bodyHash: hashed.bodyHash };
      } else idempotency = { tokenId, key, bodyHash: bodyHash! };
    } else if (message.streamIn === true) source = inboxes.get(message.id)!.read();
    const outcome = await executeOperation(store, message.name!, message.input, message.caller, {
      ...(message.validated === true ? { validated: true } : {}),
      ...(idempotency === undefined ? {} : { idempotency }),
      ...(source === undefined ? {} : { source }),
    });
    // The server keeps the answers it may give again (pool.ts): it is told the version they were computed at.
    send({
      type: 'done',
      id: message.id,
      ...(message.asJson === true ? { value: null, json: JSON.stringify(outcome.value) } : { value: outcome.value }),
      replayed: outcome.replayed,
      ...(version === undefined ? {} : { version }),
    });
  } catch (error) {
    const failure = toCafsupError(error);
    const cause = failure.cause as Error | undefined;
    send({
      type: 'error',
      id: message.id,
      error: { ...failure.toJSON(), ...(failure.code === 'INTERNAL' ? { stack: cause?.stack ?? failure.stack ?? '' } : {}) },
    });
  } finally {
    inboxes.delete(message.id);
  }
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  try {
    while (queue.length > 0) await run(queue.shift()!);
  } finally {
    running = false;
  }
}

function receive(message: ToWorker): void {
  switch (message.type) {
    case 'run':
      if (message.streamIn === true) inboxes.set(message.id, new Inbox(message.id));
      // One job at a time on this worker's connection, writer or reader: a job's awaits must not
      // let another job's statements into its transaction.
      queue.push(message);
      void drain();
      return;
    case 'chunk':
      inboxes.get(message.id)?.push(message.data);
      return;
    case 'end':
      inboxes.get(message.id)?.push(null);
      return;
    case 'abort':
      inboxes.get(message.id)?.push(new Error('import interrompu : la requête a été abandonnée'));
      // An export whose client went away: its snapshot connection closes now.
      void outboxes.get(message.id)?.return(undefined);
      outboxes.delete(message.id);
      return;
    case 'pull': {
      const chunks = outboxes.get(message.id);
      if (chunks === undefined) return;
      chunks.next().then(
        (next) => {
          if (next.done === true) {
            outboxes.delete(message.id);
            send({ type: 'end', id: message.id });
          } else send({ type: 'chunk', id: message.id, data: next.value });
        },
        (error: unknown) => {
          outboxes.delete(message.id);
          send({ type: 'error', id: message.id, error: toCafsupError(error).toJSON() });
        },
      );
      return;
    }
  }
}

void open();
