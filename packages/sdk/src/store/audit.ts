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
  multipleProfilesFlag,
  parisDay,
  profileNotEligibleFlag,
  quotaExceededFlag,
  RESERVED_CDAP_PROFILES,
  quotaKey,
  quotaUsages,
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
  type QuotaUsage,
  type RuleName,
  type Severity,
  type ServiceQuota,
  type Terms,
  type UserRole,
  type UserStatus,
} from '@cafsup/shared';
import type { ConventionCache, PartnerConvention } from './conventions.js';
import { dialectOf, pick, type Sql } from './engine/engine.js';

/** Which partners a query covers: one, those of some Cafs, or all. */
export interface PartnerScope {
  partnerId?: string;
  cafCodes?: readonly string[];
}

export interface AuditQuery extends PartnerScope {
  asOf: CalendarDate;
  minSeverity?: Severity;
  rules?: readonly RuleName[];
}

function scoped(sql: string, onePartner: boolean, alias: string): string {
  return sql.replaceAll('{partner}', onePartner ? `AND ${alias}.partner_id = @partnerId` : '');
}

type ScopedStatements = ReturnType<typeof scopedStatements>;

// The holder facts come from the tables derived.ts keeps (holdings, quota_holders, held_combos
// and the users' derived columns); these statements only read them.
function scopedStatements(db: Sql, onePartner: boolean) {
  const d = dialectOf(db);
  return {
    quotaCounts: scoped(`SELECT q.partner_id, q.service, q.profile, q.assigned, q.active FROM quota_holders q WHERE true {partner}`, onePartner, 'q'),
    scopeCombos: scoped(
      `SELECT c.partner_id, c.service, c.profile, NULLIF(c.departement, '') AS departement FROM held_combos c WHERE true {partner}`,
      onePartner,
      'c',
    ),
    userCandidates: scoped(
      `SELECT u.id, u.partner_id, u.email, u.role, u.status, u.created_at, u.last_login_at, u.password_changed_at,
              u.must_change_password, u.mission_end_at, u.holds_any, u.gets_active
         FROM users u
        WHERE u.status <> 'disabled' {partner}
          AND ((u.mission_end_at < @asOf AND u.holds_any = 1)
               OR (u.status = 'active' AND u.gets_active = 1 AND u.seen_day <= @dormantCutoff)
               OR (u.status = 'active' AND u.must_change_password = 0 AND u.password_day <= @passwordCutoff)
               OR u.mailbox IN ${d.jsonValues('@mailboxes')})`,
      onePartner,
      'u',
    ),
    sharedEmails: scoped(
      `SELECT u.partner_id, u.id, u.email, u.status FROM users u
         JOIN (SELECT partner_id, email_norm FROM users u WHERE u.status <> 'disabled' {partner}
                GROUP BY partner_id, email_norm HAVING COUNT(*) > 1) d
           ON d.partner_id = u.partner_id AND d.email_norm = u.email_norm
        WHERE u.status <> 'disabled'`,
      onePartner,
      'u',
    ),
    multipleProfiles: scoped(
      `SELECT u.partner_id, u.id, u.multi_profiles FROM users u
        WHERE u.multi_profiles IS NOT NULL AND u.status <> 'disabled' {partner}`,
      onePartner,
      'u',
    ),
    staleSuspensions: scoped(
      `SELECT h.id, h.partner_id, h.suspended_at FROM habilitations h
        WHERE h.status = 'suspended' AND h.suspended_day <= @staleCutoff {partner}`,
      onePartner,
      'h',
    ),
    endedHabilitations: scoped(
      `SELECT h.id, h.partner_id, u.id AS user_id, g.id AS group_id, h.ends_at FROM habilitations h
         LEFT JOIN users u ON u.key = h.user_key LEFT JOIN groups g ON g.key = h.group_key
        WHERE h.ends_at IS NOT NULL AND h.status <> 'revoked' AND h.ends_at < @asOf {partner}`,
      onePartner,
      'h',
    ),
    reservedProfiles: scoped(
      `SELECT DISTINCT c.partner_id, c.profile FROM held_combos c
        WHERE c.service = 'CDAP' AND c.profile IN ${d.jsonValues('@profiles')} {partner}`,
      onePartner,
      'c',
    ),
  };
}

