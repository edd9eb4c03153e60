import {
  CafsupError,
  DATASET_SECTION_NAMES,
  datasetFormatSchema,
  datasetVersionSchema,
  isDatasetSection,
  avenantSigning,
  canonicalJson,
  compareCodePoints,
  type Actor,
  type Avenant,
  type Caf,
  type DecisionChange,
  type Convention,
  type DatasetSection,
  type Group,
  type ImportCounts,
  type Partner,
  type Problem,
  type Review,
  countOf,
} from '@cafsup/shared';
import type { DerivedFacts } from '../store/derived.js';
import type { Sql } from '../store/engine/engine.js';
import { DEFERRED_HABILITATION_INDEXES, USER_INDEXES } from '../store/schema.js';
import { readHead } from '../store/meta.js';
import { ImportChangesDigest, type TraceWriter } from '../store/traces.js';
import { JsonSyntaxError, type DatasetEvent } from './json-reader.js';
import {
  HABILITATION_IMPORT,
  HABILITATION_INSERT,
  USER_INSERT,
  cafDoc,
  conventionDoc,
  HABILITATION_WRITTEN,
  USER_WRITTEN,
  partnerDoc,
  searchKey,
} from './rows.js';
import { HashedIds } from './hashed-ids.js';
import { datasetSegments, unpackRows } from './segments.js';

/** Beyond this many problems the refusal says how many more there were instead of listing them; so for the decisions an import changes. */
export const MAX_LISTED = 1000;
/** Where the fields the import reads stand among a row's parameters. */
const USER_AT = {
  id: USER_WRITTEN.indexOf('id'),
  partner: USER_WRITTEN.indexOf('partner_id'),
  status: USER_WRITTEN.indexOf('status'),
  role: USER_WRITTEN.indexOf('role'),
  mustChangePassword: USER_WRITTEN.indexOf('must_change_password'),
  missionEndAt: USER_WRITTEN.indexOf('mission_end_at'),
};
const HABILITATION_AT = {
  id: HABILITATION_WRITTEN.indexOf('id'),
  partner: HABILITATION_WRITTEN.indexOf('partner_id'),
  user: HABILITATION_WRITTEN.indexOf('user_key'),
  group: HABILITATION_WRITTEN.indexOf('group_key'),
  status: HABILITATION_WRITTEN.indexOf('status'),
  profile: HABILITATION_WRITTEN.indexOf('profile'),
  departement: HABILITATION_WRITTEN.indexOf('departement'),
  endsAt: HABILITATION_WRITTEN.indexOf('ends_at'),
  key: HABILITATION_WRITTEN.length,
};
/** A stored habilitation as an import compares it with the file's row (`STATEMENTS.habilitationKeys`). */
interface StoredHabilitation {
  partnerId: string;
  status: string;
  profile: string;
  departement: string | null;
  endsAt: string | null;
  userKey: number | null;
  groupKey: number | null;
}
/** The decisions of a user that an import compares, in the order it lists them. */
const USER_DECISIONS = ['partnerId', 'status', 'role', 'mustChangePassword', 'missionEndAt'] as const;
/** The decisions of a habilitation that an import compares, in the order it lists them. */
const HABILITATION_DECISIONS = ['partnerId', 'status', 'holder', 'profile', 'departement', 'endsAt'] as const;
/** The decisions of a convention's terms that an import compares (its avenants apart). */
const CONVENTION_DECISIONS = ['managementMode', 'delegationWithdrawnAt', 'termination', 'contacts'] as const;
/** From this many habilitations, or users, on, the import drops their secondary indexes and rebuilds them at its end. */
const DEFER_INDEXES_AFTER = 20_000;
/** The indexes an import may drop, by table (`EntityWriter.defer`). */
const DEFERRED_INDEXES = { habilitations: DEFERRED_HABILITATION_INDEXES, users: USER_INDEXES };
/** Rows written, or ids looked up, at once: on PostgreSQL each statement is a round trip to the server. */
const BATCH = 500;

export interface ImportOptions {
  actor: Actor;
  at: string;
  reason: string;
  dryRun: boolean;
  onProgress?: (progress: { bytes: number; entities: number }) => void;
  /** Called inside the import's transaction, just before it commits (an idempotency key lands with it). */
  beforeCommit?: (result: ImportResult) => Promise<void> | void;
  /** Called first inside the import's transaction: a first import makes its store's tables there (PostgreSQL), so that one that does not commit leaves none. */
  makeStore?: () => Promise<void>;
}

export interface ImportResult {
  dryRun: boolean;
  /** The entities of the file, by section. */
  counts: ImportCounts;
  /**
   * Of `counts`, those that replaced a stored entity with the same id (dataset.md): an import
   * over data already there says what it rewrote, in its answer and in its trace.
   */
  replaced: ImportCounts;
  /** The decisions about replaced entities that the file changes, in the order they are written (the first MAX_LISTED). */
  decisionChanges: DecisionChange[];
  /** How many in all. */
  decisionChangesTotal: number;
  traceId: number | null;
}

class ProblemList {
  readonly listed: Problem[] = [];
  total = 0;
  add(path: string, message: string): void {
    this.total += 1;
    if (this.listed.length < MAX_LISTED) this.listed.push({ path, message });
  }
}

interface Owned {
  /** Undefined while the row waits in a batch. */
  key: number | undefined;
  partnerId: string;
}

/** A reference to a user or group that the file may define later than where it is used. */
interface PendingReference {
  path: string;
  kind: 'user' | 'group';
  id: string;
  partnerId: string;
  /** Writes the resolved reference where it belongs. */
  resolve: (target: Owned) => Promise<void> | void;
}

/** Ends the transaction of a dry run by rolling it back, carrying the result out. */
class DryRunEnd extends Error {
  constructor(readonly result: ImportResult) {
    super('dry run');
  }
}

/**
 * Imports a dataset document (dataset.md) in one pass over the stream, inside one write
 * transaction: each entity is validated (in a worker thread for a stream of bytes, see
 * segments.ts), its references checked, and it is written in batches as it comes; at the end,
 * any problem (all listed with their JSON path) rolls everything back. Entities replace those
 * with the same ids and keep their row key, so exports stay in the same order.
 */
export async function importDataset(
  db: Sql,
  traces: TraceWriter,
  derived: DerivedFacts,
  source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>,
  options: ImportOptions,
): Promise<ImportResult> {
  return withBoundedHeapGrowth(() => importInOne(db, traces, derived, source, options));
}

/** How much V8 may grow a heap past what survived its last full collection while an import runs, in percent (V8's own: up to 300). */
const IMPORT_HEAP_GROWING_PERCENT = 40;
let importsRunning = 0;

/**
 * Runs an import with V8's heap growth bounded, for the whole process (it is one of V8's flags,
 * read at each full collection), then gives V8 its own back once no import runs (the count is
 * this thread's: imports run on one thread, the SQLite writer's or PostgreSQL's main one). An
 * import makes garbage at a steady rate (rows, then statements) while some 45 MB stay alive;
 * V8 let the old generation grow to up to four times that before collecting it, so that a
 * national import peaked at 323 MB on PostgreSQL and 253 on SQLite. Bounded: 204 and 215 MB,
 * for 0 to 5 % more time (1,000,000 habilitations, two runs of each in alternation).
 */
