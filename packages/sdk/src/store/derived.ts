import { asInt, dialectOf, pick, type Sql } from './engine/engine.js';

/**
 * PostgreSQL: the rows of `table` within `scope` (a partner's, or one of its pairs') made what
 * `select` computes (its columns named `keys` then `values`, `partner_id` among the keys), in one
 * statement: the rows no longer computed deleted, those whose values differ updated, the new ones
 * inserted, the others left alone. Each side reads the table through the scope, led by
 * `partner_id`, so that no plan scans the whole table.
 */
function replacePartnerRows(table: string, keys: readonly string[], values: readonly string[], select: string, scope: Scope): string {
  const same = keys.map((key) => `w.${key} = t.${key}`).join(' AND ');
  const columns = [...keys, ...values];
  return `WITH want AS MATERIALIZED (${select}),
    gone AS (DELETE FROM ${table} t WHERE ${scope('t')} AND NOT EXISTS (SELECT 1 FROM want w WHERE ${same})),
    changed AS (UPDATE ${table} t SET ${values.map((value) => `${value} = w.${value}`).join(', ')} FROM want w
      WHERE ${scope('t')} AND ${same}
        AND (${values.map((value) => `t.${value}`).join(', ')}) IS DISTINCT FROM (${values.map((value) => `w.${value}`).join(', ')}))
    INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.map((column) => `w.${column}`).join(', ')} FROM want w
     WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${scope('t')} AND ${same})`;
}

/**
 * The rows a refresh recomputes, as a condition on a table's alias: one partner's (`@partnerId`),
 * or only those of one of its (service, profile) pairs (`@service`, `@profile`), what a change
 * of habilitations touches. Holdings, quota holders and held combinations are all keyed by the
 * pair, so they are recomputed pair by pair; a user's own facts from all their holdings.
 */
type Scope = (alias: string) => string;
const PARTNER: Scope = (alias) => `${alias}.partner_id = @partnerId`;
const PAIR: Scope = (alias) => `${alias}.partner_id = @partnerId AND ${alias}.service = @service AND ${alias}.profile = @profile`;

/**
 * Keeps the derived facts of rules.md ("Holders and quota usage") in step with the data:
 * - `holdings`: each (user, service, profile) a user holds through a held habilitation, given
 *   to them or to one of their groups, with the earliest grant and how many are active;
 * - `users.holds_any`, `users.gets_active`, `users.multi_profiles`: what rules 4, 5 and 9 ask;
 * - `quota_holders`: assigned and active holders per (partner, service, profile), disabled
 *   users left out;
 * - `held_combos`: held habilitations per (partner, service, profile, département), for rules 2, 3 and 10.
 * None of it depends on `asOf`. Every write brings the facts it touched up to date in its own
 * transaction (its partners', its pairs', or in place for a change of status), so the facts are
 * never out of step with what they come from.
 *
 * A user and the habilitations they hold belong to one partner, so `MIN(partner_id)` of a
 * holding's habilitations is that partner (PostgreSQL takes no bare column beside an aggregate).
 */
