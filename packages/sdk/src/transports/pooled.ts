import { actorSchema, parseInput, toCafsupError, type Actor } from '@cafsup/shared';
import { fileBytes, isPathSource, type DatasetSource } from '../dataset/source.js';
import type { Caller } from '../operations/execute.js';
import { operationSpec } from '../operations/table.js';
import { StorePool } from '../workers/pool.js';
import { POOLED_READERS } from '../workers/warm.js';
import type { Identity, Operation, Transport, TransportInfo } from './transport.js';

export interface PooledTransportOptions {
  database: string;
  actor?: Actor | null;
  create?: boolean;
  /** How long a call may wait for the store (another process's lock) before UNAVAILABLE. */
  waitMs?: number;
}

async function* bytesOf(source: DatasetSource): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') yield Buffer.from(source, 'utf8');
  else if (source instanceof Uint8Array) yield source;
  else if (Symbol.asyncIterator in source) yield* source as AsyncIterable<Uint8Array>;
  else if (isPathSource(source)) yield* fileBytes(source.path);
  else yield Buffer.from(JSON.stringify(source), 'utf8');
}

/**
 * The embedded store off the caller's thread (the full-screen interface): the same workers as
 * `cafsup serve`, so a lock held by another process never freezes the screen or Ctrl-C, and a
 * call still waiting can be given up (`cancelWaiting`) without anything being written.
 */
export class PooledTransport implements Transport {
  private readonly starting: StorePool;
  private readonly pool: Promise<StorePool>;
  private readonly caller: Caller;
  private readonly waitMs: number;

  constructor(private readonly options: PooledTransportOptions) {
    this.starting = StorePool.start({ database: options.database, readers: POOLED_READERS, create: options.create ?? false });
    // A failure to open is reported by the first call (or `cancelWaiting`), not as an unhandled rejection.
    this.pool = this.starting.opened.then(() => this.starting);
    this.pool.catch(() => undefined);
    this.caller = { actor: options.actor == null ? null : parseInput(actorSchema, options.actor, 'actor'), role: 'supervisor', cafCodes: null };
    this.waitMs = options.waitMs ?? 15_000;
  }

  async call<T>(operation: Operation, input: unknown): Promise<T> {
    try {
      const pool = await this.pool;
      if (operationSpec(operation).stream === 'in') {
        const { source, onProgress: _ignored, ...rest } = (input ?? {}) as { source: DatasetSource; onProgress?: unknown };
        return (await pool.run(operation, rest, this.caller, { deadlineMs: this.waitMs, source: bytesOf(source) })).value as T;
      }
      return (await pool.run(operation, input, this.caller, { deadlineMs: this.waitMs })).value as T;
    } catch (error) {
      throw toCafsupError(error);
    }
  }

  async *exportStream(): AsyncIterable<string> {
    yield* (await this.pool).exportStream(this.caller, this.waitMs);
  }

  /** Gives up the calls that have not started (nothing of them is written); returns how many. */
  async cancelWaiting(): Promise<number> {
    return (await this.pool).cancelWaiting();
  }

  async whoami(): Promise<Identity> {
    return { actor: this.caller.actor, role: 'supervisor', cafs: ['*'] };
  }

  info(): TransportInfo {
    return { kind: 'local', location: this.options.database, actor: this.caller.actor };
  }

  /** Closes the store, even while it is still opening (another process's lock): `q` does not wait for it. */
  close(): Promise<void> {
    return this.starting.close();
  }
}
