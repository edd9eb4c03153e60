import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  GENESIS_HASH,
  addMonths,
  canonicalJson,
  parisDay,
  traceContentCanonical,
  traceHashContent,
  traceKind,
  traceLinkCanonical,
  type Actor,
  type CalendarDate,
  type Trace,
  type TraceAction,
  type TraceHead,
  type TraceKind,
  type TraceTarget,
  type TraceVerification,
} from '@cafsup/shared';

/** What a write says about itself; the chain fields are added by `append`. */
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

/** Where the chain starts once retention removed its oldest version-1 traces. */
export interface ChainAnchor {
  firstId: number;
  prevHash: string;
}

// The head (last id and hash) is kept in `meta` and updated with every append, so that
// removing the newest traces is noticed and a later append never re-links over a gap.
const HEAD_KEY = 'trace_head';
const ANCHOR_KEY = 'trace_anchor';
const STORE_ID_KEY = 'store_id';
const LEGACY_KEY = 'trace_v1_last';

/** Retention of contrat art. 5.3.2, in months, per kind of trace (rules.md, "Retention"). */
export const RETENTION_MONTHS: Record<TraceKind, number> = { activity: 6, decision: 72 };

export interface TraceRow {
  id: number;
  at: string;
  kind: TraceKind;
  version: number;
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
  content_hash: string | null;
  erased: number;
  prev_hash: string;
  hash: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function readMeta<T>(db: Database.Database, key: string): T | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row === undefined ? null : (JSON.parse(row.value) as T);
}

export function writeMeta(db: Database.Database, key: string, value: unknown): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
}

