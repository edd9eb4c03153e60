import type { Worker } from 'node:worker_threads';
import { CafsupError, isErrorCode, readOnlyStore, within } from '@cafsup/shared';
import type { Caller } from '../operations/execute.js';
import type { Credential, TokenRead } from '../store/tokens.js';
import { operationSpec, type Operation } from '../operations/table.js';
import { unavailable } from '../store/engine/engine.js';
import type { Store } from '../store/store.js';
import { KeptAnswers } from './answers.js';
import { TokenReads } from './token-reads.js';
import { storeWorker } from './warm.js';
import {
  CANCELLED,
  QUEUED,
  RefusedCredential,
  ServerJobs,
  isBusy,
  queryHash,
  type FromWorker,
  type InternalJob,
  type JobOutcome,
  type RunMessage,
  type SerializedError,
  type ToWorker,
} from './protocol.js';

export interface StorePoolOptions {
  database: string;
  /** Create the file when missing (by default; `cafsup serve` and a supervisor's interface open an existing one). */
  create?: boolean;
  /** Reader workers beside the one writer (2 by default). */
  readers?: number;
  /** A fixed clock (ISO instant) for tests. */
  clock?: string | null;
  /** Answers kept in this thread (`cafsup serve`): opens its read-only connection (`front`). */
  keepAnswers?: boolean;
}

export interface JobOptions {
  /** How long the job may wait before it starts (and a write for the lock); then 503. */
  deadlineMs: number;
  idempotency?: { tokenId: number; key: string };
  /** The document of an import, streamed from the request. */
  source?: AsyncIterable<Uint8Array>;
  /** The input was validated with `parseOperationInput` already. */
  validated?: boolean;
  /** The caller's principal as the server keeps it, checked before the job runs. */
  credential?: Credential;
  /** The answer as JSON text (`json`), serialised off the event loop. */
  asJson?: boolean;
}

interface Pending {
  resolve(outcome: JobOutcome): void;
  reject(error: CafsupError): void;
  state: Int32Array;
  timer: NodeJS.Timeout | null;
  source?: AsyncIterator<Uint8Array>;
  /** The import's body failed as cafsup says (a file missing, a folder: `fileBytes`): what the caller is told. */
  sourceFailed?: CafsupError;
  chunks?: { push(item: string | null | CafsupError): void };
}

/** How long a closing pool waits for a worker to end its job and close its connection (`StorePool.close`). */
const CLOSE_WITHIN_MS = 3000;

/** A worker and the jobs it holds, so a crash fails them rather than leaving them hanging. */
class StoreWorker {
  readonly pending = new Map<number, Pending>();
  private worker: Worker;
  readonly ready: Promise<void>;
  private readonly exited: Promise<void>;

