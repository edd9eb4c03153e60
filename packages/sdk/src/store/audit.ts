import {
  DEFAULT_AUDIT_SETTINGS,
  addDays,
  atLeast,
  citedFor,
  compareCodePoints,
  compareFlags,
  conventionFlags,
  conventionState,
  excessUserIds,
  grantedOutsideTermsFlag,
  habilitationEndedFlag,
  indexQuotas,
  isProfileEligible,
  jsonText,
  multipleProfilesFlag,
  parisDay,
  profileNotEligibleFlag,
  quotaExceededFlag,
  RESERVED_CDAP_PROFILES,
  SEVERITIES,
  quotaKey,
  quotaUsages,
  ruleDefinition,
  scopeFlag,
  scopeViolation,
  sharedEmailFlags,
  summarise,
  suspensionStaleFlag,
  userFlags,
  type AuditReport,
  type AuditSettings,
  type CalendarDate,
  type Flag,
  type HolderCount,
  type ManagementMode,
  type PartnerKind,
  type QuotaTotals,
  type QuotaUsage,
  type SeveritySummary,
  type RuleName,
  type ScopeViolation,
  type Severity,
  type ServiceQuota,
  type Terms,
  type UserRole,
  type UserStatus,
} from '@cafsup/shared';
import type { ConventionCache, PartnerConvention } from './conventions.js';
import { asInt, dialectOf, pick, type Sql } from './engine/engine.js';
import type { PartnerCache } from './partner-cache.js';

/** Which partners a query covers: one, those of some Cafs, or all. */
export interface PartnerScope {
  partnerId?: string;
  cafCodes?: readonly string[];
}

/** What is kept of a partner's usage for the lists (`quotaTotals`) and `quotas --over`. */
interface Places {
  assigned: number;
  maxUsers: number;
  over: QuotaUsage[];
}

export interface AuditQuery extends PartnerScope {
  asOf: CalendarDate;
  minSeverity?: Severity;
  rules?: readonly RuleName[];
}

/** Up to this many partners missing from the cache are audited one by one; more, in one pass over the scope. */
const ONE_BY_ONE = 32;

function scoped(sql: string, onePartner: boolean, alias: string): string {
  return sql.replaceAll('{partner}', onePartner ? `AND ${alias}.partner_id = @partnerId` : '');
}

/**
 * Rules 4 (users), 5, 6 and 8 as SQL conditions on a user not disabled, exact thanks to the
 * derived columns (`seen_day`, `password_day`, `mailbox`, dataset/rows.ts). The report reads the
 * users any of them selects and lets `userFlags` word the flags; the counts sum them.
 */
/** The rules read from each user's row (rule 9, MULTIPLE_PROFILES, is counted with them). */
const USER_RULES = ['MISSION_ENDED', 'DORMANT_ACCOUNT', 'PASSWORD_STALE', 'NON_PERSONAL_EMAIL'] as const satisfies readonly RuleName[];

function userRuleConditions(db: Sql): Record<(typeof USER_RULES)[number], string> {
  return {
    MISSION_ENDED: 'u.mission_end_at < @asOf AND u.holds_any = 1',
    DORMANT_ACCOUNT: "u.status = 'active' AND u.gets_active = 1 AND u.seen_day <= @dormantCutoff",
    PASSWORD_STALE: "u.status = 'active' AND u.must_change_password = 0 AND u.password_day <= @passwordCutoff",
    NON_PERSONAL_EMAIL: `u.mailbox IN ${dialectOf(db).jsonValues('@mailboxes')}`,
  };
}

type ScopedStatements = ReturnType<typeof scopedStatements>;