async function withBoundedHeapGrowth<T>(work: () => Promise<T>): Promise<T> {
  const v8 = process.getBuiltinModule('node:v8');
  if (importsRunning === 0) v8.setFlagsFromString(`--heap-growing-percent=${IMPORT_HEAP_GROWING_PERCENT}`);
  importsRunning++;
  try {
    return await work();
  } finally {
    // 0: V8's own growth again.
    if (--importsRunning === 0) v8.setFlagsFromString('--heap-growing-percent=0');
  }
}

async function importInOne(
  db: Sql,
  traces: TraceWriter,
  derived: DerivedFacts,
  source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>,
  options: ImportOptions,
): Promise<ImportResult> {
  const problems = new ProblemList();
  const counts = Object.fromEntries(DATASET_SECTION_NAMES.map((name) => [name, 0])) as ImportCounts;
  try {
    return await db.transaction(() =>
      // All of it within the small page cache of a bulk load (the rows appended, the sorts of the
      // indexes built again, the derived facts recomputed): it bounds the import's peak memory.
      db.appending(async () => {
        await options.makeStore?.();
        const before = await storedCounts(db);
        // The import writes alone (SQLite's single writer; on PostgreSQL, the global lock its
        // first statement took): its trace will be the next, and its changes are filed under it.
        const traceId = (await readHead(db)).id + 1;
        // The writer's maps (ids, keys) are left behind before the indexes are built: of it, only
        // the ids its checks still need are kept (`moved`).
        const { touchedPartners, deferred, decisionChanges, moved } = await readInto(db, problems, counts, source, options.onProgress, before, traceId);
        if (deferred.habilitations) for (const index of DEFERRED_INDEXES.habilitations) await db.exec(index.create);
        await checkMoves(db, problems, moved);
        // The users' indexes wait for a full rebuild of the facts, which rewrites every user; a
        // refresh partner by partner reads the users through them.
        const usersAfterFacts = deferred.users && derived.rebuildsAll(touchedPartners.size);
        if (deferred.users && !usersAfterFacts) for (const index of DEFERRED_INDEXES.users) await db.exec(index.create);

        if (problems.total > 0) {
          const more = problems.total - problems.listed.length;
          throw new CafsupError('VALIDATION', `Jeu de données refusé : ${countOf(problems.total, 'problème')}, rien n’a été importé.`, {
            problems: problems.listed,
            total: problems.total,
            ...(more > 0 ? { notListed: more } : {}),
          });
        }
        // An import deletes no entity of a section (it replaces a convention's avenants and a
        // group's members with the file's, which are no section): what a section did not add, it replaced.
        const after = await storedCounts(db);
        const replaced = Object.fromEntries(DATASET_SECTION_NAMES.map((name) => [name, counts[name] - (after[name] - before[name])])) as ImportCounts;
        const changes = { replaced, decisionChanges: decisionChanges.listed, decisionChangesTotal: decisionChanges.total };
        await derived.refresh(
          touchedPartners,
          moved.users.map((user) => user.id),
        );
        if (usersAfterFacts) for (const index of DEFERRED_INDEXES.users) await db.exec(index.create);
        let written: number | null = null;
        if (!options.dryRun) {
          written = (
            await traces.append(options.actor, options.at, [
              {
                action: 'dataset.import',
                targetType: 'dataset',
                targetId: null,
                partnerId: null,
                reason: options.reason,
                details: { counts, ...changes, ...(decisionChanges.total > 0 ? { decisionChangesDigest: decisionChanges.digest.hex() } : {}) },
              },
            ])
          )[0]!;
          if (written !== traceId)
            throw new CafsupError('INTERNAL', `Trace de l’import n° ${written}, ses changements classés sous le n° ${traceId} : rien n’a été importé.`);
        }
        const result = { dryRun: options.dryRun, counts, ...changes, traceId: written };
        // A dry run goes through everything, refresh included, then leaves nothing behind.
        if (options.dryRun) throw new DryRunEnd(result);
        await options.beforeCommit?.(result);
        return result;
      }),
    );
  } catch (error) {
    if (error instanceof DryRunEnd) return error.result;
    throw error;
  }
}

/** How many rows each section's table holds (the tables are named after the sections). */
async function storedCounts(db: Sql): Promise<ImportCounts> {
  return (await db.get<ImportCounts>(`SELECT ${DATASET_SECTION_NAMES.map((name) => `(SELECT COUNT(*) FROM ${name}) AS ${name}`).join(', ')}`))!;
}

/**
 * Reads the document and writes what it holds, checking each entity and its references; then
 * the checks that need the whole file. Problems are added to `problems`, entities counted in `counts`.
 */
async function readInto(
  db: Sql,
  problems: ProblemList,
  counts: ImportCounts,
  source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>,
  onProgress: ImportOptions['onProgress'],
  stored: ImportCounts,
  traceId: number,
): Promise<{
  touchedPartners: Set<string>;
  deferred: EntityWriter['deferred'];
  decisionChanges: EntityWriter['decisionChanges'];
  moved: Moved;
}> {
  const writer = new EntityWriter(db, problems, stored, traceId);
  let sawFormat = false;
  let sawVersion = false;
  let entities = 0;
  const codes: string[] = [];
  try {
    for await (const segment of datasetSegments(source)) {
      switch (segment.kind) {
        case 'progress':
          onProgress?.({ bytes: segment.bytes, entities });
          break;
        case 'field':
          if (segment.key === 'format') {
            sawFormat = true;
            const parsed = datasetFormatSchema.safeParse(segment.value);
            if (!parsed.success) problems.add('format', parsed.error.issues[0]!.message);
          } else if (segment.key === 'version') {
            sawVersion = true;
            const parsed = datasetVersionSchema.safeParse(segment.value);
            if (!parsed.success) problems.add('version', parsed.error.issues[0]!.message);
          } else if (isDatasetSection(segment.key) && !Array.isArray(segment.value)) {
            problems.add(segment.key, 'doit être un tableau');
          }
          break;
        case 'invalid':
          for (const problem of segment.problems) problems.add(problem.path, problem.message);
          await writer.noteInvalidId(segment.section, segment.id, segment.index);
          break;
        case 'entity':
          counts[segment.section] += 1;
          entities += 1;
          await writer.write(segment.section, segment.value as never, `${segment.section}[${segment.index}]`, segment.index);
          break;
        case 'rows': {
          counts[segment.section] += segment.count;
          entities += segment.count;
          if (segment.section === 'users') await writer.writeUsers(unpackRows(segment, codes), segment.first);
          // One place more for the key, which `HABILITATION_IMPORT` takes last.
          else await writer.writeHabilitations(unpackRows(segment, codes, 1), segment.first);
          break;
        }
      }
    }
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new CafsupError('VALIDATION', error.message, {
        problems: [{ path: `ligne ${error.at.line}, colonne ${error.at.column}`, message: error.reason }],
        line: error.at.line,
        column: error.at.column,
      });
    }
    throw error;
  }
  if (!sawFormat) problems.add('format', 'champ obligatoire (« cafsup/dataset »)');
  if (!sawVersion) problems.add('version', 'champ obligatoire (1)');
  await writer.finish();
  return {
    touchedPartners: writer.touchedPartners,
    deferred: writer.deferred,
    decisionChanges: writer.decisionChanges,
    moved: writer.moved,
  };
}