function statements(db: Sql) {
  const d = dialectOf(db);
  // `multi_profiles`: {"service":["profile",…]} for the services of which the user holds two
  // profiles or more, services and profiles in byte order, the same text on both engines; NULL when none.
  // PostgreSQL's text of `multi_profiles`, in two steps: a service's profiles (rows of the
  // holdings grouped by service), then the services (rows named `profiles`, `filter` keeping
  // those of two profiles or more). One definition for the user-by-user and the whole rebuilds.
  const profilesText = `'[' || string_agg(CAST(to_json(profile) AS text), ',' ORDER BY profile) || ']'`;
  const servicesText = (filter: string) => `'{' || string_agg(CAST(to_json(service) AS text) || ':' || profiles, ',' ORDER BY service)${filter} || '}'`;
  const multiProfiles = pick(db, {
    sqlite: `(SELECT NULLIF(json_group_object(service, json(profiles)), '{}') FROM (
               SELECT service, json_group_array(profile) AS profiles FROM holdings m
                WHERE m.user_key = users.key GROUP BY service HAVING COUNT(*) > 1))`,
    postgres: `(SELECT ${servicesText('')} FROM (
               SELECT service, ${profilesText} AS profiles FROM holdings m
                WHERE m.user_key = users.key GROUP BY service HAVING COUNT(*) > 1) multiple)`,
  });
  const holdsAny = asInt('COUNT(*) > 0');
  const getsActive = `COALESCE(MAX(${asInt('h.active_habilitations > 0')}), 0)`;
  const everyUser = pick(db, {
    sqlite: `UPDATE users SET (holds_any, gets_active, multi_profiles) = (
       SELECT ${holdsAny}, ${getsActive}, ${multiProfiles} FROM holdings h WHERE h.user_key = users.key)`,
    // In one pass over the holdings grouped by user and service, rather than looked up for each
    // user (two index scans each: 4.3 s of a national import's 10 s of facts, 200,000 users); the
    // same text as `multiProfiles`. A user who holds nothing gets the facts of none, and only the
    // users whose facts differ are rewritten.
    postgres: `UPDATE users SET holds_any = f.holds_any, gets_active = f.gets_active, multi_profiles = f.multi_profiles FROM (
       SELECT u.key, ${asInt('a.user_key IS NOT NULL')} AS holds_any, COALESCE(a.gets_active, 0) AS gets_active, a.multi_profiles
         FROM users u LEFT JOIN (
           SELECT user_key, MAX(gets_active) AS gets_active,
                  ${servicesText(' FILTER (WHERE held > 1)')} AS multi_profiles
             FROM (SELECT user_key, service, COUNT(*) AS held, MAX(${asInt('h.active_habilitations > 0')}) AS gets_active,
                          ${profilesText} AS profiles
                     FROM holdings h GROUP BY user_key, service) per_service
            GROUP BY user_key) a ON a.user_key = u.key) f
     WHERE users.key = f.key
       AND (users.holds_any, users.gets_active, users.multi_profiles) IS DISTINCT FROM (f.holds_any, f.gets_active, f.multi_profiles)`,
  });
  // A habilitation's group members, looked up by its group. PostgreSQL, free to choose, hashed
  // the whole of group_members once the table was small (a Caf's 4,800 rows: 1.6 ms of every
  // write, against 0.4 with the fence); `OFFSET 0` keeps the lookup from being flattened into a
  // join it may hash. SQLite, which has no LATERAL, looks members up by the key already.
  const membersOfGroup = pick(db, {
    sqlite: 'LEFT JOIN group_members m ON m.group_key = h.group_key',
    postgres: 'LEFT JOIN LATERAL (SELECT m.user_key FROM group_members m WHERE m.group_key = h.group_key OFFSET 0) m ON true',
  });
  // The users a scope's refresh recomputes: a partner's, or those of the partner who have a
  // habilitation of the pair whatever its status, directly or through a group (the holders
  // before the change and after it are among them).
  const usersOf = (scope: Scope) =>
    scope === PARTNER
      ? 'users.partner_id = @partnerId'
      : // One pass over the pair's habilitations, each joined to its group's members if it has a
        // group (a habilitation has a user or a group). Asked through `group_key IS NOT NULL`,
        // PostgreSQL read the whole partial index of groups' habilitations (4,000 rows, 1 ms a write).
        `users.partner_id = @partnerId AND users.key IN (
           SELECT COALESCE(m.user_key, h.user_key) FROM habilitations h ${membersOfGroup}
            WHERE ${scope('h')})`;
  // A scope's users: only those whose facts changed (a write changes one or none). On PostgreSQL
  // each rewritten user is a new row version with an entry in each of its indexes; on SQLite its
  // page, and that of the index of several profiles, went to the WAL of every write. The facts
  // read per user through the holdings' key, as for every user. The rows updated are narrowed to
  // the partner too: joined to its users by key alone, PostgreSQL without statistics (right after
  // an import) scanned every user for each write (32 ms a write on 20,000 users, against 1 ms).
  const scopeUsers = (scope: Scope) => `UPDATE users SET holds_any = f.holds_any, gets_active = f.gets_active, multi_profiles = f.multi_profiles FROM (
       SELECT users.key, (SELECT ${holdsAny} FROM holdings h WHERE h.user_key = users.key) AS holds_any,
              (SELECT ${getsActive} FROM holdings h WHERE h.user_key = users.key) AS gets_active, ${multiProfiles} AS multi_profiles
         FROM users WHERE ${usersOf(scope)}) f
     WHERE users.partner_id = @partnerId AND users.key = f.key
       AND (users.holds_any, users.gets_active, users.multi_profiles) IS DISTINCT FROM (f.holds_any, f.gets_active, f.multi_profiles)`;
  // What each table holds within a scope, or for the whole file (`ALL`).
  const activeHolder = asInt("h.active_habilitations > 0 AND u.status = 'active'");
  const quotaHolders = (scope: Scope) => `SELECT h.partner_id, h.service, h.profile, COUNT(*) AS assigned,
         SUM(${activeHolder}) AS active
       FROM holdings h JOIN users u ON u.key = h.user_key
      WHERE u.status <> 'disabled' AND ${scope('h')}
      GROUP BY h.partner_id, h.service, h.profile`;
  const heldCombos = (scope: Scope) => `SELECT partner_id, service, profile, COALESCE(departement, '') AS departement, COUNT(*) AS held FROM habilitations
      WHERE status <> 'revoked' AND ${scope('habilitations')}
      GROUP BY partner_id, service, profile, COALESCE(departement, '')`;
  const counts = (scope: Scope) => [
    `DELETE FROM quota_holders WHERE ${scope('quota_holders')}`,
    `INSERT INTO quota_holders (partner_id, service, profile, assigned, active) ${quotaHolders(scope)}`,
    `DELETE FROM held_combos WHERE ${scope('held_combos')}`,
    `INSERT INTO held_combos (partner_id, service, profile, departement, held) ${heldCombos(scope)}`,
  ];

  const scopeHoldings = (scope: Scope) => `SELECT user_key, service, profile, MIN(partner_id) AS partner_id, MIN(granted_ms) AS first_granted_ms,
         SUM(${asInt("status = 'active'")}) AS active_habilitations FROM (
         SELECT user_key, service, profile, partner_id, granted_ms, status FROM habilitations
          WHERE ${scope('habilitations')} AND user_key IS NOT NULL AND status <> 'revoked'
         UNION ALL
         SELECT m.user_key, h.service, h.profile, h.partner_id, h.granted_ms, h.status FROM habilitations h
           JOIN group_members m ON m.group_key = h.group_key
          WHERE ${scope('h')} AND h.group_key IS NOT NULL AND h.status <> 'revoked') held
       GROUP BY user_key, service, profile`;
  const refreshOf = (scope: Scope) =>
    db.dialect === 'postgres'
      ? // Only the rows that differ, as for the users: rewriting the partner's holdings and counts
        // at each write made some 250 WAL records (32 KB) a write, which its commit waits to have
        // synced while it holds the chain head.
        [
          replacePartnerRows(
            'holdings',
            ['partner_id', 'user_key', 'service', 'profile'],
            ['first_granted_ms', 'active_habilitations'],
            scopeHoldings(scope),
            scope,
          ),
          scopeUsers(scope),
          replacePartnerRows('quota_holders', ['partner_id', 'service', 'profile'], ['assigned', 'active'], quotaHolders(scope), scope),
          replacePartnerRows('held_combos', ['partner_id', 'service', 'profile', 'departement'], ['held'], heldCombos(scope), scope),
        ]
      : // SQLite: the holdings and counts deleted and inserted again, which cost it less CPU than
        // comparing and no more time synced (measured); the users compared, as above.
        [
          `DELETE FROM holdings WHERE ${scope('holdings')}`,
          `INSERT INTO holdings (user_key, service, profile, partner_id, first_granted_ms, active_habilitations) ${scopeHoldings(scope)}`,
          scopeUsers(scope),
          ...counts(scope),
        ];

  // For the whole file the direct holdings stream out of the (user_key, service, profile, …)
  // index already grouped, then the few held through groups are merged in.
  const everything = [
    `DELETE FROM holdings`,
    `INSERT INTO holdings (user_key, service, profile, partner_id, first_granted_ms, active_habilitations)
      SELECT user_key, service, profile, MIN(partner_id), MIN(granted_ms), SUM(${asInt("status = 'active'")}) FROM habilitations
       WHERE user_key IS NOT NULL AND status <> 'revoked'
       GROUP BY user_key, service, profile`,
    `INSERT INTO holdings (user_key, service, profile, partner_id, first_granted_ms, active_habilitations)
      SELECT m.user_key, h.service, h.profile, MIN(h.partner_id), MIN(h.granted_ms), SUM(${asInt("h.status = 'active'")}) FROM habilitations h
        JOIN group_members m ON m.group_key = h.group_key
       WHERE h.group_key IS NOT NULL AND h.status <> 'revoked'
       GROUP BY m.user_key, h.service, h.profile
      ON CONFLICT (user_key, service, profile) DO UPDATE SET
        first_granted_ms = ${d.least('holdings.first_granted_ms', 'excluded.first_granted_ms')},
        active_habilitations = holdings.active_habilitations + excluded.active_habilitations`,
    everyUser,
    ...counts(() => 'true'),
  ].join(';\n');

  // One habilitation (`@id`) between active and suspended (`@delta`, +1 or -1): both keep it held
  // (rules.md), so no holding, place or combination comes or goes. Each of its holders (its user,
  // or each member of its group: a group's members are a set) holds one active habilitation more
  // or less; then their own « gets active » and the pair's active holders follow from the
  // holdings. Three statements on a few rows, where recomputing the pair read all of its
  // habilitations and users: PostgreSQL's CPU per write went from 3.9–4.5 ms to 2.7–3.1.
  const holdersOf = `SELECT COALESCE(m.user_key, h.user_key) AS user_key FROM habilitations h ${membersOfGroup} WHERE h.id = @id`;
  const statusChange = [
    `UPDATE holdings SET active_habilitations = active_habilitations + @delta
      WHERE ${d.inRows('user_key', `(${holdersOf})`)} AND service = @service AND profile = @profile`,
    `UPDATE users SET gets_active = f.gets_active FROM (
       SELECT u.key, (SELECT ${getsActive} FROM holdings h WHERE h.user_key = u.key) AS gets_active FROM users u
        WHERE u.partner_id = @partnerId AND ${d.inRows('u.key', `(${holdersOf})`)}) f
      WHERE users.partner_id = @partnerId AND users.key = f.key AND users.gets_active IS DISTINCT FROM f.gets_active`,
    `UPDATE quota_holders SET active = f.active FROM (
       SELECT SUM(${activeHolder}) AS active FROM holdings h JOIN users u ON u.key = h.user_key WHERE u.status <> 'disabled' AND ${PAIR('h')}) f
      WHERE ${PAIR('quota_holders')} AND quota_holders.active IS DISTINCT FROM f.active`,
  ];

  // The holdings of users an import gives to another partner (`refresh`'s `movedUsers`).
  const forgetHoldings = `DELETE FROM holdings WHERE user_key IN (SELECT key FROM users WHERE ${d.inValues('id', '@users')})`;

  return { perPartner: refreshOf(PARTNER), perPair: refreshOf(PAIR), statusChange, everything, forgetHoldings };
}