// The holder facts come from the tables derived.ts keeps (holdings, quota_holders, held_combos
// and the users' derived columns); these statements only read them.
function scopedStatements(db: Sql, onePartner: boolean) {
  const d = dialectOf(db);
  const userRules = userRuleConditions(db);
  const endedHabilitations = `h.ends_at IS NOT NULL AND h.status <> 'revoked' AND h.ends_at < @asOf {partner}`;
  const staleSuspensions = `h.status = 'suspended' AND h.suspended_day <= @staleCutoff {partner}`;
  const sharedEmails = `SELECT partner_id, email_norm FROM users u WHERE u.status <> 'disabled' {partner}
                GROUP BY partner_id, email_norm HAVING COUNT(*) > 1`;
  // `multi_profiles` holds only the services of which the user holds two profiles or more: one flag each.
  const multipleProfiles = pick(db, {
    sqlite: '(SELECT COUNT(*) FROM json_each(u.multi_profiles))',
    postgres: '(SELECT COUNT(*) FROM json_object_keys(CAST(u.multi_profiles AS json)))',
  });
  return {
    quotaCounts: scoped(`SELECT q.partner_id, q.service, q.profile, q.assigned, q.active FROM quota_holders q WHERE true {partner}`, onePartner, 'q'),
    scopeCombos: scoped(
      `SELECT c.partner_id, c.service, c.profile, NULLIF(c.departement, '') AS departement, c.held FROM held_combos c WHERE true {partner}`,
      onePartner,
      'c',
    ),
    userCandidates: scoped(
      `SELECT u.id, u.partner_id, u.email, u.role, u.status, u.created_at, u.last_login_at, u.password_changed_at,
              u.must_change_password, u.mission_end_at, u.holds_any, u.gets_active
         FROM users u
        WHERE u.status <> 'disabled' {partner}
          AND (${Object.values(userRules)
            .map((condition) => `(${condition})`)
            .join(' OR ')})`,
      onePartner,
      'u',
    ),
    userCounts: scoped(
      `SELECT u.partner_id, ${Object.entries(userRules)
        .map(([rule, condition]) => `SUM(${asInt(condition)}) AS "${rule}"`)
        .join(', ')},
              SUM(CASE WHEN u.multi_profiles IS NULL THEN 0 ELSE ${multipleProfiles} END) AS "MULTIPLE_PROFILES"
         FROM users u WHERE u.status <> 'disabled' {partner} GROUP BY u.partner_id`,
      onePartner,
      'u',
    ),
    sharedEmails: scoped(
      `SELECT u.partner_id, u.id, u.email, u.status FROM users u
         JOIN (${sharedEmails}) d
           ON d.partner_id = u.partner_id AND d.email_norm = u.email_norm
        WHERE u.status <> 'disabled'`,
      onePartner,
      'u',
    ),
    sharedEmailPartners: scoped(`SELECT partner_id FROM (${sharedEmails}) d`, onePartner, 'u'),
    multipleProfiles: scoped(
      `SELECT u.partner_id, u.id, u.multi_profiles FROM users u
        WHERE u.multi_profiles IS NOT NULL AND u.status <> 'disabled' {partner}`,
      onePartner,
      'u',
    ),
    staleSuspensions: scoped(`SELECT h.id, h.partner_id, h.suspended_at FROM habilitations h WHERE ${staleSuspensions}`, onePartner, 'h'),
    staleSuspensionPartners: scoped(`SELECT h.partner_id FROM habilitations h WHERE ${staleSuspensions}`, onePartner, 'h'),
    endedHabilitations: scoped(
      `SELECT h.id, h.partner_id, u.id AS user_id, g.id AS group_id, h.ends_at FROM habilitations h
         LEFT JOIN users u ON u.key = h.user_key LEFT JOIN groups g ON g.key = h.group_key
        WHERE ${endedHabilitations}`,
      onePartner,
      'h',
    ),
    endedHabilitationPartners: scoped(`SELECT h.partner_id FROM habilitations h WHERE ${endedHabilitations}`, onePartner, 'h'),
    activeDeputies: scoped(`SELECT DISTINCT u.partner_id FROM users u WHERE u.role = 'deputy' AND u.status = 'active' {partner}`, onePartner, 'u'),
    managers: scoped(
      `SELECT u.id, u.partner_id, u.email, u.role FROM users u WHERE u.role IN ('administrator', 'deputy') AND u.status <> 'disabled' {partner}`,
      onePartner,
      'u',
    ),
    reviews: scoped('SELECT r.partner_id, r.completed_at FROM reviews r WHERE true {partner}', onePartner, 'r'),
    reservedProfiles: scoped(
      `SELECT c.partner_id, c.profile, SUM(c.held) AS held FROM held_combos c
        WHERE c.service = 'CDAP' AND c.profile IN ${d.jsonValues('@profiles')} {partner} GROUP BY c.partner_id, c.profile`,
      onePartner,
      'c',
    ),
  };
}

/** A combination of habilitations, as the statements read it. */
interface Combo {
  partner_id: string;
  service: string;
  profile: string;
  departement: string | null;
}
/** A habilitation held in a combination. */
type Held = Combo & { id: string };

/** A combination's key, with its département or not: the same for the row that names it and for the habilitations held in it. */
const comboKey = (combo: Combo, withDepartement: boolean) =>
  JSON.stringify([combo.partner_id, combo.service, combo.profile, ...(withDepartement ? [combo.departement] : [])]);

/**
 * The habilitations held (not revoked) in each of the combinations of a JSON array given as a
 * parameter, `[{"p": partner, "s": service, "f": profile, "d": département or null}, …]` (`d`
 * only `withDepartement`, else all of its départements): one statement for a report's thousands
 * of combinations, which cost a round trip each on PostgreSQL (4,500 of them, some 1.5 s of a
 * national first audit).
 */
function heldInCombos(db: Sql, withDepartement: boolean): string {
  const d = dialectOf(db);
  const field = (name: string) => d.jsonText('c.value', name);
  return `SELECT h.partner_id, h.service, h.profile, h.departement, h.id FROM ${d.jsonRows('?')} c
      JOIN habilitations h ON h.partner_id = ${field('p')} AND h.service = ${field('s')} AND h.profile = ${field('f')}
       ${withDepartement ? `AND h.departement IS NOT DISTINCT FROM ${field('d')}` : ''}
     WHERE h.status <> 'revoked'`;
}

/** SQL of the statements not narrowed by a scope. */
function statements(db: Sql) {
  return {
    holders: `SELECT u.id AS "userId", h.first_granted_ms AS "firstGrantedMs" FROM holdings h JOIN users u ON u.key = h.user_key
        WHERE h.partner_id = @partnerId AND h.service = @service AND h.profile = @profile AND u.status <> 'disabled'`,
    heldInCombos: heldInCombos(db, true),
    heldCounts: `SELECT partner_id, SUM(held) AS n FROM held_combos WHERE ${dialectOf(db).inValues('partner_id', '?')} GROUP BY partner_id`,
    heldInProfiles: heldInCombos(db, false),
    // Paris is ahead of UTC, so a grant on a Paris day before D is before D at 00:00 UTC: the
    // bound narrows in SQL, one index seek per partner, and `parisDay` decides. `@bounds` is a
    // JSON object, partner id → bound in milliseconds.
    earlyGrants: pick(db, {
      sqlite: `SELECT h.id, h.partner_id, h.service, h.granted_at FROM json_each(@bounds) b
         JOIN habilitations h ON h.partner_id = b.key AND h.status <> 'revoked' AND h.granted_ms < b.value`,
      postgres: `SELECT h.id, h.partner_id, h.service, h.granted_at FROM json_each_text(CAST(@bounds AS json)) b
         JOIN habilitations h ON h.partner_id = b.key AND h.status <> 'revoked' AND h.granted_ms < CAST(b.value AS bigint)`,
    }),
  };
}

