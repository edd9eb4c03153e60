import type Database from 'better-sqlite3';
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

interface ScopedStatements {
  quotaCounts: Database.Statement;
  scopeCombos: Database.Statement;
  userCandidates: Database.Statement;
  sharedEmails: Database.Statement;
  multipleProfiles: Database.Statement;
  staleSuspensions: Database.Statement;
  endedHabilitations: Database.Statement;
  reservedProfiles: Database.Statement;
}

// The holder facts come from the tables derived.ts keeps (holdings, quota_holders, held_combos
// and the users' derived columns); these statements only read them.
function prepareScoped(db: Database.Database, onePartner: boolean): ScopedStatements {
  return {
    quotaCounts: db.prepare(
      scoped(`SELECT q.partner_id, q.service, q.profile, q.assigned, q.active FROM quota_holders q WHERE true {partner}`, onePartner, 'q'),
    ),
    scopeCombos: db.prepare(
      scoped(`SELECT c.partner_id, c.service, c.profile, NULLIF(c.departement, '') AS departement FROM held_combos c WHERE true {partner}`, onePartner, 'c'),
    ),
    userCandidates: db.prepare(
      scoped(
        `SELECT u.id, u.partner_id, u.email, u.role, u.status, u.created_at, u.last_login_at, u.password_changed_at,
                u.must_change_password, u.mission_end_at, u.holds_any, u.gets_active
           FROM users u
          WHERE u.status <> 'disabled' {partner}
            AND ((u.mission_end_at < @asOf AND u.holds_any = 1)
                 OR (u.status = 'active' AND u.gets_active = 1 AND u.seen_day <= @dormantCutoff)
                 OR (u.status = 'active' AND u.must_change_password = 0 AND u.password_day <= @passwordCutoff)
                 OR u.mailbox IN (SELECT value FROM json_each(@mailboxes)))`,
        onePartner,
        'u',
      ),
    ),
    sharedEmails: db.prepare(
      scoped(
        `SELECT u.partner_id, u.id, u.email, u.status FROM users u
           JOIN (SELECT partner_id, email_norm FROM users u WHERE u.status <> 'disabled' {partner}
                  GROUP BY partner_id, email_norm HAVING COUNT(*) > 1) d
             ON d.partner_id = u.partner_id AND d.email_norm = u.email_norm
          WHERE u.status <> 'disabled'`,
        onePartner,
        'u',
      ),
    ),
    multipleProfiles: db.prepare(
      scoped(
        `SELECT u.partner_id, u.id, u.multi_profiles FROM users u
          WHERE u.multi_profiles IS NOT NULL AND u.status <> 'disabled' {partner}`,
        onePartner,
        'u',
      ),
    ),
    staleSuspensions: db.prepare(
      scoped(
        `SELECT h.id, h.partner_id, h.suspended_at FROM habilitations h
          WHERE h.status = 'suspended' AND h.suspended_day <= @staleCutoff {partner}`,
        onePartner,
        'h',
      ),
    ),
    endedHabilitations: db.prepare(
      scoped(
        `SELECT h.id, h.partner_id, u.id AS user_id, g.id AS group_id, h.ends_at FROM habilitations h
           LEFT JOIN users u ON u.key = h.user_key LEFT JOIN groups g ON g.key = h.group_key
          WHERE h.ends_at IS NOT NULL AND h.status <> 'revoked' AND h.ends_at < @asOf {partner}`,
        onePartner,
        'h',
      ),
    ),
    reservedProfiles: db.prepare(
      scoped(
        `SELECT DISTINCT c.partner_id, c.profile FROM held_combos c
          WHERE c.service = 'CDAP' AND c.profile IN (SELECT value FROM json_each(@profiles)) {partner}`,
        onePartner,
        'c',
      ),
    ),
  };
}

/**
 * Quota usage and the 16 flags over the store. SQL gathers the facts over the whole tables
 * (counts, candidates); the rules of `@cafsup/shared` decide each flag.
 */
