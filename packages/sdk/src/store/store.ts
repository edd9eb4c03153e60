import { TokenStore } from './tokens.js';
import type Database from 'better-sqlite3';
import {
  CafsupError,
  DEFAULT_AUDIT_SETTINGS,
  addDays,
  longFrenchDate,
  avenantApplies,
  avenantEffectiveAt,
  conventionState,
  isAvenantSigned,
  lastReviewAt,
  parisDay,
  todayInParis,
  type Actor,
  type AuditReport,
  type TracesPurgeInput,
  type TraceHead,
  type TracesListInput,
  type HabilitationsListInput,
  type GroupsListInput,
  type UsersListInput,
  type AuditRunInput,
  type QuotasUsageInput,
  type PartnersListInput,
  type AuditSettings,
  type AvenantView,
  type Caf,
  type CalendarDate,
  type Group,
  type Habilitation,
  type Partner,
  type PartnerDetail,
  type PartnerSummary,
  type PurgeReport,
  type QuotaUsage,
  type Review,
  type Trace,
  type TraceVerification,
  type User,
} from '@cafsup/shared';
import { ActionRunner } from './actions.js';
import { Workflows } from './workflows/index.js';
import { AuditEngine, type PartnerScope } from './audit.js';
import { openDatabase } from './connection.js';
import { ConventionCache, type PartnerConvention } from './conventions.js';
import { DerivedFacts } from './derived.js';
import { decodeCursor, pageSize, toPage, type Page } from './pagination.js';
import { TraceWriter, cutTracePrefix, eraseTraces, rowToTrace, traceHashes, traceHead, verifyTraces, type ChainAnchor, type TraceRow } from './traces.js';
import { retentionPlan } from './retention.js';
import { IdempotencyKeys } from './idempotency.js';
import {
  HABILITATION_COLUMNS,
  HABILITATION_FROM,
  groupFromRow,
  reviewFromRow,
  rowToHabilitation,
  rowToUser,
  searchKey,
  type HabilitationRow,
  type UserRow,
} from '../dataset/rows.js';
import { exportDataset } from '../dataset/export.js';
import { importDataset, type ImportResult } from '../dataset/import.js';
import type { DatasetEvent } from '../dataset/json-reader.js';

/** What an operation touches, for the Caf-scope check. */
export interface ScopeTarget {
  partners?: readonly string[];
  users?: readonly string[];
  groups?: readonly string[];
  habilitations?: readonly string[];
}

/** What `dataset.summary` answers. */
export interface DatasetSummary {
  cafCodes: string[];
  partners: number;
  users: number;
  habilitationsHeld: number;
}

export interface StoreOptions {
  /** Read only (a file or folder the user cannot write): every write is refused UNAVAILABLE. */
  readonly?: boolean;
  /** The clock of every write and of the default `asOf`; tests pass a fixed one. */
  now?: () => Date;
  settings?: AuditSettings;
  create?: boolean;
}

const PURGE_BATCH = 5000;
const LISTED_PURGE_IDS = 1000;

/** The embedded store: one SQLite file, the only place that knows SQL. */
export class Store {
  readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly conventions: ConventionCache;
  private readonly traces: TraceWriter;
  private readonly derived: DerivedFacts;
  private readonly audits: AuditEngine;
  readonly actions: ActionRunner;
  readonly workflows: Workflows;
  readonly tokens: TokenStore;
  readonly idempotency: IdempotencyKeys;

