import { statSync, type Stats } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { CafsupError, LASTING, isReadOnlyRefusal, readOnlyWrite, toCafsupError } from '@cafsup/shared';
import { Store } from '../store/store.js';
import { BUSY_TIMEOUT_MS, writable } from '../store/connection.js';
import { SCHEMA_VERSION } from '../store/schema.js';
import { MOVED_VALUE, pendingCopy } from '../store/meta.js';
import { authorize, executeOperation, type IdempotencyRequest } from '../operations/execute.js';
import type { Operation } from '../operations/table.js';
import {
  CANCELLED,
  QUEUED,
  STARTED,
  hashedBody,
  isBusy,
  type FromWorker,
  type InternalJob,
  type RunMessage,
  type StoreStatus,
  type ToWorker,
} from './protocol.js';

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
 * The file and its folder could be written when this worker opened them. SQLite opens a file it
 * may not write read-only, and the connection stays so: rights given back later are written
 * only after a restart.
 */
let writableAtOpen!: boolean;
let stop!: Int32Array;

/**
 * Never a long wait inside SQLite: a worker ended there (the process exiting while another
 * process holds the file's lock) makes better-sqlite3 throw into a dying thread, which aborts
 * the whole process (« FATAL ERROR: v8::ToLocalChecked », exit 134: trial 26, H1 and H2). The
 * connection's busy timeout is this; a longer wait (the opening, a job's claim, a transaction's
 * BEGIN) is one short one in SQLite, then one on the pool's stop word, again until its end.
 */
const LOCK_PROBE_MS = 50;

function stopped(): boolean {
  return Atomics.load(stop, 0) !== 0;
}

/** Sleeps a lock probe's time, woken at once when the pool closes. */
function pauseForLock(): void {
  Atomics.wait(stop, 0, 0, LOCK_PROBE_MS);
}

/** Runs `attempt` again while another process's lock refuses it; null once the pool closes. */
async function untilUnlocked<T>(attempt: () => Promise<T>): Promise<T | null> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    if (stopped()) return null;
    try {
      return await attempt();
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
    }
    pauseForLock();
  }
}

/**
 * Opens the store as the pool says, then takes jobs. A function rather than the module's own
 * top-level awaits: a worker ended (`terminate`, past a closing pool's patience) while Node 20
 * starts evaluating a module that awaits at its top level can abort the whole process (V8
 * « Check failed: (location_) != nullptr » in ExecuteAsyncModule, nodejs/node#53238; seen once
 * under load, `serve` on a file of a newer schema). A failure is the worker's uncaught error, as
 * it was: the pool reports it. A pool closed meanwhile ends the worker without a word.
 */
async function open(): Promise<void> {
  const first = await nextMessage();
  if (first.type !== 'configure') throw new Error(`store worker: configure expected, got ${first.type}`);
  options = first.options;
  stop = new Int32Array(options.stop);
  // A reader opens the file once the writer has (pool.ts): the writer creates or migrates it.
  if (options.role === 'reader' && (await nextMessage()).type === 'close') return port.close();
  const opening = await untilUnlocked(() =>
    Store.open(options.database, {
      create: options.create,
      busyTimeoutMs: LOCK_PROBE_MS,
      ...(options.clock === null ? {} : { now: () => new Date(options.clock!) }),
    }),
  ).catch((error: unknown) => {
    // Said as a plain command says it: SQLite's own error reached the pool as « [object Object] » (trial 27).
    throw isBusy(error) ? toCafsupError(error) : error;
  });
  if (opening === null) return port.close();
  store = opening;
  store.sqlite!.beginWhenFree = beginWhenFree;
  sqlite = store.sqlite!.db;
  opened = statSync(options.database);
  writableAtOpen = writable(options.database);
  port.on('message', receive);
  send({ type: 'ready' });
}

/**
 * Whether the file now at the store's path is the one opened. A connection keeps working on a
 * file deleted or replaced under it: its writes would be answered, then lost with that file.
 */
function fileIsOpened(): boolean {
  try {
    const current = statSync(options.database, { throwIfNoEntry: false });
    return current !== undefined && current.ino === opened.ino && current.dev === opened.dev;
  } catch {
    // Its folder replaced by a file (ENOTDIR), no longer readable, a network file system gone.
    return false;
  }
}

/** The store's health for `/readyz` and `/metrics`: the file now at the path is what counts. */
async function status(): Promise<StoreStatus> {
  const moved = sqlite.prepare(MOVED_VALUE).pluck().get() as string | undefined;
  return {
    file: fileIsOpened(),
    schemaVersion: sqlite.pragma('user_version', { simple: true }) as number,
    expectedSchemaVersion: SCHEMA_VERSION,
    traceHead: (await store.traceHead()).id,
    moved: moved === undefined ? null : pendingCopy(moved) === null ? 'copied' : 'pending',
    // As the command line and the interface judge a file read-only: two access(2) calls, no write tried.
    unwritable: !writable(options.database) ? 'file' : writableAtOpen ? null : 'reopen',
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
    case 'failuresDue':
      return store.tokens.traceFailuresDue();
    case 'ping':
      return status();
  }
}

