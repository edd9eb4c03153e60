import { CafsupError, parseInput, type Actor } from '@cafsup/shared';
import type { Store } from '../store/store.js';
import type { DatasetEvent } from '../dataset/json-reader.js';
import { isOperation, operationSpec, type Operation } from './table.js';

/** Who calls: locally the configured actor with every Caf; remotely a token's owner, role and Cafs. */
export interface Caller {
  actor: Actor | null;
  role: 'supervisor' | 'auditor';
  /** null for every Caf. */
  cafCodes: readonly string[] | null;
}

/**
 * An Idempotency-Key (operations.md, "The write path"): bound to the token, the operation and
 * a hash of the body. A streamed body's hash is known only once it has been read: then it is
 * a function, asked inside the write's last transaction.
 */
export interface IdempotencyRequest {
  tokenId: number;
  key: string;
  bodyHash: string | (() => string);
}

export interface ExecuteOptions {
  /** The input was parsed by `parseOperationInput` already (the server does it on its event loop). */
  validated?: boolean;
  idempotency?: IdempotencyRequest;
  source?: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>;
  onProgress?: (progress: { bytes: number; entities: number }) => void;
  /** A read answered as JSON text by the operation's `text` handler. */
  asText?: boolean;
}

export interface Outcome {
  value: unknown;
  /** True when the answer is the one stored under the idempotency key (nothing was run). */
  replayed: boolean;
}

const NO_ACTOR = () =>
  new CafsupError('VALIDATION', 'Indiquez qui agit : toute modification porte le nom et le mél de la personne (« Nom <mél> »).', {
    problems: [{ path: 'actor', message: 'personne qui agit manquante' }],
  });

/** What the caller may do at all, before its input is read: auditors write nothing, store-wide needs every Caf. */
export function authorize(name: Operation, caller: Caller): void {
  const spec = operationSpec(name);
  if (spec.access === 'write' && caller.role === 'auditor') {
    throw new CafsupError('FORBIDDEN', 'Accès en lecture seule (auditeur) : aucune modification n’est permise.');
  }
  if (spec.storeWide === true && caller.cafCodes !== null) {
    throw new CafsupError('FORBIDDEN', 'Opération réservée à un jeton valable pour toutes les Caf.');
  }
}

/** Validates an operation's input with its schema: the one validation, for both transports. */
export function parseOperationInput(name: string, input: unknown): { name: Operation; input: unknown } {
  if (!isOperation(name)) throw new CafsupError('NOT_FOUND', `Opération inconnue : ${name}.`);
  return { name, input: parseInput(operationSpec(name).input, input === undefined ? {} : input, '') };
}

/**
 * Runs one operation of the table on a store: authorisation, the one validation of its input,
 * the Caf-scope check, then its handler, each write in a transaction of its own that also
 * holds its idempotency key. The embedded transport and the server's workers both call this.
 */
export async function executeOperation(store: Store, name: string, rawInput: unknown, caller: Caller, options: ExecuteOptions = {}): Promise<Outcome> {
  if (!isOperation(name)) throw new CafsupError('NOT_FOUND', `Opération inconnue : ${name}.`);
  authorize(name, caller);
  const spec = operationSpec(name);
  const input = options.validated === true ? rawInput : parseOperationInput(name, rawInput).input;
  const scope = caller.cafCodes === null ? {} : { cafCodes: caller.cafCodes };
  if (spec.target !== undefined) await store.requireInScope(spec.target(input), scope);
  const context = {
    actor: () =>
      caller.actor ??
      (() => {
        throw NO_ACTOR();
      })(),
    scope,
    beforeCommit: (_result: unknown): Promise<void> | void => undefined,
    ...(options.source === undefined ? {} : { source: options.source }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
  if (options.asText === true) {
    if (spec.access !== 'read' || spec.text === undefined) throw new CafsupError('INTERNAL', `Opération sans réponse en texte : ${name}.`);
    return { value: await spec.text(store, input, context), replayed: false };
  }
  const idempotency = options.idempotency;
  if (spec.access === 'read' || idempotency === undefined) return { value: await spec.run(store, input, context), replayed: false };

  const keys = store.idempotency;
  // Looked up first: a replay is answered by a read, not by running the write again (review 29b:
  // run again, it waited for the write's locks, got 503 under contention, and its rolled-back key
  // left an error with the stored answer in PostgreSQL's log).
  const prior = await keys.lookup(idempotency, name);
  if (prior !== null && prior.response !== null) return { value: prior.response, replayed: true };
  if (spec.dryRun?.(input) === true) {
    // A dry run writes nothing and is never stored, so a real write with the same key still runs.
    return { value: await spec.run(store, input, context), replayed: false };
  }
  try {
    if (spec.ownTransactions === true) {
      const value = await spec.run(store, input, { ...context, beforeCommit: (result) => keys.save(idempotency, name, result) });
      return { value, replayed: false };
    }
    const value = await store.db.transaction(async () => {
      const result = await spec.run(store, input, context);
      await keys.save(idempotency, name, result);
      return result;
    });
    return { value, replayed: false };
  } catch (error) {
    // The same key and body, landed meanwhile (another process, or a streamed body read to its end): its answer, not a second write.
    const replay = await keys.replayOf(error, idempotency, name);
    if (replay !== undefined) return { value: replay, replayed: true };
    throw error;
  }
}