  constructor(
    private readonly role: 'writer' | 'reader',
    private readonly options: StorePoolOptions,
    stop: SharedArrayBuffer,
    private readonly onInternalError: (error: SerializedError) => void,
  ) {
    let markReady!: () => void;
    let failReady!: (error: unknown) => void;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // Awaited later (a reader's after the writer's): a failure meanwhile is not unhandled.
    this.ready.catch(() => undefined);
    this.worker = storeWorker();
    this.worker.postMessage({
      type: 'configure',
      options: { database: options.database, role, clock: options.clock ?? null, create: options.create ?? true, stop },
    } satisfies ToWorker);
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') markReady();
      else this.receive(message);
    });
    this.worker.on('error', (error: Error & Partial<SerializedError>) => {
      // A refusal of cafsup's own (« Base de données introuvable », a newer schema…) arrives with
      // its code and details, and is said as it is; anything else in one sentence (the worker's
      // message may end with its own full stop).
      failReady(
        isErrorCode(error.code) && error.name === 'CafsupError'
          ? new CafsupError(error.code, error.message, error.details ?? {}, { cause: error })
          : (readOnlyStore(options.database, error) ??
              // A worker that died mid-call may give no message (trial 26: ended inside a lock's
              // wait), and SQLite's errors arrive as their code alone.
              new CafsupError(
                'UNAVAILABLE',
                `Base de données inaccessible : ${String(error?.message ?? error?.code ?? error).replace(/\.$/, '')}.`,
                {},
                { cause: error },
              )),
      );
      this.failAll(error);
    });
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        // A worker the pool's close ended before it opened the file.
        failReady(new CafsupError('UNAVAILABLE', 'Base de données fermée avant d’avoir été ouverte.'));
        this.failAll(new Error('store worker exited'));
        resolve();
      }),
    );
  }

  get load(): number {
    return this.pending.size;
  }

  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private failAll(error: Error): void {
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      if (job.timer !== null) clearTimeout(job.timer);
      const failure = new CafsupError('UNAVAILABLE', 'Le processus de la base de données s’est arrêté : réessayez.', {}, { cause: error });
      job.reject(failure);
      job.chunks?.push(failure);
    }
  }

  private receive(message: Exclude<FromWorker, { type: 'ready' }>): void {
    const job = this.pending.get(message.id);
    if (job === undefined) return;
    switch (message.type) {
      case 'need':
        void this.feed(message.id, job);
        return;
      case 'chunk':
        job.chunks?.push(message.data);
        return;
      case 'end':
        this.pending.delete(message.id);
        job.chunks?.push(null);
        return;
      case 'done':
        if (job.timer !== null) clearTimeout(job.timer);
        // An export stays pending while its chunks flow.
        if (job.chunks === undefined) this.pending.delete(message.id);
        job.resolve({
          value: message.value,
          replayed: message.replayed,
          ...(message.json === undefined ? {} : { json: message.json }),
          ...(message.version === undefined ? {} : { version: message.version }),
        });
        return;
      case 'cancelled':
        if (job.timer !== null) clearTimeout(job.timer);
        this.pending.delete(message.id);
        job.reject(unavailable(1));
        return;
      case 'refused':
        if (job.timer !== null) clearTimeout(job.timer);
        this.pending.delete(message.id);
        job.reject(new RefusedCredential());
        return;
      case 'error': {
        if (job.timer !== null) clearTimeout(job.timer);
        this.pending.delete(message.id);
        if (message.error.code === 'INTERNAL' && job.sourceFailed === undefined) this.onInternalError(message.error);
        const failure = job.sourceFailed ?? new CafsupError(message.error.code, message.error.message, message.error.details);
        job.reject(failure);
        job.chunks?.push(failure);
        return;
      }
    }
  }

  /** Sends the next chunk of an import's body when the worker asks for it (backpressure). */
  private async feed(id: number, job: Pending): Promise<void> {
    try {
      const next = await job.source!.next();
      if (next.done === true) this.post({ type: 'end', id });
      else this.post({ type: 'chunk', id, data: next.value });
    } catch (error) {
      // The worker is told only to give up; its answer to that, an internal error, is not what happened.
      if (error instanceof CafsupError) job.sourceFailed = error;
      this.post({ type: 'abort', id });
    }
  }

  /**
   * Asks the worker to end (the pool's stop word is set already): it finishes its job, closes its
   * connection and exits. Ended by force only past CLOSE_WITHIN_MS, a job that would not end:
   * ending it inside SQLite could abort the process (store-worker.ts, LOCK_PROBE_MS).
   */
  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    if ((await within(CLOSE_WITHIN_MS, this.exited)) === 'late') await this.worker.terminate();
  }
}

/** How long the server's own read waits for a lock before its request goes to a worker instead. */
const FRONT_BUSY_MS = 20;

/**
 * The store of `cafsup serve`, off its event loop (operations.md, "The write path"): one writer
 * worker runs every write in arrival order, each in its own transaction, so no request ever
 * writes inside another's; reader workers answer meanwhile from their own connections and see
 * only committed data. A job that has not started by its deadline is cancelled and answered
 * 503 with Retry-After: the worker will skip it, so "nothing was written" is true.
 */
export class StorePool extends ServerJobs {
  private readonly writer: StoreWorker;
  private readonly readers: StoreWorker[];
  /**
   * A read-only connection of the server's own thread, for the one indexed read that checks a
   * request's token and the trail's head: a kept answer is then given without a trip to a
   * worker, which cost more than the read (two messages between threads and the answer's text
   * copied across: 227 µs of CPU per page served against ~150).
   */
  private front: Store | null = null;
  private frontReads: TokenReads | null = null;
  private readonly answers = new KeptAnswers();
  private nextId = 1;
  internalErrors: (error: SerializedError) => void = () => undefined;

  /** Set once the pool closes: every worker waiting for a lock gives up (store-worker.ts). */
  private readonly stop = new SharedArrayBuffer(4);
  /** The workers have opened the file (a failure to open rejects it). */
  readonly opened: Promise<void>;
  private closing: Promise<void> | null = null;

  /** Starts the workers; `opened` says when they have opened the file. */
  private constructor(private readonly options: StorePoolOptions) {
    super();
    this.writer = new StoreWorker('writer', options, this.stop, this.report);
    this.readers = [];
    for (let index = 0; index < (options.readers ?? 2); index++) this.readers.push(new StoreWorker('reader', options, this.stop, this.report));
    this.opened = this.open();
    // Awaited by whoever uses the pool: a failure meanwhile is not unhandled.
    this.opened.catch(() => undefined);
  }

