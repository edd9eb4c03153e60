import { type Actor } from '@cafsup/shared';
import { toDatasetInput, type DatasetSource } from '../dataset/source.js';
import type { PartnerScope } from '../store/audit.js';
import type { Store } from '../store/store.js';
import type { Operation } from './transport.js';

type Input = Record<string, unknown> & { id?: string; partnerId?: string };

/** Who asks: the actor of writes (resolved only when a write needs it) and the partners they may see. */
export interface CallContext {
  actor: () => Actor;
  scope: PartnerScope;
}

type Handler = (input: Input, context: CallContext) => unknown;

export type Dispatcher = (operation: Operation, input: unknown, context: CallContext) => unknown;

/**
 * Every SDK operation on the store, once: the local transport calls it with its own actor,
 * the server with the actor and the Cafs of the request's token.
 */
export function createDispatcher(store: Store): Dispatcher {
  // Writes check the scope first: a partner outside it answers exactly as a missing one.
  const inScopePartner = (scope: PartnerScope, partnerId: unknown) => store.requirePartnerInScope(String(partnerId), scope);
  const inScopeEntities = (scope: PartnerScope, ids: unknown, get: (id: string, s: PartnerScope) => unknown) => {
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') get(id, scope);
  };
const handlers: Record<Operation, Handler> = {
    'partners.list': (input, { scope }) => store.listPartners(input, scope),
    'partners.get': (input, { scope }) => store.getPartner(String(input.id), (input.asOf as string | undefined) ?? store.today(), scope),
    'partners.withdrawDelegation': (input, { actor, scope }) => {
      inScopePartner(scope, input.id);
      return store.actions.withdrawDelegation(String(input.id), input.options as never, actor());
    },
    'conventions.get': (input, { scope }) => {
      const detail = store.getPartner(String(input.partnerId), (input.asOf as string | undefined) ?? store.today(), scope);
      return { ...detail.convention, state: detail.state, terms: detail.terms };
    },
    'quotas.usage': (input, { scope }) => store.quotaUsage(input, scope),
    'audit.run': (input, { scope }) => store.runAudit(input, scope),
    'users.list': (input, { scope }) => store.listUsers(input, scope),
    'users.get': (input, { scope }) => store.getUser(String(input.id), scope),
    'users.suspend': (input, { actor, scope }) => {
      inScopeEntities(scope, input.ids, (id, s) => store.getUser(id, s));
      return store.actions.suspendUsers(input.ids, input.options as never, actor());
    },
    'users.reinstate': (input, { actor, scope }) => {
      inScopeEntities(scope, input.ids, (id, s) => store.getUser(id, s));
      return store.actions.reinstateUsers(input.ids, input.options as never, actor());
    },
    'users.forcePasswordReset': (input, { actor, scope }) => {
      if (input.partnerId !== undefined) {
        inScopePartner(scope, input.partnerId);
        return store.actions.forcePasswordReset({ partnerId: String(input.partnerId) }, input.options as never, actor());
      }
      inScopeEntities(scope, input.ids, (id, s) => store.getUser(id, s));
      return store.actions.forcePasswordReset({ userIds: input.ids }, input.options as never, actor());
    },
    'groups.list': (input, { scope }) => store.listGroups(input, scope),
    'groups.get': (input, { scope }) => store.getGroup(String(input.id), scope),
    'habilitations.list': (input, { scope }) => store.listHabilitations(input, scope),
    'habilitations.get': (input, { scope }) => store.getHabilitation(String(input.id), scope),
    'habilitations.suspend': (input, { actor, scope }) => {
      inScopeEntities(scope, input.ids, (id, s) => store.getHabilitation(id, s));
      return store.actions.suspendHabilitations(input.ids, input.options as never, actor());
    },
    'habilitations.reinstate': (input, { actor, scope }) => {
      inScopeEntities(scope, input.ids, (id, s) => store.getHabilitation(id, s));
      return store.actions.reinstateHabilitations(input.ids, input.options as never, actor());
    },
    'habilitations.revoke': (input, { actor, scope }) => {
      inScopeEntities(scope, input.ids, (id, s) => store.getHabilitation(id, s));
      return store.actions.revokeHabilitations(input.ids, input.options as never, actor());
    },
    'avenants.list': (input, { scope }) => store.listAvenants(String(input.partnerId), (input.asOf as string | undefined) ?? store.today(), scope),
    'avenants.create': (input, { actor, scope }) => {
      inScopePartner(scope, input.partnerId);
      return store.actions.createAvenant(String(input.partnerId), input.draft as never, actor());
    },
    'avenants.sign': (input, { actor, scope }) => {
      inScopePartner(scope, input.partnerId);
      return store.actions.signAvenant(String(input.partnerId), Number(input.number), input.signature as never, actor());
    },
    'reviews.list': (input, { scope }) => store.listReviews(String(input.partnerId), scope),
    'reviews.record': (input, { actor, scope }) => {
      inScopePartner(scope, input.partnerId);
      return store.actions.recordReview(String(input.partnerId), input.review as never, actor());
    },
    'traces.list': (input, { scope }) => store.listTraces(input, scope),
    'traces.verify': () => store.verifyTraces(),
    'traces.purge': (input, { actor }) => store.purge(input, actor()),
    'dataset.import': (input, { actor }) =>
      store.importDataset(toDatasetInput(input.source as DatasetSource), actor(), {
        ...(typeof input.reason === 'string' ? { reason: input.reason } : {}),
        ...(typeof input.dryRun === 'boolean' ? { dryRun: input.dryRun } : {}),
        ...(typeof input.onProgress === 'function' ? { onProgress: input.onProgress as never } : {}),
      }),
    'dataset.summary': (_input, { scope }) => store.summary(scope),
    'dataset.export': async () => {
      let text = '';
      for (const chunk of store.exportChunks()) text += chunk;
      return JSON.parse(text);
    },
  };
  return (operation, input, context) => handlers[operation]((input ?? {}) as Input, context);
}