/** Stored users and groups an import gives to another partner, each with its index in the file. */
interface Moved {
  users: { id: string; index: number }[];
  groups: { id: string; index: number }[];
}

/**
 * A stored user or group the file gives to another partner must leave behind what ties them
 * to the former: a user, habilitations and groups; a group, habilitations. The file may give
 * those again, or take them away: references belong to one partner (dataset.md), and an export
 * would no longer import (trial 22, F5; review 22, M4). Run once the habilitations' indexes an
 * import set aside are built again: without them, each batch of moved users read every
 * habilitation (review 22, M3).
 */
async function checkMoves(db: Sql, problems: ProblemList, moved: Moved): Promise<void> {
  const checks = [
    {
      entries: moved.users,
      section: 'users',
      ties: `SELECT u.id, 'habilitation' AS kind, h.id AS "heldId", h.partner_id AS "partnerId" FROM users u JOIN habilitations h ON h.user_key = u.key
               WHERE u.id IN (LIST) AND h.partner_id <> u.partner_id
             UNION ALL
             SELECT u.id, 'group' AS kind, g.id AS "heldId", g.partner_id AS "partnerId" FROM users u JOIN group_members m ON m.user_key = u.key JOIN groups g ON g.key = m.group_key
               WHERE u.id IN (LIST) AND g.partner_id <> u.partner_id`,
    },
    {
      entries: moved.groups,
      section: 'groups',
      // Its members are the file's, checked as any reference.
      ties: `SELECT g.id, 'habilitation' AS kind, h.id AS "heldId", h.partner_id AS "partnerId" FROM groups g JOIN habilitations h ON h.group_key = g.key
               WHERE g.id IN (LIST) AND h.partner_id <> g.partner_id`,
    },
  ] as const;
  for (const { entries, section, ties } of checks) {
    const indexOf = new Map(entries.map(({ id, index }) => [id, index]));
    for (let at = 0; at < entries.length; at += BATCH) {
      const ids = entries.slice(at, at + BATCH).map((entry) => entry.id);
      const statement = ties.replaceAll('LIST', ids.map(() => '?').join(', '));
      // The users' statement names them twice.
      const held = await db.all<{ id: string; kind: 'habilitation' | 'group'; heldId: string; partnerId: string }>(
        statement,
        section === 'users' ? [...ids, ...ids] : ids,
      );
      for (const { id, kind, heldId, partnerId } of held) {
        const who = section === 'users' ? `l’utilisateur « ${id} »` : `le groupe « ${id} »`;
        const what = {
          habilitation: `l’habilitation « ${heldId} » de « ${partnerId} » : le fichier doit aussi la donner à un autre titulaire`,
          group: `sa place dans le groupe « ${heldId} » de « ${partnerId} » : le fichier doit aussi l’en retirer`,
        }[kind];
        problems.add(`${section}[${indexOf.get(id)!}].partnerId`, `${who} changerait de partenaire en gardant ${what}`);
      }
    }
  }
}

/** `select` (a query ending in `IN`) with an `IN` list of `count` parameters, built once per size. */
const inLists = new Map<string, string[]>();
function withList(select: string, count: number): string {
  let texts = inLists.get(select);
  if (texts === undefined) inLists.set(select, (texts = []));
  return (texts[count] ??= `${select} (${Array.from({ length: count }, () => '?').join(', ')})`);
}

/** A row of a key lookup (`SELECT id, key … IN`). */
type KeyRow = { id: string; key: number };

/** Rows of one statement (`Sql.runMany`), written `size` at a time; `writing` runs before each write, `written` after. */
class Batch {
  private rows: unknown[][] = [];

  constructor(
    private readonly db: Sql,
    private readonly statement: string,
    private readonly size: number,
    private readonly written?: (rows: readonly unknown[][]) => Promise<void>,
    /** Whether the rows are surely new (`Sql.appendMany`), asked at each write. */
    private readonly allNew?: () => boolean,
    private readonly writing?: (rows: readonly unknown[][]) => Promise<void>,
  ) {}

  async add(values: unknown[]): Promise<void> {
    this.rows.push(values);
    if (this.rows.length >= this.size) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    await this.writing?.(rows);
    if (this.allNew?.() === true) await this.db.appendMany(this.statement, rows);
    else await this.db.runMany(this.statement, rows);
    await this.written?.(rows);
  }
}

const PARTNER_INSERT = `INSERT INTO partners (id, name, search_key, caf_code, doc) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, search_key = excluded.search_key, caf_code = excluded.caf_code, doc = excluded.doc`;
const GROUP_INSERT = `INSERT INTO groups (id, partner_id, name) VALUES (?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, name = excluded.name`;
const MEMBER_INSERT = 'INSERT INTO group_members (group_key, position, user_key) VALUES (?, ?, ?)';
// A user or group found only at the end: the habilitation written without it gets its key.
// The VALUES columns are named column1, column2… on both engines.
const HABILITATION_USER_UPDATE = 'UPDATE habilitations SET user_key = CAST(v.column1 AS bigint) FROM (VALUES (?, ?)) AS v WHERE habilitations.id = v.column2';
const HABILITATION_GROUP_UPDATE = 'UPDATE habilitations SET group_key = CAST(v.column1 AS bigint) FROM (VALUES (?, ?)) AS v WHERE habilitations.id = v.column2';
const STATEMENTS = {
  caf: 'INSERT INTO cafs (code, doc) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET doc = excluded.doc',
  convention:
    'INSERT INTO conventions (partner_id, number, doc) VALUES (?, ?, ?) ON CONFLICT (partner_id) DO UPDATE SET number = excluded.number, doc = excluded.doc',
  storedAvenants: 'SELECT partner_id AS "partnerId", number, doc FROM avenants WHERE partner_id IN',
  importChange:
    'INSERT INTO import_changes (trace_id, position, section, id, partner_id, former_partner_id, former_id, change) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  storedConventionDocs: 'SELECT partner_id AS id, doc FROM conventions WHERE partner_id IN',
  storedGroupPartners: 'SELECT id, partner_id AS "partnerId" FROM groups WHERE id IN',
  storedMembers: 'SELECT m.group_key AS "groupKey", u.id AS "userId" FROM group_members m JOIN users u ON u.key = m.user_key WHERE m.group_key IN',
  clearAvenants: 'DELETE FROM avenants WHERE partner_id IN',
  avenant: 'INSERT INTO avenants (partner_id, number, doc) VALUES (?, ?, ?)',
  review: `INSERT INTO reviews (partner_id, completed_at, reviewer, proof) VALUES (?, ?, ?, ?)
    ON CONFLICT (partner_id, completed_at, reviewer) DO UPDATE SET proof = excluded.proof`,
  // Upserts with RETURNING grow slower with every row (measured on SQLite: 16.6 s against 5.7 s
  // for a million); keys are read back by id instead, and only where needed. Each lookup ends
  // with the `IN` list of its ids.
  userKeys: 'SELECT id, key FROM users WHERE id IN',
  groupKeys: 'SELECT id, key FROM groups WHERE id IN',
  clearMembers: 'DELETE FROM group_members WHERE group_key IN',
  storedUsers: 'SELECT id, key, partner_id AS "partnerId" FROM users WHERE id IN',
  storedGroups: 'SELECT id, key, partner_id AS "partnerId" FROM groups WHERE id IN',
  storedPartners: 'SELECT id FROM partners WHERE id IN',
  storedCafs: 'SELECT code AS id FROM cafs WHERE code IN',
  storedConventions: 'SELECT partner_id AS id FROM conventions WHERE partner_id IN',
  habilitationKeyBase: 'SELECT COALESCE(MAX(key), 0) FROM habilitations',
  habilitationKey: 'SELECT key FROM habilitations WHERE id = ?',
  // With its decisions: a stored habilitation that the file replaces is compared with its new row.
  habilitationKeys: `SELECT id, key, partner_id AS "partnerId", status, profile, departement, ends_at AS "endsAt", user_key AS "userKey", group_key AS "groupKey"
    FROM habilitations WHERE id IN`,
  storedUserDecisions: `SELECT id, partner_id AS "partnerId", status, role, must_change_password AS "mustChangePassword", mission_end_at AS "missionEndAt"
    FROM users WHERE id IN`,
};

