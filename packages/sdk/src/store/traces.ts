import {
  GENESIS_HASH,
  STORE_ID_PATTERN,
  addMonths,
  canonicalJson,
  frenchNumber,
  parisDay,
  traceCanonicalParts,
  traceContentCanonical,
  traceHashContent,
  traceKind,
  traceLinkCanonical,
  type Actor,
  type CalendarDate,
  type Trace,
  type TraceAction,
  type TraceHead,
  type TraceKind,
  type TraceTarget,
  type TraceVerification,
  type TracesVerifyInput,
} from '@cafsup/shared';
import { dialectOf, type Sql } from './engine/engine.js';
import {
  HEAD_KEY,
  STORE_ID_KEY,
  headUnreadable,
  isHash,
  isTraceNumber,
  metaValue,
  readHead,
  readMeta,
  writeMeta,
  writtenHead,
  type ChainPoint,
} from './meta.js';
import { forgetPartners } from './partner-cache.js';

/** What a write says about itself; the chain fields are added by `append`. */
export interface TraceEntry {
  action: TraceAction;
  targetType: TraceTarget;
  targetId: string | null;
  partnerId: string | null;
  reason: string;
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

/** Where the chain starts once retention removed its oldest version-1 traces. */
export interface ChainAnchor {
  firstId: number;
  prevHash: string;
}

const ANCHOR_KEY = 'trace_anchor';
const LEGACY_KEY = 'trace_v1_last';

/** Up to this many traces of one append are sent as statements of their own, with the write's next round trip. */
const FEW_TRACES = 8;

/** Retention of contrat art. 5.3.2, in months, per kind of trace (rules.md, "Retention"). */
export const RETENTION_MONTHS: Record<TraceKind, number> = { activity: 6, decision: 72 };

export interface TraceRow {
  id: number;
  at: string;
  kind: TraceKind;
  version: number;
  actor_name: string;
  actor_email: string;
  action: string;
  target_type: string;
  target_id: string | null;
  partner_id: string | null;
  reason: string;
  before: string | null;
  after: string | null;
  details: string | null;
  content_hash: string | null;
  erased: number;
  prev_hash: string;
  hash: string;
}

/**
 * The SHA-256 of a text (as UTF-8) or of bytes, in hex: the one hash of the trail, tokens, keys
 * and returned files. node:crypto loads at the first hash (a write, a check of the trail), not
 * with the store: a read needs none.
 */
export function sha256(data: string | Uint8Array): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(data).digest('hex');
}

/** One row of `import_changes`, as written and as read back (`position` as either engine gives a BIGINT). */
export interface ImportChangeRow {
  position: number | string;
  section: string;
  id: string;
  partnerId: string;
  formerPartnerId: string | null;
  formerId: string | null;
  change: string;
}

const SELECT_IMPORT_CHANGES = `SELECT position, section, id, partner_id AS "partnerId", former_partner_id AS "formerPartnerId", former_id AS "formerId", change
  FROM import_changes WHERE trace_id = ? ORDER BY position`;

/**
 * The digest of an import's changes, kept in its trace (`decisionChangesDigest`). The changes
 * are filed beside the chain (`import_changes`), which the trace lists only the first thousand
 * of: without it, deleting or rewriting one hid an import from a person's trail and extract,
 * and `traces verify` could not tell (review 22, M2). One line per row, in their order, the
 * same from the values written as from those read back on either engine.
 */
export class ImportChangesDigest {
  private readonly hash = process.getBuiltinModule('node:crypto').createHash('sha256');
  count = 0;

