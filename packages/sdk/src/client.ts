import type { Actor, AuditSettings } from '@cafsup/shared';
import { HttpTransport, type HttpTransportOptions } from './transports/http.js';
import { LocalTransport } from './transports/local.js';
import { PooledTransport } from './transports/pooled.js';
import { resolveProfile } from './profiles.js';
import { isPostgresUrl } from './settings.js';
import type { Identity, Operation, Transport, TransportInfo } from './transports/transport.js';
import type { PartnerScope } from './store/audit.js';
import type { Creation } from './store/store.js';
import { Audit, Avenants, Dataset, Quotas } from './resources/index.js';
import { Conventions, Groups, Habilitations, Notices, Partners, Questions, Requests, Reviews, Traces, Users } from './resources/workflows.js';

export interface LocalClientOptions {
  /**
   * Path of the SQLite file (created with its schema when missing, unless `create` is false), or
   * a PostgreSQL URL (`postgres://…`; its schema created when it has none, unless `create` is
   * false, or migrated).
   */
  database: string;
  /** How a store not there yet is had (`Creation`): made (the default), refused, made by the client's first import, or a file made aside. */
  create?: Creation;
  /** Who acts: required for every write. */
  actor?: Actor | null;
  /** Open read only (a file or folder the user cannot write). */
  readonly?: boolean;
  /** The clock of writes and of the default `asOf`. */
  now?: () => Date;
  settings?: AuditSettings;
  scope?: PartnerScope;
  /**
   * Run the store in worker threads (the full-screen interface): a lock held by another process
   * never blocks this thread. Not with `now`, `settings` or `scope`, which are for scripts and tests.
   */
  offThread?: boolean;
  /** PostgreSQL: the most connections this client holds at once (10 unless given). */
  connections?: number;
}

/** The typed client: one namespace per resource over one transport. */
export class CafsupClient {
  readonly partners: Partners;
  readonly conventions: Conventions;
  readonly quotas: Quotas;
  readonly audit: Audit;
  readonly users: Users;
  readonly groups: Groups;
  readonly habilitations: Habilitations;
  readonly avenants: Avenants;
  readonly reviews: Reviews;
  readonly traces: Traces;
  readonly dataset: Dataset;
  readonly requests: Requests;
  readonly questions: Questions;
  readonly notices: Notices;

  constructor(private readonly transport: Transport) {
    this.partners = new Partners(transport);
    this.conventions = new Conventions(transport);
    this.quotas = new Quotas(transport);
    this.audit = new Audit(transport);
    this.users = new Users(transport);
    this.groups = new Groups(transport);
    this.habilitations = new Habilitations(transport);
    this.avenants = new Avenants(transport);
    this.reviews = new Reviews(transport);
    this.traces = new Traces(transport);
    this.dataset = new Dataset(transport);
    this.requests = new Requests(transport);
    this.questions = new Questions(transport);
    this.notices = new Notices(transport);
  }

  /**
   * Any operation of the table by name, with its input as the API takes it (`cafsup api`, like
   * `gh api`): validated by the operation's schema, on either transport.
   */
  call<T = unknown>(operation: Operation, input: unknown): Promise<T> {
    return this.transport.call<T>(operation, input);
  }

  /** Who acts: the local actor, or the owner, role and Cafs of the server's token. */
  whoami(): Promise<Identity> {
    return this.transport.whoami();
  }

  /** Where the data comes from and who acts. */
  info(): TransportInfo {
    return this.transport.info();
  }

  /**
   * Gives up the calls still waiting for the store (a lock held elsewhere): they are answered
   * UNAVAILABLE and write nothing. Only the off-thread embedded store can promise that; 0 elsewhere.
   */
  cancelWaiting(): Promise<number> {
    return this.transport.cancelWaiting?.() ?? Promise.resolve(0);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

export type HttpClientOptions = HttpTransportOptions;

export interface ProfileClientOptions {
  /** A profile saved by `cafsup config profile add` (its token by `cafsup login`). */
  profile: string;
}

/**
 * A client on the embedded store (`database`), on a server (`baseUrl` and `token`), or on
 * whatever a saved profile names; the settings are read here, once.
 */
export function createClient(options: LocalClientOptions | HttpClientOptions | ProfileClientOptions): CafsupClient {
  if ('baseUrl' in options) return new CafsupClient(new HttpTransport(options));
  if ('profile' in options) {
    const connection = resolveProfile(options.profile);
    return connection.kind === 'http'
      ? new CafsupClient(new HttpTransport({ baseUrl: connection.baseUrl, token: connection.token }))
      : new CafsupClient(new LocalTransport({ database: connection.database, actor: connection.actor, create: false }));
  }
  // PostgreSQL's driver never blocks this thread: the store runs here, whatever `offThread` says;
  // so does a file made aside, whose import alone runs on it (`Store.requireMade`).
  if (options.offThread === true && !isPostgresUrl(options.database) && options.create !== 'made-aside') {
    return new CafsupClient(
      new PooledTransport({
        database: options.database,
        actor: options.actor ?? null,
        ...(options.create === undefined ? {} : { create: options.create !== false }),
      }),
    );
  }
  return new CafsupClient(new LocalTransport(options));
}