/**
 * Writes validated entities and checks what can only be checked across them. Partners, users,
 * groups (with their members) and habilitations are written in batches, and the keys a row
 * needs are read once its batch is written; a reference is checked where it is met all the
 * same, so the problems come in the order of the file.
 *
 * Habilitation ids are not kept as strings (a million of them would weigh ~100 MB): each new
 * habilitation is written with the key `base + 1 + its index in the file`, and the unique index
 * on `id` finds a duplicate, whose key then says where the id was first used. Only their hashes
 * are kept (`HashedIds`), on PostgreSQL into an empty table, to tell the batches that are surely
 * new, copied in, from those that go by the statement.
 */
class EntityWriter {
  readonly touchedPartners = new Set<string>();
  /** Whether the secondary indexes of these tables were dropped, to be built again at the end. */
  readonly deferred: Record<keyof typeof DEFERRED_INDEXES, boolean> = { habilitations: false, users: false };
  // Where each id was first seen, as an index: a million paths as strings would weigh on the heap.
  private readonly seen: Record<Exclude<DatasetSection, 'habilitations'>, Map<string, number>> = {
    cafs: new Map(),
    partners: new Map(),
    conventions: new Map(),
    users: new Map(),
    groups: new Map(),
    reviews: new Map(),
  };
  /** The largest habilitation key before the import (read at the first habilitation): new rows get keys above it. */
  private habilitationBase: number | undefined;
  /** Stored habilitations the file replaces, by id, with their index in the file. */
  private readonly replacedHabilitations = new Map<string, number>();
  /** The ids of the habilitations written into a table empty before, as hashes: whether one may be a duplicate. */
  private readonly habilitationIds = new HashedIds();
  /** Ids claimed by habilitations that failed validation and by no earlier one, with their index. */
  private readonly invalidHabilitations = new Map<string, number>();
  private habilitationsWritten = false;
  private readonly fileUsers = new Map<string, Owned>();
  private readonly fileGroups = new Map<string, Owned>();
  private readonly filePartners = new Map<string, number>();
  private readonly partnerCafs: { path: string; cafCode: string }[] = [];
  /** Entities whose partner was not yet known where they appeared. */
  private readonly ownedBy: { path: string; partnerId: string }[] = [];
  private readonly pending: PendingReference[] = [];
  /** Members of the groups still waiting in their batch, by group id: written with the group. */
  private readonly waitingMembers = new Map<string, { position: number; user: Owned }[]>();
  private readonly partners: Batch;
  private readonly conventions: Batch;
  /** The avenants of the conventions waiting in their batch: they replace those stored once it is written. */
  private avenants: unknown[][] = [];
  private readonly reviews: Batch;
  private readonly users: Batch;
  private readonly groups: Batch;
  private readonly members: Batch;
  private readonly habilitationUsers: Batch;
  private readonly habilitationGroups: Batch;
  /** The decisions about replaced entities that the file changes, the first MAX_LISTED of them; all go to `import_changes`, and into its digest. */
  readonly decisionChanges: { listed: DecisionChange[]; total: number; digest: ImportChangesDigest } = {
    listed: [],
    total: 0,
    digest: new ImportChangesDigest(),
  };
  private readonly changeRows: Batch;
  /** Stored users the file gives to another partner: what they hold of the former is checked at the end. */
  private readonly movedUsers: string[] = [];
  /** Stored groups the file gives to another partner: what they hold of the former is checked at the end. */
  private readonly movedGroups: string[] = [];
  /** Stored groups the file replaces, while their batch waits (`groupsReplacing`). */
  private readonly replacedGroups = new Set<string>();
  /** Stored conventions the file replaces, by partner. */
  private readonly replacedConventions = new Set<string>();
  /** The members the file gives each group, while its batch waits, when groups were stored (to compare). */
  private readonly fileMemberIds = new Map<string, readonly string[]>();

  constructor(
    private readonly db: Sql,
    private readonly problems: ProblemList,
    /**
     * What each table held before the import: into an empty one nothing is replaced, and nothing
     * is looked up to tell; on PostgreSQL its rows are copied in, its indexes may be dropped.
     */
    private readonly stored: ImportCounts,
    /** The number the import's trace will have: its changes are filed under it (`import_changes`). */
    private readonly traceId: number,
  ) {
    this.partners = new Batch(db, PARTNER_INSERT, BATCH);
    this.changeRows = new Batch(db, STATEMENTS.importChange, BATCH);
    this.conventions = new Batch(
      db,
      STATEMENTS.convention,
      BATCH,
      (rows) => this.conventionsWritten(rows),
      undefined,
      stored.conventions === 0 ? undefined : (rows) => this.conventionsReplacing(rows),
    );
    this.reviews = new Batch(db, STATEMENTS.review, BATCH);
    // Users are new to the file: each id was seen once (`firstUse`).
    this.users = new Batch(
      db,
      USER_INSERT,
      BATCH,
      (rows) => this.readKeys(STATEMENTS.userKeys, rows, this.fileUsers),
      () => this.copiesInto('users'),
      stored.users === 0 ? undefined : (rows) => this.usersReplacing(rows),
    );
    this.groups = new Batch(
      db,
      GROUP_INSERT,
      BATCH,
      (rows) => this.groupsWritten(rows),
      undefined,
      stored.groups === 0 ? undefined : (rows) => this.groupsReplacing(rows),
    );
    this.members = new Batch(db, MEMBER_INSERT, BATCH);
    this.habilitationUsers = new Batch(db, HABILITATION_USER_UPDATE, BATCH);
    this.habilitationGroups = new Batch(db, HABILITATION_GROUP_UPDATE, BATCH);
  }

