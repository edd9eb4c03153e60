import { RULES, type AuditSettings, type CalendarDate } from '@cafsup/shared';
import { dialectOf, pick, type Sql } from './engine/engine.js';
import { readHead } from './meta.js';
import { fnv1a64 } from '../fnv.js';

/**
 * What was computed for each partner at one date, kept between calls (issue 14: « flag counts
 * and quota usage kept as aggregates in each write's transaction, re-dated daily », so that
 * lists and dashboards never run the full audit):
 * - a row per partner and aspect (its flag counts, its flags in report order — as the JSON
 *   text the report prints them in, audit.ts `flagsText` —, its quota usage, its places and
 *   over quotas, its line in the partner list), with the date and the basis it was computed on;
 * - every write forgets the rows of the partners it changes, in its own transaction, when it
 *   appends its traces (`TraceWriter.append` calls `forgetPartners`): a write without traces
 *   does not exist, and a trace names its partner;
 * - the first call at a new date, or after changes, computes what is missing and keeps it, in a
 *   transaction of its own that locks the chain head and keeps nothing if a write landed since
 *   the snapshot it read: a row is never older than the data it stands for.
 * Derived data like `holdings`: never traced, never exported, rebuilt from the rest.
 */

/** Raised when what a row holds would no longer be what the code computes: a rule's wording, a field, the form flags are kept in. */
const CACHE_EDITION = 2;

/** What is kept of a partner; each aspect's rows lie together, so reading every partner's counts never reads their flags. */
const ASPECTS = ['counts', 'flags', 'quotas', 'places', 'summary'] as const;
export type Aspect = (typeof ASPECTS)[number];

/** The aspects whose values are a few dozen bytes, which PostgreSQL sends as one text (`PartnerCache.read`). */
const SHORT_VALUES: ReadonlySet<Aspect> = new Set(['counts', 'places']);

/** How long keeping what was computed may wait for a write or an import to finish. */
const KEEP_WAIT_MS = 100;

/**
 * The rows are valid for this code and these settings only: a new edition, catalogue or setting
 * (the days before an account is dormant…) makes every row stale without a migration. A key that
 * tells configurations apart, not a seal: `fnv1a64` (16 hex digits), so that opening a store
 * needs no node:crypto, which a read of one partner would load for this alone (~3 ms of each
 * command on Node 20).
 */
export function cacheBasis(settings: AuditSettings): string {
  const [low, high] = fnv1a64(JSON.stringify([CACHE_EDITION, settings, RULES]));
  return [high, low].map((lane) => lane.toString(16).padStart(8, '0')).join('');
}

/**
 * Traces that change nothing kept here: a token's life. Any other trace without a partner (an
 * import, a retention purge) may change every partner.
 */
const UNRELATED_TARGETS: ReadonlySet<string> = new Set(['token']);

/** Forgets what was kept of the partners these traces name; inside their write transaction. */
export async function forgetPartners(db: Sql, entries: readonly { partnerId: string | null; targetType: string }[]): Promise<void> {
  const partners = new Set<string>();
  for (const entry of entries) {
    if (entry.partnerId !== null) partners.add(entry.partnerId);
    else if (!UNRELATED_TARGETS.has(entry.targetType)) {
      await db.runLater('DELETE FROM partner_kept');
      return;
    }
  }
  if (partners.size === 0) return;
  // With the write's commit (PostgreSQL): no round trip of its own while the head is held. The
  // aspects written in and one partner compared with `=`: PostgreSQL without statistics (after an
  // import) otherwise scanned the whole table, in the commit that holds the chain head.
  const aspects = `aspect IN (${ASPECTS.map((aspect) => `'${aspect}'`).join(', ')})`;
  if (partners.size === 1) await db.runLater(`DELETE FROM partner_kept WHERE ${aspects} AND partner_id = ?`, [...partners]);
  else await db.runLater(`DELETE FROM partner_kept WHERE ${aspects} AND ${dialectOf(db).inValues('partner_id', '?')}`, [JSON.stringify([...partners])]);
}