/**
 * Quota usage and the 16 flags over the store. SQL gathers the facts over the whole tables
 * (counts, candidates); the rules of `@cafsup/shared` decide each flag, and the report sorts
 * them (`compareFlags`), so the order the rows come in does not matter.
 */
export class AuditEngine {
  private readonly all: ScopedStatements;
  private readonly one: ScopedStatements;
  private readonly sql: ReturnType<typeof statements>;

  constructor(
    private readonly db: Sql,
    private readonly conventions: ConventionCache,
    private readonly cache: PartnerCache,
    private readonly settings: AuditSettings = DEFAULT_AUDIT_SETTINGS,
  ) {
    this.all = scopedStatements(db, false);
    this.one = scopedStatements(db, true);
    this.sql = statements(db);
  }

  private async partnersInScope(scope: PartnerScope): Promise<PartnerConvention[]> {
    if (scope.partnerId !== undefined) {
      const one = await this.conventions.get(scope.partnerId);
      return one === undefined || !inScope(one, scope) ? [] : [one];
    }
    return [...(await this.conventions.all()).values()].filter((entry) => inScope(entry, scope));
  }

  private statements(scope: PartnerScope): ScopedStatements {
    return scope.partnerId === undefined ? this.all : this.one;
  }

  private params(scope: PartnerScope, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return scope.partnerId === undefined ? extra : { ...extra, partnerId: scope.partnerId };
  }

  /**
   * Usage of every effective quota of the partners in force, ordered by partner, service,
   * profile: each partner's kept for that date where nothing changed since, the others' computed
   * now and kept (partner-cache.ts). The over quotas alone come from what is kept of each
   * partner's places, a few bytes where the whole usage is 3.7 MB nationally.
   */
  async quotaUsage(scope: PartnerScope, asOf: CalendarDate, options: { overOnly?: boolean } = {}): Promise<QuotaUsage[]> {
    if (options.overOnly === true) {
      const { partnerIds, values } = await this.places(scope, asOf);
      return partnerIds.flatMap((partnerId) => values.get(partnerId)!.over);
    }
    const { partnerIds, values } = await this.cache.through(
      'quotas',
      asOf,
      () => this.partnersOf(scope),
      (missing) => this.computeUsage(missing, scope, asOf),
    );
    return partnerIds.flatMap((partnerId) => values.get(partnerId)!);
  }

  /**
   * Each partner's places at `asOf` (`QuotaTotals`), in partner order; a partner without place
   * granted or given is left out, as `counts` leaves out a partner without flags.
   */
  async quotaTotals(scope: PartnerScope, asOf: CalendarDate): Promise<QuotaTotals[]> {
    const { partnerIds, values } = await this.places(scope, asOf);
    return partnerIds
      .map((partnerId) => {
        const { assigned, maxUsers, over } = values.get(partnerId)!;
        return { partnerId, assigned, maxUsers, overQuotas: over.length };
      })
      .filter((totals) => totals.assigned + totals.maxUsers > 0);
  }

  /** What the lists and `quotas --over` need of each partner's usage, kept per date like it. */
  private places(scope: PartnerScope, asOf: CalendarDate): Promise<{ partnerIds: string[]; values: Map<string, Places> }> {
    return this.cache.through(
      'places',
      asOf,
      () => this.partnersOf(scope),
      async (missing) => {
        const places = new Map<string, Places>();
        for (const [partnerId, usages] of await this.computeUsage(missing, scope, asOf)) {
          const kept: Places = { assigned: 0, maxUsers: 0, over: [] };
          for (const usage of usages) {
            kept.assigned += usage.assigned;
            kept.maxUsers += usage.maxUsers;
            if (usage.over) kept.over.push(usage);
          }
          places.set(partnerId, kept);
        }
        return places;
      },
    );
  }

  /** The quota usage of these partners of `scope`, each partner's in service and profile order. */
  private async computeUsage(missing: readonly string[], scope: PartnerScope, asOf: CalendarDate): Promise<Map<string, QuotaUsage[]>> {
    const byPartner = new Map<string, QuotaUsage[]>(missing.map((partnerId) => [partnerId, []]));
    await this.overPartners(missing, scope, async (part) => {
      // One pass: the holder counts of the whole scope, the terms of the missing partners only.
      const all = part.partnerId === undefined ? await this.conventions.all() : null;
      const partners = all === null ? await this.partnersInScope(part) : missing.map((partnerId) => all.get(partnerId)!);
      for (const usage of (await this.usageWithTerms(partners, part, asOf)).usages) byPartner.get(usage.partnerId)!.push(usage);
    });
    return byPartner;
  }

  /** The quotas of the partners in force; with `counted`, their usage too (the holder counts read). */
  private async usageWithTerms(partners: readonly PartnerConvention[], scope: PartnerScope, asOf: CalendarDate, counted = true) {
    const inForce = partners.filter((entry) => conventionState(entry.convention, asOf).inForce);
    const counts = new Map<string, Map<string, HolderCount>>();
    if (counted && inForce.length > 0) {
      for await (const row of this.db.iterate<{
        partner_id: string;
        service: string;
        profile: string;
        assigned: number;
        active: number;
      }>(this.statements(scope).quotaCounts, this.params(scope))) {
        let partnerCounts = counts.get(row.partner_id);
        if (partnerCounts === undefined) counts.set(row.partner_id, (partnerCounts = new Map<string, HolderCount>()));
        partnerCounts.set(quotaKey(row.service, row.profile), { assigned: row.assigned, active: row.active });
      }
    }
    const usages: QuotaUsage[] = [];
    const quotasByPartner = new Map<string, Map<string, ServiceQuota>>();
    for (const entry of inForce.sort((a, b) => compareCodePoints(a.partnerId, b.partnerId))) {
      const terms = this.conventions.terms(entry, asOf);
      quotasByPartner.set(entry.partnerId, indexQuotas(terms));
      if (counted) usages.push(...quotaUsages(entry.partnerId, entry.convention.number, terms, counts.get(entry.partnerId) ?? new Map()));
    }
    return { usages, quotasByPartner, inForce };
  }

