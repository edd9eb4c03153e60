import { AsyncLocalStorage } from 'node:async_hooks';
import { effectiveTerms, type Avenant, type CafDefaults, type CalendarDate, type Convention, type PartnerKind, type Terms } from '@cafsup/shared';
import { dialectOf, pick, type Sql } from './engine/engine.js';
import { HEAD_VALUE } from './meta.js';

export interface PartnerConvention {
  partnerId: string;
  /** The partner's name, as of this entry's version (the partner list shows it). */
  name: string;
  cafCode: string;
  /** The partner's kind of body (rule 16). */
  kind: PartnerKind;
  convention: Convention;
  /** The Caf's desk and ladder, the defaults of the contract (rules.md, "Avenants and effective terms"). */
  caf: CafDefaults | null;
}

interface ConventionRow {
  partner_id: string;
  name: string;
  caf_code: string;
  kind: PartnerKind;
  doc: string;
  caf: string | null;
  avenants: string;
}

/** The entries read at `version`; `complete` once every partner's was read (`all`). */
interface Cache {
  version: string;
  byPartner: Map<string, PartnerConvention>;
  complete: boolean;
}

/**
 * Partners' conventions with their avenants, parsed once and kept until the data changes:
 * `localWrites` moves when this store writes; on SQLite `PRAGMA data_version` moves when another
 * connection commits; on PostgreSQL, where other server processes write to the same database,
 * the chain head does: every write appends a trace, so it moves with every committed write.
 * An operation about one partner reads that partner's row alone (`get`): a command about one
 * partner must not parse the 5,000 conventions of a national store (issue 14).
 */
export class ConventionCache {
  private cached: Cache | null = null;
  /** The load of every partner's entries under way, and the cache it will complete. */
  private loading: { cache: Cache; byPartner: Promise<Map<string, PartnerConvention>> } | null = null;
  /** Terms by entry, then by `asOf`: an entry belongs to one version, so its terms do too. */
  private readonly termsByEntry = new WeakMap<PartnerConvention, Map<CalendarDate, Terms>>();
  private localWrites = 0;
  /** The data's version as the caller read it already (`atVersion`), for the calls inside. */
  private readonly known = new AsyncLocalStorage<string>();
  private readonly version: string;
  private readonly load: string;
  private readonly loadOne: string;
  private readonly loadMany: string;

  constructor(private readonly db: Sql) {
    const d = dialectOf(db);
    this.version = pick(db, { sqlite: 'PRAGMA data_version', postgres: HEAD_VALUE });
    const select = `SELECT c.partner_id, p.name, p.caf_code, ${d.jsonText('p.doc', 'kind')} AS kind, c.doc, f.doc AS caf,
          (SELECT ${d.jsonArrayAgg(d.json('a.doc'), 'a.number')} FROM (SELECT doc, number FROM avenants a WHERE a.partner_id = c.partner_id ORDER BY number) a) AS avenants
         FROM conventions c JOIN partners p ON p.id = c.partner_id LEFT JOIN cafs f ON f.code = p.caf_code`;
    this.load = `${select} ORDER BY c.partner_id`;
    this.loadOne = `${select} WHERE c.partner_id = ?`;
    this.loadMany = `${select} WHERE ${d.inValues('c.partner_id', '?')}`;
  }

  invalidate(): void {
    this.localWrites += 1;
  }

  /**
   * Runs `work` with the data's version read already by the caller: PostgreSQL's server checks a
   * token against the chain head (tokens.ts, `check`) and passes the head it read, so a read
   * makes one round trip for both. Only PostgreSQL's version is the head; SQLite's is read here.
   */
  atVersion<T>(version: string, work: () => Promise<T>): Promise<T> {
    return this.db.dialect === 'postgres' ? this.known.run(version, work) : work();
  }

  /**
   * The entries of the current version of the data, emptied when it moved. The version is read
   * before the rows: rows loaded are at least as new as the version they are kept under.
   */
  private async current(): Promise<Cache> {
    const version = `${String(this.known.getStore() ?? (await this.db.value<number | string>(this.version)))}:${this.localWrites}`;
    if (this.cached?.version !== version) this.cached = { version, byPartner: new Map(), complete: false };
    return this.cached;
  }

  /**
   * Inside a write on PostgreSQL, what is read may not be committed: it is kept apart, so that
   * the process's other callers (each on its own connection) never see it. SQLite's one
   * connection runs one operation at a time, so there nobody else could.
   */
  private uncommitted(): boolean {
    return this.db.dialect === 'postgres' && this.db.inWrite;
  }

  async all(): Promise<Map<string, PartnerConvention>> {
    if (this.uncommitted()) return this.loadAll(null);
    const cache = await this.current();
    if (cache.complete) return cache.byPartner;
    // Operations running at once share one load: on PostgreSQL and behind a server they do (the
    // partner list asks for quota usage and flag counts together).
    if (this.loading?.cache !== cache) this.loading = { cache, byPartner: this.loadAll(cache) };
    return this.loading.byPartner;
  }