  /** The rows of `select` (a query ending in `IN`) for these ids, by id, asked a batch at a time. */
  private async lookUp<T extends { id: string }>(select: string, ids: Iterable<string>): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const distinct = [...new Set(ids)];
    for (let at = 0; at < distinct.length; at += BATCH) {
      const chunk = distinct.slice(at, at + BATCH);
      for (const row of await this.db.all<T>(withList(select, chunk.length), chunk)) found.set(row.id, row);
    }
    return found;
  }

  /** Gives the entities of rows just written (their id first) their keys. */
  private async readKeys(select: string, rows: readonly unknown[][], file: Map<string, Owned>): Promise<void> {
    const keys = await this.lookUp<KeyRow>(
      select,
      rows.map((row) => row[0] as string),
    );
    for (const [id, { key }] of keys) file.get(id)!.key = key;
  }

  /** A decision that replacing a stored entity changes, noted (the callers compare: most fields stay, and are not allocated a change). */
  private async decisionChanged(change: DecisionChange): Promise<void> {
    const position = this.decisionChanges.total++;
    if (this.decisionChanges.listed.length < MAX_LISTED) this.decisionChanges.listed.push(change);
    // Filed under whom it concerns: a group's member under the user; a habilitation given to
    // another under its former holder too, a user or habilitation moved under the partner left.
    const subject = change.section === 'groups' ? (change.to ?? change.from)! : change.id;
    const formerPartner = change.field === 'partnerId' ? (change.from as string) : null;
    // The partner left has one user, group or habilitation less: its facts are computed again too.
    if (formerPartner !== null) this.touchedPartners.add(formerPartner);
    const formerHolder = change.field === 'holder' ? change.from : null;
    const row = {
      position,
      section: change.section,
      id: subject,
      partnerId: change.partnerId,
      formerPartnerId: formerPartner,
      formerId: formerHolder,
      change: JSON.stringify(change),
    };
    this.decisionChanges.digest.add(row);
    await this.changeRows.add([this.traceId, row.position, row.section, row.id, row.partnerId, row.formerPartnerId, row.formerId, row.change]);
  }

  /** A batch of users about to be written: those stored already are compared with their new rows. */
  private async usersReplacing(rows: readonly unknown[][]): Promise<void> {
    type Decisions = { id: string; partnerId: string; status: string; role: string; mustChangePassword: unknown; missionEndAt: string | null };
    const stored = await this.lookUp<Decisions>(
      STATEMENTS.storedUserDecisions,
      rows.map((row) => row[USER_AT.id] as string),
    );
    if (stored.size === 0) return;
    for (const row of rows) {
      const id = row[USER_AT.id] as string;
      const before = stored.get(id);
      if (before === undefined) continue;
      const partnerId = row[USER_AT.partner] as string;
      if (before.partnerId !== partnerId) this.movedUsers.push(id);
      // 0 or 1 on SQLite, as on PostgreSQL where the column is an integer too.
      const was = { ...before, mustChangePassword: Number(before.mustChangePassword) === 1 };
      const after = {
        partnerId,
        status: row[USER_AT.status] as string,
        role: row[USER_AT.role] as string,
        mustChangePassword: row[USER_AT.mustChangePassword] === 1,
        missionEndAt: row[USER_AT.missionEndAt] as string | null,
      };
      for (const field of USER_DECISIONS) {
        if (was[field] !== after[field]) await this.decisionChanged({ section: 'users', id, partnerId, field, from: was[field], to: after[field] });
      }
    }
  }

  /**
   * The stored users and groups the file gives to another partner, with their place in the file:
   * what `checkMoves` needs, and nothing else of the writer, whose maps are then left behind.
   */
  get moved(): Moved {
    const placed = (section: 'users' | 'groups', ids: readonly string[]) => ids.map((id) => ({ id, index: this.seen[section].get(id)! }));
    return { users: placed('users', this.movedUsers), groups: placed('groups', this.movedGroups) };
  }

  /** A batch of groups is written: their members replace those they had (a member added or left out is noted). */
  private async groupsWritten(rows: readonly unknown[][]): Promise<void> {
    await this.readKeys(STATEMENTS.groupKeys, rows, this.fileGroups);
    const keys = rows.map((row) => this.fileGroups.get(row[0] as string)!.key!);
    if (this.stored.groups > 0) await this.membersReplacing(rows, keys);
    await this.db.run(withList(STATEMENTS.clearMembers, keys.length), keys);
    for (const row of rows) {
      const id = row[0] as string;
      const groupKey = this.fileGroups.get(id)!.key!;
      for (const { position, user } of this.waitingMembers.get(id)!) await this.members.add([groupKey, position, await this.keyOf(user, this.users)]);
      this.waitingMembers.delete(id);
    }
  }

  /** The stored members of these groups (rows of `GROUP_INSERT`, `keys` theirs), compared with the file's. */
  private async membersReplacing(rows: readonly unknown[][], keys: readonly number[]): Promise<void> {
    const stored = new Map<number, Set<string>>();
    for (const { groupKey, userId } of await this.db.all<{ groupKey: number; userId: string }>(withList(STATEMENTS.storedMembers, keys.length), keys)) {
      let members = stored.get(Number(groupKey));
      if (members === undefined) stored.set(Number(groupKey), (members = new Set()));
      members.add(userId);
    }
    for (const [offset, row] of rows.entries()) {
      const id = row[0] as string;
      const after = new Set(this.fileMemberIds.get(id) ?? []);
      this.fileMemberIds.delete(id);
      // A stored group without members is compared too: those the file gives it are added.
      if (!this.replacedGroups.delete(id)) continue;
      const before = stored.get(keys[offset]!) ?? new Set<string>();
      const member = { section: 'groups', id, partnerId: row[1] as string, field: 'member' } as const;
      for (const userId of before) if (!after.has(userId)) await this.decisionChanged({ ...member, from: userId, to: null });
      for (const userId of after) if (!before.has(userId)) await this.decisionChanged({ ...member, from: null, to: userId });
    }
  }

  /** A batch of groups about to be written: those stored already are noted, one given to another partner too; their members are compared once written. */
  private async groupsReplacing(rows: readonly unknown[][]): Promise<void> {
    const stored = await this.lookUp<{ id: string; partnerId: string }>(
      STATEMENTS.storedGroupPartners,
      rows.map((row) => row[0] as string),
    );
    for (const row of rows) {
      const [id, partnerId] = row as [string, string];
      const before = stored.get(id);
      if (before === undefined) continue;
      this.replacedGroups.add(id);
      if (before.partnerId === partnerId) continue;
      this.movedGroups.push(id);
      await this.decisionChanged({ section: 'groups', id, partnerId, field: 'partnerId', from: before.partnerId, to: partnerId });
    }
  }

  /** A batch of conventions about to be written: those stored already are compared with their new terms. */
  private async conventionsReplacing(rows: readonly unknown[][]): Promise<void> {
    const stored = await this.lookUp<{ id: string; doc: string }>(
      STATEMENTS.storedConventionDocs,
      rows.map((row) => row[0] as string),
    );
    for (const row of rows) {
      const partnerId = row[0] as string;
      const before = stored.get(partnerId);
      if (before === undefined) continue;
      this.replacedConventions.add(partnerId);
      const [was, is] = [JSON.parse(before.doc) as Record<string, unknown>, JSON.parse(row[2] as string) as Record<string, unknown>];
      for (const field of CONVENTION_DECISIONS) {
        if (canonicalJson(was[field] ?? null) !== canonicalJson(is[field] ?? null))
          await this.decisionChanged({ section: 'conventions', id: partnerId, partnerId, field, from: was[field] ?? null, to: is[field] ?? null });
      }
    }
  }

  /** A batch of conventions is written: their avenants replace those they had. */
  private async conventionsWritten(rows: readonly unknown[][]): Promise<void> {
    const partnerIds = rows.map((row) => row[0]);
    const avenants = this.avenants;
    this.avenants = [];
    if (this.stored.conventions > 0) await this.avenantsReplacing(partnerIds, avenants);
    await this.db.run(withList(STATEMENTS.clearAvenants, partnerIds.length), partnerIds);
    await this.db.runMany(STATEMENTS.avenant, avenants);
  }

  /**
   * The stored avenants of these conventions, about to be replaced by the file's (`avenants`,
   * rows of `STATEMENTS.avenant`): one unsigned, rewritten or left out is noted, and one signed
   * that only the file has (a draft only the file has decides nothing).
   */
  private async avenantsReplacing(partnerIds: readonly unknown[], avenants: readonly unknown[][]): Promise<void> {
    const stored = await this.db.all<{ partnerId: string; number: number; doc: string }>(withList(STATEMENTS.storedAvenants, partnerIds.length), partnerIds);
    const file = new Map(avenants.map(([partnerId, number, doc]) => [`${partnerId as string}/${number as number}`, JSON.parse(doc as string) as Avenant]));
    // One signed that only the file has changes the terms in force of a stored convention.
    const storedKeys = new Set(stored.map(({ partnerId, number }) => `${partnerId}/${number}`));
    for (const [key, avenant] of file) {
      const partnerId = key.slice(0, key.lastIndexOf('/'));
      if (!storedKeys.has(key) && this.replacedConventions.has(partnerId) && avenantSigning(avenant) !== 'draft')
        await this.decisionChanged({
          section: 'avenants',
          id: partnerId,
          partnerId,
          number: avenant.number,
          field: 'signing',
          from: 'absent',
          to: avenantSigning(avenant),
        });
    }
    for (const { partnerId, number, doc } of stored.sort((a, b) => compareCodePoints(a.partnerId, b.partnerId) || a.number - b.number)) {
      const before = JSON.parse(doc) as Avenant;
      const after = file.get(`${partnerId}/${number}`);
      if (after !== undefined && canonicalJson(after) === canonicalJson(before)) continue;
      // Rewritten with the same signatures: still a change of the contract's terms, said as such.
      await this.decisionChanged({
        section: 'avenants',
        id: partnerId,
        partnerId,
        number,
        field: 'signing',
        from: avenantSigning(before),
        to: after === undefined ? 'absent' : avenantSigning(after),
      });
    }
  }

  /** The key of a user or group of the file, once the batch holding its row is written. */
  private async keyOf(owned: Owned, batch: Batch): Promise<number> {
    if (owned.key === undefined) await batch.flush();
    return owned.key!;
  }

  /**
   * Returns false, after naming the problem, when the id was already used earlier in the file.
   * `label` says what the id names, put before it; or names the entity whole when its id is a
   * key no reader knows it by (a review's), built only for a duplicate.
   */
  private firstUse(
    section: Exclude<DatasetSection, 'habilitations'>,
    id: string,
    base: string,
    index: number,
    field: string,
    label: string | (() => string),
  ): boolean {
    const previous = this.seen[section].get(id);
    if (previous !== undefined) {
      const named = typeof label === 'string' ? `${label} « ${id} »` : label();
      this.problems.add(`${base}.${field}`, `${named} en double (déjà en ${section}[${previous}])`);
      return false;
    }
    this.seen[section].set(id, index);
    return true;
  }

  private owned(partnerId: string, base: string): void {
    if (!this.filePartners.has(partnerId)) this.ownedBy.push({ path: `${base}.partnerId`, partnerId });
  }

  /** An entity that failed validation still claims its id, so a later duplicate is named too. */
  async noteInvalidId(section: DatasetSection, id: string | null, index: number): Promise<void> {
    if (id === null || section === 'reviews') return;
    if (section !== 'habilitations') {
      if (!this.seen[section].has(id)) this.seen[section].set(id, index);
      return;
    }
    if (this.invalidHabilitations.has(id) || this.replacedHabilitations.has(id)) return;
    const base = await this.habilitationKeyBase();
    const stored = await this.db.value<number>(STATEMENTS.habilitationKey, [id]);
    if (stored === undefined || stored <= base) this.invalidHabilitations.set(id, index);
  }

  private async habilitationKeyBase(): Promise<number> {
    return (this.habilitationBase ??= (await this.db.value<number>(STATEMENTS.habilitationKeyBase))!);
  }

  /**
   * Drops the deferred indexes of `table` once its rows so far (`count`) are more than
   * DEFER_INDEXES_AFTER. On PostgreSQL only into a table empty before the import: DROP INDEX
   * locks the table against every reader until the import commits, and a store in use must keep
   * answering meanwhile (with the rows of before): `stored`, read at the import's start, says.
   */
  private async defer(table: keyof typeof DEFERRED_INDEXES, count: number): Promise<void> {
    if (this.deferred[table] || count <= DEFER_INDEXES_AFTER || (this.db.dialect === 'postgres' && this.stored[table] > 0)) return;
    for (const { name } of DEFERRED_INDEXES[table]) await this.db.exec(`DROP INDEX ${name}`);
    this.deferred[table] = true;
  }

  /** Whether rows new to the file go into `table` by `Sql.appendMany`: on PostgreSQL, a table empty before the import. */
  private copiesInto(table: keyof typeof DEFERRED_INDEXES): boolean {
    return this.db.dialect === 'postgres' && this.stored[table] === 0;
  }

  /** Users, valid, from `users[first]` on, each as the parameters of `USER_INSERT`. */
  async writeUsers(rows: readonly unknown[][], first: number): Promise<void> {
    // On PostgreSQL only (USER_INDEXES): SQLite rewrites a row in place, touching only the
    // indexes of the columns that change, and built the four again in more time (~0.9 s for
    // 200,000 users) than adding each user to them saved (~0.3 s).
    if (this.db.dialect === 'postgres') await this.defer('users', first + rows.length);
    for (const [offset, row] of rows.entries()) {
      const index = first + offset;
      const base = `users[${index}]`;
      const id = row[USER_AT.id] as string;
      const partnerId = row[USER_AT.partner] as string;
      if (!this.firstUse('users', id, base, index, 'id', 'identifiant d’utilisateur')) continue;
      this.owned(partnerId, base);
      this.touchedPartners.add(partnerId);
      this.fileUsers.set(id, { key: undefined, partnerId });
      await this.users.add(row);
    }
  }

  /**
   * Habilitations, valid, from `habilitations[first]` on, each as the parameters of
   * `HABILITATION_IMPORT` (its user and group as ids, its key not yet there): written in one
   * statement, then checked in order — a duplicate id, then the user or group each refers to.
   */
  async writeHabilitations(rows: readonly unknown[][], first: number): Promise<void> {
    await this.defer('habilitations', first + rows.length);
    // The users and groups written so far get their keys.
    await this.users.flush();
    await this.groups.flush();
    const base = await this.habilitationKeyBase();
    const userIds = new Array<string | null>(rows.length);
    const groupIds = new Array<string | null>(rows.length);
    /** Where each row's id was used before, when it was. */
    const earlier = new Array<number | undefined>(rows.length);
    const written: unknown[][] = [];
    for (const [offset, row] of rows.entries()) {
      const userId = (userIds[offset] = row[HABILITATION_AT.user] as string | null);
      const groupId = (groupIds[offset] = row[HABILITATION_AT.group] as string | null);
      row[HABILITATION_AT.user] = userId === null ? null : (this.fileUsers.get(userId)?.key ?? null);
      row[HABILITATION_AT.group] = groupId === null ? null : (this.fileGroups.get(groupId)?.key ?? null);
      row[HABILITATION_AT.key] = base + 1 + first + offset;
      earlier[offset] = this.invalidHabilitations.size === 0 ? undefined : this.invalidHabilitations.get(row[HABILITATION_AT.id] as string);
      if (earlier[offset] === undefined) written.push(row);
    }
    // Rows whose ids the file has not used before are new (`copiesInto`; on SQLite no ids are kept).
    let allNew = this.copiesInto('habilitations');
    if (allNew) for (const row of written) if (!this.habilitationIds.add(row[HABILITATION_AT.id] as string)) allNew = false;
    let changes = written.length;
    if (allNew) await this.db.appendMany(HABILITATION_IMPORT, written);
    else ({ changes } = await this.db.runMany(HABILITATION_IMPORT, written));
    this.habilitationsWritten ||= changes > 0;
    // Some ids were taken: by a row of this import (a duplicate) or by a stored habilitation, which is replaced.
    // The batch's keys are read and its replacements written in a statement each: on PostgreSQL a
    // statement per row made a re-import of a million habilitations two million round trips (450 s).
    if (changes < written.length) {
      const keys = await this.lookUp<KeyRow & StoredHabilitation>(
        STATEMENTS.habilitationKeys,
        written.map((row) => row[HABILITATION_AT.id] as string),
      );
      const replacing: unknown[][] = [];
      const replaced: { offset: number; before: StoredHabilitation }[] = [];
      for (const [offset, row] of rows.entries()) {
        if (earlier[offset] !== undefined) continue;
        const id = row[HABILITATION_AT.id] as string;
        const { key: stored, ...before } = keys.get(id)!;
        if (stored === row[HABILITATION_AT.key]) continue;
        if (stored > base) earlier[offset] = stored - base - 1;
        else if (this.replacedHabilitations.has(id)) earlier[offset] = this.replacedHabilitations.get(id);
        else {
          this.replacedHabilitations.set(id, first + offset);
          replacing.push(row.slice(0, HABILITATION_AT.key));
          replaced.push({ offset, before });
        }
      }
      await this.habilitationsReplacing(rows, userIds, groupIds, replaced);
      await this.db.runMany(HABILITATION_INSERT, replacing);
    }
    for (const [offset, row] of rows.entries()) {
      const base = `habilitations[${first + offset}]`;
      const id = row[HABILITATION_AT.id] as string;
      const partnerId = row[HABILITATION_AT.partner] as string;
      if (earlier[offset] !== undefined) {
        this.problems.add(`${base}.id`, `identifiant d’habilitation « ${id} » en double (déjà en habilitations[${earlier[offset]}])`);
        continue;
      }
      this.owned(partnerId, base);
      this.touchedPartners.add(partnerId);
      // The common case, a user or group of the file and of the same partner, needs nothing more.
      const userId = userIds[offset]!;
      const groupId = groupIds[offset]!;
      if (userId !== null) {
        const user = this.fileUsers.get(userId);
        if (user?.partnerId === partnerId) continue;
        await this.reference({
          path: `${base}.userId`,
          kind: 'user',
          id: userId,
          partnerId,
          resolve: (target) => (target === user ? undefined : this.habilitationUsers.add([target.key, id])),
        });
      } else {
        const group = this.fileGroups.get(groupId);
        if (group?.partnerId === partnerId) continue;
        await this.reference({
          path: `${base}.groupId`,
          kind: 'group',
          id: groupId,
          partnerId,
          resolve: (target) => (target === group ? undefined : this.habilitationGroups.add([target.key, id])),
        });
      }
    }
  }

  /**
   * The decisions about stored habilitations that rows of the file replace (`replaced`, by their
   * offset in `rows`, whose user and group are keys where known, their ids in `userIds` and
   * `groupIds`). Compared field by field, a change allocated only where there is one: a
   * re-import of a million habilitations compares six million fields. A holder is compared by
   * key, and by id only where the keys cannot tell (a holder the file names before writing it).
   */
  private async habilitationsReplacing(
    rows: readonly unknown[][],
    userIds: readonly (string | null)[],
    groupIds: readonly (string | null)[],
    replaced: readonly { offset: number; before: StoredHabilitation }[],
  ): Promise<void> {
    const mayHaveMoved = ({ offset, before }: { offset: number; before: StoredHabilitation }) => {
      const byUser = userIds[offset] !== null;
      const fileKey = rows[offset]![byUser ? HABILITATION_AT.user : HABILITATION_AT.group];
      const [storedKey, otherKey] = byUser ? [before.userKey, before.groupKey] : [before.groupKey, before.userKey];
      return fileKey === null || otherKey !== null || Number(fileKey) !== Number(storedKey);
    };
    const moved = replaced.filter(mayHaveMoved);
    const holderIds = new Map<string, string>();
    for (const [table, kind] of [
      ['users', 'userKey'],
      ['groups', 'groupKey'],
    ] as const) {
      const wanted = [...new Set(moved.map(({ before }) => before[kind]).filter((key) => key !== null))];
      for (let at = 0; at < wanted.length; at += BATCH) {
        const chunk = wanted.slice(at, at + BATCH);
        for (const { key, id } of await this.db.all<KeyRow>(withList(`SELECT key, id FROM ${table} WHERE key IN`, chunk.length), chunk)) {
          holderIds.set(`${kind}:${Number(key)}`, id);
        }
      }
    }
    for (const { offset, before } of replaced) {
      const row = rows[offset]!;
      const id = row[HABILITATION_AT.id] as string;
      const partnerId = row[HABILITATION_AT.partner] as string;
      const after: Omit<StoredHabilitation, 'userKey' | 'groupKey'> & { holder: string } = {
        partnerId,
        status: row[HABILITATION_AT.status] as string,
        holder: (userIds[offset] ?? groupIds[offset])!,
        profile: row[HABILITATION_AT.profile] as string,
        departement: row[HABILITATION_AT.departement] as string | null,
        endsAt: row[HABILITATION_AT.endsAt] as string | null,
      };
      const holder = before.userKey !== null ? holderIds.get(`userKey:${Number(before.userKey)}`) : holderIds.get(`groupKey:${Number(before.groupKey)}`);
      const was = { ...before, holder: mayHaveMoved({ offset, before }) ? holder! : after.holder };
      for (const field of HABILITATION_DECISIONS) {
        if (was[field] !== after[field]) await this.decisionChanged({ section: 'habilitations', id, partnerId, field, from: was[field], to: after[field] });
      }
    }
  }

  /** An entity of the sections other than users and habilitations, valid. */
  async write(section: Exclude<DatasetSection, 'users' | 'habilitations'>, entity: never, base: string, index: number): Promise<void> {
    switch (section) {
      case 'cafs': {
        const caf = entity as Caf;
        if (this.firstUse('cafs', caf.code, base, index, 'code', 'code de Caf')) await this.db.run(STATEMENTS.caf, [caf.code, cafDoc(caf)]);
        return;
      }
      case 'partners': {
        const partner = entity as Partner;
        if (!this.firstUse('partners', partner.id, base, index, 'id', 'identifiant de partenaire')) return;
        this.filePartners.set(partner.id, index);
        this.partnerCafs.push({ path: `${base}.cafCode`, cafCode: partner.cafCode });
        this.touchedPartners.add(partner.id);
        await this.partners.add([partner.id, partner.name, searchKey(partner.id, partner.name), partner.cafCode, partnerDoc(partner)]);
        return;
      }
      case 'conventions': {
        const convention = entity as Convention;
        if (!this.firstUse('conventions', convention.partnerId, base, index, 'partnerId', 'deuxième convention pour le partenaire')) return;
        this.owned(convention.partnerId, base);
        for (const avenant of convention.avenants) this.avenants.push([convention.partnerId, avenant.number, JSON.stringify(avenant)]);
        await this.conventions.add([convention.partnerId, convention.number, conventionDoc(convention)]);
        return;
      }
      case 'groups': {
        const group = entity as Group;
        if (!this.firstUse('groups', group.id, base, index, 'id', 'identifiant de groupe')) return;
        this.owned(group.partnerId, base);
        this.touchedPartners.add(group.partnerId);
        const owned: Owned = { key: undefined, partnerId: group.partnerId };
        this.fileGroups.set(group.id, owned);
        const members: { position: number; user: Owned }[] = [];
        this.waitingMembers.set(group.id, members);
        if (this.stored.groups > 0) this.fileMemberIds.set(group.id, group.memberIds);
        for (const [position, userId] of group.memberIds.entries()) {
          await this.reference({
            path: `${base}.memberIds[${position}]`,
            kind: 'user',
            id: userId,
            partnerId: group.partnerId,
            // Before its group is written, a member waits for it; after (a user found only at the end), it is written at once.
            resolve: async (user) => {
              if (owned.key === undefined) members.push({ position, user });
              else await this.members.add([owned.key, position, user.key]);
            },
          });
        }
        await this.groups.add([group.id, group.partnerId, group.name]);
        return;
      }
      case 'reviews': {
        const review = entity as Review;
        const identity = `${review.partnerId}\u0000${review.completedAt}\u0000${review.reviewer}`;
        const named = () => `revue de « ${review.partnerId} » du ${review.completedAt} par « ${review.reviewer} »`;
        if (!this.firstUse('reviews', identity, base, index, 'completedAt', named)) return;
        this.owned(review.partnerId, base);
        await this.reviews.add([review.partnerId, review.completedAt, review.reviewer, review.proof]);
        return;
      }
    }
  }

  /** Resolves at once when the target is known, else later, when the whole file has been read. */
  private async reference(reference: PendingReference): Promise<void> {
    const target = (reference.kind === 'user' ? this.fileUsers : this.fileGroups).get(reference.id);
    if (target === undefined) this.pending.push(reference);
    else await this.check(reference, target);
  }

  private async check(reference: PendingReference, target: Owned | undefined): Promise<void> {
    const label = reference.kind === 'user' ? 'utilisateur' : 'groupe';
    if (target === undefined) this.problems.add(reference.path, `${label} « ${reference.id} » inconnu`);
    else if (target.partnerId !== reference.partnerId) {
      const named = reference.kind === 'user' ? 'l’utilisateur' : 'le groupe';
      this.problems.add(reference.path, `${named} « ${reference.id} » appartient au partenaire « ${target.partnerId} », pas à « ${reference.partnerId} »`);
    } else await reference.resolve(target);
  }

  /** The checks that need the whole file: forward references and entities the file relies on in the store. */
  async finish(): Promise<void> {
    for (const batch of [this.partners, this.conventions, this.users, this.groups, this.members, this.reviews]) await batch.flush();
    // A user or group of the file refused for a problem of its own (seen, never written) is named
    // once, not again by each reference to it; nor is it looked for in the store, which the file replaces.
    const pending = this.pending.filter(
      ({ kind, id }) => (kind === 'user' ? this.fileUsers : this.fileGroups).has(id) || !this.seen[kind === 'user' ? 'users' : 'groups'].has(id),
    );
    const outside = (kind: 'user' | 'group', file: Map<string, Owned>) =>
      pending.filter((reference) => reference.kind === kind && !file.has(reference.id)).map((reference) => reference.id);
    const storedUsers = await this.lookUp<Owned & { id: string }>(STATEMENTS.storedUsers, outside('user', this.fileUsers));
    const storedGroups = await this.lookUp<Owned & { id: string }>(STATEMENTS.storedGroups, outside('group', this.fileGroups));
    for (const reference of pending) {
      const [file, stored] = reference.kind === 'user' ? [this.fileUsers, storedUsers] : [this.fileGroups, storedGroups];
      await this.check(reference, file.get(reference.id) ?? stored.get(reference.id));
    }
    for (const batch of [this.members, this.habilitationUsers, this.habilitationGroups, this.changeRows]) await batch.flush();
    // Keys were given by the import: the next habilitation created takes the one after the last.
    if (this.habilitationsWritten && this.db.dialect === 'postgres') {
      await this.db.exec(`SELECT setval(pg_get_serial_sequence('habilitations', 'key'), (SELECT MAX(key) FROM habilitations))`);
    }

    const storedCafs = await this.lookUp(
      STATEMENTS.storedCafs,
      this.partnerCafs.filter(({ cafCode }) => !this.seen.cafs.has(cafCode)).map(({ cafCode }) => cafCode),
    );
    for (const { path, cafCode } of this.partnerCafs) {
      if (!this.seen.cafs.has(cafCode) && !storedCafs.has(cafCode)) this.problems.add(path, `Caf « ${cafCode} » inconnue`);
    }
    const storedPartners = await this.lookUp(
      STATEMENTS.storedPartners,
      this.ownedBy.filter(({ partnerId }) => !this.filePartners.has(partnerId)).map(({ partnerId }) => partnerId),
    );
    for (const { path, partnerId } of this.ownedBy) {
      // A partner of the file refused for a problem of its own is named once, not again by each of its entities.
      if (!this.seen.partners.has(partnerId) && !storedPartners.has(partnerId)) this.problems.add(path, `partenaire « ${partnerId} » inconnu`);
    }
    const storedConventions = await this.lookUp(
      STATEMENTS.storedConventions,
      [...this.filePartners.keys()].filter((partnerId) => !this.seen.conventions.has(partnerId)),
    );
    for (const [partnerId, index] of this.filePartners) {
      if (!this.seen.conventions.has(partnerId) && !storedConventions.has(partnerId)) {
        this.problems.add(`partners[${index}]`, `aucune convention pour le partenaire « ${partnerId} » (une convention par partenaire)`);
      }
    }
  }
}