  /**
   * The habilitations held in these combinations (by `comboKey`, with their département or in
   * all of them), each with what the caller said of its combination, in one statement
   * (`heldInCombos`); none asked, no query.
   */
  private async heldIn<T>(wanted: ReadonlyMap<string, { combo: Combo; about: T }>, withDepartement: boolean): Promise<{ held: Held; about: T }[]> {
    if (wanted.size === 0) return [];
    const combos = [...wanted.values()].map(({ combo }) => ({
      p: combo.partner_id,
      s: combo.service,
      f: combo.profile,
      ...(withDepartement ? { d: combo.departement } : {}),
    }));
    const rows = await this.db.all<Held>(withDepartement ? this.sql.heldInCombos : this.sql.heldInProfiles, [JSON.stringify(combos)]);
    return rows.map((held) => ({ held, about: wanted.get(comboKey(held, withDepartement))!.about }));
  }

  /** The excess holders of one quota: the last granted beyond `maxUsers`. */
  async excessUsers(usage: QuotaUsage): Promise<string[]> {
    const holders = await this.db.all<{ userId: string; firstGrantedMs: number }>(this.sql.holders, {
      partnerId: usage.partnerId,
      service: usage.service,
      profile: usage.profile,
    });
    return excessUserIds(holders, usage.maxUsers);
  }

  /**
   * The audit report at `query.asOf`, every fact read from one snapshot. Each partner's flags
   * are those kept for that date where nothing changed since (partner-cache.ts), the others'
   * computed now and kept, then the rules and severity asked for are selected.
   */
  async run(query: AuditQuery): Promise<AuditReport> {
    // Each partner's flags parsed as its row comes (`read`): read as text first, a national
    // report's 40 MB (80 in JavaScript's two-byte strings, its messages holding a « ’ ») lived
    // until every row was in, copied at each young-generation collection meanwhile.
    const found = await this.partnerFlags(query, (partnerIds) => this.cache.read<Flag[]>('flags', query.asOf, partnerIds));
    if ('flags' in found) return found;
    const { partnerIds, kept, computed } = found;
    const wanted = (flag: Flag) => query.rules === undefined || query.rules.includes(flag.rule);
    const lists = partnerIds.map((partnerId) => computed.get(partnerId) ?? kept.get(partnerId)!);
    // Each partner's flags are in report order, which is by severity, then partner: a merge, not a sort.
    const flags: Flag[] = [];
    for (const severity of severitiesFrom(query.minSeverity)) {
      for (const list of lists) for (const flag of list) if (flag.severity === severity && wanted(flag)) flags.push(flag);
    }
    return { asOf: query.asOf, flags, summary: summarise(flags) };
  }

