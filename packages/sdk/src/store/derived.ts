import { asInt, dialectOf, pick, type Sql } from './engine/engine.js';

/**
 * Keeps the derived facts of rules.md ("Holders and quota usage") in step with the data:
 * - `holdings`: each (user, service, profile) a user holds through a held habilitation, given
 *   to them or to one of their groups, with the earliest grant and how many are active;
 * - `users.holds_any`, `users.gets_active`, `users.multi_profiles`: what rules 4, 5 and 9 ask;
 * - `quota_holders`: assigned and active holders per (partner, service, profile), disabled
 *   users left out;
 * - `held_combos`: held habilitations per (partner, service, profile, département), for rules 2, 3 and 10.
 * None of it depends on `asOf`. Every write recomputes the partners it touched, in its own
 * transaction, so the facts are never out of step with what they come from.
 *
 * A user and the habilitations they hold belong to one partner, so `MIN(partner_id)` of a
 * holding's habilitations is that partner (PostgreSQL takes no bare column beside an aggregate).
 */
function statements(db: Sql) {
  const d = dialectOf(db);
  // `multi_profiles`: {"service":["profile",…]} for the services of which the user holds two
  // profiles or more, services and profiles in byte order, the same text on both engines; NULL when none.
  const multiProfiles = pick(db, {
    sqlite: `(SELECT NULLIF(json_group_object(service, json(profiles)), '{}') FROM (
               SELECT service, json_group_array(profile) AS profiles FROM holdings m
                WHERE m.user_key = users.key GROUP BY service HAVING COUNT(*) > 1))`,
    postgres: `(SELECT '{' || string_agg(CAST(to_json(service) AS text) || ':' || profiles, ',' ORDER BY service) || '}' FROM (
               SELECT service, '[' || string_agg(CAST(to_json(profile) AS text), ',' ORDER BY profile) || ']' AS profiles FROM holdings m
                WHERE m.user_key = users.key GROUP BY service HAVING COUNT(*) > 1) multiple)`,
  });
  const userFacts = {
    holdsAny: asInt('COUNT(h.user_key) > 0'),
    getsActive: `COALESCE(MAX(${asInt('h.active_habilitations > 0')}), 0)`,
  };
  // For the whole file, every user; for one partner on PostgreSQL, only the users whose facts
  // changed (most writes change one or none), so that a write does not leave a new version of
  // each (see `sync` below).
  const everyUser = `UPDATE users SET (holds_any, gets_active, multi_profiles) = (
       SELECT ${userFacts.holdsAny}, ${userFacts.getsActive}, ${multiProfiles} FROM holdings h WHERE h.user_key = users.key)`;
  const partnerUsers = pick(db, {
    sqlite: `${everyUser} WHERE partner_id = @partnerId`,
    postgres: `UPDATE users SET holds_any = f.holds_any, gets_active = f.gets_active, multi_profiles = f.multi_profiles FROM (
       SELECT users.key, ${userFacts.holdsAny} AS holds_any, ${userFacts.getsActive} AS gets_active, ${multiProfiles} AS multi_profiles
         FROM users LEFT JOIN holdings h ON h.user_key = users.key WHERE users.partner_id = @partnerId GROUP BY users.key) f
     WHERE users.key = f.key
       AND (users.holds_any, users.gets_active, users.multi_profiles) IS DISTINCT FROM (f.holds_any, f.gets_active, f.multi_profiles)`,
  });
  // What the counts are now, as rows of their table, where `condition` holds (one partner, or `true`).
  const quotaHolders = (condition: string) =>
    `SELECT h.partner_id, h.service, h.profile, COUNT(*) AS assigned, SUM(${asInt("h.active_habilitations > 0 AND u.status = 'active'")}) AS active
       FROM holdings h JOIN users u ON u.key = h.user_key
      WHERE u.status <> 'disabled' AND ${condition}
      GROUP BY h.partner_id, h.service, h.profile`;
  const heldCombos = (condition: string) =>
    `SELECT partner_id, service, profile, COALESCE(departement, '') AS departement, COUNT(*) AS held FROM habilitations
      WHERE status <> 'revoked' AND ${condition}
      GROUP BY partner_id, service, profile, COALESCE(departement, '')`;
  const holdings = `SELECT user_key, service, profile, MIN(partner_id) AS partner_id, MIN(granted_ms) AS first_granted_ms,
         SUM(${asInt("status = 'active'")}) AS active_habilitations FROM (
         SELECT user_key, service, profile, partner_id, granted_ms, status FROM habilitations
          WHERE partner_id = @partnerId AND user_key IS NOT NULL AND status <> 'revoked'
         UNION ALL
         SELECT m.user_key, h.service, h.profile, h.partner_id, h.granted_ms, h.status FROM habilitations h
           JOIN group_members m ON m.group_key = h.group_key
          WHERE h.partner_id = @partnerId AND h.group_key IS NOT NULL AND h.status <> 'revoked') held
       GROUP BY user_key, service, profile`;
  const partner = 'partner_id = @partnerId';

  // One partner's rows brought to what they are now. On PostgreSQL a rewritten row is a new
  // version with its index entries and WAL, so only the rows that changed are touched (a write
  // changes one or two of a partner's hundreds): the rows gone, then the new and the changed;
  // every column is NOT NULL, so `=` compares them. On SQLite rewriting them all is cheaper (its
  // pages change in its cache; comparing costs more than writing).
  const sync = (table: string, keys: readonly string[], values: readonly string[], fresh: string) => {
    const columns = [...keys, ...values];
    if (db.dialect === 'sqlite') return [`DELETE FROM ${table} WHERE ${partner}`, `INSERT INTO ${table} (${columns.join(', ')}) ${fresh}`];
    const same = (a: string, b: string, names: readonly string[]) => names.map((name) => `${a}.${name} = ${b}.${name}`).join(' AND ');
    return [
      `DELETE FROM ${table} WHERE ${partner} AND NOT EXISTS (SELECT 1 FROM (${fresh}) f WHERE ${same('f', table, keys)})`,
      `INSERT INTO ${table} (${columns.join(', ')})
         SELECT ${columns.join(', ')} FROM (${fresh}) f WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.${partner} AND ${same('t', 'f', columns)})
         ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${values.map((name) => `${name} = excluded.${name}`).join(', ')}`,
    ];
  };

  const perPartner = [
    ...sync('holdings', ['user_key', 'service', 'profile'], ['partner_id', 'first_granted_ms', 'active_habilitations'], holdings),
    partnerUsers,
    ...sync('quota_holders', ['partner_id', 'service', 'profile'], ['assigned', 'active'], quotaHolders(`h.${partner}`)),
    ...sync('held_combos', ['partner_id', 'service', 'profile', 'departement'], ['held'], heldCombos(partner)),
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
    `DELETE FROM quota_holders`,
    `INSERT INTO quota_holders (partner_id, service, profile, assigned, active) ${quotaHolders('true')}`,
    `DELETE FROM held_combos`,
    `INSERT INTO held_combos (partner_id, service, profile, departement, held) ${heldCombos('true')}`,
  ].join(';\n');

  return { perPartner, everything };
}

/** Beyond this many partners a full rebuild is cheaper than one partner at a time. */
const FULL_REBUILD_THRESHOLD = 200;

export class DerivedFacts {
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly db: Sql) {
    this.sql = statements(db);
  }

  /** Recomputes the facts of these partners; must run inside the write transaction that changed them. */
  async refresh(partnerIds: Iterable<string>): Promise<void> {
    if (!this.db.inTransaction) throw new Error('derived facts are refreshed inside the write transaction');
    const partners = [...new Set(partnerIds)];
    if (partners.length > FULL_REBUILD_THRESHOLD) {
      await this.db.exec(this.sql.everything);
      return;
    }
    for (const partnerId of partners) await this.db.runAll(this.sql.perPartner, { partnerId });
  }
}
