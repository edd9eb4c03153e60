import { CafsupError, actorSchema, toCafsupError, type Actor, type AuditSettings } from '@cafsup/shared';
import { Store } from '../store/store.js';
import type { PartnerScope } from '../store/audit.js';
import { toDatasetInput, type DatasetSource } from '../dataset/source.js';
import { parseInput } from '../store/actions.js';
import type { Operation, Transport, TransportInfo } from './transport.js';

export interface LocalTransportOptions {
  database: string;
  create?: boolean;
  actor?: Actor | null;
  now?: () => Date;
  settings?: AuditSettings;
  /** Restricts every read and write to the partners of these Cafs (the server's token scope). */
  scope?: PartnerScope;
}

type Input = Record<string, unknown> & { id?: string; partnerId?: string };
type Handler = (input: Input, actor: () => Actor) => unknown;

/** The embedded store as a transport: every operation runs in this process on the SQLite file. */
export class LocalTransport implements Transport {
  readonly store: Store;
  private readonly actor: Actor | null;
  private readonly scope: PartnerScope;
  private readonly handlers: Record<Operation, Handler>;

  constructor(options: LocalTransportOptions) {
    this.store = new Store(options.database, {
      ...(options.create === undefined ? {} : { create: options.create }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.settings === undefined ? {} : { settings: options.settings }),
    });
    this.actor = options.actor == null ? null : parseInput(actorSchema, options.actor, 'actor');
    this.scope = options.scope ?? {};
    const store = this.store;
    const scope = this.scope;
    // Writes check the scope first: a partner outside it answers exactly as a missing one.
    const inScopePartner = (partnerId: unknown) => store.requirePartnerInScope(String(partnerId), scope);
    const inScopeEntities = (ids: unknown, get: (id: string, s: PartnerScope) => unknown) => {
      if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') get(id, scope);
    };
    this.handlers = {
      'partners.list': (input) => store.listPartners(input, scope),
      'partners.get': (input) => store.getPartner(String(input.id), (input.asOf as string | undefined) ?? store.today(), scope),
      'partners.withdrawDelegation': (input, actor) => {
        inScopePartner(input.id);
        return store.actions.withdrawDelegation(String(input.id), input.options as never, actor());
      },
      'conventions.get': (input) => {
        const detail = store.getPartner(String(input.partnerId), (input.asOf as string | undefined) ?? store.today(), scope);
        return { ...detail.convention, state: detail.state, terms: detail.terms };
      },
      'quotas.usage': (input) => store.quotaUsage(input, scope),
      'audit.run': (input) => store.runAudit(input, scope),
      'users.list': (input) => store.listUsers(input, scope),
      'users.get': (input) => store.getUser(String(input.id), scope),
      'users.suspend': (input, actor) => {
        inScopeEntities(input.ids, (id, s) => store.getUser(id, s));
        return store.actions.suspendUsers(input.ids, input.options as never, actor());
      },
      'users.reinstate': (input, actor) => {
        inScopeEntities(input.ids, (id, s) => store.getUser(id, s));
        return store.actions.reinstateUsers(input.ids, input.options as never, actor());
      },
      'users.forcePasswordReset': (input, actor) => {
        if (input.partnerId !== undefined) {
          inScopePartner(input.partnerId);
          return store.actions.forcePasswordReset({ partnerId: String(input.partnerId) }, input.options as never, actor());
        }
        inScopeEntities(input.ids, (id, s) => store.getUser(id, s));
        return store.actions.forcePasswordReset({ userIds: input.ids }, input.options as never, actor());
      },
      'groups.list': (input) => store.listGroups(input, scope),
      'groups.get': (input) => store.getGroup(String(input.id), scope),
      'habilitations.list': (input) => store.listHabilitations(input, scope),
      'habilitations.get': (input) => store.getHabilitation(String(input.id), scope),
      'habilitations.suspend': (input, actor) => {
        inScopeEntities(input.ids, (id, s) => store.getHabilitation(id, s));
        return store.actions.suspendHabilitations(input.ids, input.options as never, actor());
      },
      'habilitations.reinstate': (input, actor) => {
        inScopeEntities(input.ids, (id, s) => store.getHabilitation(id, s));
        return store.actions.reinstateHabilitations(input.ids, input.options as never, actor());
      },
      'habilitations.revoke': (input, actor) => {
        inScopeEntities(input.ids, (id, s) => store.getHabilitation(id, s));
        return store.actions.revokeHabilitations(input.ids, input.options as never, actor());
      },
      'avenants.list': (input) => store.listAvenants(String(input.partnerId), (input.asOf as string | undefined) ?? store.today(), scope),
      'avenants.create': (input, actor) => {
        inScopePartner(input.partnerId);
        return store.actions.createAvenant(String(input.partnerId), input.draft as never, actor());
      },
      'avenants.sign': (input, actor) => {
        inScopePartner(input.partnerId);
        return store.actions.signAvenant(String(input.partnerId), Number(input.number), input.signature as never, actor());
      },
      'reviews.list': (input) => store.listReviews(String(input.partnerId), scope),
      'reviews.record': (input, actor) => {
        inScopePartner(input.partnerId);
        return store.actions.recordReview(String(input.partnerId), input.review as never, actor());
      },
      'traces.list': (input) => store.listTraces(input, scope),
      'traces.verify': () => store.verifyTraces(),
      'traces.purge': (input, actor) => store.purge(input, actor()),
      'dataset.import': (input, actor) =>
        store.importDataset(toDatasetInput(input.source as DatasetSource), actor(), {
          ...(typeof input.reason === 'string' ? { reason: input.reason } : {}),
          ...(typeof input.dryRun === 'boolean' ? { dryRun: input.dryRun } : {}),
          ...(typeof input.onProgress === 'function' ? { onProgress: input.onProgress as never } : {}),
        }),
      'dataset.summary': () => store.summary(scope),
      'dataset.export': async () => {
        let text = '';
        for (const chunk of store.exportChunks()) text += chunk;
        return JSON.parse(text);
      },
    };
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
      return (await this.handlers[operation]((input ?? {}) as Input, this.requireActor)) as T;
    } catch (error) {
      throw toCafsupError(error);
    }
  }

  async *exportStream(): AsyncIterable<string> {
    yield* this.store.exportChunks();
  }

  info(): TransportInfo {
    return { kind: 'local', location: this.store.path, actor: this.actor };
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