/** The running job's last moment to wait for another process's lock: its request's deadline, BUSY_TIMEOUT_MS at most. */
let lockUntil = 0;

/**
 * A transaction's BEGIN IMMEDIATE, tried again in slices until the job's last moment or the
 * pool's close (engine/sqlite.ts); given up, nothing written, on a file no longer at its path.
 */
function beginWhenFree(begin: () => void): void {
  for (;;) {
    try {
      begin();
      break;
    } catch (error) {
      if (!isBusy(error) || stopped() || Date.now() >= lockUntil) throw error;
    }
    pauseForLock();
  }
  if (!fileIsOpened()) {
    sqlite.exec('ROLLBACK');
    throw new CafsupError('UNAVAILABLE', `Écriture refusée : ${FILE_GONE} ; rien n’a été écrit. Redémarrez le serveur sur le bon fichier.`, LASTING);
  }
}

const FILE_GONE = 'le fichier de la base a disparu ou a été remplacé depuis son ouverture';

let readProbe: { get(): unknown } | null = null;

/**
 * Waits until the job can run while it may still be given up: it stays QUEUED (so the server's
 * deadline, the interface's Échap or the pool's close can cancel it) until the lock it needs
 * was free, then is claimed. A writer needs the write lock; a reader, a read (another process
 * may hold the file exclusively).
 */
function claimWhenUnlocked(claim: Int32Array, message: RunMessage): boolean {
  for (;;) {
    if (stopped() || Atomics.load(claim, 0) !== QUEUED || Date.now() > message.deadlineAt) return false;
    try {
      if (options.role === 'writer') {
        sqlite.exec('BEGIN IMMEDIATE');
        sqlite.exec('ROLLBACK');
      } else (readProbe ??= sqlite.prepare<[]>('SELECT 1 FROM meta LIMIT 1')).get();
      break;
    } catch (error) {
      if (!isBusy(error)) break; // not a lock: the job itself will report it
    }
    pauseForLock();
  }
  return Atomics.compareExchange(claim, 0, QUEUED, STARTED) === QUEUED;
}

async function run(message: RunMessage): Promise<void> {
  const claim = new Int32Array(message.state);
  // The server may have answered 503 already (deadline passed while queued): then nothing runs.
  if (!claimWhenUnlocked(claim, message)) {
    Atomics.store(claim, 0, CANCELLED);
    inboxes.delete(message.id);
    send({ type: 'cancelled', id: message.id });
    return;
  }
  try {
    // A write waits for another process's lock no longer than its request may last.
    lockUntil = Date.now() + Math.max(LOCK_PROBE_MS, Math.min(BUSY_TIMEOUT_MS, message.deadlineAt - Date.now()));
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
    const commitsBefore = store.sqlite!.commits;
    const outcome = await executeOperation(store, message.name!, message.input, message.caller, {
      ...(message.validated === true ? { validated: true } : {}),
      ...(idempotency === undefined ? {} : { idempotency }),
      ...(source === undefined ? {} : { source }),
    });
    // Its file gone between the check of its BEGIN and its commit: a write answered would be lost.
    if (store.sqlite!.commits !== commitsBefore && !fileIsOpened())
      throw new CafsupError(
        'UNAVAILABLE',
        `Écriture perdue : ${FILE_GONE}, elle l’a été avec lui. Redémarrez le serveur sur le bon fichier et vérifiez-la.`,
        LASTING,
      );
    // The server keeps the answers it may give again (pool.ts): it is told the version they were computed at.
    send({
      type: 'done',
      id: message.id,
      ...(message.asJson === true ? { value: null, json: JSON.stringify(outcome.value) } : { value: outcome.value }),
      replayed: outcome.replayed,
      ...(version === undefined ? {} : { version }),
    });
  } catch (error) {
    // Named as the commands name it, rather than « Impossible d’ouvrir la base de données »: the
    // file was opened, read-only, because it or its folder could not be written (review 44).
    const failure = isReadOnlyRefusal(error) ? readOnlyWrite(options.database, !writableAtOpen && writable(options.database)) : toCafsupError(error);
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
  if (closing) await finish();
}

let closing = false;

/** The pool closes: jobs still queued are given up (the pool has answered them), the connection closed, and the thread's loop left empty. */
async function finish(): Promise<void> {
  await Promise.all([...outboxes.values()].map((chunks) => chunks.return(undefined)));
  outboxes.clear();
  await store.close();
  port.close();
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
    case 'close':
      closing = true;
      if (!running) void finish();
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