/** A value to keep, or its JSON text already made (the audit's flags, in the form its report prints). */
export type KeptEntry = { partnerId: string; aspect: Aspect } & ({ value: unknown } | { text: string });

export class PartnerCache {
  constructor(
    private readonly db: Sql,
    private readonly basis: string,
    /** The store's today (Paris), whose rows another date's never displace. */
    private readonly today: () => CalendarDate,
  ) {}

  /**
   * The chain head, read in the snapshot what is computed comes from. Inside a write, nothing is
   * read from the cache nor kept (the write may have changed what a row stands for): -1.
   */
  async head(): Promise<number> {
    if (this.db.inWrite) return -1;
    return (await readHead(this.db)).id;
  }

  /**
   * Each partner's `aspect` at `asOf`, from one snapshot: what is kept, and for the others what
   * `compute` makes (it is given the partners missing), kept then. `partners` names them, read
   * in that snapshot, and says whether they are the whole store's (whose rows are read whole).
   */
  async through<T>(
    aspect: Aspect,
    asOf: CalendarDate,
    partners: () => Promise<{ partnerIds: string[]; whole: boolean }>,
    compute: (missing: string[]) => Promise<Map<string, T>>,
  ): Promise<{ partnerIds: string[]; values: Map<string, T> }> {
    const { partnerIds, values, computed, head } = await this.db.snapshot(async () => {
      // Read first: what is computed is never older than the head it is kept under.
      const head = await this.head();
      const { partnerIds, whole } = await partners();
      const values = await this.read<T>(aspect, asOf, whole ? undefined : partnerIds);
      const missing = partnerIds.filter((partnerId) => !values.has(partnerId));
      // Nothing missing, nothing to compute: no round trip for it (a convention cache reads the data's version first).
      const computed = missing.length === 0 ? new Map<string, T>() : await compute(missing);
      for (const [partnerId, value] of computed) values.set(partnerId, value);
      return { partnerIds, values, computed, head };
    });
    await this.keep(asOf, head, () => [...computed].map(([partnerId, value]) => ({ partnerId, aspect, value })));
    return { partnerIds, values };
  }

  /**
   * The same for partners the caller has read already (a page of the list): what is kept of
   * them, read first in one statement, a snapshot of its own; `through` (its snapshot, the chain
   * head, what is missing computed and kept) only when some are missing. On PostgreSQL each of a
   * national list's five pages took four round trips here (BEGIN, the head, the rows, COMMIT).
   */
  async ofPartners<T>(
    aspect: Aspect,
    asOf: CalendarDate,
    partnerIds: readonly string[],
    compute: (missing: string[]) => Promise<Map<string, T>>,
  ): Promise<Map<string, T>> {
    const kept = await this.read<T>(aspect, asOf, partnerIds);
    if (partnerIds.every((partnerId) => kept.has(partnerId))) return kept;
    return (await this.through(aspect, asOf, () => Promise.resolve({ partnerIds: [...partnerIds], whole: false }), compute)).values;
  }

