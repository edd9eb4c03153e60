import { CafsupError } from '@cafsup/shared';
import type { IdempotencyRequest } from '../operations/execute.js';
import type { Sql } from './engine/engine.js';

/** Keys expire after a day (operations.md): long enough for any retry, short enough to stay small. */
const KEY_LIFETIME_MS = 24 * 3600_000;

function bodyHashOf(request: IdempotencyRequest): string {
  return typeof request.bodyHash === 'function' ? request.bodyHash() : request.bodyHash;
}

const MISMATCH = () =>
  new CafsupError('VALIDATION', 'Clé d’idempotence déjà employée pour une autre requête (autre opération ou autre contenu) : rien n’a été fait.', {
    problems: [{ path: 'Idempotency-Key', message: 'déjà employée pour une autre requête' }],
  });

/** The same key stored by an earlier write: SQLite's and PostgreSQL's unique violation on `idempotency_keys`. */
function isKeyConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, table } = error as { code?: unknown; message?: unknown; table?: unknown };
  if (code === '23505') return table === 'idempotency_keys';
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT') && typeof message === 'string' && message.includes('idempotency_keys.');
}

interface KeyRow {
  operation: string;
  body_hash: string;
  response: string;
}

/**
 * Idempotency keys, in the store: a key and its answer are written in the transaction of the
 * write itself, so a crash leaves both or neither, and several server processes share them.
 */
export class IdempotencyKeys {
  constructor(
    private readonly db: Sql,
    private readonly nowMs: () => number,
  ) {}

  private find(request: IdempotencyRequest): Promise<KeyRow | undefined> {
    return this.db.get<KeyRow>('SELECT operation, body_hash, response FROM idempotency_keys WHERE token_id = ? AND key = ? AND created_ms > ?', [
      request.tokenId,
      request.key,
      this.nowMs() - KEY_LIFETIME_MS,
    ]);
  }

  /** The stored answer of the same request under this key; another operation or body is refused. */
  private static answer(row: KeyRow, operation: string, bodyHash: string): unknown {
    if (row.operation !== operation || row.body_hash !== bodyHash) throw MISMATCH();
    return JSON.parse(row.response) as unknown;
  }

  /**
   * Before a write: null for a new key; the stored answer for the same request; `response: null`
   * when the body's hash is known only after reading it (then `save` decides). Another
   * operation or another body under the same key is refused (422).
   */
  async lookup(request: IdempotencyRequest, operation: string): Promise<{ response: unknown } | null> {
    const row = await this.find(request);
    if (row === undefined) return null;
    if (row.operation !== operation) throw MISMATCH();
    if (typeof request.bodyHash === 'function') return { response: null };
    if (row.body_hash !== request.bodyHash) throw MISMATCH();
    // The write it answers may be seen before it is on disk (engine.ts, `settled`).
    await this.db.settled();
    return { response: JSON.parse(row.response) as unknown };
  }

  /**
   * Inside the write's transaction, after its traces: stores the key with its answer, with the
   * commit. The same key landed meanwhile (the same request through another connection, whose
   * write committed before this one appended its traces: appends take turns, so it is never
   * waited for) fails the insert, and the write: `replayOf` then answers what it stored.
   */
  async save(request: IdempotencyRequest, operation: string, result: unknown): Promise<void> {
    const now = this.nowMs();
    await this.db.runLater('DELETE FROM idempotency_keys WHERE created_ms <= ?', [now - KEY_LIFETIME_MS]);
    await this.db.runLater('INSERT INTO idempotency_keys (token_id, key, operation, body_hash, response, created_ms) VALUES (?, ?, ?, ?, ?, ?)', [
      request.tokenId,
      request.key,
      operation,
      bodyHashOf(request),
      JSON.stringify(result ?? null),
      now,
    ]);
  }

  /**
   * After the write failed: the answer stored under the key meanwhile, read again outside the
   * failed transaction (PostgreSQL refuses any statement in it); undefined when none was. The
   * same request sent twice at once runs twice: the second either fails on `save`'s unique key
   * (it got as far as its traces) or is refused by what the first did (« habilitation non
   * suspendue » once the first has reinstated it, seen on PostgreSQL with several requests in
   * flight). Either way the key holds the first one's answer, which a retry must get.
   */
  async replayOf(error: unknown, request: IdempotencyRequest, operation: string): Promise<unknown> {
    // Only a refusal or the key's conflict: a database that cannot be reached is said as such.
    if (!(error instanceof CafsupError && error.code !== 'UNAVAILABLE' && error.code !== 'INTERNAL') && !isKeyConflict(error)) return undefined;
    let row: KeyRow | undefined;
    try {
      row = await this.find(request);
      // The write it answers may be seen before it is on disk (engine.ts, `settled`).
      if (row !== undefined) await this.db.settled();
    } catch {
      // The key cannot be read now, or what it answers not known on disk: the write's own failure is the one to tell.
      return undefined;
    }
    return row === undefined ? undefined : IdempotencyKeys.answer(row, operation, bodyHashOf(request));
  }
}