export function rowToTrace(row: TraceRow): Trace {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
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
      `INSERT INTO traces (id, at, kind, version, actor_name, actor_email, action, target_type, target_id, partner_id, reason, before, after, details, content_hash, prev_hash, hash)
       VALUES (?, ?, ?, 2, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Appends the entries in order and returns their ids. */
  append(actor: Actor, at: string, entries: readonly TraceEntry[]): number[] {
    if (!this.db.inTransaction) throw new Error('traces are written inside the transaction of their change');
    let head = readMeta<ChainPoint>(this.db, HEAD_KEY) ?? { id: 0, hash: GENESIS_HASH };
    const ids: number[] = [];
    for (const entry of entries) {
      const trace = {
        id: head.id + 1,
        at,
        kind: traceKind(entry.action),
        actor: { name: actor.name, email: actor.email },
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId,
        partnerId: entry.partnerId,
        reason: entry.reason,
        before: entry.before ?? null,
        after: entry.after ?? null,
        details: entry.details ?? null,
      };
      const contentHash = sha256(traceContentCanonical(trace));
      const hash = sha256(traceLinkCanonical({ id: trace.id, at, kind: trace.kind, prevHash: head.hash, contentHash }));
      this.insert.run(
        trace.id,
        at,
        trace.kind,
        actor.name,
        actor.email,
        entry.action,
        entry.targetType,
        entry.targetId,
        entry.partnerId,
        entry.reason,
        trace.before === null ? null : JSON.stringify(trace.before),
        trace.after === null ? null : JSON.stringify(trace.after),
        trace.details === null ? null : JSON.stringify(trace.details),
        contentHash,
        head.hash,
        hash,
      );
      head = { id: trace.id, hash };
      ids.push(head.id);
    }
    writeMeta(this.db, HEAD_KEY, head);
    return ids;
  }
}

/** The head of the chain, with the store's identifier. */
export function traceHead(db: Database.Database): TraceHead {
  const head = readMeta<ChainPoint>(db, HEAD_KEY) ?? { id: 0, hash: GENESIS_HASH };
  return { id: head.id, hash: head.hash, storeId: readMeta<string>(db, STORE_ID_KEY) ?? '', legacyUntil: readMeta<number>(db, LEGACY_KEY) ?? 0 };
}

/** True when retention allowed this trace's content to be erased by `asOf`. */
export function retentionExpired(kind: TraceKind, at: string, asOf: CalendarDate): boolean {
  return parisDay(at) < addMonths(asOf, -RETENTION_MONTHS[kind]);
}

/** What a trace's stored hash must be, from its row (version 1 or 2). */
function recomputeHash(row: TraceRow, prevHash: string): { hash: string; contentOk: boolean } {
  if (row.version === 1) return { hash: sha256(traceHashContent({ ...rowToTrace(row), prevHash })), contentOk: true };
  const contentOk = row.erased === 1 || row.content_hash === sha256(traceContentCanonical(rowToTrace(row)));
  return { hash: sha256(traceLinkCanonical({ id: row.id, at: row.at, kind: row.kind, prevHash, contentHash: row.content_hash ?? '' })), contentOk };
}

/**
 * Walks the chain from its anchor: every id in sequence, every hash recomputed, every link to
 * the previous hash, each erased trace past its retention at `today`, the last trace equal to
 * the recorded head, and the anchor justified by a purge recorded in the chain. Names the
 * first trace that was altered, removed or moved.
 */
export function verifyTraces(db: Database.Database, today: CalendarDate): TraceVerification {
  const anchor = readMeta<ChainAnchor>(db, ANCHOR_KEY) ?? { firstId: 1, prevHash: GENESIS_HASH };
  const head = traceHead(db);
  const broken = (checked: number, firstBrokenId: number, problem: string): TraceVerification => ({ ok: false, checked, firstBrokenId, head, problem });
  let expectedId = anchor.firstId;
  let previousHash = anchor.prevHash;
  let checked = 0;
  let anchorJustified = anchor.firstId === 1 && anchor.prevHash === GENESIS_HASH;
  // Version-2 traces are erased in place, never removed: a start past the old ones is forged.
  if (anchor.firstId > head.legacyUntil + 1) {
    return broken(
      0,
      head.legacyUntil + 1,
      `traces supprimées avant la trace n° ${anchor.firstId} (seules les traces antérieures au n° ${head.legacyUntil + 1} peuvent l’être)`,
    );
  }
  for (const row of db.prepare('SELECT * FROM traces ORDER BY id').iterate() as IterableIterator<TraceRow>) {
    if (row.id !== expectedId) return broken(checked, Math.min(row.id, expectedId), `trace n° ${Math.min(row.id, expectedId)} manquante ou déplacée`);
    if (row.version !== (row.id <= head.legacyUntil ? 1 : 2)) return broken(checked, row.id, `trace n° ${row.id} : version de l’empreinte modifiée`);
    if (row.prev_hash !== previousHash) return broken(checked, row.id, `trace n° ${row.id} : lien rompu avec la trace précédente`);
    const { hash, contentOk } = recomputeHash(row, previousHash);
    if (!contentOk || row.hash !== hash) return broken(checked, row.id, `trace n° ${row.id} modifiée`);
    if (row.erased === 1 && (row.version === 1 || !retentionExpired(row.kind, row.at, today))) {
      return broken(checked, row.id, `trace n° ${row.id} effacée avant la fin de sa durée de conservation`);
    }
    if (!anchorJustified && row.action === 'traces.purge') {
      const details = row.details === null ? null : (JSON.parse(row.details) as { anchor?: unknown });
      anchorJustified = row.erased === 1 || canonicalJson(details?.anchor ?? null) === canonicalJson(anchor);
    }
    checked += 1;
    previousHash = row.hash;
    expectedId += 1;
  }
  const lastId = expectedId - 1;
  if (lastId !== head.id || previousHash !== head.hash) {
    const first = Math.min(lastId + 1, head.id);
    return broken(checked, first, lastId < head.id ? `traces manquantes à partir du n° ${lastId + 1}` : `tête de chaîne incohérente au n° ${first}`);
  }
  if (!anchorJustified) return broken(checked, anchor.firstId, `début de chaîne au n° ${anchor.firstId} sans purge enregistrée qui l’explique`);
  return { ok: true, checked, firstBrokenId: null, head, problem: null };
}

/** Stored hashes of some traces (those still in the file), for checking checkpoints. */
export function traceHashes(db: Database.Database, ids: readonly number[]): { id: number; hash: string }[] {
  return db.prepare('SELECT id, hash FROM traces WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id').all(JSON.stringify(ids)) as {
    id: number;
    hash: string;
  }[];
}

/**
 * Erases what expired traces say (retention), keeping their number, time, kind and hashes, so
 * the chain still links. Returns how many were erased.
 */
export function eraseTraces(db: Database.Database, ids: readonly number[]): number {
  return db
    .prepare(
      `UPDATE traces SET erased = 1, actor_name = '', actor_email = '', reason = '', target_id = NULL, partner_id = NULL,
              before = NULL, after = NULL, details = NULL
        WHERE erased = 0 AND version = 2 AND id IN (SELECT value FROM json_each(?))`,
    )
    .run(JSON.stringify(ids)).changes;
}

/**
 * Removes the oldest version-1 traces up to `lastId` (those cannot be erased in place) and
 * moves the anchor past them; the caller records the new anchor in its purge trace.
 */
export function cutTracePrefix(db: Database.Database, lastId: number): ChainAnchor {
  const next = db.prepare('SELECT id, prev_hash FROM traces WHERE id > ? ORDER BY id LIMIT 1').get(lastId) as { id: number; prev_hash: string } | undefined;
  db.prepare('DELETE FROM traces WHERE id <= ?').run(lastId);
  const head = readMeta<ChainPoint>(db, HEAD_KEY) ?? { id: 0, hash: GENESIS_HASH };
  const anchor = next === undefined ? { firstId: head.id + 1, prevHash: head.hash } : { firstId: next.id, prevHash: next.prev_hash };
  writeMeta(db, ANCHOR_KEY, anchor);
  return anchor;
}
