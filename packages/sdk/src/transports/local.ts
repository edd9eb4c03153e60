import { actorSchema, parseInput, toCafsupError, type Actor, type AuditSettings } from '@cafsup/shared';
import { shownLocation } from '../settings.js';
import { Store, type Creation } from '../store/store.js';
import type { PartnerScope } from '../store/audit.js';
import { toDatasetInput, type DatasetSource } from '../dataset/source.js';
import { executeOperation, type Caller } from '../operations/execute.js';
import { operationSpec } from '../operations/table.js';
import type { Identity, Operation, Transport, TransportInfo } from './transport.js';

export interface LocalTransportOptions {
  database: string;
  /** As `StoreOptions.create`. */
  create?: Creation;
  /** Open read only: reads work on a file nobody may write; writes answer UNAVAILABLE. */
  readonly?: boolean;
  actor?: Actor | null;
  now?: () => Date;
  settings?: AuditSettings;
  /** Restricts every read and write to the partners of these Cafs. */
  scope?: PartnerScope;
  /** PostgreSQL: the most connections held at once (the store's default unless given). */
  connections?: number;
}

/**
 * The store as a transport, in this process: every operation of the table runs here, on the
 * SQLite file or the PostgreSQL database. On SQLite one operation runs at a time (one
 * connection: a transaction is the connection's); PostgreSQL gives each its own connection, as
 * many at a time as `connections` allows.
 */
export class LocalTransport implements Transport {
  readonly store: Promise<Store>;
  private readonly caller: Caller;
  private readonly readonly: boolean;
  private readonly location: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LocalTransportOptions) {
    this.readonly = options.readonly === true;
    this.location = options.database;
    this.store = Store.open(options.database, {
      ...(options.create === undefined ? {} : { create: options.create }),
      ...(options.readonly === true ? { readonly: true } : {}),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.settings === undefined ? {} : { settings: options.settings }),
      ...(options.connections === undefined ? {} : { connections: options.connections }),
    });
    // Its failure (a missing file, an unreachable server) is the answer of the first call, not a crash now.
    this.store.catch(() => undefined);
    this.caller = {
      actor: options.actor == null ? null : parseInput(actorSchema, options.actor, 'actor'),
      role: 'supervisor',
      cafCodes: options.scope?.cafCodes ?? null,
    };
  }

  /** Runs `work` on the store, after the operations before it when the engine has one connection. */
  private async use<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const store = await this.store;
    if (store.sqlite === null) return work(store);
    const turn = this.queue.then(() => work(store));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  call<T>(operation: Operation, input: unknown): Promise<T> {
    return this.use((store) => this.run<T>(store, operation, input));
  }

  callText<T extends { text: readonly Uint8Array[] }>(operation: Operation, input: unknown): Promise<T> {
    return this.use((store) => this.run<T>(store, operation, input, true));
  }

  private async run<T>(store: Store, operation: Operation, input: unknown, asText = false): Promise<T> {
    try {
      store.requireMade(operation);
      if (asText) return (await executeOperation(store, operation, input, this.caller, { asText })).value as T;
      if (operationSpec(operation).stream === 'in') {
        // The document and the progress callback are not part of the validated input.
        const { source, onProgress, ...options } = (input ?? {}) as { source: DatasetSource; onProgress?: (p: { bytes: number; entities: number }) => void };
        const outcome = await executeOperation(store, operation, options, this.caller, {
          source: toDatasetInput(source),
          ...(onProgress === undefined ? {} : { onProgress }),
        });
        return outcome.value as T;
      }
      return (await executeOperation(store, operation, input, this.caller)).value as T;
    } catch (error) {
      throw toCafsupError(error);
    }
  }

  async *exportStream(): AsyncIterable<string> {
    try {
      yield* (await this.store).exportChunks();
    } catch (error) {
      throw toCafsupError(error);
    }
  }

  async whoami(): Promise<Identity> {
    return {
      actor: this.caller.actor,
      role: 'supervisor',
      cafs: this.caller.cafCodes === null ? ['*'] : [...this.caller.cafCodes],
      ...(this.readonly ? { readOnly: true } : {}),
    };
  }

  info(): TransportInfo {
    return { kind: 'local', location: shownLocation(this.location), actor: this.caller.actor };
  }

  async close(): Promise<void> {
    // A store that never opened has nothing to close (its error was the caller's answer).
    const store = await this.store.catch(() => null);
    await this.queue;
    await store?.close();
  }
}
