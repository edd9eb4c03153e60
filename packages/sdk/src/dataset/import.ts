import type Database from 'better-sqlite3';
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
import { DEFERRED_HABILITATION_INDEXES } from '../store/schema.js';
import type { TraceWriter } from '../store/traces.js';
import { JsonSyntaxError, readDatasetJson, type DatasetEvent } from './json-reader.js';
import { cafDoc, conventionDoc, habilitationToRow, partnerDoc, searchKey, userToRow } from './rows.js';

/** Beyond this many problems the refusal says how many more there were instead of listing them. */
const MAX_LISTED_PROBLEMS = 1000;
/** From this many habilitations on, the import drops their secondary indexes and rebuilds them at its end. */
const DEFER_INDEXES_AFTER = 20_000;

export interface ImportOptions {
  actor: Actor;
  at: string;
  reason: string;
  dryRun: boolean;
  onProgress?: (progress: { bytes: number; entities: number }) => void;
  /** Called inside the import's transaction, just before it commits (an idempotency key lands with it). */
  beforeCommit?: (result: ImportResult) => void;
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
  key: number;
  partnerId: string;
}

/** A reference to a user or group that the file may define later than where it is used. */
interface PendingReference {
  path: string;
  kind: 'user' | 'group';
  id: string;
  partnerId: string;
  /** Writes the resolved key where it belongs. */
  resolve: (key: number) => void;
}

/**
 * Imports a dataset document (dataset.md) in one pass over the stream, inside one immediate
 * transaction: each entity is validated, its references checked and it is written at once;
 * at the end, any problem (all listed with their JSON path) rolls everything back. Entities
 * replace those with the same ids and keep their row key, so exports stay in the same order.
 */
