import type Database from 'better-sqlite3';
import { CafsupError } from '@cafsup/shared';
import type { IdempotencyRequest } from '../operations/execute.js';

/** Keys expire after a day (operations.md): long enough for any retry, short enough to stay small. */
const KEY_LIFETIME_MS = 24 * 3600_000;

/** Thrown inside a write's transaction to roll it back and answer with the stored response instead. */
class Replay extends Error {
  constructor(readonly response: unknown) {
    super('idempotent replay');
  }
}

const MISMATCH = () =>
  new CafsupError('VALIDATION', 'Clé d’idempotence déjà employée pour une autre requête (autre opération ou autre contenu) : rien n’a été fait.', {
    problems: [{ path: 'Idempotency-Key', message: 'déjà employée pour une autre requête' }],
  });

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
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly expire: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly nowMs: () => number,
  ) {
    this.select = db.prepare('SELECT operation, body_hash, response FROM idempotency_keys WHERE token_id = ? AND key = ? AND created_ms > ?');
    this.insert = db.prepare('INSERT INTO idempotency_keys (token_id, key, operation, body_hash, response, created_ms) VALUES (?, ?, ?, ?, ?, ?)');
    this.expire = db.prepare('DELETE FROM idempotency_keys WHERE created_ms <= ?');
  }

  private find(request: IdempotencyRequest): KeyRow | undefined {
    return this.select.get(request.tokenId, request.key, this.nowMs() - KEY_LIFETIME_MS) as KeyRow | undefined;
  }

  /**
   * Before a write: null for a new key; the stored answer for the same request; `response: null`
   * when the body's hash is known only after reading it (then `save` decides). Another
   * operation or another body under the same key is refused (422).
   */
  lookup(request: IdempotencyRequest, operation: string): { response: unknown } | null {
    const row = this.find(request);
    if (row === undefined) return null;
    if (row.operation !== operation) throw MISMATCH();
    if (typeof request.bodyHash === 'function') return { response: null };
    if (row.body_hash !== request.bodyHash) throw MISMATCH();
    return { response: JSON.parse(row.response) as unknown };
  }

  /** Inside the write's transaction: stores the key with its answer (or finds it landed meanwhile). */
  save(request: IdempotencyRequest, operation: string, result: unknown): void {
    const bodyHash = typeof request.bodyHash === 'function' ? request.bodyHash() : request.bodyHash;
    const existing = this.find(request);
    if (existing !== undefined) {
      if (existing.operation !== operation || existing.body_hash !== bodyHash) throw MISMATCH();
      throw new Replay(JSON.parse(existing.response) as unknown);
    }
    const now = this.nowMs();
    this.expire.run(now - KEY_LIFETIME_MS);
    this.insert.run(request.tokenId, request.key, operation, bodyHash, JSON.stringify(result ?? null), now);
  }

  /** The stored answer when `error` is the replay signal of `save`. */
  replayOf(error: unknown): unknown {
    return error instanceof Replay ? error.response : undefined;
  }
}