  /**
   * What is kept of `aspect` at `asOf` for these partners (every partner's when undefined),
   * parsed. SQLite makes one JSON array of the rows (each partner's id, then its value), parsed
   * at once: a row per partner cost more than its value (its row objects); a partner's flags
   * excepted (below).
   * PostgreSQL sends a row per partner, each value parsed as it comes (`each`): the one text
   * took the server longer to make (string_agg of a national list's 5,000 lines, 1 MB) than the
   * rows to send, and node-postgres longer to take in as one message: 37–44 ms against 10–14 for
   * the lines (a warm connection, medians of 40). But for the values of a few dozen bytes (a
   * partner's flag counts, its places), where a row cost a command more than its value: in a
   * new process (a command, its driver's code not yet optimised), a national list's counts and
   * places took 104 ms as rows, 55 as one text each (medians of 9); a warm connection pays 2–3 ms
   * more for each (9 against 7), a server once per change of the data (it keeps its answers
   * meanwhile, workers/answers.ts).
   */
  async read<T>(aspect: Aspect, asOf: CalendarDate, partnerIds: readonly string[] | undefined): Promise<Map<string, T>> {
    const kept = new Map<string, T>();
    if (this.db.inWrite) return kept;
    const { where, params } = this.rowsOf(aspect, asOf, partnerIds);
    if (aspect === 'flags' || (this.db.dialect === 'postgres' && !SHORT_VALUES.has(aspect))) {
      // A row per partner, each parsed as it comes: PostgreSQL's long values (above), and
      // SQLite's flags (kilobytes each, 40 MB nationally), never one text of them all; SQLite's
      // as bytes, for Node's decoder (below).
      await this.db.each<{ partner_id: string; value: string | Buffer }>(
        `SELECT partner_id, ${pick(this.db, { sqlite: 'CAST(value AS BLOB)', postgres: 'value' })} AS value FROM partner_kept WHERE ${where}`,
        params,
        (row) => kept.set(row.partner_id, JSON.parse(row.value.toString()) as T),
      );
      return kept;
    }
    // One JSON array's text, each value written in as it is kept after its partner's id; on
    // SQLite as bytes: Node's UTF-8 decoder takes a quarter less time than better-sqlite3's. An
    // array, not an object by partner: JSON.parse made an object of thousands of keys a
    // dictionary, slower to make and to read than an array (`cafsup partners --json`, national:
    // these reads took 83 ms instead of 98, CPU profiles, medians of 5).
    const text = await this.db.value<Buffer | string | null>(
      pick(this.db, {
        sqlite: `SELECT CAST('[' || group_concat(json_quote(partner_id) || ',' || value, ',') || ']' AS BLOB) FROM partner_kept WHERE ${where}`,
        postgres: `SELECT '[' || string_agg(to_json(partner_id)::text || ',' || value, ',') || ']' FROM partner_kept WHERE ${where}`,
      }),
      params,
    );
    if (text === null || text === undefined) return kept;
    const pairs = JSON.parse(text.toString()) as unknown[];
    for (let index = 0; index < pairs.length; index += 2) kept.set(pairs[index] as string, pairs[index + 1] as T);
    return kept;
  }

  /**
   * The same JSON text in UTF-8, for what only copies it out (`AuditEngine.runText`): each
   * engine hands the bytes over without making text of them (SQLite as stored; PostgreSQL as
   * `bytea`, which node-postgres decodes natively).
   */
  async readBytes(aspect: Aspect, asOf: CalendarDate, partnerIds: readonly string[] | undefined): Promise<Map<string, Buffer>> {
    return this.readRows(aspect, asOf, partnerIds, pick(this.db, { sqlite: 'CAST(value AS BLOB)', postgres: "convert_to(value, 'UTF8')" }));
  }

  /** The kept rows of `aspect` at `asOf` for these partners, `value` (their column, or an expression of it) by partner. */
  private async readRows<T>(aspect: Aspect, asOf: CalendarDate, partnerIds: readonly string[] | undefined, value: string): Promise<Map<string, T>> {
    const kept = new Map<string, T>();
    if (this.db.inWrite) return kept;
    const { where, params } = this.rowsOf(aspect, asOf, partnerIds);
    const rows = await this.db.all<{ partner_id: string; value: T }>(`SELECT partner_id, ${value} AS value FROM partner_kept WHERE ${where}`, params);
    for (const row of rows) kept.set(row.partner_id, row.value);
    return kept;
  }

