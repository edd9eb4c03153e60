import {
  CafsupError,
  DATASET_SECTIONS,
  DATASET_SECTION_NAMES,
  datasetFormatSchema,
  datasetVersionSchema,
  formatPath,
  isDatasetSection,
  type Actor,
  type Caf,
  type Convention,
  type DatasetSection,
  type Group,
  type Habilitation,
  type ImportCounts,
  type Partner,
  type Problem,
  type Review,
  type User,
  countOf,
} from '@cafsup/shared';
import type { DerivedFacts } from '../store/derived.js';
import type { Sql } from '../store/engine/engine.js';
import { DEFERRED_HABILITATION_INDEXES } from '../store/schema.js';
import type { TraceWriter } from '../store/traces.js';
import { JsonSyntaxError, readDatasetJson, type DatasetEvent } from './json-reader.js';
import {
  HABILITATION_INSERT,
  USER_INSERT,
  cafDoc,
  conventionDoc,
  habilitationToRow,
  habilitationValues,
  partnerDoc,
  searchKey,
  userToRow,
  userValues,
} from './rows.js';

/** Beyond this many problems the refusal says how many more there were instead of listing them. */
const MAX_LISTED_PROBLEMS = 1000;
/** From this many habilitations on, the import drops their secondary indexes and rebuilds them at its end. */
const DEFER_INDEXES_AFTER = 20_000;
/**
 * Rows written, or ids looked up, by one statement on PostgreSQL, where each statement is a
 * round trip to the server. SQLite, embedded, takes them one by one as they come.
 */
const POSTGRES_BATCH = 500;

export interface ImportOptions {
  actor: Actor;
  at: string;
  reason: string;
  dryRun: boolean;
  onProgress?: (progress: { bytes: number; entities: number }) => void;
  /** Called inside the import's transaction, just before it commits (an idempotency key lands with it). */
  beforeCommit?: (result: ImportResult) => Promise<void> | void;
}

export interface ImportResult {
  dryRun: boolean;
  counts: ImportCounts;
  traceId: number | null;
}