  /**
   * The report of `run` as its JSON text (`jsonText`), in UTF-8: each partner's flags kept as
   * text are read as bytes, cut by severity and put end to end, never decoded, parsed nor built
   * (a national report is some forty megabytes of it). Some rules only: from `run`.
   */
  async runText(query: AuditQuery): Promise<AuditText> {
    const found =
      query.rules === undefined ? await this.partnerFlags(query, (partnerIds) => this.cache.readBytes('flags', query.asOf, partnerIds)) : await this.run(query);
    if ('flags' in found) return { asOf: found.asOf, summary: found.summary, text: [Buffer.from(jsonText(found))] };
    const { partnerIds, kept, textOf } = found;
    const shown = severitiesFrom(query.minSeverity);
    const bySeverity = new Map<Severity, Buffer[]>(SEVERITIES.map((severity) => [severity, []]));
    const summary: SeveritySummary = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const partnerId of partnerIds) cutBySeverity(kept.get(partnerId) ?? Buffer.from(textOf(partnerId)), bySeverity, summary);
    for (const severity of SEVERITIES) if (!shown.includes(severity)) summary[severity] = 0;
    const pieces = shown.flatMap((severity) => bySeverity.get(severity)!);
    const list =
      pieces.length === 0 ? [EMPTY_LIST] : [LIST_OPEN, ...pieces.flatMap((piece, index) => (index === 0 ? [piece] : [FLAG_SEPARATOR, piece])), LIST_CLOSE];
    // The envelope as `jsonText` writes it with no flag, the flags put in its empty list.
    const [before, after] = jsonText({ asOf: query.asOf, flags: [], summary }).split(NO_FLAGS) as [string, string];
    return { asOf: query.asOf, summary, text: [Buffer.from(`${before}"flags": `), ...list, Buffer.from(after)] };
  }

  /**
   * Each partner's flags at `query.asOf`: those kept, as `readKept` reads them (parsed lists, or
   * bytes for `runText`), and the others computed now, from one snapshot, then kept. Some rules only,
   * for many partners not kept: the report of those rules alone, which cost less than every
   * rule for them.
   */
  private async partnerFlags<K>(
    query: AuditQuery,
    readKept: (partnerIds: readonly string[] | undefined) => Promise<Map<string, K>>,
  ): Promise<AuditReport | { partnerIds: string[]; kept: Map<string, K>; computed: Map<string, Flag[]>; textOf: (partnerId: string) => string }> {
    const found = await this.db.snapshot(async () => {
      const head = await this.cache.head();
      const { partnerIds, whole } = await this.partnersOf(query);
      const kept = await readKept(whole ? undefined : partnerIds);
      const missing = partnerIds.filter((partnerId) => !kept.has(partnerId));
      if (query.rules !== undefined && missing.length > ONE_BY_ONE) return { some: await this.flagsOf(query) } as const;
      return { some: null, partnerIds, kept, computed: await this.computeFlags(missing, query), head };
    });
    if (found.some !== null) {
      const flags = found.some
        .filter((flag) => query.rules!.includes(flag.rule) && (query.minSeverity === undefined || atLeast(flag.severity, query.minSeverity)))
        .sort(compareFlags);
      return { asOf: query.asOf, flags, summary: summarise(flags) };
    }
    const { partnerIds, kept, computed, head } = found;
    // The text of the flags computed now: what is kept, and what `runText` writes; `run` needs it only to keep it.
    const texts = new Map<string, string>();
    const textOf = (partnerId: string) => {
      let text = texts.get(partnerId);
      if (text === undefined) texts.set(partnerId, (text = flagsText(computed.get(partnerId)!)));
      return text;
    };
    await this.cache.keep(query.asOf, head, () =>
      [...computed].flatMap(([partnerId, flags]) => [
        { partnerId, aspect: 'flags' as const, text: textOf(partnerId) },
        { partnerId, aspect: 'counts' as const, value: summarise(flags) },
      ]),
    );
    return { partnerIds, kept, computed, textOf };
  }

  /** Every flag of the rules of `query`, cited, in no particular order. */
  private async flagsOf(query: AuditQuery): Promise<Flag[]> {
    const flags: Flag[] = [];
    await this.collect(query, {
      counting: false,
      flag: (flag, mode) => flags.push(citedFor(flag, mode)),
      count: () => undefined,
    });
    return flags;
  }

  /**
   * The flags of these partners, each partner's in report order: one partner at a time when
   * they are few (after a write, the partners it changed), else one pass over the scope.
   */
  private async computeFlags(partnerIds: readonly string[], scope: PartnerScope & { asOf: CalendarDate }): Promise<Map<string, Flag[]>> {
    const byPartner = new Map<string, Flag[]>(partnerIds.map((partnerId) => [partnerId, []]));
    if (partnerIds.length === 0) return byPartner;
    const flags: Flag[] = [];
    await this.overPartners(partnerIds, scope, async (part) => {
      // Not spread into `push`: a national pass is over a hundred thousand flags, past the
      // number of arguments a call may take.
      for (const flag of await this.flagsOf({ asOf: scope.asOf, ...part })) flags.push(flag);
    });
    flags.sort(compareFlags);
    for (const flag of flags) byPartner.get(flag.partnerId)?.push(flag);
    return byPartner;
  }

  /**
   * The number of flags per severity of each partner that has any, in partner order, equal to
   * what `run` reports: lists show them for every partner. Kept per date like the flags; what
   * is missing is counted without building, citing and sorting a national report's hundred
   * thousand flags, most of its cost.
   */
  async counts(scope: PartnerScope, asOf: CalendarDate): Promise<{ partnerId: string; flags: SeveritySummary }[]> {
    const { partnerIds, values } = await this.cache.through(
      'counts',
      asOf,
      () => this.partnersOf(scope),
      (missing) => this.computeCounts(missing, scope, asOf),
    );
    return partnerIds
      .map((partnerId) => ({ partnerId, flags: values.get(partnerId)! }))
      .filter(({ flags }) => flags.critical + flags.high + flags.medium + flags.low > 0);
  }

  private async computeCounts(partnerIds: readonly string[], scope: PartnerScope, asOf: CalendarDate): Promise<Map<string, SeveritySummary>> {
    const counts = new Map<string, SeveritySummary>(partnerIds.map((partnerId) => [partnerId, { critical: 0, high: 0, medium: 0, low: 0 }]));
    if (partnerIds.length === 0) return counts;
    const add = (partnerId: string, severity: Severity, n: number) => {
      const summary = counts.get(partnerId);
      if (summary !== undefined) summary[severity] += n;
    };
    const sink: FlagSink = {
      counting: true,
      flag: (flag) => add(flag.partnerId, flag.severity, 1),
      count: (partnerId, rule, n) => add(partnerId, ruleDefinition(rule).severity, n),
    };
    await this.overPartners(partnerIds, scope, (part) => this.collect({ asOf, ...part }, sink));
    return counts;
  }

  /**
   * Runs `work` for these partners of `scope`: one at a time when they are few (after a write,
   * those it changed), else once over the whole scope, whose results beyond them are dropped.
   */
  private async overPartners(partnerIds: readonly string[], scope: PartnerScope, work: (part: PartnerScope) => Promise<void>): Promise<void> {
    if (partnerIds.length > ONE_BY_ONE) await work(wholeOf(scope));
    else for (const partnerId of partnerIds) await work({ partnerId });
  }

  /** The partners of the scope that have a convention (those the rules run over), in partner order. */
  private async partnerIdsInScope(scope: PartnerScope): Promise<string[]> {
    const conditions: string[] = [];
    const params: Record<string, unknown> = {};
    if (scope.partnerId !== undefined) {
      conditions.push('c.partner_id = @partnerId');
      params.partnerId = scope.partnerId;
    }
    if (scope.cafCodes !== undefined) {
      conditions.push(`p.caf_code IN ${dialectOf(this.db).jsonValues('@cafCodes')}`);
      params.cafCodes = JSON.stringify(scope.cafCodes);
    }
    // Every partner: the conventions' key alone, not their documents, as one JSON array: a row
    // per partner cost more than its id (~20 ms for a national list, on either engine).
    const ids = await this.db.value<string>(
      `SELECT ${dialectOf(this.db).jsonArrayAgg('c.partner_id')} FROM conventions c${
        conditions.length === 0 ? '' : ` JOIN partners p ON p.id = c.partner_id WHERE ${conditions.join(' AND ')}`
      }`,
      params,
    );
    return (JSON.parse(ids ?? '[]') as string[]).sort(compareCodePoints);
  }

  /** The partners of the scope, and whether they are the whole store's (whose kept rows are read whole). */
  private async partnersOf(scope: PartnerScope): Promise<{ partnerIds: string[]; whole: boolean }> {
    return { partnerIds: await this.partnerIdsInScope(scope), whole: scope.partnerId === undefined && scope.cafCodes === undefined };
  }

  /**
   * Runs the rules over the partners of `query`, handing what they find to `sink`: whole flags,
   * or, when it is `counting`, numbers of flags per partner and rule wherever SQL counts them
   * exactly (the rules whose every flag is one row of a derived fact), whole flags elsewhere.
   */
  private async collect(query: AuditQuery, sink: FlagSink): Promise<void> {
    const { asOf } = query;
    const settings = this.settings;
    const scope: PartnerScope = query;
    const partners = await this.partnersInScope(scope);
    const modes = new Map(partners.map((entry) => [entry.partnerId, this.conventions.terms(entry, asOf).managementMode]));
    const wanted = (rule: RuleName) => query.rules === undefined || query.rules.includes(rule);
    const keep = (flag: Flag | null) => {
      if (flag === null || !wanted(flag.rule)) return;
      const mode = modes.get(flag.partnerId);
      if (mode !== undefined) sink.flag(flag, mode);
    };
    const tally = (partnerId: string, rule: RuleName, n: number) => {
      if (n > 0 && modes.has(partnerId) && wanted(rule)) sink.count(partnerId, rule, n);
    };
    const statements = this.statements(scope);
    const counting = sink.counting;

    // A report of other rules (the reviews due, say) reads no holder counts.
    const { usages, quotasByPartner, inForce } = await this.usageWithTerms(partners, scope, asOf, wanted('QUOTA_EXCEEDED'));
    if (wanted('QUOTA_EXCEEDED')) {
      for (const usage of usages) {
        if (!usage.over) continue;
        if (counting) tally(usage.partnerId, 'QUOTA_EXCEEDED', 1);
        else keep(quotaExceededFlag(usage, await this.excessUsers(usage)));
      }
    }

    if (wanted('PROFILE_NOT_SUBSCRIBED') || wanted('DEPARTEMENT_OUT_OF_SCOPE')) {
      const violations = new Map<string, { combo: Combo; about: NonNullable<ScopeViolation> }>();
      for (const combo of await this.db.all<Combo & { held: number }>(statements.scopeCombos, this.params(scope))) {
        const quotas = quotasByPartner.get(combo.partner_id);
        if (quotas === undefined) continue; // not in force: rules 2 and 3 do not run
        const violation = scopeViolation(quotas, combo.service, combo.profile, combo.departement);
        if (violation === null || !wanted(violation)) continue;
        // One flag per held habilitation of the combination, and `held` counts them.
        if (counting) tally(combo.partner_id, violation, combo.held);
        else violations.set(comboKey(combo, true), { combo, about: violation });
      }
      for (const { held, about } of await this.heldIn(violations, true)) {
        keep(scopeFlag(about, held.partner_id, { id: held.id, service: held.service, profile: held.profile, departement: held.departement }));
      }
    }

    const userParams = this.params(scope, {
      asOf,
      dormantCutoff: addDays(asOf, -settings.dormantDays),
      passwordCutoff: addDays(asOf, -settings.passwordMaxAgeDays),
      mailboxes: JSON.stringify(settings.genericMailboxes),
    });
    if (counting && [...USER_RULES, 'MULTIPLE_PROFILES' as const].some(wanted)) {
      for (const row of await this.db.all<{ partner_id: string } & Record<'MULTIPLE_PROFILES' | (typeof USER_RULES)[number], number>>(
        statements.userCounts,
        userParams,
      )) {
        for (const rule of [...USER_RULES, 'MULTIPLE_PROFILES'] as const) tally(row.partner_id, rule, row[rule]);
      }
    } else if (!counting && USER_RULES.some(wanted)) {
      for await (const row of this.db.iterate<UserCandidateRow>(statements.userCandidates, userParams)) {
        for (const flag of userFlags(
          {
            id: row.id,
            partnerId: row.partner_id,
            email: row.email,
            role: row.role,
            status: row.status,
            createdAt: row.created_at,
            lastLoginAt: row.last_login_at,
            passwordChangedAt: row.password_changed_at,
            mustChangePassword: row.must_change_password === 1,
            missionEndAt: row.mission_end_at,
            holdsAny: row.holds_any === 1,
            getsActive: row.gets_active === 1,
          },
          asOf,
          settings,
        )) {
          keep(flag);
        }
      }
    }

    if (wanted('MISSION_ENDED')) {
      if (counting) await this.tallyRows(statements.endedHabilitationPartners, this.params(scope, { asOf }), 'MISSION_ENDED', tally);
      else {
        for await (const row of this.db.iterate<{
          id: string;
          partner_id: string;
          user_id: string | null;
          group_id: string | null;
          ends_at: string;
        }>(statements.endedHabilitations, this.params(scope, { asOf }))) {
          keep(habilitationEndedFlag(row.partner_id, { id: row.id, userId: row.user_id, groupId: row.group_id, endsAt: row.ends_at }));
        }
      }
    }

    if (wanted('GRANTED_OUTSIDE_TERMS')) for (const flag of await this.grantedOutsideTerms(inForce, asOf)) keep(flag);

    if (wanted('PROFILE_NOT_ELIGIBLE')) {
      const kinds = new Map(inForce.map((entry) => [entry.partnerId, entry.kind]));
      // Read whole (a few rows), not iterated: each row runs a query of its own.
      const reserved = await this.db.all<{ partner_id: string; profile: string; held: number }>(
        statements.reservedProfiles,
        this.params(scope, { profiles: JSON.stringify(Object.keys(RESERVED_CDAP_PROFILES)) }),
      );
      const ineligible = new Map<string, { combo: Combo; about: PartnerKind }>();
      for (const row of reserved) {
        const kind = kinds.get(row.partner_id);
        if (kind === undefined || isProfileEligible('CDAP', row.profile, kind)) continue; // not in force, or eligible
        // One flag per held habilitation of the profile, and `held` counts them.
        if (counting) tally(row.partner_id, 'PROFILE_NOT_ELIGIBLE', row.held);
        else {
          const combo = { partner_id: row.partner_id, service: 'CDAP', profile: row.profile, departement: null };
          ineligible.set(comboKey(combo, false), { combo, about: kind });
        }
      }
      for (const { held, about } of await this.heldIn(ineligible, false)) {
        keep(profileNotEligibleFlag(held.partner_id, { id: held.id, profile: held.profile }, about));
      }
    }

    if (wanted('SHARED_EMAIL')) {
      if (counting) await this.tallyRows(statements.sharedEmailPartners, this.params(scope), 'SHARED_EMAIL', tally);
      else {
        const byPartner = groupBy(
          await this.db.all<{ partner_id: string; id: string; email: string; status: UserStatus }>(statements.sharedEmails, this.params(scope)),
          (row) => row.partner_id,
        );
        for (const [partnerId, users] of byPartner) for (const flag of sharedEmailFlags(partnerId, users)) keep(flag);
      }
    }

    // Counted with the users above.
    if (wanted('MULTIPLE_PROFILES') && !counting) {
      for await (const row of this.db.iterate<{
        partner_id: string;
        id: string;
        multi_profiles: string;
      }>(statements.multipleProfiles, this.params(scope))) {
        for (const [service, profiles] of Object.entries(JSON.parse(row.multi_profiles) as Record<string, string[]>)) {
          keep(multipleProfilesFlag(row.partner_id, row.id, service, profiles));
        }
      }
    }

    if (wanted('CONVENTION_NOT_IN_FORCE') || wanted('REVIEW_OVERDUE') || wanted('NO_DEPUTY') || wanted('ADMIN_NOT_DESIGNATED')) {
      for (const flag of await this.conventionRuleFlags(partners, scope, asOf)) keep(flag);
    }

    if (wanted('SUSPENSION_STALE')) {
      const params = this.params(scope, { staleCutoff: addDays(asOf, -settings.suspensionStaleDays) });
      if (counting) await this.tallyRows(statements.staleSuspensionPartners, params, 'SUSPENSION_STALE', tally);
      else {
        for await (const row of this.db.iterate<{ id: string; partner_id: string; suspended_at: string | null }>(statements.staleSuspensions, params)) {
          keep(suspensionStaleFlag(row.partner_id, { id: row.id, suspendedAt: row.suspended_at }, asOf, settings));
        }
      }
    }
  }

  /**
   * Counts of one rule per partner, from a statement answering one `partner_id` per flag:
   * counted here, as grouping in SQL would make SQLite walk the partner index over every
   * habilitation instead of the few rows the rule's own index finds.
   */
  private async tallyRows(
    sql: string,
    params: Record<string, unknown>,
    rule: RuleName,
    tally: (partnerId: string, rule: RuleName, n: number) => void,
  ): Promise<void> {
    for (const row of await this.db.all<{ partner_id: string }>(sql, params)) tally(row.partner_id, rule, 1);
  }

  /** Rule 15: held habilitations granted before the period start, or before their service's `availableFrom`. */
  private async grantedOutsideTerms(inForce: readonly PartnerConvention[], asOf: CalendarDate): Promise<Flag[]> {
    const terms = new Map<string, { periodStart: CalendarDate; availableFrom: Map<string, CalendarDate | null> }>();
    const bounds: Record<string, number> = {};
    for (const entry of inForce) {
      const periodStart = conventionState(entry.convention, asOf).periodStart!;
      const availableFrom = availableFromByService(this.conventions.terms(entry, asOf));
      let latest = periodStart;
      for (const date of availableFrom.values()) if (date !== null && date > latest) latest = date;
      terms.set(entry.partnerId, { periodStart, availableFrom });
      bounds[entry.partnerId] = Date.parse(`${latest}T00:00:00Z`);
    }
    const flags: Flag[] = [];
    for await (const row of this.db.iterate<{
      id: string;
      partner_id: string;
      service: string;
      granted_at: string;
    }>(this.sql.earlyGrants, { bounds: JSON.stringify(bounds) })) {
      const partner = terms.get(row.partner_id)!;
      // A service the terms do not list, or one an avenant added, has no availableFrom: only the period start counts.
      const flag = grantedOutsideTermsFlag(
        row.partner_id,
        { id: row.id, grantedDay: parisDay(row.granted_at) },
        partner.periodStart,
        partner.availableFrom.get(row.service) ?? null,
      );
      if (flag !== null) flags.push(flag);
    }
    return flags;
  }

  private async conventionRuleFlags(partners: readonly PartnerConvention[], scope: PartnerScope, asOf: CalendarDate): Promise<Flag[]> {
    const statements = this.statements(scope);
    const only = this.params(scope);
    const reviewDates = groupBy(await this.db.all<{ partner_id: string; completed_at: string }>(statements.reviews, only), (row) => row.partner_id);
    const deputies = new Set((await this.db.all<{ partner_id: string }>(statements.activeDeputies, only)).map((row) => row.partner_id));
    const managers = groupBy(
      await this.db.all<{ id: string; partner_id: string; email: string; role: UserRole }>(statements.managers, only),
      (row) => row.partner_id,
    );
    // Rule 10 counts the held habilitations of the partners not in force, in one query for them all.
    const notInForce = partners.filter((entry) => !conventionState(entry.convention, asOf).inForce).map((entry) => entry.partnerId);
    const held = new Map<string, number>();
    if (notInForce.length > 0) {
      for (const row of await this.db.all<{ partner_id: string; n: number }>(this.sql.heldCounts, [JSON.stringify(notInForce)]))
        held.set(row.partner_id, row.n);
    }
    const flags: Flag[] = [];
    for (const entry of partners) {
      flags.push(
        ...conventionFlags(
          {
            partnerId: entry.partnerId,
            convention: entry.convention,
            terms: this.conventions.terms(entry, asOf),
            reviewDates: (reviewDates.get(entry.partnerId) ?? []).map((row) => row.completed_at),
            heldCount: held.get(entry.partnerId) ?? 0,
            hasActiveDeputy: deputies.has(entry.partnerId),
            managers: managers.get(entry.partnerId) ?? [],
          },
          asOf,
          this.settings,
        ),
      );
    }
    return flags;
  }
}