  /** The condition on `partner_kept` that selects the kept rows of `aspect` at `asOf` for these partners (all when undefined). */
  private rowsOf(aspect: Aspect, asOf: CalendarDate, partnerIds: readonly string[] | undefined): { where: string; params: Record<string, unknown> } {
    const params: Record<string, unknown> = { aspect, asOf, basis: this.basis };
    let narrowed = '';
    if (partnerIds?.length === 1) {
      narrowed = 'AND partner_id = @partnerId';
      params.partnerId = partnerIds[0];
    } else if (partnerIds !== undefined) {
      // Rows of a few hundred bytes are read as the list's range (`inValuesWithin`), a page's or
      // a Caf's. A partner's flags, kilobytes each, by their keys: a range over them reads the
      // pages of every partner between (SQLite, a Caf's 11 partners: 24 ms against 0.7;
      // PostgreSQL keeps the form it had, not measured again).
      const dialect = dialectOf(this.db);
      narrowed = `AND ${aspect === 'flags' ? dialect.inValues('partner_id', '@partners') : dialect.inValuesWithin('partner_id', '@partners')}`;
      params.partners = JSON.stringify(partnerIds);
    }
    return { where: `aspect = @aspect AND as_of = @asOf AND basis = @basis ${narrowed}`, params };
  }

  /**
   * Keeps these values, computed at `asOf` from the snapshot whose chain head was `head`. A
   * cache: when the store is read-only or busy, or has moved on, nothing is kept and the caller
   * has its answer anyway.
   */
  async keep(asOf: CalendarDate, head: number, entries: () => readonly KeptEntry[]): Promise<void> {
    if (head < 0 || this.db.inTransaction) return;
    // Made only now: nothing is serialised for a store that keeps nothing (inside a write).
    // Each aspect's rows written together (the audit keeps flags and counts of each partner):
    // PostgreSQL places rows in the order written, and a new connection's first read pays a page
    // fault per shared buffer it touches: 5,000 counts spread over the flags' pages took 22 ms
    // to read (1,114 pages), 5.5 ms written together (253). SQLite's table is ordered by aspect already.
    const values = [...entries()].sort((a, b) => ASPECTS.indexOf(a.aspect) - ASPECTS.indexOf(b.aspect));
    if (values.length === 0) return;
    try {
      // Never long behind a write or an import: the caller has its answer already.
      await this.db.withLockTimeout(KEEP_WAIT_MS, () =>
        this.db.transaction(async () => {
          // Locked: a write appending now waits for this one, then forgets what it changes.
          // Not waiting for it (PostgreSQL): a write holding it is about to forget what this keeps.
          const now = await readHead(this.db, pick(this.db, { sqlite: '', postgres: ' FOR UPDATE NOWAIT' }));
          if (now.id !== head) return;
          // A partner keeps one row per aspect, of one date. Today's, which every list and every
          // server reads by default, is not displaced by another date's (one supervisor's
          // `--as-of` in the past made today's next national list recompute everything, 5 s):
          // that date's answer is then computed each time it is asked, and kept once today's
          // rows are gone (a write, or a new day).
          await this.db.runMany(
            `INSERT INTO partner_kept (partner_id, aspect, as_of, basis, value) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (aspect, partner_id) DO UPDATE SET as_of = excluded.as_of, basis = excluded.basis, value = excluded.value
             WHERE partner_kept.as_of <> '${this.today()}' OR partner_kept.basis <> excluded.basis OR excluded.as_of = partner_kept.as_of`,
            values.map((entry) => [entry.partnerId, entry.aspect, asOf, this.basis, 'text' in entry ? entry.text : JSON.stringify(entry.value)]),
          );
        }),
      );
    } catch (error) {
      if (!isPassing(error)) throw error;
    }
  }
}

/** Errors that say only that nothing can be kept now: a read-only file or role, a lock not granted. */
function isPassing(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return (
    // UNAVAILABLE: among others a PostgreSQL role that may only read, or a standby (translateError).
    code === 'UNAVAILABLE' ||
    code.startsWith('SQLITE_BUSY') ||
    code.startsWith('SQLITE_READONLY') ||
    // PostgreSQL: lock not available, serialization failure, deadlock.
    ['55P03', '40001', '40P01'].includes(code)
  );
}
