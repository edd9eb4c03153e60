import { actorSchema, parseInput, toCafsupError, type Actor, type AuditSettings } from '@cafsup/shared';
import { Store } from '../store/store.js';
import type { PartnerScope } from '../store/audit.js';
import { toDatasetInput, type DatasetSource } from '../dataset/source.js';
import { executeOperation, type Caller } from '../operations/execute.js';
import { operationSpec } from '../operations/table.js';
import type { Identity, Operation, Transport, TransportInfo } from './transport.js';

export interface LocalTransportOptions {
  database: string;
  create?: boolean;
  /** Open read only: reads work on a file nobody may write; writes answer UNAVAILABLE. */
  readonly?: boolean;
  actor?: Actor | null;
  now?: () => Date;
  settings?: AuditSettings;
  /** Restricts every read and write to the partners of these Cafs. */
  scope?: PartnerScope;
}

/** The embedded store as a transport: every operation of the table runs in this process on the SQLite file. */
export class LocalTransport implements Transport {
  readonly store: Store;
  private readonly caller: Caller;
  private readonly readonly: boolean;

  constructor(options: LocalTransportOptions) {
    this.readonly = options.readonly === true;
    this.store = new Store(options.database, {
      ...(options.create === undefined ? {} : { create: options.create }),
      ...(options.readonly === true ? { readonly: true } : {}),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.settings === undefined ? {} : { settings: options.settings }),
    });
    this.caller = {
      actor: options.actor == null ? null : parseInput(actorSchema, options.actor, 'actor'),
      role: 'supervisor',
      cafCodes: options.scope?.cafCodes ?? null,
    };
  }

  async call<T>(operation: Operation, input: unknown): Promise<T> {
    try {
      if (operationSpec(operation).stream === 'in') {
        // The document and the progress callback are not part of the validated input.
        const { source, onProgress, ...options } = (input ?? {}) as { source: DatasetSource; onProgress?: (p: { bytes: number; entities: number }) => void };
        const outcome = await executeOperation(this.store, operation, options, this.caller, {
          source: toDatasetInput(source),
          ...(onProgress === undefined ? {} : { onProgress }),
        });
        return outcome.value as T;
      }
      return (await executeOperation(this.store, operation, input, this.caller)).value as T;
    } catch (error) {
      throw toCafsupError(error);
    }
  }

  async *exportStream(): AsyncIterable<string> {
    yield* this.store.exportChunks();
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
    return { kind: 'local', location: this.store.path, actor: this.caller.actor };
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
