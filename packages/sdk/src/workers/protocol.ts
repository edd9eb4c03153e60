import type { CafsupErrorDetails, ErrorCode } from '@cafsup/shared';
import type { Caller } from '../operations/execute.js';
import { createHash } from 'node:crypto';
import { canonicalJson } from '@cafsup/shared';
import { LAST_USE_PRECISION_MS, type Principal } from '../store/tokens.js';
import { sha256 } from '../store/traces.js';

// Messages between the server's event loop and its store workers (see pool.ts).

/** A job's claim word: whoever moves it off QUEUED decides whether the job runs. */
export const QUEUED = 0;
export const STARTED = 1;
export const CANCELLED = 2;

/** Work a worker does besides the operations of the table: the server's own needs. */
export type InternalJob =
  | { kind: 'authenticate'; token: string }
  | { kind: 'authFailure'; address: string; tokenPrefix: string | null; limit: number }
  | { kind: 'tokenUsed'; tokenId: number }
  | { kind: 'ping' };

/** What a `ping` answers: the server's readiness (`/readyz`) and the trace head of `/metrics`. */
export interface StoreStatus {
  /** The file at the database's path is still the one the worker opened (not deleted or replaced). */
  file: boolean;
  schemaVersion: number;
  expectedSchemaVersion: number;
  traceHead: number;
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
  RunMessage | { type: 'chunk'; id: number; data: Uint8Array } | { type: 'end'; id: number } | { type: 'abort'; id: number } | { type: 'pull'; id: number };

export interface SerializedError {
  code: ErrorCode;
  message: string;
  details: CafsupErrorDetails;
  /** For the server's log only, on an internal error. */
  stack?: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; value: unknown; replayed: boolean }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'cancelled'; id: number }
  | { type: 'need'; id: number }
  | { type: 'chunk'; id: number; data: string }
  | { type: 'end'; id: number };

/**
 * What the server asks of its store beside operations, the same on both executors (the worker
 * pool on SQLite, direct.ts on PostgreSQL): readiness, tokens, and a token's last use recorded
 * at most once a minute per token, never awaited, so no request waits for it (one that misses
 * its deadline behind a long import is dropped; the next request sends another).
 */
export abstract class ServerJobs {
  /** When this process last sent each token's use (epoch ms). */
  private readonly usesSent = new Map<number, number>();

  abstract internal<T>(job: InternalJob, deadlineMs: number): Promise<T>;

  /** Whether the store answers, its file (SQLite) is still there and its schema current. */
  status(deadlineMs: number): Promise<StoreStatus> {
    return this.internal<StoreStatus>({ kind: 'ping' }, deadlineMs);
  }

  async authenticate(token: string, deadlineMs: number): Promise<Principal | null> {
    const principal = await this.internal<Principal | null>({ kind: 'authenticate', token }, deadlineMs);
    if (principal !== null) this.noteUse(principal);
    return principal;
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
  const hashing = createHash('sha256');
  return {
    source: (async function* () {
      for await (const chunk of body) {
        hashing.update(chunk);
        yield chunk;
      }
    })(),
    bodyHash: () => createHash('sha256').update(query).update(hashing.copy().digest('hex')).digest('hex'),
  };
}
