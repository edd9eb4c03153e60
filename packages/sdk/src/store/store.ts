import { TokenStore } from './tokens.js';
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
  type AuditCounts,
  type AuditCountsInput,
  type TracesPurgeInput,
  type TraceHead,
  purgeFindsNothing,
  type TracesListInput,
  type HabilitationsListInput,
  type GroupsListInput,
  type UsersListInput,
  type AuditRunInput,
  type QuotasTotalsInput,
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
  type QuotaTotals,
  type QuotaUsage,
  type Review,
  type Trace,
  type TraceVerification,
  type TracesVerifyInput,
  type User,
  notFound,
} from '@cafsup/shared';
import { ActionRunner } from './actions.js';
import { Workflows } from './workflows/index.js';
import { PartnerCache, cacheBasis } from './partner-cache.js';
import { AuditEngine, type AuditQuery, type AuditText, type PartnerScope } from './audit.js';
import { databaseNotFound, isStoreMadeMeanwhile, openDatabase, storeFoundAtOpen, storeMadeMeanwhile } from './connection.js';
import { isMadeAside } from './made-aside.js';
import { isPostgresUrl, redact } from '../settings.js';
import { dialectOf, type Sql } from './engine/engine.js';
import { SqliteSql } from './engine/sqlite.js';
import type { PostgresSql } from './engine/postgres.js';
import { ConventionCache, type PartnerConvention } from './conventions.js';
import { DerivedFacts } from './derived.js';
import { groupTracesOf, membershipOf } from './membership.js';
import { decodeCursor, pageSize, toPage, type Page } from './pagination.js';
import { TraceWriter, cutTracePrefix, eraseTraces, rowToTrace, traceHashes, traceHead, verifyTraces, type ChainAnchor, type TraceRow } from './traces.js';
import { retentionPlan } from './retention.js';
import { IdempotencyKeys } from './idempotency.js';
import {
  HABILITATION_COLUMNS,
  HABILITATION_FROM,
  USER_DIRECT_HABILITATION_IDS,
  USER_IMPORT_CHANGES,
  groupFromRow,
  reviewFromRow,
  rowToHabilitation,
  rowToUser,
  searchKey,
  type HabilitationRow,
  type UserRow,
} from '../dataset/rows.js';
import { exportDataset } from '../dataset/export.js';
import { MAX_LISTED, importDataset, type ImportResult } from '../dataset/import.js';
import type { DatasetEvent } from '../dataset/json-reader.js';

/** What an operation touches, for the Caf-scope check. */
export interface ScopeTarget {
  partners?: readonly string[];
  users?: readonly string[];
  groups?: readonly string[];
  habilitations?: readonly string[];
}

/** The records a scope check reads, by their table, and the kind a NOT_FOUND names. */
const SCOPED_KINDS = [
  ['users', 'user'],
  ['groups', 'group'],
  ['habilitations', 'habilitation'],
] as const;

/** What `dataset.summary` answers. */
export interface DatasetSummary {
  cafCodes: string[];
  partners: number;
  users: number;
  habilitationsHeld: number;
}

/**
 * How a store not there yet is had. A SQLite file that is not there, or a PostgreSQL database
 * without cafsup's tables, is made (true, the default) or refused (`databaseNotFound`).
 * `'by-import'`, for a first import into a PostgreSQL database found without them: they are made
 * by the store's import, in its own transaction, so that an import that does not commit leaves
 * none (`Store.open`); found there, the store is served as with false and its import refused
 * (`storeFoundAtOpen`); a SQLite file is made as with true. `'made-aside'`: the SQLite file
 * `makeStoreAside` made in this process for a first import (made-aside.ts), which no other
 * process opens before `putStoreInPlace` has synced it whole and given it its name: its commits
 * are neither journaled on disk nor synced one by one (`openDatabase`).
 */
export type Creation = boolean | 'by-import' | 'made-aside';

/** What `create: 'by-import'` found on PostgreSQL: no store, made by the import (`'makes'`); a store (`'found'`); null otherwise. */
type FirstImport = 'makes' | 'found' | null;

export interface StoreOptions {
  /** Read only (a file or folder the user cannot write): every write is refused UNAVAILABLE. */
  readonly?: boolean;
  /** The clock of every write and of the default `asOf`; tests pass a fixed one. */
  now?: () => Date;
  settings?: AuditSettings;
  create?: Creation;
  /** PostgreSQL: the most connections the store holds open at once (10 unless given). */
  connections?: number;
  /** SQLite: how long one statement waits for another process's lock (BUSY_TIMEOUT_MS unless given). */
  busyTimeoutMs?: number;
}

const PURGE_BATCH = 5000;
const LISTED_PURGE_IDS = 1000;

/**
 * The store: the only place that knows SQL, over one of two engines (engine/engine.ts) —
 * an embedded SQLite file or a shared PostgreSQL database, chosen by the location given.
 */
/** Batches of the partner list longer than this read the lines kept per partner and date. */
const KEPT_LINES_FROM = 100;