  private readonly report = (error: SerializedError) => this.internalErrors(error);

  /** A pool whose workers are starting: it can be closed before they have opened the file (the interface's Échap, `q`). */
  static start(options: StorePoolOptions): StorePool {
    return new StorePool(options);
  }

  /** A pool whose workers have opened the file (`cafsup serve`). */
  static async open(options: StorePoolOptions): Promise<StorePool> {
    const pool = new StorePool(options);
    await pool.opened;
    return pool;
  }

  /**
   * Each worker loads its code at once, which is most of a worker's start; the writer opens the
   * file first (it creates or migrates it), the readers only then.
   */
  private async open(): Promise<void> {
    const { options } = this;
    try {
      await this.writer.ready;
      for (const reader of this.readers) reader.post({ type: 'open' });
      await Promise.all(this.readers.map((reader) => reader.ready));
      if (options.keepAnswers === true) {
        // Loaded here: the interface, whose store is this pool too, keeps no answers and must not
        // load the store's code in its own thread before its first frame.
        const [{ Store }, { writable }] = await Promise.all([import('../store/store.js'), import('../store/connection.js')]);
        // Only on the live file: one that cannot be written is opened read-only as a copy in
        // memory (connection.ts), whose head would never move. Its answers are then computed each time.
        if (writable(options.database)) {
          const clock = options.clock ?? null;
          this.front = await Store.open(options.database, { readonly: true, ...(clock === null ? {} : { now: () => new Date(clock) }) });
          // It reads a token and the head: a small cache, and never a long wait on this thread —
          // a reader is rarely kept waiting (a crashed writer's log being recovered), and then
          // the request goes to a worker, which may wait.
          this.front.sqlite!.db.pragma('cache_size = -2048');
          this.front.sqlite!.db.pragma(`busy_timeout = ${FRONT_BUSY_MS}`);
          this.frontReads = new TokenReads(this.front.tokens);
          // Closed meanwhile: its close did not see this connection (review 27).
          if (this.closing !== null) await this.front.close();
        }
      }
    } catch (error) {
      // A worker left running would keep the process alive.
      await this.close();
      throw error;
    }
  }

  private reader(): StoreWorker {
    return this.readers.reduce((least, reader) => (reader.load < least.load ? reader : least));
  }

  private submit(
    worker: StoreWorker,
    message: Omit<RunMessage, 'type' | 'id' | 'state' | 'deadlineAt'>,
    deadlineMs: number,
    extra: Pick<Pending, 'source' | 'chunks'> = {},
  ): Promise<JobOutcome> {
    return this.submitWithId(worker, message, deadlineMs, extra).done;
  }