/**
 * Where the audit puts what it finds: each flag with its partner's management mode (the
 * article it cites depends on it), or, when `counting`, also the number of a rule's flags for a
 * partner, counted without building them.
 */
interface FlagSink {
  readonly counting: boolean;
  flag(flag: Flag, mode: ManagementMode): void;
  count(partnerId: string, rule: RuleName, n: number): void;
}

interface UserCandidateRow {
  id: string;
  partner_id: string;
  email: string;
  role: UserRole;
  status: UserStatus;
  created_at: string;
  last_login_at: string | null;
  password_changed_at: string | null;
  must_change_password: number;
  mission_end_at: string | null;
  holds_any: number;
  gets_active: number;
}

function availableFromByService(terms: Terms): Map<string, CalendarDate | null> {
  return new Map(terms.subscriptions.map((subscription) => [subscription.service, subscription.availableFrom]));
}

/** The report as `runText` hands it: the text `jsonText` would write for `run`'s report, in UTF-8. */
export interface AuditText {
  asOf: CalendarDate;
  summary: SeveritySummary;
  /**
   * The text in pieces, to be written one after the other: a national report is some forty
   * megabytes, which put end to end would be copied once more into memory touched for the first
   * time (the copy alone took 130 ms; a national `cafsup audit --json`, 853 → 664 ms).
   */
  text: readonly Uint8Array[];
}