  add(row: ImportChangeRow): void {
    this.count += 1;
    this.hash.update(`${JSON.stringify([Number(row.position), row.section, row.id, row.partnerId, row.formerPartnerId, row.formerId, row.change])}\n`);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

export function rowToTrace(row: TraceRow): Trace {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    actor: { name: row.actor_name, email: row.actor_email },
    action: row.action as TraceAction,
    targetType: row.target_type as TraceTarget,
    targetId: row.target_id,
    partnerId: row.partner_id,
    reason: row.reason,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
    details: row.details === null ? null : JSON.parse(row.details),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The transaction's setting where `APPEND_IN_SQL` keeps the head it moved to, for `HEAD_AFTER`. */
const HEAD_SETTING = 'cafsup.head';

/** The columns of a trace's row that come before its hashes, its number first. */
const TRACE_COLUMNS = 'id, version, at, kind, actor_name, actor_email, action, target_type, target_id, partner_id, reason, before, after, details';

/** What an entry's trace says (all but its number and hashes), and its row's columns from `at` to `details` (`TRACE_COLUMNS`). */
function traceRow(actor: Actor, at: string, entry: TraceEntry) {
  const trace = {
    at,
    kind: traceKind(entry.action),
    actor: { name: actor.name, email: actor.email },
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    partnerId: entry.partnerId,
    reason: entry.reason,
    before: entry.before ?? null,
    after: entry.after ?? null,
    details: entry.details ?? null,
  };
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  const columns = [at, trace.kind, actor.name, actor.email, entry.action, entry.targetType, entry.targetId, entry.partnerId, entry.reason];
  return { trace, columns: [...columns, json(trace.before), json(trace.after), json(trace.details)] };
}

/**
 * Appends traces to the hash chain. Must run inside the write transaction of the change it
 * records, so that a change never lands without its trace nor a trace without its change.
 */
export class TraceWriter {
  private static readonly INSERT = `INSERT INTO traces (${TRACE_COLUMNS}, content_hash, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

  /**
   * PostgreSQL, one trace: numbered and hashed in SQL from the head it locks, as `append` does in
   * JavaScript (`traceCanonicalParts`), then the head moved to it (`HEAD_AFTER`). A head of another
   * form than cafsup writes is not read: no row, and the write is refused (`headUnreadable`), as
   * `readHead` refuses it (review 30b, M1), a number past JavaScript's safe integers included
   * (review 32, L3; CASE: the cast only once the text is known to be of that form). Parameters: the
   * row's columns from `at` (`traceRow`), then the pieces of its two canonical texts (the
   * link's, then the content's).
   */
  private static readonly APPEND_IN_SQL = `INSERT INTO traces (${TRACE_COLUMNS}, content_hash, prev_hash, hash)
      SELECT id, 2, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, content_hash, prev_hash,
        encode(sha256(convert_to(CAST(? AS text) || '"' || content_hash || '"' || CAST(? AS text) || id || CAST(? AS text) || '"' || prev_hash || '"' || CAST(? AS text), 'UTF8')), 'hex')
      FROM (SELECT id, prev_hash, encode(sha256(convert_to(CAST(? AS text) || id || CAST(? AS text), 'UTF8')), 'hex') AS content_hash
        FROM (SELECT CAST(CAST(value AS json) ->> 'id' AS bigint) + 1 AS id, CAST(value AS json) ->> 'hash' AS prev_hash FROM meta
          WHERE key = '${HEAD_KEY}'
            AND CASE WHEN value ~ '^[{]"id":(0|[1-9][0-9]{0,15}),"hash":"[0-9a-f]{64}"[}]$' THEN CAST(CAST(value AS json) ->> 'id' AS numeric) <= ${Number.MAX_SAFE_INTEGER} ELSE false END
          FOR UPDATE) AS head) AS numbered
      RETURNING id, set_config('${HEAD_SETTING}', '{"id":' || id || ',"hash":"' || hash || '"}', true)`;
  /**
   * The head moved to the trace just appended, written as `writeMeta` writes it: kept by
   * `APPEND_IN_SQL` in a setting of the transaction. (Read back from `traces` by its number, a
   * plan made while the table was small read the whole table, the head held: review 30, M1.)
   */
  private static readonly HEAD_AFTER = `UPDATE meta SET value = current_setting('${HEAD_SETTING}') WHERE key = '${HEAD_KEY}'`;

  constructor(private readonly db: Sql) {}

  /**
   * Appends the entries in order and returns their ids. `late`: the caller only gives the ids in
   * its write's answer, and reasons on none before the commit; on PostgreSQL a few traces are then
   * numbered in SQL with the write's commit (`Sql.laterNumber`), so that the chain's head is held
   * while PostgreSQL runs the commit's round trip, not from the round trip before it, across the
   * server's event loop. Writes take turns on the head: the shorter it is held, the more of them a second.
   */
  async append(actor: Actor, at: string, entries: readonly TraceEntry[], { late = false } = {}): Promise<number[]> {
    if (!this.db.inTransaction) throw new Error('traces are written inside the transaction of their change');
    // Nothing to chain (an action that changed nothing): the head is neither locked nor rewritten,
    // and other writes do not wait for this one (review 29b, L3).
    if (entries.length === 0) return [];
    const ids =
      late && this.db.dialect === 'postgres' && entries.length <= FEW_TRACES
        ? await this.appendInSql(actor, at, entries)
        : await this.appendHere(actor, at, entries);
    // With the head locked, and sent with it: a cache fill that read the old head either landed
    // before (and is forgotten here) or waits, then sees the new head (partner-cache.ts).
    await forgetPartners(this.db, entries);
    return ids;
  }

  /** The traces numbered and hashed here, from the head read and locked first. */
  private async appendHere(actor: Actor, at: string, entries: readonly TraceEntry[]): Promise<number[]> {
    // The head row stays locked until the write ends (PostgreSQL): appends take turns, from the last committed head.
    let head = await readHead(this.db, dialectOf(this.db).forUpdate);
    const ids: number[] = [];
    const rows: unknown[][] = [];
    for (const entry of entries) {
      const { trace, columns } = traceRow(actor, at, entry);
      const id = head.id + 1;
      const contentHash = sha256(traceContentCanonical({ ...trace, id }));
      const hash = sha256(traceLinkCanonical({ id, at, kind: trace.kind, prevHash: head.hash, contentHash }));
      rows.push([id, 2, ...columns, contentHash, head.hash, hash]);
      head = { id, hash };
      ids.push(id);
    }
    // A few traces and the head go with the write's next round trip, its commit most often, so
    // that the head row is held the least time; a bulk action's in a few statements (one per
    // 5,000 on PostgreSQL).
    if (rows.length <= FEW_TRACES) for (const row of rows) await this.db.runLater(TraceWriter.INSERT, row);
    else await this.db.runMany(TraceWriter.INSERT, rows);
    await writeMeta(this.db, HEAD_KEY, head, true);
    return ids;
  }

  /** PostgreSQL: the traces numbered and hashed in SQL, with the write's next round trip (`APPEND_IN_SQL`). */
  private async appendInSql(actor: Actor, at: string, entries: readonly TraceEntry[]): Promise<number[]> {
    const ids: number[] = [];
    for (const entry of entries) {
      const { trace, columns } = traceRow(actor, at, entry);
      const { content, link } = traceCanonicalParts(trace);
      ids.push(await this.db.laterNumber(TraceWriter.APPEND_IN_SQL, [...columns, ...link, ...content], headUnreadable));
      await this.db.runLater(TraceWriter.HEAD_AFTER);
    }
    return ids;
  }
}

/** The head of the chain, with the store's identifier. */
export async function traceHead(db: Sql): Promise<TraceHead> {
  return (await readTraceHead(db)).head;
}

/**
 * `traceHead`, and whether the head is stored as cafsup writes it (`writtenHead`): the walk
 * names one that is not, which every write refuses (`readHead`).
 */
async function readTraceHead(db: Sql): Promise<{ head: TraceHead; written: boolean }> {
  // One statement, so that the head and the store's identifiers come from the same moment.
  const rows = await db.all<{ key: string; value: string }>('SELECT key, value FROM meta WHERE key IN (?, ?, ?)', [HEAD_KEY, STORE_ID_KEY, LEGACY_KEY]);
  // As stored, checked by `verifyTraces` only (a value written by hand may be of any form, or no JSON).
  const meta = new Map(rows.map((row) => [row.key, metaValue(row.value)]));
  const head = (meta.get(HEAD_KEY) ?? { id: 0, hash: GENESIS_HASH }) as ChainPoint;
  const text = rows.find((row) => row.key === HEAD_KEY)?.value;
  return {
    head: {
      id: head.id,
      hash: head.hash,
      storeId: (meta.get(STORE_ID_KEY) as string | undefined) ?? '',
      legacyUntil: (meta.get(LEGACY_KEY) as number | undefined) ?? 0,
    },
    written: writtenHead(text, db.dialect) !== null,
  };
}

/** True when retention allowed this trace's content to be erased by `asOf`. */
export function retentionExpired(kind: TraceKind, at: string, asOf: CalendarDate): boolean {
  return parisDay(at) < addMonths(asOf, -RETENTION_MONTHS[kind]);
}

/**
 * What a trace's stored hash must be, from its row (version 1 or 2), with the trace read from it
 * on the way (null for an erased one, whose content no hash covers). Throws on content that is no JSON.
 */
function recomputeHash(row: TraceRow, prevHash: string): { hash: string; contentOk: boolean; trace: Trace | null } {
  if (row.version === 1) {
    const trace = rowToTrace(row);
    return { hash: sha256(traceHashContent({ ...trace, prevHash })), contentOk: true, trace };
  }
  const trace = row.erased === 1 ? null : rowToTrace(row);
  const contentOk = trace === null || row.content_hash === sha256(traceContentCanonical(trace));
  return { hash: sha256(traceLinkCanonical({ id: row.id, at: row.at, kind: row.kind, prevHash, contentHash: row.content_hash ?? '' })), contentOk, trace };
}

/** A head a signed checkpoint vouches for (`traces.verify`'s `checkpoint`). */
type SignedHead = NonNullable<TracesVerifyInput['checkpoint']>;

/**
 * Walks the chain from its anchor: every id in sequence, every hash recomputed, every link to
 * the previous hash, each erased trace past its retention at `today`, the last trace equal to
 * the recorded head, and the anchor justified by a purge recorded in the chain. Names the
 * first trace that was altered, removed or moved. With a signed head (`checkpoint`), the chain
 * must also pass through it; with `onlyAfter`, only the traces after it are walked.
 */
export async function verifyTraces(db: Sql, today: CalendarDate, input: TracesVerifyInput = {}): Promise<TraceVerification> {
  // One snapshot: the anchor, the head and the rows must be those of the same moment.
  const verification = await db.snapshot(() => verifyChain(db, today, input.checkpoint, input.onlyAfter === true));
  // The head read may be a write's not on disk yet (engine.ts, `settled`): a checkpoint signed
  // on it before it is could outlive it in a crash, a checkpoint past the chain ever after.
  // (Inside a caller's transaction, its own connection would wait for another: not there.)
  if (!db.inTransaction) await db.settled();
  return verification;
}

/** Why a chain no longer passes through a signed head: its hashes were recomputed from that trace or an earlier one. */
function offCheckpoint(id: number): string {
  return `la chaîne ne passe plus par le point de contrôle signé au n° ${id} : elle a été réécrite à partir de cette trace ou d’une précédente`;
}

/** An erased trace's details, which no hash covers (retention left them null): undefined when they are no JSON. */
function erasedDetails(row: TraceRow): unknown {
  if (row.details === null) return null;
  try {
    return JSON.parse(row.details);
  } catch {
    return undefined;
  }
}

/** What the walk reads in a trace's details: a purge's new start, an import's changes. */
type WalkedDetails = { anchor?: unknown; decisionChangesTotal?: number; decisionChangesDigest?: string } | null;

const isStoreId = (value: unknown): boolean => typeof value === 'string' && STORE_ID_PATTERN.test(value);

async function verifyChain(db: Sql, today: CalendarDate, signed: SignedHead | undefined, onlyAfter: boolean): Promise<TraceVerification> {
  const anchor = ((await readMeta(db, ANCHOR_KEY)) ?? { firstId: 1, prevHash: GENESIS_HASH }) as ChainAnchor;
  const { head, written } = await readTraceHead(db);
  const broken = (checked: number, firstBrokenId: number, problem: string): TraceVerification => ({ ok: false, checked, firstBrokenId, head, problem });
  // Content that is no JSON: a broken chain, where the walk used to fail as an internal error (review 28b, N1).
  const unreadable = (checked: number, id: number) => broken(checked, id, `trace n° ${id} modifiée : contenu illisible`);
  // Read back as JSON, each is what the meta row holds: of another type, the chain's records were written by hand (review 28b, N3).
  if (
    !written ||
    ![head.id, head.legacyUntil, anchor.firstId].every(isTraceNumber) ||
    !isHash(head.hash) ||
    !isHash(anchor.prevHash) ||
    !isStoreId(head.storeId)
  ) {
    return broken(0, 1, 'tête ou début de la chaîne illisible : numéro, empreinte ou identifiant de la base d’une autre forme que celle que cafsup écrit');
  }
  const fromGenesis = anchor.firstId === 1 && anchor.prevHash === GENESIS_HASH;
  // Version-2 traces are erased in place, never removed: a start past the old ones is forged.
  if (anchor.firstId > head.legacyUntil + 1) {
    return broken(
      0,
      head.legacyUntil + 1,
      `traces supprimées avant la trace n° ${anchor.firstId} (seules les traces antérieures au n° ${head.legacyUntil + 1} peuvent l’être)`,
    );
  }
  if (signed !== undefined) {
    // Drawn once when the store was made: changed, the checkpoints of this store no longer name it (review 28b, N2).
    if (head.storeId !== signed.storeId)
      return broken(0, 1, `identifiant de la base changé depuis le point de contrôle signé (${signed.storeId}, maintenant ${head.storeId})`);
    // Written once, by the migration that made version 2: any other value than the one signed is forged.
    if (head.legacyUntil !== signed.legacyUntil) {
      return broken(
        0,
        Math.min(head.legacyUntil, signed.legacyUntil) + 1,
        `dernière trace de version 1 déclarée au n° ${head.legacyUntil}, au n° ${signed.legacyUntil} selon le point de contrôle signé`,
      );
    }
    if (head.id < signed.id) return broken(0, head.id + 1, `tête de chaîne au n° ${head.id}, en deçà du point de contrôle signé au n° ${signed.id}`);
    // Cut by a purge just after it: where the chain now starts must be where the signed head ended.
    if (anchor.firstId === signed.id + 1 && anchor.prevHash !== signed.hash) return broken(0, signed.id, offCheckpoint(signed.id));
  }
  // Only after the signed head while the chain starts at its beginning: an anchor a purge moved is
  // justified by a trace such a walk may not see, and the whole chain is walked then.
  const after = onlyAfter && signed !== undefined && fromGenesis ? signed : undefined;
  if (after !== undefined) {
    // A row below the chain's start is in no walk from the head (review 28, H1): looked for once, by the key.
    const stray = await db.get<{ id: number }>('SELECT id FROM traces WHERE id < ? ORDER BY id LIMIT 1', [anchor.firstId]);
    if (stray !== undefined) return broken(0, stray.id, `trace n° ${stray.id} manquante ou déplacée`);
  }
  const start = after === undefined ? anchor : { firstId: after.id + 1, prevHash: after.hash };
  let expectedId = start.firstId;
  let previousHash = start.prevHash;
  let checked = 0;
  let anchorJustified = fromGenesis;
  // Imports whose changes are checked against their digest once the walk is done (a statement
  // is not run while another one's rows are read).
  const imports: { id: number; checked: number; total: number; digest: string }[] = [];
  const rows =
    after === undefined
      ? db.iterate<TraceRow>('SELECT * FROM traces ORDER BY id')
      : db.iterate<TraceRow>('SELECT * FROM traces WHERE id > ? ORDER BY id', [after.id]);
  for await (const row of rows) {
    if (row.id !== expectedId) return broken(checked, Math.min(row.id, expectedId), `trace n° ${Math.min(row.id, expectedId)} manquante ou déplacée`);
    if (row.version !== (row.id <= head.legacyUntil ? 1 : 2)) return broken(checked, row.id, `trace n° ${row.id} : version de l’empreinte modifiée`);
    if (row.prev_hash !== previousHash) {
      // The first trace after the signed head no longer links to it: either was rewritten, or an earlier one.
      if (after !== undefined && row.id === after.id + 1) {
        return broken(
          checked,
          after.id,
          `le lien de la trace n° ${row.id} ne mène plus à la trace n° ${after.id} du point de contrôle signé : l’une ou l’autre a été réécrite, ou une trace antérieure`,
        );
      }
      return broken(checked, row.id, `trace n° ${row.id} : lien rompu avec la trace précédente`);
    }
    let recomputed: ReturnType<typeof recomputeHash>;
    try {
      recomputed = recomputeHash(row, previousHash);
    } catch {
      return unreadable(checked, row.id);
    }
    const { hash, contentOk, trace } = recomputed;
    if (!contentOk || row.hash !== hash) return broken(checked, row.id, `trace n° ${row.id} modifiée`);
    if (row.id === signed?.id && row.hash !== signed.hash) return broken(checked, row.id, offCheckpoint(row.id));
    if (row.erased === 1 && (row.version === 1 || !retentionExpired(row.kind, row.at, today))) {
      return broken(checked, row.id, `trace n° ${row.id} effacée avant la fin de sa durée de conservation`);
    }
    // Read by the hash's check; an erased trace's, which no hash covers, read here.
    const read = trace === null ? erasedDetails(row) : trace.details;
    if (read === undefined) return unreadable(checked, row.id);
    const details: WalkedDetails = read;
    if (!anchorJustified && row.action === 'traces.purge') {
      anchorJustified = row.erased === 1 || canonicalJson(details?.anchor ?? null) === canonicalJson(anchor);
    }
    if (row.action === 'dataset.import' && row.erased !== 1 && details !== null) {
      // Imports made before the digest (schema 11, session 22) have none: theirs cannot be checked.
      if (details.decisionChangesDigest !== undefined) {
        imports.push({ id: row.id, checked, total: details.decisionChangesTotal ?? 0, digest: details.decisionChangesDigest });
      }
    }
    checked += 1;
    previousHash = row.hash;
    expectedId += 1;
  }
  for (const entry of imports) {
    const digest = new ImportChangesDigest();
    for await (const change of db.iterate<ImportChangeRow>(SELECT_IMPORT_CHANGES, [entry.id])) digest.add(change);
    if (digest.count !== entry.total || digest.hex() !== entry.digest) {
      return broken(
        entry.checked,
        entry.id,
        `trace n° ${entry.id} : changements de l’import supprimés, ajoutés ou modifiés (faits : ${frenchNumber(entry.total)} ; en base : ${frenchNumber(digest.count)})`,
      );
    }
  }
  const lastId = expectedId - 1;
  if (lastId < head.id) return broken(checked, lastId + 1, `traces manquantes à partir du n° ${lastId + 1}`);
  if (lastId > head.id) {
    // The recorded head stops short (rolled back or removed): the traces after it are vouched for by nothing.
    const first = Math.max(head.id + 1, start.firstId);
    return broken(first - start.firstId, first, `tête de chaîne enregistrée au n° ${head.id}, en deçà de la dernière trace, n° ${lastId}`);
  }
  if (previousHash !== head.hash) {
    // No trace walked, yet a head of another hash than where the walk started: the chain's start, or the signed head.
    if (lastId < start.firstId)
      return after === undefined
        ? broken(0, start.firstId, 'tête de chaîne incohérente : aucune trace, mais une empreinte')
        : broken(0, after.id, offCheckpoint(after.id));
    return broken(checked - 1, lastId, `tête de chaîne incohérente : son empreinte n’est pas celle de la trace n° ${lastId}`);
  }
  if (!anchorJustified) return broken(checked, anchor.firstId, `début de chaîne au n° ${anchor.firstId} sans purge enregistrée qui l’explique`);
  return { ok: true, checked, firstBrokenId: null, head, problem: null };
}

/** Stored hashes of some traces (those still in the file), for checking checkpoints. */
export function traceHashes(db: Sql, ids: readonly number[]): Promise<{ id: number; hash: string }[]> {
  return db.all<{ id: number; hash: string }>(`SELECT id, hash FROM traces WHERE id IN ${traceIds(db)} ORDER BY id`, [JSON.stringify(ids)]);
}

/** The trace numbers (integers) of a JSON array given as a parameter (`param`, the one positional by default), as a subquery: PostgreSQL reads JSON values as text. */
export function traceIds(db: Sql, param = '?'): string {
  return `(SELECT CAST(value AS BIGINT) FROM ${dialectOf(db).jsonValues(param)} AS ids)`;
}

/**
 * Erases what expired traces say (retention), keeping their number, time, kind and hashes, so
 * the chain still links. Returns how many were erased.
 */
export async function eraseTraces(db: Sql, ids: readonly number[]): Promise<number> {
  const { changes } = await db.run(
    `UPDATE traces SET erased = 1, actor_name = '', actor_email = '', reason = '', target_id = NULL, partner_id = NULL,
            before = NULL, after = NULL, details = NULL
      WHERE erased = 0 AND version = 2 AND id IN ${traceIds(db)}`,
    [JSON.stringify(ids)],
  );
  // What an import changed names people: it goes with the import's trace.
  await db.run(`DELETE FROM import_changes WHERE trace_id IN ${traceIds(db)}`, [JSON.stringify(ids)]);
  return changes;
}

/**
 * Removes the oldest version-1 traces up to `lastId` (those cannot be erased in place) and
 * moves the anchor past them; the caller records the new anchor in its purge trace.
 */
export async function cutTracePrefix(db: Sql, lastId: number): Promise<ChainAnchor> {
  const next = await db.get<{ id: number; prev_hash: string }>('SELECT id, prev_hash FROM traces WHERE id > ? ORDER BY id LIMIT 1', [lastId]);
  await db.run('DELETE FROM traces WHERE id <= ?', [lastId]);
  await db.run('DELETE FROM import_changes WHERE trace_id <= ?', [lastId]);
  const head = await readHead(db);
  const anchor = next === undefined ? { firstId: head.id + 1, prevHash: head.hash } : { firstId: next.id, prevHash: next.prev_hash };
  await writeMeta(db, ANCHOR_KEY, anchor);
  return anchor;
}