  private submitWithId(
    worker: StoreWorker,
    message: Omit<RunMessage, 'type' | 'id' | 'state' | 'deadlineAt'>,
    deadlineMs: number,
    extra: Pick<Pending, 'source' | 'chunks'> = {},
  ): { id: number; done: Promise<JobOutcome> } {
    const id = this.nextId++;
    // No worker will take it (a request cut by the server's stop, carrying on).
    if (this.closing !== null) return { id, done: Promise.reject(new CafsupError('UNAVAILABLE', 'Base de données fermée : réessayez.')) };
    const state = new SharedArrayBuffer(4);
    const claim = new Int32Array(state);
    const done = new Promise<JobOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Only a job still queued is given up; one already started runs to its end and answers.
        if (Atomics.compareExchange(claim, 0, QUEUED, CANCELLED) === QUEUED) {
          worker.pending.delete(id);
          if (extra.source !== undefined) void extra.source.return?.();
          reject(unavailable(Math.max(1, Math.ceil(deadlineMs / 1000))));
        }
      }, deadlineMs);
      timer.unref();
      worker.pending.set(id, { resolve, reject, state: claim, timer, ...extra });
      worker.post({ type: 'run', id, state, deadlineAt: Date.now() + deadlineMs, ...message });
    });
    return { id, done };
  }

  /** Runs an operation of the table; writes go to the writer, reads to the least busy reader, kept answers come from here. */
  run(name: Operation, input: unknown, caller: Caller, options: JobOptions): Promise<JobOutcome> {
    const { credential } = options;
    const key = options.asJson === true && credential !== undefined && this.front !== null ? this.answers.keyOf(name, input, caller, this.front.today()) : null;
    const compute = () => this.submitRun(name, input, caller, options);
    const done = key === null ? compute() : this.keptAnswer(key, credential!, compute);
    return credential === undefined ? done : this.settled(credential, done);
  }

  /** A kept answer, checked against the store in this thread; a worker computes it when none is kept at the head the check read. */
  private async keptAnswer(key: string, credential: Credential, compute: () => Promise<JobOutcome>): Promise<JobOutcome> {
    let checked: TokenRead;
    try {
      checked = await this.frontReads!.read(credential.tokenHash);
    } catch (error) {
      if (isBusy(error)) return compute();
      throw error;
    }
    if (checked.principal === null) throw new RefusedCredential();
    const { version } = checked;
    const json = this.answers.get(version, key);
    if (json !== undefined) return { value: null, replayed: false, json };
    const outcome = await compute();
    // The worker checked the credential again: its answer is kept only if computed at the head read here.
    if (outcome.json !== undefined && outcome.version === version) this.answers.offer(version, key, outcome.json);
    return outcome;
  }

  private submitRun(name: Operation, input: unknown, caller: Caller, options: JobOptions): Promise<JobOutcome> {
    const spec = operationSpec(name);
    const worker = spec.access === 'write' ? this.writer : this.reader();
    const streamIn = spec.stream === 'in';
    const idempotency =
      options.idempotency === undefined
        ? undefined
        : {
            ...options.idempotency,
            // A streamed body is hashed by the worker as it reads it, with the query beside it.
            bodyHash: streamIn ? null : queryHash(input),
            queryHash: queryHash(input),
          };
    const { credential } = options;
    return this.submit(
      worker,
      {
        name,
        input,
        caller,
        ...(options.validated === true ? { validated: true } : {}),
        ...(credential === undefined ? {} : { credential }),
        ...(options.asJson === true ? { asJson: true } : {}),
        ...(idempotency === undefined ? {} : { idempotency }),
        ...(streamIn ? { streamIn } : {}),
      },
      options.deadlineMs,
      options.source === undefined ? {} : { source: options.source[Symbol.asyncIterator]() },
    );
  }

  /** The dataset document as text chunks, from one snapshot on a reader. */
  async *exportStream(caller: Caller, deadlineMs: number): AsyncGenerator<string> {
    const worker = this.reader();
    const buffered: (string | null | CafsupError)[] = [];
    let wake: (() => void) | null = null;
    const chunks = {
      push(item: string | null | CafsupError) {
        buffered.push(item);
        wake?.();
        wake = null;
      },
    };
    const { id, done } = this.submitWithId(worker, { name: 'dataset.export', input: {}, caller, streamOut: true }, deadlineMs, { chunks });
    await done;
    let finished = false;
    try {
      for (;;) {
        worker.post({ type: 'pull', id });
        if (buffered.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = buffered.shift()!;
        if (item === null) {
          finished = true;
          return;
        }
        if (item instanceof CafsupError) {
          finished = true;
          throw item;
        }
        yield item;
      }
    } finally {
      if (!finished) {
        worker.pending.delete(id);
        worker.post({ type: 'abort', id });
      }
    }
  }

  /**
   * Gives up every job that has not started yet (a supervisor pressed Échap while a lock held
   * the store): each is answered UNAVAILABLE and will never run. Returns how many.
   */
  cancelWaiting(): number {
    let cancelled = 0;
    for (const worker of [this.writer, ...this.readers]) {
      for (const [id, job] of worker.pending) {
        if (job.chunks !== undefined || Atomics.compareExchange(job.state, 0, QUEUED, CANCELLED) !== QUEUED) continue;
        if (job.timer !== null) clearTimeout(job.timer);
        worker.pending.delete(id);
        void job.source?.return?.();
        job.reject(new CafsupError('UNAVAILABLE', 'Opération annulée avant d’avoir commencé : rien n’a été écrit.', { cancelled: true }));
        cancelled += 1;
      }
    }
    return cancelled;
  }

  /** Server-side jobs that are not operations: token checks on a reader, failure counts on the writer. */
  override internal<T>(job: InternalJob, deadlineMs: number): Promise<T> {
    const worker = job.kind === 'authFailure' || job.kind === 'tokenUsed' || job.kind === 'failuresDue' ? this.writer : this.reader();
    const caller: Caller = { actor: null, role: 'auditor', cafCodes: [] };
    return this.submit(worker, { name: null, input: null, internal: job, caller }, deadlineMs).then((outcome) => outcome.value as T);
  }

  /**
   * Closes the store, opened or still opening: jobs not started are given up (nothing of them is
   * written), a running one ends first. Never by ending a worker while SQLite waits for another
   * process's lock (store-worker.ts, LOCK_PROBE_MS). Once only; each caller waits for it.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stop = new Int32Array(this.stop);
      Atomics.store(stop, 0, 1);
      Atomics.notify(stop, 0);
      this.cancelWaiting();
      await Promise.all([this.writer, ...this.readers].map((worker) => worker.close()));
      await this.front?.close();
    })();
    return this.closing;
  }
}
