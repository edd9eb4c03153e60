import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { GENESIS_HASH, traceContentCanonical, traceLinkCanonical, type TraceKind } from '@cafsup/shared';

// The two ways an intruder with the SQLite file and cafsup's code would hide what the trail says.

/**
 * A head as cafsup writes it, which a careful intruder copies: SQLite's json_object would write
 * the number as 6.0 (better-sqlite3 binds a number as a real), a form every write refuses.
 */
const headText = (id: number, hash: string) => JSON.stringify({ id, hash });

/** Rewrites the chain's tail from trace `from` with recomputed hashes, as an intruder with the file and the code would. */
export function rewriteTail(database: string, from: number, reason: string): void {
  const db = new Database(database);
  try {
    const rows = db.prepare('SELECT * FROM traces WHERE id >= ? ORDER BY id').all(from) as Record<string, any>[];
    // From trace 1, the chain's start: the genesis hash.
    let prevHash = from === 1 ? GENESIS_HASH : (db.prepare('SELECT hash FROM traces WHERE id = ?').get(from - 1) as { hash: string }).hash;
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    db.transaction(() => {
      for (const row of rows) {
        const trace = {
          id: row.id as number,
          at: row.at as string,
          kind: row.kind as TraceKind,
          actor: { name: row.actor_name, email: row.actor_email },
          action: row.action,
          targetType: row.target_type,
          targetId: row.target_id,
          partnerId: row.partner_id,
          reason: row.id === from ? reason : row.reason,
          before: row.before === null ? null : JSON.parse(row.before),
          after: row.after === null ? null : JSON.parse(row.after),
          details: row.details === null ? null : JSON.parse(row.details),
        };
        const contentHash = sha(traceContentCanonical(trace));
        const hash = sha(traceLinkCanonical({ id: trace.id, at: trace.at, kind: trace.kind, prevHash, contentHash }));
        db.prepare('UPDATE traces SET reason = ?, content_hash = ?, prev_hash = ?, hash = ? WHERE id = ?').run(
          trace.reason,
          contentHash,
          prevHash,
          hash,
          trace.id,
        );
        prevHash = hash;
      }
      db.prepare(`UPDATE meta SET value = ? WHERE key = 'trace_head'`).run(headText(rows.at(-1)!.id, prevHash));
    })();
  } finally {
    db.close();
  }
}

export function truncate(database: string, after: number): void {
  const db = new Database(database);
  try {
    const last = db.prepare('SELECT hash FROM traces WHERE id = ?').get(after) as { hash: string };
    db.prepare('DELETE FROM traces WHERE id > ?').run(after);
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'trace_head'`).run(headText(after, last.hash));
  } finally {
    db.close();
  }
}
