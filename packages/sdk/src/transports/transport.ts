import type { Actor } from '@cafsup/shared';

/** Every operation of the SDK, named `resource.method`; one transport call each. */
export const OPERATIONS = [
  'partners.list',
  'partners.get',
  'partners.withdrawDelegation',
  'conventions.get',
  'quotas.usage',
  'audit.run',
  'users.list',
  'users.get',
  'users.suspend',
  'users.reinstate',
  'users.forcePasswordReset',
  'groups.list',
  'groups.get',
  'habilitations.list',
  'habilitations.get',
  'habilitations.suspend',
  'habilitations.reinstate',
  'habilitations.revoke',
  'avenants.list',
  'avenants.create',
  'avenants.sign',
  'reviews.list',
  'reviews.record',
  'traces.list',
  'traces.verify',
  'traces.purge',
  'dataset.import',
  'dataset.export',
  'dataset.summary',
] as const;
export type Operation = (typeof OPERATIONS)[number];

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
}

/**
 * The one seam between resources and the data: the embedded store or the HTTP API. Resources
 * never know which; only transports know SQLite or HTTP.
 */
export interface Transport {
  call<T>(operation: Operation, input: unknown): Promise<T>;
  /** The dataset document as a stream of text chunks, for files too large to hold. */
  exportStream(): AsyncIterable<string>;
  info(): TransportInfo;
  whoami(): Promise<Identity>;
  close(): Promise<void>;
}

/** The operations that change data: an auditor may call none of them, and they carry an idempotency key over HTTP. */
export const WRITE_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>([
  'partners.withdrawDelegation',
  'users.suspend',
  'users.reinstate',
  'users.forcePasswordReset',
  'habilitations.suspend',
  'habilitations.reinstate',
  'habilitations.revoke',
  'avenants.create',
  'avenants.sign',
  'reviews.record',
  'traces.purge',
  'dataset.import',
]);

/** Operations on the whole store rather than on partners: only a token for every Caf may call them. */
export const STORE_WIDE_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>(['traces.purge', 'dataset.import', 'dataset.export']);
