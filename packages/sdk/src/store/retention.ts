import { addDays, addMonths, parisDay, type CalendarDate, type TraceKind } from '@cafsup/shared';
import type { Sql } from './engine/engine.js';
import { RETENTION_MONTHS } from './traces.js';

/** What a purge at `asOf` removes; the dry run reports it, the purge applies it. */
export interface RetentionPlan {
  activityCutoff: CalendarDate;
  decisionCutoff: CalendarDate;
  /** Version-2 traces whose content is erased in place. */
  traces: { id: number; kind: TraceKind }[];
  /** The oldest version-1 traces, removed as a run (their hash covers their whole content). */
  legacyPrefix: { id: number; kind: TraceKind }[];
  habilitations: { key: number; id: string }[];
  users: { key: number; id: string; partner_id: string; disabled_at: string | null }[];
}

// A decision trace about a habilitation or a user stays while that habilitation or user is
// held, or was de-validated less than 6 years ago (rules.md, "Retention").
const DECISION_STILL_NEEDED = `
  (t.target_type = 'habilitation' AND EXISTS (SELECT 1 FROM habilitations h WHERE h.id = t.target_id
      AND (h.status <> 'revoked' OR h.revoked_day >= @decisionCutoff)))
  OR (t.target_type = 'user' AND EXISTS (SELECT 1 FROM users u WHERE u.id = t.target_id
      AND (u.status <> 'disabled' OR u.devalidated_day >= @decisionCutoff)))`;

/**
 * The rows retention lets go at `asOf`. Cut-offs are exact: « older than 6 months » means a
 * Paris day strictly before `addMonths(asOf, −6)`. Times are stored in UTC, so SQL selects with
 * a day of margin and the Paris day decides. Its reads come from one snapshot, so that they agree.
 */
export async function retentionPlan(db: Sql, asOf: CalendarDate): Promise<RetentionPlan> {
  return db.snapshot(() => readPlan(db, asOf));
}

async function readPlan(db: Sql, asOf: CalendarDate): Promise<RetentionPlan> {
  const activityCutoff = addMonths(asOf, -RETENTION_MONTHS.activity);
  const decisionCutoff = addMonths(asOf, -RETENTION_MONTHS.decision);
  const params = { activityMargin: addDays(activityCutoff, 1), decisionMargin: addDays(decisionCutoff, 1), decisionCutoff };
  const expired = (row: { kind: TraceKind; at: string }) => parisDay(row.at) < (row.kind === 'activity' ? activityCutoff : decisionCutoff);
  const candidates = await db.all<{ id: number; at: string; kind: TraceKind; version: number }>(
    `SELECT t.id, t.at, t.kind, t.version FROM traces t
      WHERE t.erased = 0 AND ((t.kind = 'activity' AND t.at < @activityMargin)
         OR (t.kind = 'decision' AND t.at < @decisionMargin AND NOT (${DECISION_STILL_NEEDED})))
      ORDER BY t.id`,
    params,
  );
  const chosen = candidates.filter(expired);
  // Version-1 traces go only as the oldest unbroken run: the first trace kept stops it.
  const firstKeptV1 = (await db.value<number | null>('SELECT MIN(id) FROM traces WHERE version = 1')) ?? null;
  const legacyPrefix: RetentionPlan['legacyPrefix'] = [];
  if (firstKeptV1 !== null) {
    let expected = firstKeptV1;
    for (const trace of chosen) {
      if (trace.version !== 1 || trace.id !== expected) break;
      legacyPrefix.push({ id: trace.id, kind: trace.kind });
      expected += 1;
    }
  }
  return {
    activityCutoff,
    decisionCutoff,
    traces: chosen.filter((trace) => trace.version === 2).map(({ id, kind }) => ({ id, kind })),
    legacyPrefix,
    habilitations: await db.all<RetentionPlan['habilitations'][number]>(
      `SELECT key, id FROM habilitations WHERE status = 'revoked' AND revoked_day < ? ORDER BY key`,
      [decisionCutoff],
    ),
    users: await db.all<RetentionPlan['users'][number]>(
      `SELECT u.key, u.id, u.partner_id, u.disabled_at FROM users u WHERE u.status = 'disabled' AND u.devalidated_day < @decisionCutoff
          AND NOT EXISTS (SELECT 1 FROM habilitations h WHERE h.user_key = u.key AND (h.status <> 'revoked' OR h.revoked_day >= @decisionCutoff))
        ORDER BY u.key`,
      { decisionCutoff },
    ),
  };
}
