export { createClient, CafsupClient, type HttpClientOptions, type LocalClientOptions, type ProfileClientOptions } from './client.js';
export { HttpTransport, type HttpTransportOptions } from './transports/http.js';
export * from './profiles.js';
export {
  OPERATIONS,
  STORE_WIDE_OPERATIONS,
  WRITE_OPERATIONS,
  type Identity,
  type Operation,
  type Transport,
  type TransportInfo,
} from './transports/transport.js';
export { LocalTransport, type LocalTransportOptions } from './transports/local.js';
export { PooledTransport, type PooledTransportOptions } from './transports/pooled.js';
export type { Page } from './store/pagination.js';
export type { AuditText, PartnerScope } from './store/audit.js';
export type { DatasetSource } from './dataset/source.js';
export type { ImportOutcome } from './resources/index.js';
export { CafsupError, type ErrorCode } from '@cafsup/shared';
export type { DatasetSummary } from './store/store.js';

// For `cafsup serve`: the store, the one table of operations, and the tokens it keeps.
export { Store, type Creation, type StoreOptions } from './store/store.js';
export { isPostgresUrl, serverUrlProblem, shownLocation, shownServer } from './settings.js';
export { sha256 } from './store/traces.js';
export {
  STORE_FILE_SUFFIXES,
  databaseNotFound,
  copyMarkOf,
  fileContent,
  isAbsentStore,
  isStoreMadeMeanwhile,
  refuseNonFile,
  writable,
} from './store/connection.js';
export { backupDatabase, type BackupOptions, type BackupOutcome } from './store/backup.js';
export { copiedNotReplaced } from './store/meta.js';
export { makeStoreAside, putStoreInPlace, removeStoreFile, type StoreAside } from './store/made-aside.js';
export { copySqliteToPostgres, type CopyReport } from './store/engine/copy.js';
export { XlsxReadError, looksLikeZip, readXlsxRows, rowsAsCsv } from './dataset/xlsx-read.js';
export { JsonSyntaxError, parseJsonText, utf8Text } from './dataset/json-reader.js';
export { OPERATION_TABLE, isOperation, operationSpec, type OperationContext, type OperationSpec } from './operations/table.js';
export { authorize, executeOperation, parseOperationInput, type Caller, type ExecuteOptions, type Outcome } from './operations/execute.js';
export { StorePool, type StorePoolOptions, type JobOptions } from './workers/pool.js';
export { DirectExecutor, openExecutor, type StoreExecutor } from './workers/direct.js';
export { RefusedCredential, type Authenticated, type JobOutcome, type StoreStatus } from './workers/protocol.js';
export { ALL_CAFS, TOKEN_ROLES, tokenCafsText, type Credential, type Principal, type TokenRole, type TokenView } from './store/tokens.js';
export {
  appendCheckpoint,
  checkAgainstCheckpoints,
  contradictedBy,
  defaultCheckpointsPath,
  defaultSigningKeyPath,
  loadSigningKey,
  readCheckpoints,
  readPublicKey,
  refuseUnwritableCheckpoints,
  signCheckpoint,
  type CheckedFile,
  type Checkpoint,
  type CheckpointReport,
  type SigningKey,
} from './checkpoints.js';
export type { ReviewSheetOutcome } from './resources/workflows.js';
