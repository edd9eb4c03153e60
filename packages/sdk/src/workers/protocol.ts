import type { CafsupErrorDetails, ErrorCode } from '@cafsup/shared';
import type { Caller } from '../operations/execute.js';
import { LAST_USE_PRECISION_MS, type Principal } from '../store/tokens.js';

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
 * Whether a token's use should be recorded now: at most once a minute per token, counting what
 * is stored and what this process sent already (then noted as sent).
 */
export function useDue(principal: Principal, sent: Map<number, number>): boolean {
  const now = Date.now();
  const recorded = principal.lastUsedAt === null ? 0 : Date.parse(principal.lastUsedAt);
  if (now - Math.max(recorded, sent.get(principal.tokenId) ?? 0) < LAST_USE_PRECISION_MS) return false;
  sent.set(principal.tokenId, now);
  return true;
}