/** The severities a report shows, from the most severe down to `minSeverity`. */
function severitiesFrom(minSeverity: Severity | undefined): readonly Severity[] {
  return minSeverity === undefined ? SEVERITIES : SEVERITIES.filter((severity) => atLeast(severity, minSeverity));
}

/**
 * A partner's flags as kept, in report order: the text of its list where it stands in the
 * report (`jsonText`, one level in), so that `runText` puts lists end to end. JSON all the
 * same, that `run` parses.
 */
function flagsText(flags: readonly Flag[]): string {
  return jsonText(flags).slice(0, -1).replaceAll('\n', '\n  ');
}

/** How `jsonText` writes a report's list of flags, one level in: its opening, between two flags, its end; or empty. */
const LIST_OPEN = Buffer.from('[\n    ');
const FLAG_SEPARATOR = Buffer.from(',\n    ');
const LIST_CLOSE = Buffer.from('\n  ]');
const EMPTY_LIST = Buffer.from('[]');
const NO_FLAGS = '"flags": []';
/**
 * What starts a flag, and its severity, in `flagsText`: a line break then this indentation is
 * structure (JSON writes a line break inside a string as `\n`), and only a flag's own fields
 * are indented this far. ASCII: the same bytes in UTF-8.
 */
const FLAG_START = Buffer.from('\n    {');
const SEVERITY_FIELD = Buffer.from('\n      "severity": "');
const SEVERITY_BY_INITIAL = new Map(SEVERITIES.map((severity) => [severity.charCodeAt(0), severity]));