export class AuditEngine {
  private readonly all: ScopedStatements;
  private readonly one: ScopedStatements;
  private readonly holders: Database.Statement;
  private readonly scopeHabilitations: Database.Statement;
  private readonly heldCount: Database.Statement;
  private readonly activeDeputies: Database.Statement;
  private readonly managers: Database.Statement;
  private readonly reviews: Database.Statement;
  private readonly earlyGrants: Database.Statement;
  private readonly profileHabilitations: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly conventions: ConventionCache,
    private readonly settings: AuditSettings = DEFAULT_AUDIT_SETTINGS,
  ) {
    this.all = prepareScoped(db, false);
    this.one = prepareScoped(db, true);
    this.holders = db.prepare(
      `SELECT u.id AS userId, h.first_granted_ms AS firstGrantedMs FROM holdings h JOIN users u ON u.key = h.user_key
        WHERE h.partner_id = @partnerId AND h.service = @service AND h.profile = @profile AND u.status <> 'disabled'`,
    );
    this.scopeHabilitations = db.prepare(
      `SELECT id FROM habilitations WHERE partner_id = ? AND service = ? AND profile = ? AND departement IS ? AND status <> 'revoked'`,
    );
    this.heldCount = db.prepare(`SELECT COALESCE(SUM(held), 0) AS n FROM held_combos WHERE partner_id = ?`);
    const onePartner = (sql: string) => sql.replace('{partner}', '(@partnerId IS NULL OR partner_id = @partnerId)');
    this.activeDeputies = db.prepare(onePartner(`SELECT DISTINCT partner_id FROM users WHERE role = 'deputy' AND status = 'active' AND {partner}`));
    this.managers = db.prepare(
      onePartner(`SELECT id, partner_id, email, role FROM users WHERE role IN ('administrator', 'deputy') AND status <> 'disabled' AND {partner}`),
    );
    this.reviews = db.prepare(onePartner('SELECT partner_id, completed_at FROM reviews WHERE {partner}'));
    this.profileHabilitations = db.prepare(`SELECT id FROM habilitations WHERE partner_id = ? AND service = ? AND profile = ? AND status <> 'revoked'`);
    // Paris is ahead of UTC, so a grant on a Paris day before D is before D at 00:00 UTC: the
    // bound narrows in SQL, one index seek per partner, and `parisDay` decides.
    this.earlyGrants = db.prepare(
      `SELECT h.id, h.partner_id, h.service, h.granted_at FROM json_each(@bounds) b
         JOIN habilitations h ON h.partner_id = b.key AND h.status <> 'revoked' AND h.granted_ms < b.value`,
    );
  }

  private partnersInScope(scope: PartnerScope): PartnerConvention[] {
    const all = this.conventions.all();
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
  quotaUsage(scope: PartnerScope, asOf: CalendarDate): QuotaUsage[] {
    return this.usageWithTerms(scope, asOf).usages;
  }

  private usageWithTerms(scope: PartnerScope, asOf: CalendarDate) {
    const inForce = this.partnersInScope(scope).filter((entry) => conventionState(entry.convention, asOf).inForce);
    const counts = new Map<string, Map<string, HolderCount>>();
    if (inForce.length > 0) {
      for (const row of this.statements(scope).quotaCounts.iterate(this.params(scope)) as IterableIterator<{
        partner_id: string;
        service: string;
        profile: string;
        assigned: number;
        active: number;
      }>) {
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
  excessUsers(usage: QuotaUsage): string[] {
    const holders = this.holders.all({ partnerId: usage.partnerId, service: usage.service, profile: usage.profile }) as {
      userId: string;
      firstGrantedMs: number;
    }[];
    return excessUserIds(holders, usage.maxUsers);
  }

  run(query: AuditQuery): AuditReport {
    const { asOf } = query;
    const settings = this.settings;
    const scope: PartnerScope = query;
    const inScope = new Set(this.partnersInScope(scope).map((entry) => entry.partnerId));
    const wanted = (rule: RuleName) => query.rules === undefined || query.rules.includes(rule);
    const flags: Flag[] = [];
    const modes = new Map(this.partnersInScope(scope).map((entry) => [entry.partnerId, this.conventions.terms(entry, asOf).managementMode]));
    const keep = (flag: Flag | null) => {
      if (flag !== null && inScope.has(flag.partnerId) && wanted(flag.rule)) flags.push(citedFor(flag, modes.get(flag.partnerId)!));
    };
    const statements = this.statements(scope);

    const { usages, quotasByPartner, inForce } = this.usageWithTerms(scope, asOf);
    if (wanted('QUOTA_EXCEEDED')) {
      for (const usage of usages) if (usage.over) keep(quotaExceededFlag(usage, this.excessUsers(usage)));
    }

    if (wanted('PROFILE_NOT_SUBSCRIBED') || wanted('DEPARTEMENT_OUT_OF_SCOPE')) {
      for (const combo of statements.scopeCombos.all(this.params(scope)) as {
        partner_id: string;
        service: string;
        profile: string;
        departement: string | null;
      }[]) {
        const quotas = quotasByPartner.get(combo.partner_id);
        if (quotas === undefined) continue; // not in force: rules 2 and 3 do not run
        const violation = scopeViolation(quotas, combo.service, combo.profile, combo.departement);
        if (violation === null || !wanted(violation)) continue;
        for (const { id } of this.scopeHabilitations.all(combo.partner_id, combo.service, combo.profile, combo.departement) as { id: string }[]) {
          keep(scopeFlag(violation, combo.partner_id, { id, service: combo.service, profile: combo.profile, departement: combo.departement }));
        }
      }
    }

    for (const row of statements.userCandidates.iterate(
      this.params(scope, {
        asOf,
        dormantCutoff: addDays(asOf, -settings.dormantDays),
        passwordCutoff: addDays(asOf, -settings.passwordMaxAgeDays),
        mailboxes: JSON.stringify(settings.genericMailboxes),
      }),
    ) as IterableIterator<UserCandidateRow>) {
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
      for (const row of statements.endedHabilitations.iterate(this.params(scope, { asOf })) as IterableIterator<{
        id: string;
        partner_id: string;
        user_id: string | null;
        group_id: string | null;
        ends_at: string;
      }>) {
        keep(habilitationEndedFlag(row.partner_id, { id: row.id, userId: row.user_id, groupId: row.group_id, endsAt: row.ends_at }));
      }
    }

    if (wanted('GRANTED_OUTSIDE_TERMS')) for (const flag of this.grantedOutsideTerms(inForce, asOf)) keep(flag);

    if (wanted('PROFILE_NOT_ELIGIBLE')) {
      const kinds = new Map(inForce.map((entry) => [entry.partnerId, entry.kind]));
      for (const row of statements.reservedProfiles.iterate(
        this.params(scope, { profiles: JSON.stringify(Object.keys(RESERVED_CDAP_PROFILES)) }),
      ) as IterableIterator<{ partner_id: string; profile: string }>) {
        const kind = kinds.get(row.partner_id);
        if (kind === undefined || isProfileEligible('CDAP', row.profile, kind)) continue; // not in force, or eligible
        for (const { id } of this.profileHabilitations.all(row.partner_id, 'CDAP', row.profile) as { id: string }[]) {
          keep(profileNotEligibleFlag(row.partner_id, { id, profile: row.profile }, kind));
        }
      }
    }

    if (wanted('SHARED_EMAIL')) {
      const byPartner = groupBy(
        statements.sharedEmails.all(this.params(scope)) as { partner_id: string; id: string; email: string; status: UserStatus }[],
        (row) => row.partner_id,
      );
      for (const [partnerId, users] of byPartner) for (const flag of sharedEmailFlags(partnerId, users)) keep(flag);
    }

    if (wanted('MULTIPLE_PROFILES')) {
      for (const row of statements.multipleProfiles.iterate(this.params(scope)) as IterableIterator<{
        partner_id: string;
        id: string;
        multi_profiles: string;
      }>) {
        for (const [service, profiles] of Object.entries(JSON.parse(row.multi_profiles) as Record<string, string[]>)) {
          keep(multipleProfilesFlag(row.partner_id, row.id, service, profiles));
        }
      }
    }

    if (wanted('CONVENTION_NOT_IN_FORCE') || wanted('REVIEW_OVERDUE') || wanted('NO_DEPUTY') || wanted('ADMIN_NOT_DESIGNATED')) {
      for (const flag of this.conventionRuleFlags(scope, asOf)) keep(flag);
    }

    if (wanted('SUSPENSION_STALE')) {
      for (const row of statements.staleSuspensions.iterate(
        this.params(scope, { staleCutoff: addDays(asOf, -settings.suspensionStaleDays) }),
      ) as IterableIterator<{ id: string; partner_id: string; suspended_at: string | null }>) {
        keep(suspensionStaleFlag(row.partner_id, { id: row.id, suspendedAt: row.suspended_at }, asOf, settings));
      }
    }

    const selected = query.minSeverity === undefined ? flags : flags.filter((flag) => atLeast(flag.severity, query.minSeverity!));
    selected.sort(compareFlags);
    return { asOf, flags: selected, summary: summarise(selected) };
  }

  /** Rule 15: held habilitations granted before the period start, or before their service's `availableFrom`. */
  private grantedOutsideTerms(inForce: readonly PartnerConvention[], asOf: CalendarDate): Flag[] {
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
    for (const row of this.earlyGrants.iterate({ bounds: JSON.stringify(bounds) }) as IterableIterator<{
      id: string;
      partner_id: string;
      service: string;
      granted_at: string;
    }>) {
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

  private conventionRuleFlags(scope: PartnerScope, asOf: CalendarDate): Flag[] {
    const partners = this.partnersInScope(scope);
    const only = { partnerId: scope.partnerId ?? null };
    const reviewDates = groupBy(this.reviews.all(only) as { partner_id: string; completed_at: string }[], (row) => row.partner_id);
    const deputies = new Set((this.activeDeputies.all(only) as { partner_id: string }[]).map((row) => row.partner_id));
    const managers = groupBy(this.managers.all(only) as { id: string; partner_id: string; email: string; role: UserRole }[], (row) => row.partner_id);
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
            heldCount: state.inForce ? 0 : (this.heldCount.get(entry.partnerId) as { n: number }).n,
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