/** A habilitation's change of status, within its (partner, service, profile). */
export interface StatusChange {
  id: string;
  partnerId: string;
  service: string;
  profile: string;
  from: string;
  to: string;
}

/** Up to this many habilitations between active and suspended at once, each changes the facts in place (`statusChange`). */
const STATUS_CHANGES_IN_PLACE = 8;

/** Beyond this many (partner, service, profile) pairs changed at once, their partners are refreshed whole instead. */
const PAIRS_AT_ONCE = 8;

/** Beyond this many partners a full rebuild is cheaper than one partner at a time. */
const FULL_REBUILD_THRESHOLD = 200;

export class DerivedFacts {
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly db: Sql) {
    this.sql = statements(db);
  }

  /** Whether refreshing this many partners rebuilds every fact from the whole tables, rather than partner by partner. */
  rebuildsAll(partners: number): boolean {
    return partners > FULL_REBUILD_THRESHOLD;
  }

  /**
   * Recomputes the facts of these partners; must run inside the write transaction that changed
   * them. `movedUsers`: stored users an import gave to another partner, the former and the new
   * among `partnerIds`. Their holdings, filed under the partner they were computed for, go
   * first: the new partner's refresh met them (same user, service and profile) before the
   * former's, an internal error on both engines (trial 32, D1).
   */
  async refresh(partnerIds: Iterable<string>, movedUsers: readonly string[] = []): Promise<void> {
    if (!this.db.inTransaction) throw new Error('derived facts are refreshed inside the write transaction');
    const partners = [...new Set(partnerIds)];
    if (this.rebuildsAll(partners.length)) {
      await this.db.exec(this.sql.everything);
      return;
    }
    if (movedUsers.length > 0) await this.db.run(this.sql.forgetHoldings, { users: JSON.stringify(movedUsers) });
    for (const partnerId of partners) await this.db.runAll(this.sql.perPartner, { partnerId });
  }

  /**
   * Recomputes the facts a change of these habilitations' status touches, within the write
   * transaction that made it. A few between active and suspended, one by one (`statusChange`);
   * otherwise (a revocation, which frees places) their (partner, service, profile) pairs, a
   * tenth of a partner's rows, each write's commit carrying fewer pages.
   */
  async refreshStatus(changes: readonly StatusChange[]): Promise<void> {
    if (!this.db.inTransaction) throw new Error('derived facts are refreshed inside the write transaction');
    const held = (status: string) => status === 'active' || status === 'suspended';
    if (changes.length <= STATUS_CHANGES_IN_PLACE && changes.every((change) => held(change.from) && held(change.to))) {
      // Each changes its status (an unchanged one is no write: `habilitationTransition`).
      for (const { id, partnerId, service, profile, to } of changes) {
        await this.db.runAll(this.sql.statusChange, { id, partnerId, service, profile, delta: to === 'active' ? 1 : -1 });
      }
      return;
    }
    const distinct = new Map(
      changes.map(({ partnerId, service, profile }) => [JSON.stringify([partnerId, service, profile]), { partnerId, service, profile }]),
    );
    // Many pairs at once (a campaign's revocations) cost less as their partners' refresh.
    if (distinct.size > PAIRS_AT_ONCE) return this.refresh(changes.map((change) => change.partnerId));
    for (const pair of distinct.values()) await this.db.runAll(this.sql.perPair, pair);
  }
}