/**
 * Cuts a partner's kept flags (`flagsText` in UTF-8, in report order so by severity) into one
 * piece per severity, each appended to its severity's pieces (views, not copies), and counts
 * them.
 */
function cutBySeverity(text: Buffer, bySeverity: Map<Severity, Buffer[]>, summary: SeveritySummary): void {
  let current: Severity | null = null;
  let start = 0;
  for (let at = text.indexOf(SEVERITY_FIELD); at !== -1; at = text.indexOf(SEVERITY_FIELD, at + SEVERITY_FIELD.length)) {
    const severity = SEVERITY_BY_INITIAL.get(text[at + SEVERITY_FIELD.length]!)!;
    if (severity !== current) {
      const flagStart = text.lastIndexOf(FLAG_START, at) + FLAG_START.length - 1;
      if (current !== null) bySeverity.get(current)!.push(text.subarray(start, flagStart - FLAG_SEPARATOR.length));
      current = severity;
      start = flagStart;
    }
    summary[severity] += 1;
  }
  if (current !== null) bySeverity.get(current)!.push(text.subarray(start, text.length - LIST_CLOSE.length));
}

/** The scope without its partner: the pass over every partner of its Cafs. */
function wholeOf(scope: PartnerScope): PartnerScope {
  return scope.cafCodes === undefined ? {} : { cafCodes: scope.cafCodes };
}

/** Whether a partner lies within a scope: its partner when one is named, and its Cafs. */
export function inScope(entry: PartnerConvention, scope: PartnerScope): boolean {
  return (scope.partnerId === undefined || scope.partnerId === entry.partnerId) && (scope.cafCodes === undefined || scope.cafCodes.includes(entry.cafCode));
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const value = key(row);
    const group = groups.get(value);
    if (group === undefined) groups.set(value, [row]);
    else group.push(row);
  }
  return groups;
}
