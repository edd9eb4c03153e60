import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  GENESIS_HASH,
  traceHashContent,
  type Actor,
  type Trace,
  type TraceAction,
  type TraceTarget,
  type TraceVerification,
} from '@cafsup/shared';

/** What a write says about itself; the chain fields are added by `appendTrace`. */
export interface TraceEntry {
  action: TraceAction;
  targetType: TraceTarget;
  targetId: string | null;
  partnerId: string | null;
  reason: string;
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

interface ChainPoint {
  id: number;
  hash: string;
}

// The head (last id and hash) is kept in `meta` and updated with every append, so that
// removing the newest traces is noticed and a later append never re-links over a gap.
const HEAD_KEY = 'trace_head';
// Where the chain starts once retention has removed its oldest traces.
const ANCHOR_KEY = 'trace_anchor';

interface TraceRow {
  id: number;
  at: string;
  actor_name: string;
  actor_email: string;
  action: string;
  target_type: string;
  target_id: string | null;
  partner_id: string | null;
  reason: string;
  before: string | null;
  after: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readMeta<T>(db: Database.Database, key: string): T | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row === undefined ? null : (JSON.parse(row.value) as T);
}

export function writeMeta(db: Database.Database, key: string, value: unknown): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    JSON.stringify(value),
  );
}

export function rowToTrace(row: TraceRow): Trace {
  return {
    id: row.id,
    at: row.at,
    actor: { name: row.actor_name, email: row.actor_email },
    action: row.action as TraceAction,
    targetType: row.target_type as TraceTarget,
    targetId: row.target_id,
    partnerId: row.partner_id,
    reason: row.reason,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
    details: row.details === null ? null : JSON.parse(row.details),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Appends traces to the hash chain. Must run inside the write transaction of the change it
 * records, so that a change never lands without its trace nor a trace without its change.
 */
export class TraceWriter {
  private readonly insert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      `INSERT INTO traces (id, at, actor_name, actor_email, action, target_type, target_id, partner_id, reason, before, after, details, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Appends the entries in order and returns their ids. */
  append(actor: Actor, at: string, entries: readonly TraceEntry[]): number[] {
    if (!this.db.inTransaction) throw new Error('traces are written inside the transaction of their change');
    let head = readMeta<ChainPoint>(this.db, HEAD_KEY) ?? { id: 0, hash: GENESIS_HASH };
    const ids: number[] = [];
    for (const entry of entries) {
      const unsigned = {
        id: head.id + 1,
        at,
        actor: { name: actor.name, email: actor.email },
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId,
        partnerId: entry.partnerId,
        reason: entry.reason,
        before: entry.before ?? null,
        after: entry.after ?? null,
        details: entry.details ?? null,
        prevHash: head.hash,
      };
      const hash = sha256(traceHashContent(unsigned));
      this.insert.run(
        unsigned.id,
        at,
        actor.name,
        actor.email,
        entry.action,
        entry.targetType,
        entry.targetId,
        entry.partnerId,
        entry.reason,
        unsigned.before === null ? null : JSON.stringify(unsigned.before),
        unsigned.after === null ? null : JSON.stringify(unsigned.after),
        unsigned.details === null ? null : JSON.stringify(unsigned.details),
        head.hash,
        hash,
      );
      head = { id: unsigned.id, hash };
      ids.push(head.id);
    }
    writeMeta(this.db, HEAD_KEY, head);
    return ids;
  }
}

/**
 * Walks the chain from its anchor: every id in sequence, every hash recomputed, every link
 * to the previous hash, and the last trace equal to the recorded head. Names the first trace
 * that was altered, removed or moved.
 */
export function verifyTraces(db: Database.Database): TraceVerification {
  const anchor = readMeta<{ firstId: number; prevHash: string }>(db, ANCHOR_KEY) ?? { firstId: 1, prevHash: GENESIS_HASH };
  const head = readMeta<ChainPoint>(db, HEAD_KEY) ?? { id: 0, hash: GENESIS_HASH };
  let expectedId = anchor.firstId;
  let previousHash = anchor.prevHash;
  let checked = 0;
  for (const row of db.prepare('SELECT * FROM traces ORDER BY id').iterate() as IterableIterator<TraceRow>) {
    if (row.id !== expectedId) return { ok: false, checked, firstBrokenId: Math.min(row.id, expectedId) };
    const trace = rowToTrace(row);
    const recomputed = sha256(traceHashContent(trace));
    if (row.prev_hash !== previousHash || row.hash !== recomputed) return { ok: false, checked, firstBrokenId: row.id };
    checked += 1;
    previousHash = row.hash;
    expectedId += 1;
  }
  const lastId = expectedId - 1;
  if (lastId !== head.id || previousHash !== head.hash) {
    return { ok: false, checked, firstBrokenId: Math.min(lastId + 1, head.id) };
  }
  return { ok: true, checked, firstBrokenId: null };
}

/** Removes the oldest traces up to `lastId` and moves the anchor past them, keeping the chain verifiable. */
export function cutTracePrefix(db: Database.Database, lastId: number): number {
  const next = db.prepare('SELECT id, prev_hash FROM traces WHERE id > ? ORDER BY id LIMIT 1').get(lastId) as
    | { id: number; prev_hash: string }
    | undefined;
  const removed = db.prepare('DELETE FROM traces WHERE id <= ?').run(lastId).changes;
  if (next !== undefined) writeMeta(db, ANCHOR_KEY, { firstId: next.id, prevHash: next.prev_hash });
  else {
    const head = readMeta<ChainPoint>(db, HEAD_KEY) ?? { id: 0, hash: GENESIS_HASH };
    writeMeta(db, ANCHOR_KEY, { firstId: head.id + 1, prevHash: head.hash });
  }
  return removed;
}