  /** Every partner's entry, kept under `cache` (null: kept nowhere). */
  private async loadAll(cache: Cache | null): Promise<Map<string, PartnerConvention>> {
    try {
      const byPartner = new Map<string, PartnerConvention>();
      const cafs = new Map<string, CafDefaults | null>();
      for await (const row of this.db.iterate<ConventionRow>(this.load)) byPartner.set(row.partner_id, toEntry(row, cafs));
      // Kept only if the data did not move meanwhile (another call may have read a newer version).
      if (cache !== null && this.cached === cache) this.cached = { version: cache.version, byPartner, complete: true };
      return byPartner;
    } finally {
      // Done or failed: the next call finds the complete cache, or loads again.
      if (cache !== null && this.loading?.cache === cache) this.loading = null;
    }
  }

  /**
   * The partner's effective terms at `asOf`, computed once per entry, so once per version of
   * the data. The entry comes from `all()` or `get()`, which every operation calls first:
   * checking the version again for each of 5,000 partners would cost more than the terms.
   */
  terms(entry: PartnerConvention, asOf: CalendarDate): Terms {
    let byDay = this.termsByEntry.get(entry);
    if (byDay === undefined) this.termsByEntry.set(entry, (byDay = new Map<CalendarDate, Terms>()));
    let terms = byDay.get(asOf);
    if (terms === undefined) {
      terms = effectiveTerms(entry.convention, asOf, entry.caf);
      byDay.set(asOf, terms);
    }
    return terms;
  }

  /**
   * The entries of `partnerIds` that exist: from every partner's when they are read, else the
   * missing ones in one statement, kept for this version. A page of 50 partners reads its 50
   * conventions, not the 5,000 of a national store (issue 14).
   */
  async many(partnerIds: readonly string[]): Promise<Map<string, PartnerConvention>> {
    const found = new Map<string, PartnerConvention>();
    if (this.uncommitted()) {
      const cafs = new Map<string, CafDefaults | null>();
      for (const row of await this.db.all<ConventionRow>(this.loadMany, [JSON.stringify(partnerIds)])) found.set(row.partner_id, toEntry(row, cafs));
      return found;
    }
    const cache = await this.current();
    const missing: string[] = [];
    for (const id of partnerIds) {
      const entry = cache.byPartner.get(id);
      if (entry !== undefined) found.set(id, entry);
      else if (!cache.complete) missing.push(id);
    }
    if (missing.length === 0) return found;
    const cafs = new Map<string, CafDefaults | null>();
    for (const row of await this.db.all<ConventionRow>(this.loadMany, [JSON.stringify(missing)])) {
      // Another call may have read this partner meanwhile: one entry per partner and version, as terms are kept by entry.
      const entry = cache.byPartner.get(row.partner_id) ?? toEntry(row, cafs);
      cache.byPartner.set(row.partner_id, entry);
      found.set(row.partner_id, entry);
    }
    return found;
  }

  /** One partner's entry: from every partner's when they are read, else its own row, kept for this version. */
  async get(partnerId: string): Promise<PartnerConvention | undefined> {
    if (this.uncommitted()) {
      const row = await this.db.get<ConventionRow>(this.loadOne, [partnerId]);
      return row === undefined ? undefined : toEntry(row, new Map());
    }
    const cache = await this.current();
    let entry = cache.byPartner.get(partnerId);
    if (entry === undefined && !cache.complete) {
      const row = await this.db.get<ConventionRow>(this.loadOne, [partnerId]);
      if (row === undefined) return undefined;
      // Another call may have read this partner meanwhile: one entry per partner and version, as terms are kept by entry.
      entry = cache.byPartner.get(partnerId) ?? toEntry(row, new Map());
      cache.byPartner.set(partnerId, entry);
    }
    return entry;
  }
}

/** An entry from its row; `cafs` shares each Caf's defaults between the partners of one load. */
function toEntry(row: ConventionRow, cafs: Map<string, CafDefaults | null>): PartnerConvention {
  // Conventions stored before the contract had its own desk and ladder read as null: the Caf's.
  const convention = { serviceDesk: null, escalation: null, ...JSON.parse(row.doc), avenants: JSON.parse(row.avenants) as Avenant[] } as Convention;
  let caf = cafs.get(row.caf_code);
  if (caf === undefined) {
    caf = null;
    if (row.caf !== null) {
      const { serviceDesk, escalation } = JSON.parse(row.caf) as CafDefaults;
      // Rungs stored before the ladder had sides were all the Caf's.
      caf = { serviceDesk, escalation: escalation === null ? null : escalation.map((rung) => ({ ...rung, side: rung.side ?? 'caf' })) };
    }
    cafs.set(row.caf_code, caf);
  }
  return { partnerId: row.partner_id, name: row.name, cafCode: row.caf_code, kind: row.kind, convention, caf };
}
