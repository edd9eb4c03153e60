import { CafsupError, actorSchema, toCafsupError, type Actor, type AuditSettings } from '@cafsup/shared';
import { Store } from '../store/store.js';
import type { PartnerScope } from '../store/audit.js';
import { parseInput } from '@cafsup/shared';
import { createDispatcher, type Dispatcher } from './operations.js';
import type { Identity, Operation, Transport, TransportInfo } from './transport.js';

export interface LocalTransportOptions {
  database: string;
  create?: boolean;
  actor?: Actor | null;
  now?: () => Date;
  settings?: AuditSettings;
  /** Restricts every read and write to the partners of these Cafs (the server's token scope). */
  scope?: PartnerScope;
}


/** The embedded store as a transport: every operation runs in this process on the SQLite file. */
export class LocalTransport implements Transport {
  readonly store: Store;
  private readonly actor: Actor | null;
  private readonly scope: PartnerScope;
  private readonly dispatch: Dispatcher;

  constructor(options: LocalTransportOptions) {
    this.store = new Store(options.database, {
      ...(options.create === undefined ? {} : { create: options.create }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.settings === undefined ? {} : { settings: options.settings }),
    });
    this.actor = options.actor == null ? null : parseInput(actorSchema, options.actor, 'actor');
    this.scope = options.scope ?? {};
    this.dispatch = createDispatcher(this.store);
  }

  private requireActor = (): Actor => {
    if (this.actor === null) {
      throw new CafsupError('VALIDATION', 'Indiquez qui agit : toute modification porte le nom et le mél de la personne (« Nom <mél> »).', {
        problems: [{ path: 'actor', message: 'personne qui agit manquante' }],
      });
    }
    return this.actor;
  };

  async call<T>(operation: Operation, input: unknown): Promise<T> {
    try {
      return (await this.dispatch(operation, input, { actor: this.requireActor, scope: this.scope })) as T;
    } catch (error) {
      throw toCafsupError(error);
    }
  }

  async *exportStream(): AsyncIterable<string> {
    yield* this.store.exportChunks();
  }

  async whoami(): Promise<Identity> {
    return { actor: this.actor, role: 'supervisor', cafs: this.scope.cafCodes === undefined ? ['*'] : [...this.scope.cafCodes] };
  }

  info(): TransportInfo {
    return { kind: 'local', location: this.store.path, actor: this.actor };
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