/** SQL of the statements not narrowed by a scope. */
function statements(db: Sql) {
  const onePartner = (sql: string) => sql.replace('{partner}', '(CAST(@partnerId AS text) IS NULL OR partner_id = @partnerId)');
  return {
    holders: `SELECT u.id AS "userId", h.first_granted_ms AS "firstGrantedMs" FROM holdings h JOIN users u ON u.key = h.user_key
        WHERE h.partner_id = @partnerId AND h.service = @service AND h.profile = @profile AND u.status <> 'disabled'`,
    scopeHabilitations: `SELECT id FROM habilitations
        WHERE partner_id = ? AND service = ? AND profile = ? AND departement IS NOT DISTINCT FROM ? AND status <> 'revoked'`,
    heldCount: `SELECT COALESCE(SUM(held), 0) AS n FROM held_combos WHERE partner_id = ?`,
    activeDeputies: onePartner(`SELECT DISTINCT partner_id FROM users WHERE role = 'deputy' AND status = 'active' AND {partner}`),
    managers: onePartner(`SELECT id, partner_id, email, role FROM users WHERE role IN ('administrator', 'deputy') AND status <> 'disabled' AND {partner}`),
    reviews: onePartner('SELECT partner_id, completed_at FROM reviews WHERE {partner}'),
    profileHabilitations: `SELECT id FROM habilitations WHERE partner_id = ? AND service = ? AND profile = ? AND status <> 'revoked'`,
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
    private readonly settings: AuditSettings = DEFAULT_AUDIT_SETTINGS,
  ) {
    this.all = scopedStatements(db, false);
    this.one = scopedStatements(db, true);
    this.sql = statements(db);
  }

  private async partnersInScope(scope: PartnerScope): Promise<PartnerConvention[]> {
    const all = await this.conventions.all();
    if (scope.partnerId !== undefined) {
      const one = all.get(scope.partnerId);
      return one === undefined || !inCafs(one, scope) ? [] : [one];
    }
    return [...all.values()].filter((entry) => inCafs(entry, scope));
  }

  private statements(scope: PartnerScope): ScopedStatements {
    return scope.partnerId === undefined ? this.all : this.one;
  }

  private params(scope: PartnerScope, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return scope.partnerId === undefined ? extra : { ...extra, partnerId: scope.partnerId };
  }

  /** Usage of every effective quota of the partners in force, ordered by partner, service, profile. */
  async quotaUsage(scope: PartnerScope, asOf: CalendarDate): Promise<QuotaUsage[]> {
    return this.db.snapshot(async () => (await this.usageWithTerms(await this.partnersInScope(scope), scope, asOf)).usages);
  }

  private async usageWithTerms(partners: readonly PartnerConvention[], scope: PartnerScope, asOf: CalendarDate) {
    const inForce = partners.filter((entry) => conventionState(entry.convention, asOf).inForce);
    const counts = new Map<string, Map<string, HolderCount>>();
    if (inForce.length > 0) {
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
      usages.push(...quotaUsages(entry.partnerId, entry.convention.number, terms, counts.get(entry.partnerId) ?? new Map()));
    }
    return { usages, quotasByPartner, inForce };
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

  /** The audit report at `query.asOf`, every fact read from one snapshot. */
  async run(query: AuditQuery): Promise<AuditReport> {
    return this.db.snapshot(() => this.report(query));
  }

  private async report(query: AuditQuery): Promise<AuditReport> {
    const { asOf } = query;
    const settings = this.settings;
    const scope: PartnerScope = query;
    const partners = await this.partnersInScope(scope);
    const inScope = new Set(partners.map((entry) => entry.partnerId));
    const wanted = (rule: RuleName) => query.rules === undefined || query.rules.includes(rule);
    const flags: Flag[] = [];
    const modes = new Map(partners.map((entry) => [entry.partnerId, this.conventions.terms(entry, asOf).managementMode]));
    const keep = (flag: Flag | null) => {
      if (flag !== null && inScope.has(flag.partnerId) && wanted(flag.rule)) flags.push(citedFor(flag, modes.get(flag.partnerId)!));
    };
    const statements = this.statements(scope);

    const { usages, quotasByPartner, inForce } = await this.usageWithTerms(partners, scope, asOf);
    if (wanted('QUOTA_EXCEEDED')) {
      for (const usage of usages) if (usage.over) keep(quotaExceededFlag(usage, await this.excessUsers(usage)));
    }

    if (wanted('PROFILE_NOT_SUBSCRIBED') || wanted('DEPARTEMENT_OUT_OF_SCOPE')) {
      for (const combo of await this.db.all<{
        partner_id: string;
        service: string;
        profile: string;
        departement: string | null;
      }>(statements.scopeCombos, this.params(scope))) {
        const quotas = quotasByPartner.get(combo.partner_id);
        if (quotas === undefined) continue; // not in force: rules 2 and 3 do not run
        const violation = scopeViolation(quotas, combo.service, combo.profile, combo.departement);
        if (violation === null || !wanted(violation)) continue;
        const habilitations = await this.db.all<{ id: string }>(this.sql.scopeHabilitations, [
          combo.partner_id,
          combo.service,
          combo.profile,
          combo.departement,
        ]);
        for (const { id } of habilitations) {
          keep(scopeFlag(violation, combo.partner_id, { id, service: combo.service, profile: combo.profile, departement: combo.departement }));
        }
      }
    }

    for await (const row of this.db.iterate<UserCandidateRow>(
      statements.userCandidates,
      this.params(scope, {
        asOf,
        dormantCutoff: addDays(asOf, -settings.dormantDays),
        passwordCutoff: addDays(asOf, -settings.passwordMaxAgeDays),
        mailboxes: JSON.stringify(settings.genericMailboxes),
      }),
    )) {
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

    if (wanted('MISSION_ENDED')) {
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

    if (wanted('GRANTED_OUTSIDE_TERMS')) for (const flag of await this.grantedOutsideTerms(inForce, asOf)) keep(flag);

    if (wanted('PROFILE_NOT_ELIGIBLE')) {
      const kinds = new Map(inForce.map((entry) => [entry.partnerId, entry.kind]));
      // Read whole (a few rows), not iterated: each row runs a query of its own.
      const reserved = await this.db.all<{ partner_id: string; profile: string }>(
        statements.reservedProfiles,
        this.params(scope, { profiles: JSON.stringify(Object.keys(RESERVED_CDAP_PROFILES)) }),
      );
      for (const row of reserved) {
        const kind = kinds.get(row.partner_id);
        if (kind === undefined || isProfileEligible('CDAP', row.profile, kind)) continue; // not in force, or eligible
        for (const { id } of await this.db.all<{ id: string }>(this.sql.profileHabilitations, [row.partner_id, 'CDAP', row.profile])) {
          keep(profileNotEligibleFlag(row.partner_id, { id, profile: row.profile }, kind));
        }
      }
    }

    if (wanted('SHARED_EMAIL')) {
      const byPartner = groupBy(
        await this.db.all<{ partner_id: string; id: string; email: string; status: UserStatus }>(statements.sharedEmails, this.params(scope)),
        (row) => row.partner_id,
      );
      for (const [partnerId, users] of byPartner) for (const flag of sharedEmailFlags(partnerId, users)) keep(flag);
    }

    if (wanted('MULTIPLE_PROFILES')) {
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
      for await (const row of this.db.iterate<{ id: string; partner_id: string; suspended_at: string | null }>(
        statements.staleSuspensions,
        this.params(scope, { staleCutoff: addDays(asOf, -settings.suspensionStaleDays) }),
      )) {
        keep(suspensionStaleFlag(row.partner_id, { id: row.id, suspendedAt: row.suspended_at }, asOf, settings));
      }
    }

    const selected = query.minSeverity === undefined ? flags : flags.filter((flag) => atLeast(flag.severity, query.minSeverity!));
    selected.sort(compareFlags);
    return { asOf, flags: selected, summary: summarise(selected) };
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
    const only = { partnerId: scope.partnerId ?? null };
    const reviewDates = groupBy(await this.db.all<{ partner_id: string; completed_at: string }>(this.sql.reviews, only), (row) => row.partner_id);
    const deputies = new Set((await this.db.all<{ partner_id: string }>(this.sql.activeDeputies, only)).map((row) => row.partner_id));
    const managers = groupBy(
      await this.db.all<{ id: string; partner_id: string; email: string; role: UserRole }>(this.sql.managers, only),
      (row) => row.partner_id,
    );
    const flags: Flag[] = [];
    for (const entry of partners) {
      const state = conventionState(entry.convention, asOf);
      flags.push(
        ...conventionFlags(
          {
            partnerId: entry.partnerId,
            convention: entry.convention,
            terms: this.conventions.terms(entry, asOf),
            reviewDates: (reviewDates.get(entry.partnerId) ?? []).map((row) => row.completed_at),
            heldCount: state.inForce ? 0 : (await this.db.value<number>(this.sql.heldCount, [entry.partnerId]))!,
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

function inCafs(entry: PartnerConvention, scope: PartnerScope): boolean {
  return scope.cafCodes === undefined || scope.cafCodes.includes(entry.cafCode);
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
