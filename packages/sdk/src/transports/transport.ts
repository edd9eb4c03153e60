import type { Actor } from '@cafsup/shared';

import { OPERATIONS, operationSpec, type Operation } from '../operations/table.js';

export { OPERATIONS, type Operation };

/** Where the data comes from and who acts, for status bars and `whoami`. */
export interface TransportInfo {
  kind: 'local' | 'http';
  location: string;
  actor: Actor | null;
}

/** Who the client acts as: locally the configured actor; remotely the token's owner, role and Cafs. */
export interface Identity {
  actor: Actor | null;
  role: 'supervisor' | 'auditor';
  cafs: string[];
  /** The store cannot be written (a read-only file): no action is offered. */
  readOnly?: boolean;
}

/**
 * The one seam between resources and the data: the embedded store or the HTTP API. Resources
 * never know which; only transports know SQLite or HTTP.
 */
export interface Transport {
  call<T>(operation: Operation, input: unknown): Promise<T>;
  /**
   * A read's answer as the JSON text `jsonText` writes for it, in UTF-8 and in pieces (the
   * operation's `text` handler): only where the store is in this process, which has that text
   * at hand.
   */
  callText?<T extends { text: readonly Uint8Array[] }>(operation: Operation, input: unknown): Promise<T>;
  /** The dataset document as a stream of text chunks, for files too large to hold. */
  exportStream(): AsyncIterable<string>;
  info(): TransportInfo;
  whoami(): Promise<Identity>;
  /** Gives up the calls still waiting for the store, where the transport can tell they wrote nothing. */
  cancelWaiting?(): Promise<number>;
  close(): Promise<void>;
}

/** The operations that change data: an auditor may call none of them, and they carry an idempotency key over HTTP. */
export const WRITE_OPERATIONS: ReadonlySet<Operation> = new Set(OPERATIONS.filter((name) => operationSpec(name).access === 'write'));

/** Operations on the whole store rather than on partners: only a token for every Caf may call them. */
export const STORE_WIDE_OPERATIONS: ReadonlySet<Operation> = new Set(OPERATIONS.filter((name) => operationSpec(name).storeWide === true));
