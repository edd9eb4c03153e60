import type { CafsupErrorDetails, ErrorCode } from '@cafsup/shared';
import type { Caller, Outcome } from '../operations/execute.js';
import { CafsupError, canonicalJson } from '@cafsup/shared';
import { LAST_USE_PRECISION_MS, hashToken, type Credential, type Principal } from '../store/tokens.js';
import { sha256 } from '../store/traces.js';

// Messages between the server's event loop and its store workers (see pool.ts).

/** A job's claim word: whoever moves it off QUEUED decides whether the job runs. */
export const QUEUED = 0;
export const STARTED = 1;
export const CANCELLED = 2;

/** Work a worker does besides the operations of the table: the server's own needs. */
export type InternalJob =
  | { kind: 'authenticate'; tokenHash: string }
  | { kind: 'authFailure'; address: string; tokenPrefix: string | null; limit: number }
  | { kind: 'tokenUsed'; tokenId: number }
  | { kind: 'failuresDue' }
  | { kind: 'ping' };

/** What a `ping` answers: the server's readiness (`/readyz`) and the trace head of `/metrics`. */
export interface StoreStatus {
  /** The file at the database's path is still the one the worker opened (not deleted or replaced). */
  file: boolean;
  schemaVersion: number;
  expectedSchemaVersion: number;
  traceHead: number;
  /**
   * The file was copied into PostgreSQL (`cafsup migrate`), or its copy is not confirmed yet
   * (`pending`): either way it takes no more writes, and its reads are those of the past.
   */
  moved: 'copied' | 'pending' | null;
  /**
   * Why no write can succeed, or null: `file`, a SQLite file or its folder this process may not
   * write; `reopen`, one it may write now but could not when it opened it (its connection is read
   * only until a restart); `readOnly`, PostgreSQL transactions read only (a standby, default_transaction_read_only);
   * `rights`, a PostgreSQL role that may not add a trace, which every write does.
   */
  unwritable: 'file' | 'reopen' | 'readOnly' | 'rights' | null;
}

export interface RunMessage {
  type: 'run';
  id: number;
  /** An operation of the table, or null for an internal job. */
  name: string | null;
  input: unknown;
  /** The server parsed the input with the operation's schema already. */
  validated?: boolean;
  internal?: InternalJob;
  caller: Caller;
  /** The caller's principal as kept by the server: checked before the job runs (`TokenStore.check`). */
  credential?: Credential;
  /** Answer the value as JSON text (`done.json`), serialised here rather than on the server's event loop. */
  asJson?: boolean;
  /** Idempotency: `bodyHash` null means "hash the streamed body and `queryHash` together". */
  idempotency?: { tokenId: number; key: string; bodyHash: string | null; queryHash: string };
  /** The claim word (Int32Array over it). */
  state: SharedArrayBuffer;
  /** Epoch ms after which the job must not start (and a write stops waiting for the lock). */
  deadlineAt: number;
  /** The job reads a document sent as `chunk` messages (`need` asks for each). */
  streamIn?: boolean;
  /** The job sends its answer as `chunk` messages, one per `pull`. */
  streamOut?: boolean;
}

export type ToWorker =
  | RunMessage
  | { type: 'chunk'; id: number; data: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'abort'; id: number }
  | { type: 'pull'; id: number }
  /** Every worker's first message: its store and role (a worker may be started before its pool, warm.ts). */
  | { type: 'configure'; options: WorkerOptions }
  /** A reader's second message: the writer has created or migrated the file, the reader may open it. */
  | { type: 'open' }
  /** The pool closes: the worker ends its job, closes its connection and exits (`StorePool.close`). */
  | { type: 'close' };

