import { pick, type Sql } from './engine/engine.js';
import { traceIds } from './traces.js';

/**
 * A user's place in their groups over time, as the trail records it, for their traces (`traces
 * --user`, a person's extract: workflows.md § 4, « any habilitation given to them or to their
 * groups »). A trace about a group, or about a habilitation given to it, is the user's when they
 * were a member when it was made: a suspension of the group's habilitation stays in the extract of
 * a member removed since, and leaves out a member who joined later (trial 36, H5).
 *
 * - `spans`: for each group, the runs of trace ids (`lo` < id < `hi`, both exclusive) during which
 *   the user was a member;
 * - `events`: the traces that changed the group's members and are the user's: the creation of a
 *   group with them, an edit that added or removed them, their own removal. The removal of another
 *   member is that member's (RGPD art. 15.4), even while the user was a member.
 *
 * Built backwards from today's members: each change of members is traced (`group.create` with its
 * members, `group.edit` with the members before and after, `group.removeMember` naming the member,
 * an import's `member` changes in `import_changes`), so undoing them from the newest gives the
 * members before each one. Limits (what the trail cannot tell): a change whose trace retention
 * erased says nothing, so before it the members are taken as they were after it; and only the
 * groups of the user's partner are read (a user an import moved keeps no trace of the groups of
 * the partner left).
 */
export interface Membership {
  spans: { g: string; lo: number; hi: number }[];
  events: number[];
}

interface GroupEvent {
  id: number;
  /** Whether the user was a member before this change, given whether they were after it. */
  before: (after: boolean) => boolean;
  /**
   * Whether the trace itself is the user's, given their membership before and after it. Never an
   * import's: those are listed through `import_changes` already, and bound the spans only.
   */
  own: (before: boolean, after: boolean) => boolean;
}

const NO_END = Number.MAX_SAFE_INTEGER;

export async function membershipOf(db: Sql, userId: string): Promise<Membership> {
  const user = await db.get<{ key: number; partner_id: string }>('SELECT key, partner_id FROM users WHERE id = ?', [userId]);
  if (user === undefined) return { spans: [], events: [] };
  const current = new Set(
    (await db.all<{ id: string }>('SELECT g.id FROM group_members m JOIN groups g ON g.key = m.group_key WHERE m.user_key = ?', [user.key])).map(
      (row) => row.id,
    ),
  );
  const events = new Map<string, GroupEvent[]>();
  const add = (groupId: string, event: GroupEvent) => {
    let list = events.get(groupId);
    if (list === undefined) events.set(groupId, (list = []));
    list.push(event);
  };
  const changes = await db.all<{ id: number; action: string; target_id: string; before: string | null; after: string | null }>(
    // Through each group's own traces (the index on target_id): the partner's whole trail, read
    // through its index, was 0.26 s for a partner of 500,000 traces.
    `SELECT id, action, target_id, before, after FROM traces
      WHERE target_id IN (SELECT id FROM groups WHERE partner_id = ?) AND target_type = 'group' AND erased = 0
        AND action IN ('group.create', 'group.edit', 'group.removeMember') ORDER BY id`,
    [user.partner_id],
  );
  for (const row of changes) {
    const before = (row.before === null ? null : JSON.parse(row.before)) as { memberId?: string; memberIds?: string[] } | null;
    const after = (row.after === null ? null : JSON.parse(row.after)) as { memberIds?: string[] } | null;
    const id = Number(row.id);
    if (row.action === 'group.create') {
      add(row.target_id, { id, before: () => false, own: (_was, is) => is });
    } else if (row.action === 'group.removeMember') {
      const removed = before?.memberId === userId;
      add(row.target_id, { id, before: (is) => removed || is, own: () => removed });
    } else if (Array.isArray(before?.memberIds) || Array.isArray(after?.memberIds)) {
      // An edit lists the members only when they change (before and after); a rename is no change
      // of members. It is the user's when it made or ended their membership: one that changed
      // only the others' is theirs (review 36, `group edit --member` removing another member).
      const was = Array.isArray(before?.memberIds) ? before.memberIds.includes(userId) : null;
      add(row.target_id, { id, before: (is) => was ?? is, own: (was, is) => was !== is });
    }
  }
  for (const row of await db.all<{ trace_id: number; change: string }>(
    "SELECT trace_id, change FROM import_changes WHERE id = ? AND section = 'groups' ORDER BY trace_id, position",
    [userId],
  )) {
    const change = JSON.parse(row.change) as { id: string; field: string; from: string | null; to: string | null };
    if (change.field !== 'member') continue;
    const left = change.from === userId;
    const joined = change.to === userId;
    add(change.id, { id: Number(row.trace_id), before: (is) => (left ? true : joined ? false : is), own: () => false });
  }
  const membership: Membership = { spans: [], events: [] };
  for (const groupId of new Set([...current, ...events.keys()])) {
    const list = (events.get(groupId) ?? []).sort((a, b) => a.id - b.id);
    // From today's members back to the first change: `states[i]` is the membership after list[i - 1] (before the first: states[0]).
    const states: boolean[] = new Array<boolean>(list.length + 1);
    states[list.length] = current.has(groupId);
    for (let index = list.length - 1; index >= 0; index--) states[index] = list[index]!.before(states[index + 1]!);
    for (let index = 0; index <= list.length; index++) {
      if (states[index]) membership.spans.push({ g: groupId, lo: index === 0 ? 0 : list[index - 1]!.id, hi: index === list.length ? NO_END : list[index]!.id });
      const event = list[index];
      if (event !== undefined && event.own(states[index]!, states[index + 1]!)) membership.events.push(event.id);
    }
  }
  return membership;
}

/**
 * The condition on a row of `traces` (named `traces`) that keeps the traces about the groups of a
 * `Membership` (`@spans`, `@memberEvents`) and the habilitations given to them, while the user was
 * a member. The columns are named with their table: inside the subqueries, `id` is the group's.
 * Each branch leads with a condition on `traces.id` or `traces.target_id`, so that both engines
 * read the few traces through their indexes: as a span test alone, the whole trail was read, the
 * spans decoded again for each row (review 36: 0.87 s a page on 500,000 traces, against 2 ms).
 */
export function groupTracesOf(db: Sql): string {
  const spans = pick(db, {
    sqlite: `(SELECT json_extract(value, '$.g') AS g, json_extract(value, '$.lo') AS lo, json_extract(value, '$.hi') AS hi FROM json_each(@spans))`,
    postgres: `(SELECT e.value->>'g' AS g, CAST(e.value->>'lo' AS BIGINT) AS lo, CAST(e.value->>'hi' AS BIGINT) AS hi FROM json_array_elements(CAST(@spans AS json)) AS e(value))`,
  });
  const during = 'traces.id > s.lo AND traces.id < s.hi';
  const groupHabilitations = `${spans} s JOIN groups g ON g.id = s.g JOIN habilitations h ON h.group_key = g.key`;
  return `((traces.target_type = 'group' AND traces.id IN ${traceIds(db, '@memberEvents')})
        OR (traces.target_type = 'group' AND traces.target_id IN (SELECT s.g FROM ${spans} s)
            AND EXISTS (SELECT 1 FROM ${spans} s WHERE s.g = traces.target_id AND ${during}))
        OR (traces.target_type = 'habilitation' AND traces.target_id IN (SELECT h.id FROM ${groupHabilitations})
            AND EXISTS (SELECT 1 FROM ${groupHabilitations} WHERE h.id = traces.target_id AND ${during})))`;
}