export async function importDataset(
  db: Database.Database,
  traces: TraceWriter,
  derived: DerivedFacts,
  source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>,
  options: ImportOptions,
): Promise<ImportResult> {
  const problems = new ProblemList();
  const counts = Object.fromEntries(DATASET_SECTION_NAMES.map((name) => [name, 0])) as ImportCounts;
  // Transactions of better-sqlite3 cannot span awaits; this one is opened by hand and this
  // connection does nothing else until it ends.
  db.exec('BEGIN IMMEDIATE');
  try {
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
        writer.write(section, parsed.data as never, base, event.index);
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
    writer.finish();
    if (writer.indexesDeferred) for (const index of DEFERRED_HABILITATION_INDEXES) db.exec(index.create);

    if (problems.total > 0) {
      const more = problems.total - problems.listed.length;
      throw new CafsupError('VALIDATION', `Jeu de données refusé : ${countOf(problems.total, 'problème')}, rien n’a été importé.`, {
        problems: problems.listed,
        total: problems.total,
        ...(more > 0 ? { notListed: more } : {}),
      });
    }
    derived.refresh(writer.touchedPartners);
    const traceId = options.dryRun
      ? null
      : traces.append(options.actor, options.at, [
          { action: 'dataset.import', targetType: 'dataset', targetId: null, partnerId: null, reason: options.reason, details: { counts } },
        ])[0]!;
    const result = { dryRun: options.dryRun, counts, traceId };
    if (!options.dryRun) options.beforeCommit?.(result);
    db.exec(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** Writes validated entities and checks what can only be checked across them. */
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
  private readonly statements;

  constructor(
    private readonly db: Database.Database,
    private readonly problems: ProblemList,
  ) {
    this.statements = {
      caf: db.prepare('INSERT INTO cafs (code, doc) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET doc = excluded.doc'),
      partner: db.prepare(
        `INSERT INTO partners (id, name, search_key, caf_code, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, search_key = excluded.search_key, caf_code = excluded.caf_code, doc = excluded.doc`,
      ),
      convention: db.prepare(
        'INSERT INTO conventions (partner_id, number, doc) VALUES (?, ?, ?) ON CONFLICT (partner_id) DO UPDATE SET number = excluded.number, doc = excluded.doc',
      ),
      clearAvenants: db.prepare('DELETE FROM avenants WHERE partner_id = ?'),
      avenant: db.prepare('INSERT INTO avenants (partner_id, number, doc) VALUES (?, ?, ?)'),
      user: db.prepare(
        `INSERT INTO users (id, partner_id, name, email, email_norm, mailbox, function, role, status, created_at, last_login_at,
            password_changed_at, must_change_password, mission_end_at, disabled_at, departement, seen_day, password_day, devalidated_day)
         VALUES (@id, @partner_id, @name, @email, @email_norm, @mailbox, @function, @role, @status, @created_at, @last_login_at,
            @password_changed_at, @must_change_password, @mission_end_at, @disabled_at, @departement, @seen_day, @password_day, @devalidated_day)
         ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, name = excluded.name, email = excluded.email,
           email_norm = excluded.email_norm, mailbox = excluded.mailbox, function = excluded.function, role = excluded.role,
           status = excluded.status, created_at = excluded.created_at, last_login_at = excluded.last_login_at,
           password_changed_at = excluded.password_changed_at, must_change_password = excluded.must_change_password,
           mission_end_at = excluded.mission_end_at, disabled_at = excluded.disabled_at, departement = excluded.departement, seen_day = excluded.seen_day,
           password_day = excluded.password_day, devalidated_day = excluded.devalidated_day`,
      ),
      group: db.prepare(
        `INSERT INTO groups (id, partner_id, name) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, name = excluded.name`,
      ),
      clearMembers: db.prepare('DELETE FROM group_members WHERE group_key = ?'),
      member: db.prepare('INSERT INTO group_members (group_key, position, user_key) VALUES (?, ?, ?)'),
      setMember: db.prepare('UPDATE group_members SET user_key = ? WHERE group_key = ? AND position = ?'),
      habilitation: db.prepare(
        `INSERT INTO habilitations (id, partner_id, user_key, group_key, service, profile, departement, status, granted_at,
            granted_ms, suspended_at, suspended_day, revoked_at, revoked_day, ends_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, user_key = excluded.user_key,
           group_key = excluded.group_key, service = excluded.service, profile = excluded.profile,
           departement = excluded.departement, status = excluded.status, granted_at = excluded.granted_at,
           granted_ms = excluded.granted_ms, suspended_at = excluded.suspended_at, suspended_day = excluded.suspended_day,
           revoked_at = excluded.revoked_at, revoked_day = excluded.revoked_day, ends_at = excluded.ends_at`,
      ),
      setHabilitationUser: db.prepare('UPDATE habilitations SET user_key = ? WHERE key = ?'),
      setHabilitationGroup: db.prepare('UPDATE habilitations SET group_key = ? WHERE key = ?'),
      review: db.prepare(
        `INSERT INTO reviews (partner_id, completed_at, reviewer, proof) VALUES (?, ?, ?, ?)
         ON CONFLICT (partner_id, completed_at, reviewer) DO UPDATE SET proof = excluded.proof`,
      ),
      // Upserts with RETURNING grow slower with every row (measured: 16.6 s against 5.7 s for a million);
      // keys are read back by id instead, and only where needed.
      userKey: db.prepare('SELECT key FROM users WHERE id = ?').pluck(),
      groupKey: db.prepare('SELECT key FROM groups WHERE id = ?').pluck(),
      habilitationKey: db.prepare('SELECT key FROM habilitations WHERE id = ?').pluck(),
      storedUser: db.prepare('SELECT key, partner_id AS partnerId FROM users WHERE id = ?'),
      storedGroup: db.prepare('SELECT key, partner_id AS partnerId FROM groups WHERE id = ?'),
      storedPartner: db.prepare('SELECT 1 FROM partners WHERE id = ?').pluck(),
      storedCaf: db.prepare('SELECT 1 FROM cafs WHERE code = ?').pluck(),
      storedConvention: db.prepare('SELECT 1 FROM conventions WHERE partner_id = ?').pluck(),
    };
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

  write(section: DatasetSection, entity: never, base: string, index: number): void {
    switch (section) {
      case 'cafs': {
        const caf = entity as Caf;
        if (this.firstUse('cafs', caf.code, base, index, 'code', 'code de Caf')) this.statements.caf.run(caf.code, cafDoc(caf));
        return;
      }
      case 'partners': {
        const partner = entity as Partner;
        if (!this.firstUse('partners', partner.id, base, index, 'id', 'identifiant de partenaire')) return;
        this.filePartners.set(partner.id, index);
        this.partnerCafs.push({ path: `${base}.cafCode`, cafCode: partner.cafCode });
        this.touchedPartners.add(partner.id);
        this.statements.partner.run(partner.id, partner.name, searchKey(partner.id, partner.name), partner.cafCode, partnerDoc(partner));
        return;
      }
      case 'conventions': {
        const convention = entity as Convention;
        if (!this.firstUse('conventions', convention.partnerId, base, index, 'partnerId', 'deuxième convention pour le partenaire')) return;
        this.owned(convention.partnerId, base);
        this.statements.convention.run(convention.partnerId, convention.number, conventionDoc(convention));
        this.statements.clearAvenants.run(convention.partnerId);
        for (const avenant of convention.avenants) this.statements.avenant.run(convention.partnerId, avenant.number, JSON.stringify(avenant));
        return;
      }
      case 'users': {
        const user = entity as User;
        if (!this.firstUse('users', user.id, base, index, 'id', 'identifiant d’utilisateur')) return;
        this.owned(user.partnerId, base);
        this.touchedPartners.add(user.partnerId);
        this.statements.user.run(userToRow(user));
        this.fileUsers.set(user.id, { key: this.statements.userKey.get(user.id) as number, partnerId: user.partnerId });
        return;
      }
      case 'groups': {
        const group = entity as Group;
        if (!this.firstUse('groups', group.id, base, index, 'id', 'identifiant de groupe')) return;
        this.owned(group.partnerId, base);
        this.touchedPartners.add(group.partnerId);
        this.statements.group.run(group.id, group.partnerId, group.name);
        const key = this.statements.groupKey.get(group.id) as number;
        this.fileGroups.set(group.id, { key, partnerId: group.partnerId });
        this.statements.clearMembers.run(key);
        group.memberIds.forEach((userId, position) => {
          this.statements.member.run(key, position, 0);
          this.reference({
            path: `${base}.memberIds[${position}]`,
            kind: 'user',
            id: userId,
            partnerId: group.partnerId,
            resolve: (userKey) => this.statements.setMember.run(userKey, key, position),
          });
        });
        return;
      }
      case 'habilitations': {
        const habilitation = entity as Habilitation;
        if (!this.firstUse('habilitations', habilitation.id, base, index, 'id', 'identifiant d’habilitation')) return;
        if (index === DEFER_INDEXES_AFTER && !this.indexesDeferred) {
          for (const { name } of DEFERRED_HABILITATION_INDEXES) this.db.exec(`DROP INDEX ${name}`);
          this.indexesDeferred = true;
        }
        this.owned(habilitation.partnerId, base);
        this.touchedPartners.add(habilitation.partnerId);
        const row = habilitationToRow(habilitation);
        const user = habilitation.userId === null ? undefined : this.fileUsers.get(habilitation.userId);
        const group = habilitation.groupId === null ? undefined : this.fileGroups.get(habilitation.groupId);
        this.statements.habilitation.run(
          row.id,
          row.partner_id,
          user?.key ?? null,
          group?.key ?? null,
          row.service,
          row.profile,
          row.departement,
          row.status,
          row.granted_at,
          row.granted_ms,
          row.suspended_at,
          row.suspended_day,
          row.revoked_at,
          row.revoked_day,
          row.ends_at,
        );
        const key = () => this.statements.habilitationKey.get(row.id) as number;
        if (habilitation.userId !== null) {
          this.reference({
            path: `${base}.userId`,
            kind: 'user',
            id: habilitation.userId,
            partnerId: habilitation.partnerId,
            resolve: (userKey) => userKey !== user?.key && this.statements.setHabilitationUser.run(userKey, key()),
          });
        } else {
          this.reference({
            path: `${base}.groupId`,
            kind: 'group',
            id: habilitation.groupId!,
            partnerId: habilitation.partnerId,
            resolve: (groupKey) => groupKey !== group?.key && this.statements.setHabilitationGroup.run(groupKey, key()),
          });
        }
        return;
      }
      case 'reviews': {
        const review = entity as Review;
        const identity = `${review.partnerId}\u0000${review.completedAt}\u0000${review.reviewer}`;
        if (!this.firstUse('reviews', identity, base, index, 'completedAt', 'revue (même partenaire, même date, même personne)')) return;
        this.owned(review.partnerId, base);
        this.statements.review.run(review.partnerId, review.completedAt, review.reviewer, review.proof);
        return;
      }
    }
  }

  /** Resolves at once when the target is known, else later, when the whole file has been read. */
  private reference(reference: PendingReference): void {
    const target = (reference.kind === 'user' ? this.fileUsers : this.fileGroups).get(reference.id);
    if (target === undefined) this.pending.push(reference);
    else this.check(reference, target);
  }

  private check(reference: PendingReference, target: Owned | undefined): void {
    const label = reference.kind === 'user' ? 'utilisateur' : 'groupe';
    if (target === undefined) this.problems.add(reference.path, `${label} « ${reference.id} » inconnu`);
    else if (target.partnerId !== reference.partnerId) {
      const named = reference.kind === 'user' ? 'l’utilisateur' : 'le groupe';
      this.problems.add(reference.path, `${named} « ${reference.id} » appartient au partenaire « ${target.partnerId} », pas à « ${reference.partnerId} »`);
    } else reference.resolve(target.key);
  }

  /** The checks that need the whole file: forward references and entities the file relies on in the store. */
  finish(): void {
    for (const reference of this.pending) {
      const fromFile = (reference.kind === 'user' ? this.fileUsers : this.fileGroups).get(reference.id);
      const stored =
        fromFile ?? ((reference.kind === 'user' ? this.statements.storedUser : this.statements.storedGroup).get(reference.id) as Owned | undefined);
      this.check(reference, stored);
    }
    const partnerExists = (id: string) => this.filePartners.has(id) || this.statements.storedPartner.get(id) !== undefined;
    for (const { path, cafCode } of this.partnerCafs) {
      if (!this.seen.cafs.has(cafCode) && this.statements.storedCaf.get(cafCode) === undefined) this.problems.add(path, `Caf « ${cafCode} » inconnue`);
    }
    for (const { path, partnerId } of this.ownedBy) {
      if (!partnerExists(partnerId)) this.problems.add(path, `partenaire « ${partnerId} » inconnu`);
    }
    for (const [partnerId, index] of this.filePartners) {
      if (!this.seen.conventions.has(partnerId) && this.statements.storedConvention.get(partnerId) === undefined) {
        this.problems.add(`partners[${index}]`, `aucune convention pour le partenaire « ${partnerId} » (une convention par partenaire)`);
      }
    }
  }
}