/** What a store worker opens, and as what. */
export interface WorkerOptions {
  database: string;
  role: 'writer' | 'reader';
  /** A fixed clock (ISO instant) for tests; the real one otherwise. */
  clock: string | null;
  create: boolean;
  /**
   * One word shared with the pool, set when it closes: a worker waiting for another process's
   * lock looks at it between short waits and gives up (`StorePool.close`).
   */
  stop: SharedArrayBuffer;
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  details: CafsupErrorDetails;
  /** For the server's log only, on an internal error. */
  stack?: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; value: unknown; replayed: boolean; json?: string; version?: string }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'cancelled'; id: number }
  /** The job's credential was refused (`TokenStore.check`): nothing ran. */
  | { type: 'refused'; id: number }
  | { type: 'need'; id: number }
  | { type: 'chunk'; id: number; data: string }
  | { type: 'end'; id: number };

/** What a store job answers the server: the operation's outcome, as JSON text when asked. */
export interface JobOutcome extends Outcome {
  json?: string;
  /** The data's version a store worker's JSON answer was computed at: the server keeps the text only if it checked the request at the same. */
  version?: string;
}

/** A job refused because the token of its kept principal no longer passes (revoked, expired, owner suspended). */
export class RefusedCredential extends CafsupError {
  constructor() {
    super('UNAUTHENTICATED', 'Jeton refusé (inconnu, révoqué, expiré, ou son titulaire est suspendu).');
  }
}

/** A token's principal as `authenticate` answers it: with the credential its store jobs carry. */
export interface Authenticated {
  token: string;
  principal: Principal;
  credential: Credential;
}

/** Principals kept in memory, at most this many (the oldest go first)… */
const KEPT_PRINCIPALS = 10_000;
/** …and for a minute at most: each store job checks its principal anyway, so this only lets go of tokens no longer used. */
const KEPT_PRINCIPAL_MS = 60_000;

/**
 * What the server asks of its store beside operations, the same on both executors (the worker
 * pool on SQLite, direct.ts on PostgreSQL): readiness, tokens, and a token's last use recorded
 * at most once a minute per token, never awaited, so no request waits for it (one that misses
 * its deadline behind a long import is dropped; the next request sends another).
 *
 * A token's principal is kept in memory once read, so a request makes one trip to the store,
 * not two: its job checks the kept principal first (`TokenStore.check`: its token read again in
 * one statement), and a token revoked meanwhile — by this process or another on
 * the same database — is refused by that job (RefusedCredential), at the next request.
 */
export abstract class ServerJobs {
  /** When this process last sent each token's use (epoch ms). */
  private readonly usesSent = new Map<number, number>();
  private readonly kept = new Map<string, Authenticated & { keptAt: number }>();
  /** The reads of a principal under way, by token. */
  private readonly reading = new Map<string, Promise<(Authenticated & { keptAt: number }) | null>>();
  /** The token of each kept credential's hash: a job's answer names the credential, not the token. */
  private readonly tokenOf = new Map<string, string>();

  abstract internal<T>(job: InternalJob, deadlineMs: number): Promise<T>;

  /** The probe under way, which the probes that arrive meanwhile join rather than queue behind it. */
  private pinging: Promise<StoreStatus> | null = null;