  constructor(
    readonly path: string,
    options: StoreOptions = {},
  ) {
    this.db = openDatabase(path, { create: options.create ?? true, ...(options.readonly === true ? { readonly: true } : {}) });
    this.now = options.now ?? (() => new Date());
    this.conventions = new ConventionCache(this.db);
    this.traces = new TraceWriter(this.db);
    this.derived = new DerivedFacts(this.db);
    this.audits = new AuditEngine(this.db, this.conventions, options.settings ?? DEFAULT_AUDIT_SETTINGS);
    this.actions = new ActionRunner(this.db, this.traces, this.derived, this.conventions, () => this.clock());
    this.workflows = new Workflows({
      db: this.db,
      traces: this.traces,
      derived: this.derived,
      conventions: this.conventions,
      actions: this.actions,
      store: this,
      clock: () => this.clock(),
      settings: options.settings ?? DEFAULT_AUDIT_SETTINGS,
    });
    this.tokens = new TokenStore(this.db, this.traces, () => this.clock());
    this.idempotency = new IdempotencyKeys(this.db, () => this.now().getTime());
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  clock(): { at: string; today: CalendarDate } {
    const now = this.now();
    return { at: now.toISOString(), today: todayInParis(now) };
  }

  today(): CalendarDate {
    return todayInParis(this.now());
  }

  // --- partners and conventions -------------------------------------------------------

  listPartners(query: PartnersListInput = {}, scope: PartnerScope = {}): Page<PartnerSummary> {
    const limit = pageSize(query.limit);
    const asOf = query.asOf ?? this.today();
    const after = decodeCursor(query.cursor);
    const conditions = ['p.id > @after'];
    const params: Record<string, unknown> = { after: after ?? '' };
    if (query.cafCode !== undefined) {
      conditions.push('p.caf_code = @cafCode');
      params.cafCode = query.cafCode;
    }
    if (scope.cafCodes !== undefined) {
      conditions.push('p.caf_code IN (SELECT value FROM json_each(@scopeCafs))');
      params.scopeCafs = JSON.stringify(scope.cafCodes);
    }
    if (query.search !== undefined && query.search.trim() !== '') {
      conditions.push(`p.search_key LIKE @search ESCAPE '\\'`);
      params.search = `%${searchKey(query.search.trim()).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    const statement = this.db.prepare(`SELECT p.id, p.doc FROM partners p WHERE ${conditions.join(' AND ')} ORDER BY p.id LIMIT @batch`);
    const conventions = this.conventions.all();
    // The mode filter needs each partner's terms at asOf, so rows are read in batches until the page is full.
    const rows: PartnerSummary[] = [];
    const batch = query.mode === undefined ? limit + 1 : Math.max(100, limit * 4);
    for (;;) {
      const fetched = statement.all({ ...params, batch }) as { id: string; doc: string }[];
      for (const row of fetched) {
        const summary = this.summarise(JSON.parse(row.doc) as Partner, conventions, asOf);
        if (query.mode === undefined || summary.managementMode === query.mode) rows.push(summary);
        if (rows.length > limit) break;
      }
      if (rows.length > limit || fetched.length < batch) break;
      params.after = fetched[fetched.length - 1]!.id;
    }
    return toPage(
      rows,
      limit,
      (row) => row.id,
      (row) => row,
    );
  }

  private summarise(partner: Partner, conventions: Map<string, PartnerConvention>, asOf: CalendarDate): PartnerSummary {
    const entry = conventions.get(partner.id)!;
    const { convention } = entry;
    const state = conventionState(convention, asOf);
    return {
      id: partner.id,
      name: partner.name,
      kind: partner.kind,
      cafCode: partner.cafCode,
      conventionNumber: convention.number,
      conventionStatus: state.status,
      managementMode: this.conventions.terms(entry, asOf).managementMode,
      endsAt: state.endsAt,
      nextRenewalAt: state.nextRenewalAt,
    };
  }

  private requireConvention(partnerId: string) {
    const entry = this.conventions.get(partnerId);
    if (entry === undefined) throw new CafsupError('NOT_FOUND', `Partenaire introuvable : ${partnerId}.`, { ids: [partnerId] });
    return entry;
  }

  /** Throws NOT_FOUND for a partner that does not exist or lies outside the scope: the two are indistinguishable. */
  requirePartnerInScope(partnerId: string, scope: PartnerScope = {}): void {
    const entry = this.conventions.get(partnerId);
    if (entry === undefined || (scope.cafCodes !== undefined && !scope.cafCodes.includes(entry.cafCode))) {
      throw new CafsupError('NOT_FOUND', `Partenaire introuvable : ${partnerId}.`, { ids: [partnerId] });
    }
  }

  /**
   * The one Caf-scope check: partners, users, groups or habilitations outside the caller's Cafs
   * answer exactly as missing ones (NOT_FOUND, same message), so a token learns nothing of them.
   */
  requireInScope(target: ScopeTarget, scope: PartnerScope = {}): void {
    for (const id of target.partners ?? []) this.requirePartnerInScope(id, scope);
    if (scope.cafCodes === undefined) return;
    for (const id of target.users ?? []) this.getUser(id, scope);
    for (const id of target.groups ?? []) this.getGroup(id, scope);
    for (const id of target.habilitations ?? []) this.getHabilitation(id, scope);
  }

  getPartner(partnerId: string, asOf: CalendarDate = this.today(), scope: PartnerScope = {}): PartnerDetail {
    this.requirePartnerInScope(partnerId, scope);
    const entry = this.requireConvention(partnerId);
    const { convention } = entry;
    const partner = JSON.parse((this.db.prepare('SELECT doc FROM partners WHERE id = ?').get(partnerId) as { doc: string }).doc) as Partner;
    const cafRow = this.db.prepare('SELECT doc FROM cafs WHERE code = ?').get(partner.cafCode) as { doc: string } | undefined;
    const reviews = this.listReviews(partnerId);
    // The desk and ladder show once: the effective ones, in `terms`.
    const caf = cafRow === undefined ? null : (({ serviceDesk: _desk, escalation: _ladder, ...rest }: Caf) => rest)(JSON.parse(cafRow.doc) as Caf);
    return {
      ...partner,
      asOf,
      caf,
      convention,
      state: conventionState(convention, asOf),
      terms: this.conventions.terms(entry, asOf),
      lastReviewAt: lastReviewAt(
        reviews.map((review) => review.completedAt),
        asOf,
      ),
    };
  }

  listAvenants(partnerId: string, asOf: CalendarDate = this.today(), scope: PartnerScope = {}): AvenantView[] {
    this.requirePartnerInScope(partnerId, scope);
    return this.requireConvention(partnerId).convention.avenants.map((avenant) => ({
      partnerId,
      ...avenant,
      signed: isAvenantSigned(avenant),
      applies: avenantApplies(avenant, asOf),
      effectiveFrom: avenantEffectiveAt(avenant),
    }));
  }

  listReviews(partnerId: string, scope: PartnerScope = {}): Review[] {
    this.requirePartnerInScope(partnerId, scope);
    return (
      this.db.prepare('SELECT * FROM reviews WHERE partner_id = ? ORDER BY completed_at, key').all(partnerId) as Parameters<typeof reviewFromRow>[0][]
    ).map(reviewFromRow);
  }

  // --- quotas and audit ------------------------------------------------------------------

  quotaUsage(query: QuotasUsageInput = {}, scope: PartnerScope = {}): { asOf: CalendarDate; quotas: QuotaUsage[] } {
    if (query.partnerId !== undefined) this.requirePartnerInScope(query.partnerId, scope);
    const asOf = query.asOf ?? this.today();
    const quotas = this.audits.quotaUsage({ ...scope, ...(query.partnerId === undefined ? {} : { partnerId: query.partnerId }) }, asOf);
    return { asOf, quotas: query.over ? quotas.filter((quota) => quota.over) : quotas };
  }

  /** The excess users of one over quota (rules.md, "Holders and quota usage"). */
  excessUsers(usage: QuotaUsage): string[] {
    return this.audits.excessUsers(usage);
  }

  runAudit(query: AuditRunInput = {}, scope: PartnerScope = {}): AuditReport {
    if (query.partnerId !== undefined) this.requirePartnerInScope(query.partnerId, scope);
    return this.audits.run({
      ...scope,
      ...(query.partnerId === undefined ? {} : { partnerId: query.partnerId }),
      asOf: query.asOf ?? this.today(),
      ...(query.minSeverity === undefined ? {} : { minSeverity: query.minSeverity }),
      ...(query.rules === undefined ? {} : { rules: query.rules as never }),
    });
  }

  // --- users, groups, habilitations ---------------------------------------------------------

  listUsers(query: UsersListInput, scope: PartnerScope = {}): Page<User> {
    this.requirePartnerInScope(query.partnerId, scope);
    const limit = pageSize(query.limit);
    const rows = this.db
      .prepare(
        `SELECT * FROM users WHERE partner_id = @partnerId AND id > @after
           ${query.status === undefined ? '' : 'AND status = @status'} ${query.role === undefined ? '' : 'AND role = @role'}
         ORDER BY id LIMIT @take`,
      )
      .all({ partnerId: query.partnerId, after: decodeCursor(query.cursor) ?? '', status: query.status, role: query.role, take: limit + 1 }) as UserRow[];
    return toPage(rows, limit, (row) => row.id, rowToUser);
  }

  getUser(id: string, scope: PartnerScope = {}): User {
    const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    if (row === undefined || !this.inScope(row.partner_id, scope)) throw new CafsupError('NOT_FOUND', `Utilisateur introuvable : ${id}.`, { ids: [id] });
    return rowToUser(row);
  }

  private inScope(partnerId: string, scope: PartnerScope): boolean {
    if (scope.cafCodes === undefined) return true;
    const entry = this.conventions.get(partnerId);
    return entry !== undefined && scope.cafCodes.includes(entry.cafCode);
  }

  private static readonly GROUP_SELECT = `SELECT g.id, g.partner_id, g.name,
      (SELECT json_group_array(u.id) FROM (SELECT user_key FROM group_members m WHERE m.group_key = g.key ORDER BY position) m
         JOIN users u ON u.key = m.user_key) AS member_ids FROM groups g`;

  listGroups(query: GroupsListInput, scope: PartnerScope = {}): Page<Group> {
    this.requirePartnerInScope(query.partnerId, scope);
    const limit = pageSize(query.limit);
    const rows = this.db
      .prepare(`${Store.GROUP_SELECT} WHERE g.partner_id = ? AND g.id > ? ORDER BY g.id LIMIT ?`)
      .all(query.partnerId, decodeCursor(query.cursor) ?? '', limit + 1) as Parameters<typeof groupFromRow>[0][];
    return toPage(rows, limit, (row) => row.id, groupFromRow);
  }

  getGroup(id: string, scope: PartnerScope = {}): Group {
    const row = this.db.prepare(`${Store.GROUP_SELECT} WHERE g.id = ?`).get(id) as Parameters<typeof groupFromRow>[0] | undefined;
    if (row === undefined || !this.inScope(row.partner_id, scope)) throw new CafsupError('NOT_FOUND', `Groupe introuvable : ${id}.`, { ids: [id] });
    return groupFromRow(row);
  }

  listHabilitations(query: HabilitationsListInput, scope: PartnerScope = {}): Page<Habilitation> {
    this.requirePartnerInScope(query.partnerId, scope);
    const limit = pageSize(query.limit);
    const filters = [
      query.service === undefined ? '' : 'AND h.service = @service',
      query.profile === undefined ? '' : 'AND h.profile = @profile',
      query.status === undefined ? '' : 'AND h.status = @status',
      // A user's habilitations include those given to the groups the user belongs to.
      query.userId === undefined
        ? ''
        : `AND (h.user_key = (SELECT key FROM users WHERE id = @userId)
                OR h.group_key IN (SELECT group_key FROM group_members WHERE user_key = (SELECT key FROM users WHERE id = @userId)))`,
    ].join(' ');
    const rows = this.db
      .prepare(
        `SELECT ${HABILITATION_COLUMNS} FROM ${HABILITATION_FROM} WHERE h.partner_id = @partnerId AND h.id > @after ${filters} ORDER BY h.id LIMIT @take`,
      )
      .all({
        partnerId: query.partnerId,
        after: decodeCursor(query.cursor) ?? '',
        service: query.service,
        profile: query.profile,
        status: query.status,
        userId: query.userId,
        take: limit + 1,
      }) as HabilitationRow[];
    return toPage(rows, limit, (row) => row.id, rowToHabilitation);
  }

  getHabilitation(id: string, scope: PartnerScope = {}): Habilitation {
    const row = this.db.prepare(`SELECT ${HABILITATION_COLUMNS} FROM ${HABILITATION_FROM} WHERE h.id = ?`).get(id) as HabilitationRow | undefined;
    if (row === undefined || !this.inScope(row.partner_id, scope)) throw new CafsupError('NOT_FOUND', `Habilitation introuvable : ${id}.`, { ids: [id] });
    return rowToHabilitation(row);
  }

  // --- traces -------------------------------------------------------------------------------------

  listTraces(query: TracesListInput = {}, scope: PartnerScope = {}): Page<Trace> {
    if (query.partnerId !== undefined) this.requirePartnerInScope(query.partnerId, scope);
    const limit = pageSize(query.limit);
    const before = decodeCursor(query.cursor);
    // Erased traces (retention) say nothing any more: they stay only to hold the chain.
    const conditions = ['id < @before', 'erased = 0'];
    if (query.partnerId !== undefined) conditions.push('partner_id = @partnerId');
    if (query.targetId !== undefined) conditions.push('target_id = @targetId');
    if (query.userId !== undefined) {
      // The user's traces are those about the user, about their habilitations, given to them or
      // to one of their groups, and about those groups (issue 12).
      conditions.push(`((target_type = 'user' AND target_id = @userId)
        OR (target_type = 'habilitation' AND target_id IN (
              SELECT h.id FROM habilitations h WHERE h.user_key = (SELECT key FROM users WHERE id = @userId)
                 OR h.group_key IN (SELECT group_key FROM group_members WHERE user_key = (SELECT key FROM users WHERE id = @userId))))
        OR (target_type = 'group' AND target_id IN (
              SELECT g.id FROM groups g JOIN group_members m ON m.group_key = g.key
               WHERE m.user_key = (SELECT key FROM users WHERE id = @userId))))`);
    }
    if (query.action !== undefined) conditions.push('action = @action');
    // `at` is stored in UTC; the bounds are Paris calendar days, so compare with a day of margin then filter exactly.
    if (query.since !== undefined) conditions.push(`at >= @sinceUtc`);
    if (query.until !== undefined) conditions.push(`at < @untilUtc`);
    if (scope.cafCodes !== undefined) {
      conditions.push('partner_id IN (SELECT id FROM partners WHERE caf_code IN (SELECT value FROM json_each(@scopeCafs)))');
    }
    const statement = this.db.prepare(`SELECT * FROM traces WHERE ${conditions.join(' AND ')} ORDER BY id DESC LIMIT @take`);
    const params = {
      before: typeof before === 'number' ? before : Number.MAX_SAFE_INTEGER,
      partnerId: query.partnerId,
      targetId: query.targetId,
      userId: query.userId,
      action: query.action,
      sinceUtc: query.since === undefined ? undefined : addDays(query.since, -1),
      untilUtc: query.until === undefined ? undefined : addDays(query.until, 2),
      scopeCafs: scope.cafCodes === undefined ? undefined : JSON.stringify(scope.cafCodes),
      take: limit + 1,
    };
    const inDays = (trace: Trace) => {
      const day = parisDay(trace.at);
      return (query.since === undefined || day >= query.since) && (query.until === undefined || day <= query.until);
    };
    const rows: Trace[] = [];
    for (;;) {
      const fetched = statement.all(params) as TraceRow[];
      for (const row of fetched) {
        const trace = rowToTrace(row);
        if (inDays(trace)) rows.push(trace);
      }
      if (rows.length > limit || fetched.length < params.take) break;
      params.before = fetched[fetched.length - 1]!.id;
    }
    return toPage(
      rows,
      limit,
      (trace) => trace.id,
      (trace) => trace,
    );
  }

  verifyTraces(): TraceVerification {
    return verifyTraces(this.db, this.today());
  }

  traceHead(): TraceHead {
    return traceHead(this.db);
  }

  traceHashes(ids: readonly number[]): { id: number; hash: string }[] {
    return traceHashes(this.db, ids);
  }

  /**
   * Retention (contrat art. 5.3.2, rules.md "Retention"): activity traces after 6 months;
   * decision traces after 6 years, and never before 6 years after the de-validation of the
   * habilitation or user they concern; revoked habilitations and disabled users 6 years after
   * their de-validation. The dry run and the purge read the same plan. Expired traces are
   * erased in place (their hashes stay, so the chain and its checkpoints still verify), in
   * batches, and the purge leaves a decision trace of itself.
   */
  // `actor` is asked only when something is written: a dry run needs nobody to act.
  purge(query: TracesPurgeInput, actor: () => Actor, beforeCommit: (report: PurgeReport) => void = () => undefined): PurgeReport {
    const today = this.today();
    const asOf = query.asOf ?? today;
    if (asOf > today) {
      throw new CafsupError(
        'VALIDATION',
        `Purge refusée : le ${longFrenchDate(asOf)} est postérieur à aujourd’hui (${longFrenchDate(today)}) ; on n’efface pas le registre de l’avenir.`,
        {
          problems: [{ path: 'asOf', message: `postérieure à aujourd’hui (${longFrenchDate(today)})` }],
        },
      );
    }
    const dryRun = query.dryRun ?? false;
    const plan = retentionPlan(this.db, asOf);
    const report: PurgeReport = {
      dryRun,
      asOf,
      traceCutoff: plan.activityCutoff,
      recordCutoff: plan.decisionCutoff,
      traces: {
        count: plan.traces.length + plan.legacyPrefix.length,
        activity: [...plan.traces, ...plan.legacyPrefix].filter((trace) => trace.kind === 'activity').length,
        decision: [...plan.traces, ...plan.legacyPrefix].filter((trace) => trace.kind === 'decision').length,
        firstId: plan.legacyPrefix[0]?.id ?? plan.traces[0]?.id ?? null,
        lastId: plan.traces.at(-1)?.id ?? plan.legacyPrefix.at(-1)?.id ?? null,
      },
      habilitations: { count: plan.habilitations.length, ids: plan.habilitations.slice(0, LISTED_PURGE_IDS).map((row) => row.id) },
      users: {
        count: plan.users.length,
        ids: plan.users.slice(0, LISTED_PURGE_IDS).map((row) => row.id),
        byLatestActivity: plan.users
          .filter((row) => row.disabled_at === null)
          .slice(0, LISTED_PURGE_IDS)
          .map((row) => row.id),
      },
      traceId: null,
    };
    if (dryRun) return report;
    let anchor: ChainAnchor | null = null;
    const lastLegacy = plan.legacyPrefix.at(-1);
    if (lastLegacy !== undefined) anchor = this.db.transaction(() => cutTracePrefix(this.db, lastLegacy.id)).immediate();
    for (let index = 0; index < plan.traces.length; index += PURGE_BATCH) {
      const batch = plan.traces.slice(index, index + PURGE_BATCH).map((trace) => trace.id);
      this.db.transaction(() => eraseTraces(this.db, batch)).immediate();
    }
    const removeHabilitation = this.db.prepare('DELETE FROM habilitations WHERE key = ?');
    for (let index = 0; index < plan.habilitations.length; index += PURGE_BATCH) {
      const batch = plan.habilitations.slice(index, index + PURGE_BATCH);
      this.db.transaction(() => batch.forEach((row) => removeHabilitation.run(row.key))).immediate();
    }
    const removeMembership = this.db.prepare('DELETE FROM group_members WHERE user_key = ?');
    const removeUser = this.db.prepare('DELETE FROM users WHERE key = ?');
    for (let index = 0; index < plan.users.length; index += PURGE_BATCH) {
      const batch = plan.users.slice(index, index + PURGE_BATCH);
      this.db
        .transaction(() => {
          for (const row of batch) {
            removeMembership.run(row.key);
            removeUser.run(row.key);
          }
          // A removed member no longer holds what its groups hold.
          this.derived.refresh(batch.map((row) => row.partner_id));
        })
        .immediate();
    }
    this.db
      .transaction(() => {
        report.traceId = this.traces.append(actor(), this.clock().at, [
          {
            action: 'traces.purge',
            targetType: 'traces',
            targetId: null,
            partnerId: null,
            reason: query.reason ?? 'Application des durées de conservation (contrat de services, art. 5.3.2)',
            details: {
              asOf,
              traceCutoff: report.traceCutoff,
              recordCutoff: report.recordCutoff,
              traces: report.traces,
              habilitations: { count: report.habilitations.count },
              users: { count: report.users.count, byLatestActivity: report.users.byLatestActivity.length },
              // Where the chain now starts when version-1 traces were removed: verify checks it against this record.
              ...(anchor === null ? {} : { anchor }),
            },
          },
        ])[0]!;
        beforeCommit(report);
      })
      .immediate();
    this.conventions.invalidate();
    return report;
  }

  // --- dataset ---------------------------------------------------------------------------

  /** How much the store holds, for dashboards: entities, and habilitations held (active or suspended). */
  summary(scope: PartnerScope = {}): DatasetSummary {
    const partners = [...this.conventions.all().values()].filter((entry) => scope.cafCodes === undefined || scope.cafCodes.includes(entry.cafCode));
    const ids = JSON.stringify(partners.map((entry) => entry.partnerId));
    const one = (sql: string) => this.db.prepare(sql).pluck().get(ids) as number;
    return {
      cafCodes: [...new Set(partners.map((entry) => entry.cafCode))].sort(),
      partners: partners.length,
      users: one(`SELECT COUNT(*) FROM users WHERE status <> 'disabled' AND partner_id IN (SELECT value FROM json_each(?))`),
      habilitationsHeld: one(`SELECT COALESCE(SUM(held), 0) FROM held_combos WHERE partner_id IN (SELECT value FROM json_each(?))`),
    };
  }

  async importDataset(
    source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>,
    actor: Actor,
    options: {
      reason?: string;
      dryRun?: boolean;
      onProgress?: (progress: { bytes: number; entities: number }) => void;
      beforeCommit?: (result: ImportResult) => void;
    } = {},
  ): Promise<ImportResult> {
    try {
      return await importDataset(this.db, this.traces, this.derived, source, {
        actor,
        at: this.clock().at,
        reason: options.reason ?? 'Import du jeu de données',
        dryRun: options.dryRun ?? false,
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.beforeCommit === undefined ? {} : { beforeCommit: options.beforeCommit }),
      });
    } finally {
      this.conventions.invalidate();
    }
  }

  /** The whole store as a dataset document, in chunks, read from one snapshot on a connection of its own. */
  *exportChunks(): Generator<string> {
    const reader = openDatabase(this.path, { create: false, readonly: true });
    try {
      reader.exec('BEGIN');
      yield* exportDataset(reader);
      reader.exec('COMMIT');
    } finally {
      reader.close();
    }
  }
}