export class Store {
  private readonly now: () => Date;
  private readonly conventions: ConventionCache;
  private readonly traces: TraceWriter;
  private readonly derived: DerivedFacts;
  private readonly audits: AuditEngine;
  /** What is kept per partner and date (partner-cache.ts): the audit's aspects and the list's lines. */
  private readonly kept: PartnerCache;
  /**
   * A PostgreSQL database opened for a first import (`create: 'by-import'`): `'makes'` until that
   * import commits (there is no store at its location until then, and its tables are made in the
   * import's transaction); `'found'` holding a store, at open or by that import (made meanwhile
   * by another process), whose import is refused; null once made, and for any other store.
   */
  private firstImport: FirstImport;
  /**
   * A SQLite file made aside (`create: 'made-aside'`): its import alone runs on it. Its journal
   * in memory, a reader's lock holds up the import's writes, and a second connection of this
   * process (an export's) would hold up the very thread that is to release it.
   */
  private readonly madeAside: boolean;
  readonly actions: ActionRunner;
  readonly workflows: Workflows;
  readonly tokens: TokenStore;
  readonly idempotency: IdempotencyKeys;

  private constructor(
    /** The file's path, or the database URL without its password. */
    readonly path: string,
    readonly db: Sql,
    options: StoreOptions,
    firstImport: FirstImport = null,
  ) {
    this.now = options.now ?? (() => new Date());
    this.firstImport = firstImport;
    this.madeAside = options.create === 'made-aside';
    this.conventions = new ConventionCache(this.db);
    this.traces = new TraceWriter(this.db);
    this.derived = new DerivedFacts(this.db);
    this.kept = new PartnerCache(this.db, cacheBasis(options.settings ?? DEFAULT_AUDIT_SETTINGS), () => this.today());
    this.audits = new AuditEngine(this.db, this.conventions, this.kept, options.settings ?? DEFAULT_AUDIT_SETTINGS);
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

  /**
   * Opens the store at `location`: a PostgreSQL URL (its schema migrated, or created when it has
   * none unless `create` is false) or a SQLite file (created when missing unless `create` is false).
   * With `create: 'by-import'` a PostgreSQL database without cafsup's tables is left as it is: its
   * import makes them in its own transaction, refused if another process made a store there
   * meanwhile. Made beforehand in a transaction of their own, they stayed after an import cut
   * short (Ctrl-C, SIGTERM, kill -9), and the database answered as an empty store (« 0
   * partenaire ») rather than « introuvable ».
   */
  static async open(location: string, options: StoreOptions = {}): Promise<Store> {
    // Only a file made aside here: unsynced, any other store could lose an acknowledged write.
    if (options.create === 'made-aside' && !isMadeAside(location)) {
      throw new CafsupError('INTERNAL', `create: 'made-aside' pour ${redact(location)}, qui n’est pas un fichier que makeStoreAside a fait dans ce processus.`);
    }
    if (isPostgresUrl(location)) {
      // The driver (pg, and Node's HTTP client it wakes) loads only for a PostgreSQL URL: a
      // command on a SQLite file never pays for it (test/startup.test.ts).
      const [{ PostgresSql }, { migratePostgres, postgresSchemaVersion }] = await Promise.all([
        import('./engine/postgres.js'),
        import('./engine/postgres-schema.js'),
      ]);
      const db = new PostgresSql(location, options.connections === undefined ? {} : { max: options.connections });
      let firstImport: FirstImport = null;
      try {
        // A database that holds a store already is served as that store, its reads answered;
        // only the first import asked for is refused (`importDataset`). Taken for a store to be
        // made, it answered « introuvable » to every read, and its import « créée par un autre
        // processus pendant cet import », which the store had not been (review 39).
        if (options.create === 'by-import') firstImport = (await postgresSchemaVersion(db)) === 0 ? 'makes' : 'found';
        if (firstImport !== 'makes') await migratePostgres(db, { create: options.create !== false && firstImport === null });
      } catch (error) {
        await db.close();
        throw error;
      }
      return new Store(redact(location), db, options, firstImport);
    }
    const db = new SqliteSql(
      openDatabase(location, {
        create: options.create !== false,
        ...(options.create === 'made-aside' ? { madeAside: true } : {}),
        ...(options.readonly === true ? { readonly: true } : {}),
        ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
      }),
    );
    return new Store(location, db, options);
  }

  /**
   * Refuses every call but `operation`'s own on a store its first import makes, before that import
   * commits: there is none at its location yet (`databaseNotFound`). A SQLite file made aside
   * serves its import only, until `putStoreInPlace` puts it in place (`madeAside`).
   */
  requireMade(operation: string): void {
    if (this.firstImport === 'makes' && operation !== 'dataset.import') throw databaseNotFound(this.path);
    if (this.madeAside && operation !== 'dataset.import') {
      throw new CafsupError(
        'CONFLICT',
        `La base ${this.path} est faite à part pour son import : elle ne sert qu’à lui tant que putStoreInPlace ne l’a pas mise en place (${operation}).`,
      );
    }
  }

  /** The SQLite connection underneath, for what only SQLite has (the worker's lock probe, its schema version); null on PostgreSQL. */
  get sqlite(): SqliteSql | null {
    return this.db instanceof SqliteSql ? this.db : null;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  clock(): { at: string; today: CalendarDate } {
    const now = this.now();
    return { at: now.toISOString(), today: todayInParis(now) };
  }

  today(): CalendarDate {
    return todayInParis(this.now());
  }

  // --- partners and conventions -------------------------------------------------------

  /** Runs `work` with the data's version already read by the caller (ConventionCache.atVersion): the server's token check reads it. */
  atDataVersion<T>(version: string, work: () => Promise<T>): Promise<T> {
    return this.conventions.atVersion(version, work);
  }

  async listPartners(query: PartnersListInput = {}, scope: PartnerScope = {}): Promise<Page<PartnerSummary>> {
    const limit = pageSize(query.limit);
    const asOf = query.asOf ?? this.today();
    const after = decodeCursor(query.cursor, 'id');
    const conditions = ['p.id > @after'];
    const params: Record<string, unknown> = { after: after ?? '' };
    if (query.cafCode !== undefined) {
      conditions.push('p.caf_code = @cafCode');
      params.cafCode = query.cafCode;
    }
    if (scope.cafCodes !== undefined) {
      conditions.push(`p.caf_code IN ${dialectOf(this.db).jsonValues('@scopeCafs')}`);
      params.scopeCafs = JSON.stringify(scope.cafCodes);
    }
    if (query.search !== undefined && query.search.trim() !== '') {
      conditions.push(`p.search_key LIKE @search ESCAPE '\\'`);
      params.search = `%${searchKey(query.search.trim()).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    // The page's ids come from the key's index alone; name, kind, Caf and convention from each
    // partner's convention entry (ConventionCache.many): no partner document is parsed, and only
    // the page's conventions are read.
    const statement = `SELECT p.id FROM partners p WHERE ${conditions.join(' AND ')} ORDER BY p.id LIMIT @batch`;
    // The mode filter needs each partner's terms at asOf, so rows are read in batches until the page is full.
    const rows: PartnerSummary[] = [];
    const batch = query.mode === undefined ? limit + 1 : Math.max(100, limit * 4);
    params.batch = batch;
    for (;;) {
      const fetched = await this.db.all<{ id: string }>(statement, params);
      const summaries = await this.summariesOf(
        fetched.map((row) => row.id),
        asOf,
      );
      for (const row of fetched) {
        const summary = summaries.get(row.id);
        // Removed between the two statements (another connection's write): no longer listed.
        if (summary === undefined) continue;
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

  /**
   * The list's lines of these partners at `asOf`: those kept for that date (partner-cache.ts),
   * the others' from their conventions, then kept, so that a whole list (`partners --json`)
   * parses no convention twice in a day.
   */
  private async summariesOf(ids: readonly string[], asOf: CalendarDate): Promise<Map<string, PartnerSummary>> {
    // A server's page of 50 costs less from this process's memory (the entries stay loaded
    // between requests) than two more statements: only a longer batch reads what is kept.
    if (ids.length <= KEPT_LINES_FROM) return this.summariesFromConventions(ids, asOf);
    return this.kept.ofPartners('summary', asOf, ids, (missing) => this.summariesFromConventions(missing, asOf));
  }

  private async summariesFromConventions(ids: readonly string[], asOf: CalendarDate): Promise<Map<string, PartnerSummary>> {
    const conventions = await this.conventions.many(ids);
    const summaries = new Map<string, PartnerSummary>();
    for (const id of ids) {
      const entry = conventions.get(id);
      if (entry !== undefined) summaries.set(id, this.partnerSummary(entry, asOf));
    }
    return summaries;
  }

  /** Summaries by entry then `asOf`: an entry belongs to one version of the data, so its summary does too. */
  private readonly summaries = new WeakMap<PartnerConvention, Map<CalendarDate, PartnerSummary>>();

  private partnerSummary(entry: PartnerConvention, asOf: CalendarDate): PartnerSummary {
    let byDay = this.summaries.get(entry);
    if (byDay === undefined) this.summaries.set(entry, (byDay = new Map<CalendarDate, PartnerSummary>()));
    let summary = byDay.get(asOf);
    if (summary === undefined) {
      const { convention } = entry;
      const state = conventionState(convention, asOf);
      summary = {
        id: entry.partnerId,
        name: entry.name,
        kind: entry.kind,
        cafCode: entry.cafCode,
        conventionNumber: convention.number,
        conventionStatus: state.status,
        managementMode: this.conventions.terms(entry, asOf).managementMode,
        endsAt: state.endsAt,
        nextRenewalAt: state.nextRenewalAt,
      };
      byDay.set(asOf, summary);
    }
    return summary;
  }

  private async requireConvention(partnerId: string) {
    const entry = await this.conventions.get(partnerId);
    if (entry === undefined) throw notFound('partner', [partnerId]);
    return entry;
  }

  /** Throws NOT_FOUND for a partner that does not exist or lies outside the scope: the two are indistinguishable. */
  async requirePartnerInScope(partnerId: string, scope: PartnerScope = {}): Promise<void> {
    const entry = await this.conventions.get(partnerId);
    if (entry === undefined || (scope.cafCodes !== undefined && !scope.cafCodes.includes(entry.cafCode))) {
      throw notFound('partner', [partnerId]);
    }
  }

  /**
   * The one Caf-scope check: partners, users, groups or habilitations outside the caller's Cafs
   * answer exactly as missing ones (NOT_FOUND, same message), so a token learns nothing of them.
   */
  async requireInScope(target: ScopeTarget, scope: PartnerScope = {}): Promise<void> {
    for (const id of target.partners ?? []) await this.requirePartnerInScope(id, scope);
    if (scope.cafCodes === undefined) return;
    // Every id missing or out of scope is named, as a call without a scope names every missing
    // one (trial 25, L3: only the first was), and each kind is read in one statement.
    for (const [field, kind] of SCOPED_KINDS) {
      const ids = [...new Set(target[field] ?? [])];
      if (ids.length === 0) continue;
      const rows = await this.db.all<{ id: string; partner_id: string }>(
        `SELECT id, partner_id FROM ${field} WHERE ${dialectOf(this.db).inValues('id', '?')}`,
        [JSON.stringify(ids)],
      );
      const partnerOf = new Map(rows.map((row) => [row.id, row.partner_id]));
      const missing: string[] = [];
      for (const id of ids) {
        const partnerId = partnerOf.get(id);
        if (partnerId === undefined || !(await this.inScope(partnerId, scope))) missing.push(id);
      }
      if (missing.length > 0) throw notFound(kind, missing);
    }
  }

  async getPartner(partnerId: string, asOf: CalendarDate = this.today(), scope: PartnerScope = {}): Promise<PartnerDetail> {
    await this.requirePartnerInScope(partnerId, scope);
    const entry = await this.requireConvention(partnerId);
    const { convention } = entry;
    const partner = JSON.parse((await this.db.get<{ doc: string }>('SELECT doc FROM partners WHERE id = ?', [partnerId]))!.doc) as Partner;
    const cafRow = await this.db.get<{ doc: string }>('SELECT doc FROM cafs WHERE code = ?', [partner.cafCode]);
    const reviews = await this.listReviews(partnerId);
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

  async listAvenants(partnerId: string, asOf: CalendarDate = this.today(), scope: PartnerScope = {}): Promise<AvenantView[]> {
    await this.requirePartnerInScope(partnerId, scope);
    return (await this.requireConvention(partnerId)).convention.avenants.map((avenant) => ({
      partnerId,
      ...avenant,
      signed: isAvenantSigned(avenant),
      applies: avenantApplies(avenant, asOf),
      effectiveFrom: avenantEffectiveAt(avenant),
    }));
  }

  async listReviews(partnerId: string, scope: PartnerScope = {}): Promise<Review[]> {
    await this.requirePartnerInScope(partnerId, scope);
    return (await this.db.all<Parameters<typeof reviewFromRow>[0]>('SELECT * FROM reviews WHERE partner_id = ? ORDER BY completed_at, key', [partnerId])).map(
      reviewFromRow,
    );
  }

  // --- quotas and audit ------------------------------------------------------------------

  async quotaUsage(query: QuotasUsageInput = {}, scope: PartnerScope = {}): Promise<{ asOf: CalendarDate; quotas: QuotaUsage[] }> {
    const { asOf, ...partners } = await this.dated(query, scope);
    return { asOf, quotas: await this.audits.quotaUsage(partners, asOf, { overOnly: query.over === true }) };
  }

  /** Each partner's places and over quotas at a date, for those with places granted or given (the partner lists). */
  async quotaTotals(query: QuotasTotalsInput = {}, scope: PartnerScope = {}): Promise<{ asOf: CalendarDate; partners: QuotaTotals[] }> {
    const { asOf, ...partners } = await this.dated(query, scope);
    return { asOf, partners: await this.audits.quotaTotals(partners, asOf) };
  }

  /**
   * What a read of the partners' quotas or flags covers: the caller's scope, narrowed to the
   * partner asked for (which must lie within it), and the date asked for or today.
   */
  private async dated(
    query: { partnerId?: string | undefined; asOf?: CalendarDate | undefined },
    scope: PartnerScope,
  ): Promise<PartnerScope & { asOf: CalendarDate }> {
    if (query.partnerId !== undefined) await this.requirePartnerInScope(query.partnerId, scope);
    return { ...scope, ...(query.partnerId === undefined ? {} : { partnerId: query.partnerId }), asOf: query.asOf ?? this.today() };
  }

  /** The excess users of one over quota (rules.md, "Holders and quota usage"). */
  excessUsers(usage: QuotaUsage): Promise<string[]> {
    return this.audits.excessUsers(usage);
  }

  async runAudit(query: AuditRunInput = {}, scope: PartnerScope = {}): Promise<AuditReport> {
    return this.audits.run(await this.auditQuery(query, scope));
  }

  /** The report of `runAudit` as the JSON text `jsonText` writes, in pieces, made from what is kept without building it. */
  async runAuditText(query: AuditRunInput = {}, scope: PartnerScope = {}): Promise<AuditText> {
    return this.audits.runText(await this.auditQuery(query, scope));
  }

  private async auditQuery(query: AuditRunInput, scope: PartnerScope): Promise<AuditQuery> {
    return {
      ...(await this.dated(query, scope)),
      ...(query.minSeverity === undefined ? {} : { minSeverity: query.minSeverity }),
      ...(query.rules === undefined ? {} : { rules: query.rules as never }),
    };
  }

  /** Flags per severity of each partner that has any, as `runAudit` would count them (the partner lists). */
  async auditCounts(query: AuditCountsInput = {}, scope: PartnerScope = {}): Promise<AuditCounts> {
    const { asOf, ...partners } = await this.dated(query, scope);
    return { asOf, partners: await this.audits.counts(partners, asOf) };
  }

  // --- users, groups, habilitations ---------------------------------------------------------

  async listUsers(query: UsersListInput, scope: PartnerScope = {}): Promise<Page<User>> {
    await this.requirePartnerInScope(query.partnerId, scope);
    const limit = pageSize(query.limit);
    const rows = await this.db.all<UserRow>(
      `SELECT * FROM users WHERE partner_id = @partnerId AND id > @after
         ${query.status === undefined ? '' : 'AND status = @status'} ${query.role === undefined ? '' : 'AND role = @role'}
       ORDER BY id LIMIT @take`,
      { partnerId: query.partnerId, after: decodeCursor(query.cursor, 'id') ?? '', status: query.status, role: query.role, take: limit + 1 },
    );
    return toPage(rows, limit, (row) => row.id, rowToUser);
  }

  async getUser(id: string, scope: PartnerScope = {}): Promise<User> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
    if (row === undefined || !(await this.inScope(row.partner_id, scope))) throw notFound('user', [id]);
    return rowToUser(row);
  }

  private async inScope(partnerId: string, scope: PartnerScope): Promise<boolean> {
    if (scope.cafCodes === undefined) return true;
    const entry = await this.conventions.get(partnerId);
    return entry !== undefined && scope.cafCodes.includes(entry.cafCode);
  }

  /** A group with its members' ids in their order. */
  private groupSelect(): string {
    return `SELECT g.id, g.partner_id, g.name,
      (SELECT ${dialectOf(this.db).jsonArrayAgg('u.id', 'm.position')} FROM (SELECT user_key, position FROM group_members m WHERE m.group_key = g.key ORDER BY position) m
         JOIN users u ON u.key = m.user_key) AS member_ids FROM groups g`;
  }

  async listGroups(query: GroupsListInput, scope: PartnerScope = {}): Promise<Page<Group>> {
    await this.requirePartnerInScope(query.partnerId, scope);
    const limit = pageSize(query.limit);
    const rows = await this.db.all<Parameters<typeof groupFromRow>[0]>(`${this.groupSelect()} WHERE g.partner_id = ? AND g.id > ? ORDER BY g.id LIMIT ?`, [
      query.partnerId,
      decodeCursor(query.cursor, 'id') ?? '',
      limit + 1,
    ]);
    return toPage(rows, limit, (row) => row.id, groupFromRow);
  }

  async getGroup(id: string, scope: PartnerScope = {}): Promise<Group> {
    const row = await this.db.get<Parameters<typeof groupFromRow>[0]>(`${this.groupSelect()} WHERE g.id = ?`, [id]);
    if (row === undefined || !(await this.inScope(row.partner_id, scope))) throw notFound('group', [id]);
    return groupFromRow(row);
  }

  async listHabilitations(query: HabilitationsListInput, scope: PartnerScope = {}): Promise<Page<Habilitation>> {
    await this.requirePartnerInScope(query.partnerId, scope);
    // A mistyped user, or another partner's, is said so: an empty list would read as « holds nothing ».
    const user = query.userId === undefined ? undefined : await this.workflows.records.requireUserOf(query.partnerId, query.userId, 'userId');
    const limit = pageSize(query.limit);
    const filters = [
      query.service === undefined ? '' : 'AND h.service = @service',
      query.profile === undefined ? '' : 'AND h.profile = @profile',
      query.status === undefined ? '' : 'AND h.status = @status',
      // A user's habilitations include those given to the groups the user belongs to.
      user === undefined ? '' : 'AND (h.user_key = @userKey OR h.group_key IN (SELECT group_key FROM group_members WHERE user_key = @userKey))',
    ].join(' ');
    const rows = await this.db.all<HabilitationRow>(
      `SELECT ${HABILITATION_COLUMNS} FROM ${HABILITATION_FROM} WHERE h.partner_id = @partnerId AND h.id > @after ${filters} ORDER BY h.id LIMIT @take`,
      {
        partnerId: query.partnerId,
        after: decodeCursor(query.cursor, 'id') ?? '',
        service: query.service,
        profile: query.profile,
        status: query.status,
        userKey: user?.key,
        take: limit + 1,
      },
    );
    return toPage(rows, limit, (row) => row.id, rowToHabilitation);
  }

  async getHabilitation(id: string, scope: PartnerScope = {}): Promise<Habilitation> {
    const row = await this.db.get<HabilitationRow>(`SELECT ${HABILITATION_COLUMNS} FROM ${HABILITATION_FROM} WHERE h.id = ?`, [id]);
    if (row === undefined || !(await this.inScope(row.partner_id, scope))) throw notFound('habilitation', [id]);
    return rowToHabilitation(row);
  }

  // --- traces -------------------------------------------------------------------------------------

  async listTraces(query: TracesListInput = {}, scope: PartnerScope = {}): Promise<Page<Trace>> {
    if (query.partnerId !== undefined) await this.requirePartnerInScope(query.partnerId, scope);
    const limit = pageSize(query.limit);
    const before = decodeCursor(query.cursor, 'number');
    // Erased traces (retention) say nothing any more: they stay only to hold the chain.
    const conditions = ['id < @before', 'erased = 0'];
    const d = dialectOf(this.db);
    /**
     * An import's one trace is about the whole dataset (dataset.md), but each decision it
     * changed is filed under it (`import_changes`): it belongs to the trail of each entity it
     * names too (trial 21, F2: a suspension undone by an import was missing from the user's, and
     * from their extract). `changes` selects those rows (`trace_id` first). The first two terms
     * keep it to imports, found through the index on `partner_id` (an import's is null).
     */
    const importChanging = (changes: string) => `(partner_id IS NULL AND action = 'dataset.import' AND id IN (SELECT trace_id FROM (${changes}) AS changed))`;
    const changesWhere = (condition: string) => `SELECT trace_id FROM import_changes WHERE ${condition}`;
    if (query.targetId !== undefined) conditions.push('target_id = @targetId');
    // The user's place in their groups over time (`membershipOf`), read again for each page: a
    // change of members between two pages is then seen by the second.
    const membership = query.userId === undefined ? undefined : await membershipOf(this.db, query.userId);
    if (query.userId !== undefined) {
      // The user's traces are those about the user, about the habilitations given to them, about
      // their groups and the habilitations given to those while they were members (issue 12;
      // trial 36, H5: today's members decided, so a removed member lost the group's past, their
      // own removal included, and a later member got it); and the imports that changed a
      // decision about the user or the habilitations they hold.
      conditions.push(`((target_type = 'user' AND target_id = @userId)
        OR (target_type = 'habilitation' AND target_id IN (${USER_DIRECT_HABILITATION_IDS}))
        OR ${groupTracesOf(this.db)}
        OR ${importChanging(USER_IMPORT_CHANGES)})`);
    }
    if (query.action !== undefined) conditions.push('action = @action');
    // `at` is stored in UTC; the bounds are Paris calendar days, so compare with a day of margin then filter exactly.
    if (query.since !== undefined) conditions.push(`at >= @sinceUtc`);
    if (query.until !== undefined) conditions.push(`at < @untilUtc`);
    const scopePartners = `(SELECT id FROM partners WHERE caf_code IN ${d.jsonValues('@scopeCafs')})`;
    // An import is in a token's scope through the changes it made there, a move away from one of
    // its partners included (trial 22, F3), and shows only those (`scopedImport`).
    const changedInScope = `(${d.inRows('partner_id', scopePartners)} OR ${d.inRows('former_partner_id', scopePartners)})`;
    if (scope.cafCodes !== undefined) conditions.push(`(partner_id IN ${scopePartners} OR ${importChanging(changesWhere(changedInScope))})`);
    const newestFirst = (where: string[]) => `SELECT * FROM traces WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @take`;
    // A partner's trail: its traces, and the imports that changed a decision about it. Each
    // branch is read newest first through the index on `partner_id` and cut at the page, then the
    // two are merged: one OR made SQLite read and sort the partner's whole trail for every page.
    const statement =
      query.partnerId === undefined
        ? newestFirst(conditions)
        : `SELECT * FROM (${[
            'partner_id = @partnerId',
            // A user an import moved away concerns the partner they left too.
            importChanging(changesWhere('partner_id = @partnerId OR former_partner_id = @partnerId')),
          ]
            .map((branch, index) => `SELECT * FROM (${newestFirst([...conditions, branch])}) AS branch${index}`)
            .join(' UNION ALL ')}) AS page ORDER BY id DESC LIMIT @take`;
    const params = {
      before: before ?? Number.MAX_SAFE_INTEGER,
      partnerId: query.partnerId,
      targetId: query.targetId,
      userId: query.userId,
      spans: membership === undefined ? undefined : JSON.stringify(membership.spans),
      memberEvents: membership === undefined ? undefined : JSON.stringify(membership.events),
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
      const fetched = await this.db.all<TraceRow>(statement, params);
      for (const row of fetched) {
        const trace = rowToTrace(row);
        if (inDays(trace)) rows.push(trace);
      }
      if (rows.length > limit || fetched.length < params.take) break;
      params.before = fetched[fetched.length - 1]!.id;
    }
    const page = toPage(
      rows,
      limit,
      (trace) => trace.id,
      (trace) => trace,
    );
    if (scope.cafCodes !== undefined) {
      for (const [index, trace] of page.items.entries()) {
        if (trace.action === 'dataset.import') page.items[index] = await this.scopedImport(trace, changedInScope, params.scopeCafs!);
      }
    }
    if (query.userId !== undefined && before === null && page.items.length === 0) await this.requireUserOrTrail(query.userId, scope);
    return page;
  }

  /**
   * A user the data does not know, in the caller's Cafs, nor any trace as its target is missing,
   * as an unknown partner is (trial 22, F11: `traces --user nobody` answered an empty trail, exit
   * 0). One that retention removed keeps the traces about them that are kept (an unscoped caller's).
   */
  private async requireUserOrTrail(userId: string, scope: PartnerScope): Promise<void> {
    const row = await this.db.get<{ partner_id: string }>('SELECT partner_id FROM users WHERE id = ?', [userId]);
    if (
      row !== undefined
        ? await this.inScope(row.partner_id, scope)
        : scope.cafCodes === undefined &&
          (await this.db.get("SELECT id FROM traces WHERE target_id = ? AND target_type = 'user' LIMIT 1", [userId])) !== undefined
    )
      return;
    throw notFound('user', [userId]);
  }

  /**
   * An import's trace as a token of some Cafs sees it: the changes it made to their partners
   * (the first thousand, and how many), not the others', nor its counts over every Caf.
   */
  private async scopedImport(trace: Trace, changedInScope: string, scopeCafs: string): Promise<Trace> {
    // Read through the import's own list (its primary key): through the scope's partners instead,
    // it read the changes of every import kept for them, for each import on a page. Which is
    // fewer depends on the data; PostgreSQL chooses by its statistics, and only an index on
    // (partner_id, trace_id) would serve both (review 22, M5: not done, a migration).
    const where = `FROM import_changes WHERE trace_id = @traceId AND ${changedInScope}`;
    const params = { traceId: trace.id, scopeCafs };
    const changes = await this.db.all<{ change: string }>(`SELECT change ${where} ORDER BY position LIMIT ${MAX_LISTED}`, params);
    return {
      ...trace,
      details: {
        decisionChanges: changes.map((row) => JSON.parse(row.change) as unknown),
        decisionChangesTotal: (await this.db.value<number>(`SELECT COUNT(*) ${where}`, params)) ?? 0,
        masked: 'seules les décisions de l’import sur les partenaires des Caf du jeton sont reprises',
      },
    };
  }

  verifyTraces(input: TracesVerifyInput = {}): Promise<TraceVerification> {
    return verifyTraces(this.db, this.today(), input);
  }

  traceHead(): Promise<TraceHead> {
    return traceHead(this.db);
  }

  traceHashes(ids: readonly number[]): Promise<{ id: number; hash: string }[]> {
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
  async purge(
    query: TracesPurgeInput,
    actor: () => Actor,
    beforeCommit: (report: PurgeReport) => Promise<void> | void = () => undefined,
  ): Promise<PurgeReport> {
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
    const plan = await retentionPlan(this.db, asOf);
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
    // `traces.count` holds the legacy prefix too: nothing found is nothing to cut either.
    if (dryRun || purgeFindsNothing(report)) return report;
    let anchor: ChainAnchor | null = null;
    const lastLegacy = plan.legacyPrefix.at(-1);
    // Steps, each its own transaction: cut in a later one, the failure does not say nothing was written.
    await this.db.inSteps(async () => {
      if (lastLegacy !== undefined) anchor = await this.db.transaction(() => cutTracePrefix(this.db, lastLegacy.id));
      for (let index = 0; index < plan.traces.length; index += PURGE_BATCH) {
        const batch = plan.traces.slice(index, index + PURGE_BATCH).map((trace) => trace.id);
        await this.db.transaction(() => eraseTraces(this.db, batch));
      }
      for (let index = 0; index < plan.habilitations.length; index += PURGE_BATCH) {
        const batch = plan.habilitations.slice(index, index + PURGE_BATCH);
        await this.db.transaction(async () => {
          for (const row of batch) await this.db.run('DELETE FROM habilitations WHERE key = ?', [row.key]);
        });
      }
      for (let index = 0; index < plan.users.length; index += PURGE_BATCH) {
        const batch = plan.users.slice(index, index + PURGE_BATCH);
        await this.db.transaction(async () => {
          for (const row of batch) {
            await this.db.run('DELETE FROM group_members WHERE user_key = ?', [row.key]);
            await this.db.run('DELETE FROM users WHERE key = ?', [row.key]);
          }
          // A removed member no longer holds what its groups hold.
          await this.derived.refresh(batch.map((row) => row.partner_id));
        });
      }
      await this.db.transaction(async () => {
        report.traceId = (
          await this.traces.append(actor(), this.clock().at, [
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
          ])
        )[0]!;
        await beforeCommit(report);
      });
    });
    this.conventions.invalidate();
    return report;
  }

  // --- dataset ---------------------------------------------------------------------------

  /** How much the store holds, for dashboards: entities, and habilitations held (active or suspended). */
  async summary(scope: PartnerScope = {}): Promise<DatasetSummary> {
    // The partners with a convention and their Caf, not the conventions themselves: parsing a
    // national store's 5,000 takes a third of a second, for the dashboard's first numbers.
    const partners = (
      await this.db.all<{ partner_id: string; caf_code: string }>(
        'SELECT c.partner_id, p.caf_code FROM conventions c JOIN partners p ON p.id = c.partner_id ORDER BY c.partner_id',
      )
    )
      .map((row) => ({ partnerId: row.partner_id, cafCode: row.caf_code }))
      .filter((entry) => scope.cafCodes === undefined || scope.cafCodes.includes(entry.cafCode));
    const ids = JSON.stringify(partners.map((entry) => entry.partnerId));
    const one = async (sql: string) => Number(await this.db.value<number>(sql, [ids]));
    const inPartners = dialectOf(this.db).inValues('partner_id', '?');
    return {
      cafCodes: [...new Set(partners.map((entry) => entry.cafCode))].sort(),
      partners: partners.length,
      users: await one(`SELECT COUNT(*) FROM users WHERE status <> 'disabled' AND ${inPartners}`),
      habilitationsHeld: await one(`SELECT COALESCE(SUM(held), 0) FROM held_combos WHERE ${inPartners}`),
    };
  }

  async importDataset(
    source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>,
    actor: Actor,
    options: {
      reason?: string;
      dryRun?: boolean;
      onProgress?: (progress: { bytes: number; entities: number }) => void;
      beforeCommit?: (result: ImportResult) => Promise<void> | void;
    } = {},
  ): Promise<ImportResult> {
    if (this.firstImport === 'found') throw storeFoundAtOpen(this.path);
    const makes = this.firstImport === 'makes';
    try {
      const result = await importDataset(this.db, this.traces, this.derived, source, {
        actor,
        at: this.clock().at,
        reason: options.reason ?? 'Import du jeu de données',
        dryRun: options.dryRun ?? false,
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.beforeCommit === undefined ? {} : { beforeCommit: options.beforeCommit }),
        ...(makes ? { makeStore: () => this.makeTables() } : {}),
      });
      if (makes && !result.dryRun) this.firstImport = null;
      // PostgreSQL plans from statistics, which a bulk load leaves empty until autovacuum comes
      // (a minute or two): meanwhile a write's refresh of its partner took 0.2 to 1.3 s on the
      // national store instead of 2 ms. VACUUM beside it marks the loaded pages all-visible, as
      // the first readers and autovacuum would have (the scope of a list read the conventions'
      // heap in 17–23 ms instead of 2–4; autovacuum then took a core from the next lists for a
      // minute). Its own statement, after the commit (1.9 s on 1,000,000 habilitations, where
      // ANALYZE alone took 1.5); the import is done whatever it answers.
      if (this.db.dialect === 'postgres' && !result.dryRun && !this.db.inTransaction) {
        const { vacuumAfterImport } = await import('./engine/postgres-schema.js');
        await vacuumAfterImport(this.db as PostgresSql).catch(() => undefined);
      }
      return result;
    } catch (error) {
      if (makes && isStoreMadeMeanwhile(error)) await this.serveFoundStore();
      throw error;
    } finally {
      this.conventions.invalidate();
    }
  }

  /**
   * After a first import refused because another process made the store since this client
   * opened: that store is served as one found at open (migrated as with create false). Left as
   * to be made, the client answered « introuvable » to every read after its own refusal had
   * said the store was there (review 41). Not migrated, it stays as it was: the refusal is what
   * the caller is told.
   */
  private async serveFoundStore(): Promise<void> {
    const { migratePostgres } = await import('./engine/postgres-schema.js');
    try {
      await migratePostgres(this.db as PostgresSql, { create: false });
    } catch {
      return;
    }
    this.firstImport = 'found';
  }

  /**
   * In a first import's transaction, under its global key: cafsup's tables made, as `cafsup
   * migrate --to` makes them in its copy's. Found there already, they are another process's store,
   * made since this one's location was found without: kept as it is (`storeMadeMeanwhile`), as a
   * SQLite file put in place meanwhile is (made-aside.ts).
   */
  private async makeTables(): Promise<void> {
    const { settleSchema } = await import('./engine/postgres-schema.js');
    if ((await settleSchema(this.db as PostgresSql)) !== 0) throw storeMadeMeanwhile(this.path);
  }

  /**
   * The whole store as a dataset document, in chunks, read from one snapshot: on SQLite a
   * connection of its own (the store's stays free for others), on PostgreSQL a read-only
   * transaction of the pool.
   */
  async *exportChunks(): AsyncGenerator<string> {
    this.requireMade('dataset.export');
    const reader =
      this.db.dialect === 'postgres' ? await (this.db as PostgresSql).readSession() : new SqliteSql(openDatabase(this.path, { create: false, readonly: true }));
    try {
      // One snapshot for the whole document: SQLite's deferred transaction, PostgreSQL's session.
      if (reader instanceof SqliteSql) await reader.exec('BEGIN');
      yield* exportDataset(reader);
    } finally {
      await reader.close();
    }
  }
}