  /**
   * Whether the store answers, its file (SQLite) is still there and its schema current, within
   * `deadlineMs` of wall time: on PostgreSQL the job's deadline bounds only its waits for locks,
   * and a frozen database held `/readyz` and a scrape of `/metrics` 10 to 22 s (its mute
   * detection, a new connection's wait), past a balancer's and Prometheus' own timeouts (review 42c).
   */
  status(deadlineMs: number): Promise<StoreStatus> {
    const ping = (this.pinging ??= this.internal<StoreStatus>({ kind: 'ping' }, deadlineMs).finally(() => (this.pinging = null)));
    return new Promise<StoreStatus>((resolve, reject) => {
      const late = setTimeout(
        () => reject(new CafsupError('UNAVAILABLE', `Base de données du serveur : aucune réponse en ${Math.max(1, Math.round(deadlineMs / 1000))} s.`, {})),
        deadlineMs,
      );
      ping.then(
        (status) => {
          clearTimeout(late);
          resolve(status);
        },
        (error: unknown) => {
          clearTimeout(late);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /**
   * The token's principal, or null when it is refused. `kept`: a principal kept in memory will
   * do, for a request whose store job checks it; otherwise it is read from the store.
   */
  async authenticate(token: string, deadlineMs: number, options: { kept?: boolean } = {}): Promise<Authenticated | null> {
    const now = Date.now();
    // Kept by the token itself, so a kept principal costs no hashing: it stays in this process's memory, as the request's headers do.
    let found = options.kept === true ? this.kept.get(token) : undefined;
    if (found === undefined || now - found.keptAt >= KEPT_PRINCIPAL_MS) {
      // The requests of one token that arrive together (a client's first burst) share one read;
      // their jobs check it anyway. A route without one reads afresh.
      let reading = options.kept === true ? this.reading.get(token) : undefined;
      if (reading === undefined) {
        const started = this.read(token, deadlineMs);
        if (options.kept === true) {
          reading = started.finally(() => this.reading.delete(token));
          this.reading.set(token, reading);
        } else reading = started;
      }
      const read = await reading;
      if (read === null) return null;
      found = read;
    }
    this.noteUse(found.principal);
    return found;
  }

  /** Reads a token's principal from the store and keeps it (a refused token is forgotten). */
  private async read(token: string, deadlineMs: number): Promise<(Authenticated & { keptAt: number }) | null> {
    const tokenHash = hashToken(token);
    const { principal } = await this.internal<{ principal: Principal | null }>({ kind: 'authenticate', tokenHash }, deadlineMs);
    this.forget(token);
    if (principal === null) return null;
    const found = { token, principal, credential: { tokenHash }, keptAt: Date.now() };
    if (this.kept.size >= KEPT_PRINCIPALS) this.forget(this.kept.keys().next().value!);
    this.kept.set(token, found);
    this.tokenOf.set(tokenHash, token);
    return found;
  }

  /** A job with a credential: refused, its principal is forgotten. */
  protected async settled(credential: Credential, job: Promise<JobOutcome>): Promise<JobOutcome> {
    try {
      return await job;
    } catch (error) {
      if (error instanceof RefusedCredential) this.forget(this.tokenOf.get(credential.tokenHash) ?? '');
      throw error;
    }
  }

  private forget(token: string): void {
    const found = this.kept.get(token);
    if (found === undefined) return;
    this.kept.delete(token);
    this.tokenOf.delete(found.credential.tokenHash);
  }

  private noteUse(principal: Principal): void {
    const now = Date.now();
    const recorded = principal.lastUsedAt === null ? 0 : Date.parse(principal.lastUsedAt);
    if (now - Math.max(recorded, this.usesSent.get(principal.tokenId) ?? 0) < LAST_USE_PRECISION_MS) return;
    this.usesSent.set(principal.tokenId, now);
    this.internal({ kind: 'tokenUsed', tokenId: principal.tokenId }, LAST_USE_PRECISION_MS).catch(() => undefined);
  }
}

/** What an Idempotency-Key binds a request's input to (operations.md, "The write path"). */
export function queryHash(input: unknown): string {
  return sha256(canonicalJson(input ?? {}));
}

/**
 * An import's body hashed as it is read, so it is never held whole: `bodyHash`, asked once the
 * body was read to its end (in the write's last transaction), binds the key to the body and
 * the query together.
 */
export function hashedBody(body: AsyncIterable<Uint8Array>, query: string): { source: AsyncIterable<Uint8Array>; bodyHash: () => string } {
  // node:crypto loads here, at the first import a server receives, not with every command.
  const hashing = process.getBuiltinModule('node:crypto').createHash('sha256');
  return {
    source: (async function* () {
      for await (const chunk of body) {
        hashing.update(chunk);
        yield chunk;
      }
    })(),
    bodyHash: () => sha256(query + hashing.copy().digest('hex')),
  };
}

/** Another connection holds the lock a store's connection asked for (SQLITE_BUSY and its extended codes). */
export function isBusy(error: unknown): boolean {
  return (error as { code?: string } | null)?.code?.startsWith('SQLITE_BUSY') === true;
}