class ProblemList {
  readonly listed: Problem[] = [];
  total = 0;
  add(path: string, message: string): void {
    this.total += 1;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push({ path, message });
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
 * transaction: each entity is validated, its references checked and it is written at once (on
 * PostgreSQL, in batches); at the end, any problem (all listed with their JSON path) rolls
 * everything back. Entities replace those with the same ids and keep their row key, so exports
 * stay in the same order.
 */
export async function importDataset(
  db: Sql,
  traces: TraceWriter,
  derived: DerivedFacts,
  source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>,
  options: ImportOptions,
): Promise<ImportResult> {
  const problems = new ProblemList();
  const counts = Object.fromEntries(DATASET_SECTION_NAMES.map((name) => [name, 0])) as ImportCounts;
  try {
    return await db.transaction(async () => {
      const writer = new EntityWriter(db, problems);
      let sawFormat = false;
      let sawVersion = false;
      let entities = 0;
      const events: AsyncIterable<DatasetEvent> | Iterable<DatasetEvent> = Symbol.asyncIterator in source ? readDatasetJson(source) : source;
      try {
        for await (const event of events) {
          if (event.kind === 'progress') {
            options.onProgress?.({ bytes: event.bytes, entities });
            continue;
          }
          if (event.kind === 'field') {
            if (event.key === 'format') {
              sawFormat = true;
              const parsed = datasetFormatSchema.safeParse(event.value);
              if (!parsed.success) problems.add('format', parsed.error.issues[0]!.message);
            } else if (event.key === 'version') {
              sawVersion = true;
              const parsed = datasetVersionSchema.safeParse(event.value);
              if (!parsed.success) problems.add('version', parsed.error.issues[0]!.message);
            } else if (isDatasetSection(event.key) && !Array.isArray(event.value)) {
              problems.add(event.key, 'doit être un tableau');
            }
            continue;
          }
          if (!isDatasetSection(event.section)) continue;
          const section = event.section;
          const base = `${section}[${event.index}]`;
          const parsed = DATASET_SECTIONS[section].safeParse(event.value);
          if (!parsed.success) {
            for (const issue of parsed.error.issues) problems.add(formatPath(base, issue.path), issue.message);
            writer.noteInvalidId(section, event.value, event.index);
            continue;
          }
          counts[section] += 1;
          entities += 1;
          await writer.write(section, parsed.data as never, base, event.index);
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
      if (writer.indexesDeferred) for (const index of DEFERRED_HABILITATION_INDEXES) await db.exec(index.create);

      if (problems.total > 0) {
        const more = problems.total - problems.listed.length;
        throw new CafsupError('VALIDATION', `Jeu de données refusé : ${countOf(problems.total, 'problème')}, rien n’a été importé.`, {
          problems: problems.listed,
          total: problems.total,
          ...(more > 0 ? { notListed: more } : {}),
        });
      }
      await derived.refresh(writer.touchedPartners);
      const traceId = options.dryRun
        ? null
        : (
            await traces.append(options.actor, options.at, [
              { action: 'dataset.import', targetType: 'dataset', targetId: null, partnerId: null, reason: options.reason, details: { counts } },
            ])
          )[0]!;
      const result = { dryRun: options.dryRun, counts, traceId };
      // A dry run goes through everything, refresh included, then leaves nothing behind.
      if (options.dryRun) throw new DryRunEnd(result);
      await options.beforeCommit?.(result);
      return result;
    });
  } catch (error) {
    if (error instanceof DryRunEnd) return error.result;
    throw error;
  }
}

/** `select` (a query ending in `IN`) with an `IN` list of `count` parameters, built once per size. */
const inLists = new Map<string, string[]>();
function withList(select: string, count: number): string {
  let texts = inLists.get(select);
  if (texts === undefined) inLists.set(select, (texts = []));
  return (texts[count] ??= `${select} (${Array.from({ length: count }, () => '?').join(', ')})`);
}

/**
 * Rows of one statement (its single `VALUES (?, …)` tuple repeated for each), sent `size` at a
 * time; `written` runs after each send. With a size of 1 each row is written as it comes.
 */
class Batch {
  private rows: unknown[][] = [];
  private readonly texts = new Map<number, string>();

  constructor(
    private readonly db: Sql,
    private readonly statement: string,
    private readonly size: number,
    private readonly written?: (rows: readonly unknown[][]) => Promise<void>,
  ) {}

  async add(values: unknown[]): Promise<void> {
    this.rows.push(values);
    if (this.rows.length >= this.size) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    let text = this.texts.get(rows.length);
    if (text === undefined) {
      const tuple = /VALUES (\([?, ]+\))/.exec(this.statement)![1]!;
      text = this.statement.replace(tuple, Array.from({ length: rows.length }, () => tuple).join(', '));
      this.texts.set(rows.length, text);
    }
    await this.db.run(text, rows.length === 1 ? rows[0]! : rows.flat());
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
  clearAvenants: 'DELETE FROM avenants WHERE partner_id = ?',
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
};

/**
 * Writes validated entities and checks what can only be checked across them. On PostgreSQL,
 * partners, users, groups (with their members) and habilitations are written in batches, and
 * the keys a row needs are read once its batch is written; a reference is checked where it is
 * met all the same, so the problems come in the same order on both engines.
 */
class EntityWriter {
  readonly touchedPartners = new Set<string>();
  indexesDeferred = false;
  // Where each id was first seen, as an index: a million paths as strings would weigh on the heap.
  private readonly seen: Record<DatasetSection, Map<string, number>> = {
    cafs: new Map(),
    partners: new Map(),
    conventions: new Map(),
    users: new Map(),
    groups: new Map(),
    habilitations: new Map(),
    reviews: new Map(),
  };
  private readonly fileUsers = new Map<string, Owned>();
  private readonly fileGroups = new Map<string, Owned>();
  private readonly filePartners = new Map<string, number>();
  private readonly partnerCafs: { path: string; cafCode: string }[] = [];
  /** Entities whose partner was not yet known where they appeared. */
  private readonly ownedBy: { path: string; partnerId: string }[] = [];
  private readonly pending: PendingReference[] = [];
  /** Members of the groups still waiting in their batch, by group id: written with the group. */
  private readonly waitingMembers = new Map<string, { position: number; user: Owned }[]>();
  private readonly size: number;
  private readonly partners: Batch;
  private readonly users: Batch;
  private readonly groups: Batch;
  private readonly members: Batch;
  private readonly habilitations: Batch;
  private readonly habilitationUsers: Batch;
  private readonly habilitationGroups: Batch;

  constructor(
    private readonly db: Sql,
    private readonly problems: ProblemList,
  ) {
    this.size = db.dialect === 'postgres' ? POSTGRES_BATCH : 1;
    this.partners = new Batch(db, PARTNER_INSERT, this.size);
    this.users = new Batch(db, USER_INSERT, this.size, (rows) => this.readKeys(STATEMENTS.userKeys, rows, this.fileUsers));
    this.groups = new Batch(db, GROUP_INSERT, this.size, (rows) => this.groupsWritten(rows));
    this.members = new Batch(db, MEMBER_INSERT, this.size);
    this.habilitations = new Batch(db, HABILITATION_INSERT, this.size);
    this.habilitationUsers = new Batch(db, HABILITATION_USER_UPDATE, this.size);
    this.habilitationGroups = new Batch(db, HABILITATION_GROUP_UPDATE, this.size);
  }

  /** The rows of `select` (a query ending in `IN`) for these ids, by id, asked a batch at a time. */
  private async lookUp<T extends { id: string }>(select: string, ids: Iterable<string>): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const distinct = [...new Set(ids)];
    for (let at = 0; at < distinct.length; at += this.size) {
      const chunk = distinct.slice(at, at + this.size);
      for (const row of await this.db.all<T>(withList(select, chunk.length), chunk)) found.set(row.id, row);
    }
    return found;
  }

  /** Gives the entities of rows just written (their id first) their keys. */
  private async readKeys(select: string, rows: readonly unknown[][], file: Map<string, Owned>): Promise<void> {
    const keys = await this.lookUp<{ id: string; key: number }>(
      select,
      rows.map((row) => row[0] as string),
    );
    for (const [id, { key }] of keys) file.get(id)!.key = key;
  }

  /** A batch of groups is written: their members replace those they had. */
  private async groupsWritten(rows: readonly unknown[][]): Promise<void> {
    await this.readKeys(STATEMENTS.groupKeys, rows, this.fileGroups);
    const keys = rows.map((row) => this.fileGroups.get(row[0] as string)!.key!);
    await this.db.run(withList(STATEMENTS.clearMembers, keys.length), keys);
    for (const row of rows) {
      const id = row[0] as string;
      const groupKey = this.fileGroups.get(id)!.key!;
      for (const { position, user } of this.waitingMembers.get(id)!) await this.members.add([groupKey, position, await this.keyOf(user, this.users)]);
      this.waitingMembers.delete(id);
    }
  }

  /** The key of a user or group of the file, once the batch holding its row is written. */
  private async keyOf(owned: Owned, batch: Batch): Promise<number> {
    if (owned.key === undefined) await batch.flush();
    return owned.key!;
  }

  /** Returns false, after naming the problem, when the id was already used earlier in the file. */
  private firstUse(section: DatasetSection, id: string, base: string, index: number, field: string, label: string): boolean {
    const previous = this.seen[section].get(id);
    if (previous !== undefined) {
      this.problems.add(`${base}.${field}`, `${label} « ${id} » en double (déjà en ${section}[${previous}])`);
      return false;
    }
    this.seen[section].set(id, index);
    return true;
  }

  private owned(partnerId: string, base: string): void {
    if (!this.filePartners.has(partnerId)) this.ownedBy.push({ path: `${base}.partnerId`, partnerId });
  }

  /** An entity that failed validation still claims its id, so a later duplicate is named too. */
  noteInvalidId(section: DatasetSection, value: unknown, index: number): void {
    const key = section === 'cafs' ? 'code' : section === 'conventions' ? 'partnerId' : 'id';
    const id = (value as Record<string, unknown> | null)?.[key];
    if (typeof id === 'string' && section !== 'reviews' && !this.seen[section].has(id)) this.seen[section].set(id, index);
  }

  async write(section: DatasetSection, entity: never, base: string, index: number): Promise<void> {
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
        await this.db.run(STATEMENTS.convention, [convention.partnerId, convention.number, conventionDoc(convention)]);
        await this.db.run(STATEMENTS.clearAvenants, [convention.partnerId]);
        for (const avenant of convention.avenants) await this.db.run(STATEMENTS.avenant, [convention.partnerId, avenant.number, JSON.stringify(avenant)]);
        return;
      }
      case 'users': {
        const user = entity as User;
        if (!this.firstUse('users', user.id, base, index, 'id', 'identifiant d’utilisateur')) return;
        this.owned(user.partnerId, base);
        this.touchedPartners.add(user.partnerId);
        this.fileUsers.set(user.id, { key: undefined, partnerId: user.partnerId });
        await this.users.add(userValues(userToRow(user)));
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
      case 'habilitations': {
        const habilitation = entity as Habilitation;
        if (!this.firstUse('habilitations', habilitation.id, base, index, 'id', 'identifiant d’habilitation')) return;
        if (index === DEFER_INDEXES_AFTER && !this.indexesDeferred) {
          for (const { name } of DEFERRED_HABILITATION_INDEXES) await this.db.exec(`DROP INDEX ${name}`);
          this.indexesDeferred = true;
        }
        this.owned(habilitation.partnerId, base);
        this.touchedPartners.add(habilitation.partnerId);
        const row = habilitationToRow(habilitation);
        const user = habilitation.userId === null ? undefined : this.fileUsers.get(habilitation.userId);
        const group = habilitation.groupId === null ? undefined : this.fileGroups.get(habilitation.groupId);
        await this.habilitations.add(
          habilitationValues(
            row,
            user === undefined ? null : await this.keyOf(user, this.users),
            group === undefined ? null : await this.keyOf(group, this.groups),
          ),
        );
        if (habilitation.userId !== null) {
          await this.reference({
            path: `${base}.userId`,
            kind: 'user',
            id: habilitation.userId,
            partnerId: habilitation.partnerId,
            resolve: (target) => (target === user ? undefined : this.habilitationUsers.add([target.key, row.id])),
          });
        } else {
          await this.reference({
            path: `${base}.groupId`,
            kind: 'group',
            id: habilitation.groupId!,
            partnerId: habilitation.partnerId,
            resolve: (target) => (target === group ? undefined : this.habilitationGroups.add([target.key, row.id])),
          });
        }
        return;
      }
      case 'reviews': {
        const review = entity as Review;
        const identity = `${review.partnerId}\u0000${review.completedAt}\u0000${review.reviewer}`;
        if (!this.firstUse('reviews', identity, base, index, 'completedAt', 'revue (même partenaire, même date, même personne)')) return;
        this.owned(review.partnerId, base);
        await this.db.run(STATEMENTS.review, [review.partnerId, review.completedAt, review.reviewer, review.proof]);
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
    for (const batch of [this.partners, this.users, this.groups, this.members, this.habilitations]) await batch.flush();
    const outside = (kind: 'user' | 'group', file: Map<string, Owned>) =>
      this.pending.filter((reference) => reference.kind === kind && !file.has(reference.id)).map((reference) => reference.id);
    const storedUsers = await this.lookUp<Owned & { id: string }>(STATEMENTS.storedUsers, outside('user', this.fileUsers));
    const storedGroups = await this.lookUp<Owned & { id: string }>(STATEMENTS.storedGroups, outside('group', this.fileGroups));
    for (const reference of this.pending) {
      const [file, stored] = reference.kind === 'user' ? [this.fileUsers, storedUsers] : [this.fileGroups, storedGroups];
      await this.check(reference, file.get(reference.id) ?? stored.get(reference.id));
    }
    for (const batch of [this.members, this.habilitationUsers, this.habilitationGroups]) await batch.flush();

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
      if (!this.filePartners.has(partnerId) && !storedPartners.has(partnerId)) this.problems.add(path, `partenaire « ${partnerId} » inconnu`);
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
