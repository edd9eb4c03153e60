export { createClient, CafsupClient, type LocalClientOptions } from './client.js';
export { OPERATIONS, type Operation, type Transport, type TransportInfo } from './transports/transport.js';
export { LocalTransport, type LocalTransportOptions } from './transports/local.js';
export type { Page } from './store/pagination.js';
export type { PartnerScope } from './store/audit.js';
export type { DatasetSource } from './dataset/source.js';
export type { ImportOutcome } from './resources/index.js';
export { CafsupError, type ErrorCode } from '@cafsup/shared';
export type { DatasetSummary } from './store/store.js';
