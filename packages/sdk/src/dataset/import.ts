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
} from '@cafsup/shared';
import type { TraceWriter } from '../store/traces.js';
import { JsonSyntaxError, readDatasetJson, type DatasetEvent } from './json-reader.js';
import { cafDoc, conventionDoc, habilitationToRow, partnerDoc, searchKey, userToRow } from './rows.js';

/** Beyond this many problems the refusal says how many more there were instead of listing them. */
const MAX_LISTED_PROBLEMS = 1000;
const BATCH_SIZE = 5000;
const ROLLBACK = Symbol('rollback');

export interface ImportOptions {
  actor: Actor;
  at: string;
  reason: string;
  dryRun: boolean;
  onProgress?: (progress: { bytes: number; entities: number }) => void;
}

export interface ImportResult {
  dryRun: boolean;
  counts: ImportCounts;
  traceId: number | null;
}

const STAGING = `
  DROP TABLE IF EXISTS temp.s_cafs; DROP TABLE IF EXISTS temp.s_partners; DROP TABLE IF EXISTS temp.s_conventions;
  DROP TABLE IF EXISTS temp.s_avenants; DROP TABLE IF EXISTS temp.s_users; DROP TABLE IF EXISTS temp.s_groups;
  DROP TABLE IF EXISTS temp.s_habilitations; DROP TABLE IF EXISTS temp.s_reviews;
  CREATE TEMP TABLE s_cafs (pos INTEGER PRIMARY KEY, code TEXT, doc TEXT);
  CREATE TEMP TABLE s_partners (pos INTEGER PRIMARY KEY, id TEXT, name TEXT, search_key TEXT, caf_code TEXT, doc TEXT);
  CREATE TEMP TABLE s_conventions (pos INTEGER PRIMARY KEY, partner_id TEXT, number TEXT, doc TEXT);
  CREATE TEMP TABLE s_avenants (partner_id TEXT, number INTEGER, doc TEXT);
  CREATE TEMP TABLE s_users (pos INTEGER PRIMARY KEY, id TEXT, partner_id TEXT, name TEXT, email TEXT, email_norm TEXT,
    mailbox TEXT, function TEXT, role TEXT, status TEXT, created_at TEXT, last_login_at TEXT, password_changed_at TEXT,
    must_change_password INTEGER, mission_end_at TEXT, departement TEXT, seen_day TEXT, password_day TEXT, devalidated_day TEXT);
  CREATE TEMP TABLE s_groups (pos INTEGER PRIMARY KEY, id TEXT, partner_id TEXT, name TEXT, member_ids TEXT);
  CREATE TEMP TABLE s_habilitations (pos INTEGER PRIMARY KEY, id TEXT, partner_id TEXT, user_id TEXT, group_id TEXT,
    service TEXT, profile TEXT, departement TEXT, status TEXT, granted_at TEXT, granted_ms INTEGER, suspended_at TEXT,
    suspended_day TEXT, revoked_at TEXT, revoked_day TEXT);
  CREATE TEMP TABLE s_reviews (pos INTEGER PRIMARY KEY, partner_id TEXT, completed_at TEXT, reviewer TEXT, proof TEXT);
`;

const DROP_STAGING = STAGING.split(';').filter((statement) => statement.includes('DROP')).join(';');

class ProblemList {
  readonly listed: Problem[] = [];
  total = 0;
  add(path: string, message: string): void {
    this.total += 1;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push({ path, message });
  }
}

/** Where each staged section's rows come from, so a problem found in SQL names its JSON path. */
type Stager = (index: number, value: never) => void;

/**
 * Imports a dataset document (dataset.md): every problem is listed with its JSON path and
 * nothing is written when there is any; otherwise the entities of the file replace those with
 * the same ids, in one transaction with one trace.
 */
export async function importDataset(
  db: Database.Database,
  traces: TraceWriter,
  source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>,
  options: ImportOptions,
): Promise<ImportResult> {
  db.exec(STAGING);
  try {
    const problems = new ProblemList();
    const counts = Object.fromEntries(DATASET_SECTION_NAMES.map((name) => [name, 0])) as ImportCounts;
    const stage = stagers(db);
    const pending = new Map<DatasetSection, { index: number; value: unknown }[]>();
    let sawFormat = false;
    let sawVersion = false;
    let entities = 0;

    const flush = () => {
      db.transaction(() => {
        for (const [section, rows] of pending) for (const row of rows) (stage[section] as Stager)(row.index, row.value as never);
      })();
      pending.clear();
    };

    const events: AsyncIterable<DatasetEvent> | Iterable<DatasetEvent> =
      Symbol.asyncIterator in source ? readDatasetJson(source as AsyncIterable<Uint8Array>) : source;
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
        const parsed = DATASET_SECTIONS[section].safeParse(event.value);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) problems.add(formatPath(`${section}[${event.index}]`, issue.path), issue.message);
          continue;
        }
        counts[section] += 1;
        entities += 1;
        let batch = pending.get(section);
        if (batch === undefined) pending.set(section, (batch = []));
        batch.push({ index: event.index, value: parsed.data });
        if (entities % BATCH_SIZE === 0) flush();
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
    flush();
    if (!sawFormat) problems.add('format', `champ obligatoire (« cafsup/dataset »)`);
    if (!sawVersion) problems.add('version', 'champ obligatoire (1)');
    findDuplicates(db, problems);

    let traceId: number | null = null;
    // A refused or dry-run import leaves nothing behind: the merge runs in a transaction that
    // is rolled back by throwing out of it.
    try {
      db.transaction(() => {
        merge(db);
        findBrokenReferences(db, problems);
        if (problems.total > 0 || options.dryRun) throw ROLLBACK;
        traceId = traces.append(options.actor, options.at, [
          { action: 'dataset.import', targetType: 'dataset', targetId: null, partnerId: null, reason: options.reason, details: { counts } },
        ])[0]!;
      }).immediate();
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    }
    if (problems.total > 0) {
      const more = problems.total - problems.listed.length;
      throw new CafsupError(
        'VALIDATION',
        `Jeu de données refusé : ${problems.total} problème(s), rien n’a été importé.`,
        { problems: problems.listed, total: problems.total, ...(more > 0 ? { notListed: more } : {}) },
      );
    }
    return { dryRun: options.dryRun, counts, traceId };
  } finally {
    db.exec(DROP_STAGING);
  }
}

function stagers(db: Database.Database): { [S in DatasetSection]: (index: number, value: never) => void } {
  const insertCaf = db.prepare('INSERT INTO s_cafs VALUES (?, ?, ?)');
  const insertPartner = db.prepare('INSERT INTO s_partners VALUES (?, ?, ?, ?, ?, ?)');
  const insertConvention = db.prepare('INSERT INTO s_conventions VALUES (?, ?, ?, ?)');
  const insertAvenant = db.prepare('INSERT INTO s_avenants VALUES (?, ?, ?)');
  const insertUser = db.prepare(`INSERT INTO s_users VALUES (@pos, @id, @partner_id, @name, @email, @email_norm, @mailbox,
    @function, @role, @status, @created_at, @last_login_at, @password_changed_at, @must_change_password, @mission_end_at,
    @departement, @seen_day, @password_day, @devalidated_day)`);
  const insertGroup = db.prepare('INSERT INTO s_groups VALUES (?, ?, ?, ?, ?)');
  const insertHabilitation = db.prepare(`INSERT INTO s_habilitations VALUES (@pos, @id, @partner_id, @user_id, @group_id,
    @service, @profile, @departement, @status, @granted_at, @granted_ms, @suspended_at, @suspended_day, @revoked_at, @revoked_day)`);
  const insertReview = db.prepare('INSERT INTO s_reviews VALUES (?, ?, ?, ?, ?)');
  return {
    cafs: (index, caf: Caf) => insertCaf.run(index, caf.code, cafDoc(caf)),
    partners: (index, partner: Partner) =>
      insertPartner.run(index, partner.id, partner.name, searchKey(partner.id, partner.name), partner.cafCode, partnerDoc(partner)),
    conventions: (index, convention: Convention) => {
      insertConvention.run(index, convention.partnerId, convention.number, conventionDoc(convention));
      for (const avenant of convention.avenants) insertAvenant.run(convention.partnerId, avenant.number, JSON.stringify(avenant));
    },
    users: (index, user: User) => insertUser.run({ pos: index, ...userToRow(user) }),
    groups: (index, group: Group) => insertGroup.run(index, group.id, group.partnerId, group.name, JSON.stringify(group.memberIds)),
    habilitations: (index, habilitation: Habilitation) => insertHabilitation.run({ pos: index, ...habilitationToRow(habilitation) }),
    reviews: (index, review: Review) => insertReview.run(index, review.partnerId, review.completedAt, review.reviewer, review.proof),
  };
}

const DUPLICATE_CHECKS: { section: DatasetSection; table: string; key: string; field: string; label: string }[] = [
  { section: 'cafs', table: 's_cafs', key: 'code', field: 'code', label: 'code de Caf' },
  { section: 'partners', table: 's_partners', key: 'id', field: 'id', label: 'identifiant de partenaire' },
  { section: 'conventions', table: 's_conventions', key: 'partner_id', field: 'partnerId', label: 'deuxième convention pour le partenaire' },
  { section: 'users', table: 's_users', key: 'id', field: 'id', label: 'identifiant d’utilisateur' },
  { section: 'groups', table: 's_groups', key: 'id', field: 'id', label: 'identifiant de groupe' },
  { section: 'habilitations', table: 's_habilitations', key: 'id', field: 'id', label: 'identifiant d’habilitation' },
];

function findDuplicates(db: Database.Database, problems: ProblemList): void {
  for (const check of DUPLICATE_CHECKS) {
    const rows = db
      .prepare(
        `SELECT s.pos, s.${check.key} AS value, first.pos AS first_pos FROM ${check.table} s
         JOIN (SELECT ${check.key} AS value, MIN(pos) AS pos FROM ${check.table} GROUP BY ${check.key} HAVING COUNT(*) > 1) first
           ON first.value = s.${check.key} AND s.pos > first.pos
         ORDER BY s.pos`,
      )
      .all() as { pos: number; value: string; first_pos: number }[];
    for (const row of rows) {
      problems.add(
        `${check.section}[${row.pos}].${check.field}`,
        `${check.label} « ${row.value} » en double (déjà en ${check.section}[${row.first_pos}])`,
      );
    }
  }
  const reviews = db
    .prepare(
      `SELECT s.pos FROM s_reviews s WHERE EXISTS (SELECT 1 FROM s_reviews o WHERE o.partner_id = s.partner_id
         AND o.completed_at = s.completed_at AND o.reviewer = s.reviewer AND o.pos < s.pos) ORDER BY s.pos`,
    )
    .all() as { pos: number }[];
  for (const row of reviews) problems.add(`reviews[${row.pos}]`, 'revue en double (même partenaire, même date, même personne)');
}

/** Writes the staged entities over the stored ones, by id; upserts keep each row's key. */
function merge(db: Database.Database): void {
  db.exec(`
    INSERT INTO cafs (code, doc) SELECT code, doc FROM s_cafs WHERE true
      ON CONFLICT (code) DO UPDATE SET doc = excluded.doc;
    INSERT INTO partners (id, name, search_key, caf_code, doc) SELECT id, name, search_key, caf_code, doc FROM s_partners WHERE true ORDER BY pos
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, search_key = excluded.search_key, caf_code = excluded.caf_code, doc = excluded.doc;
    INSERT INTO conventions (partner_id, number, doc) SELECT partner_id, number, doc FROM s_conventions WHERE true ORDER BY pos
      ON CONFLICT (partner_id) DO UPDATE SET number = excluded.number, doc = excluded.doc;
    DELETE FROM avenants WHERE partner_id IN (SELECT partner_id FROM s_conventions);
    INSERT INTO avenants (partner_id, number, doc) SELECT partner_id, number, doc FROM s_avenants WHERE true
      ON CONFLICT (partner_id, number) DO UPDATE SET doc = excluded.doc;
    INSERT INTO users (id, partner_id, name, email, email_norm, mailbox, function, role, status, created_at, last_login_at,
        password_changed_at, must_change_password, mission_end_at, departement, seen_day, password_day, devalidated_day)
      SELECT id, partner_id, name, email, email_norm, mailbox, function, role, status, created_at, last_login_at,
        password_changed_at, must_change_password, mission_end_at, departement, seen_day, password_day, devalidated_day
      FROM s_users WHERE true ORDER BY pos
      ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, name = excluded.name, email = excluded.email,
        email_norm = excluded.email_norm, mailbox = excluded.mailbox, function = excluded.function, role = excluded.role,
        status = excluded.status, created_at = excluded.created_at, last_login_at = excluded.last_login_at,
        password_changed_at = excluded.password_changed_at, must_change_password = excluded.must_change_password,
        mission_end_at = excluded.mission_end_at, departement = excluded.departement, seen_day = excluded.seen_day,
        password_day = excluded.password_day, devalidated_day = excluded.devalidated_day;
    INSERT INTO groups (id, partner_id, name) SELECT id, partner_id, name FROM s_groups WHERE true ORDER BY pos
      ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, name = excluded.name;
    DELETE FROM group_members WHERE group_key IN (SELECT g.key FROM groups g JOIN s_groups s ON s.id = g.id);
    INSERT OR IGNORE INTO group_members (group_key, position, user_key)
      SELECT g.key, CAST(m.key AS INTEGER), u.key FROM s_groups s JOIN groups g ON g.id = s.id
        JOIN json_each(s.member_ids) m JOIN users u ON u.id = m.value;
    INSERT INTO habilitations (id, partner_id, user_key, group_key, service, profile, departement, status, granted_at,
        granted_ms, suspended_at, suspended_day, revoked_at, revoked_day)
      SELECT s.id, s.partner_id, u.key, g.key, s.service, s.profile, s.departement, s.status, s.granted_at, s.granted_ms,
        s.suspended_at, s.suspended_day, s.revoked_at, s.revoked_day
      FROM s_habilitations s LEFT JOIN users u ON u.id = s.user_id LEFT JOIN groups g ON g.id = s.group_id
      WHERE true ORDER BY s.pos
      ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, user_key = excluded.user_key,
        group_key = excluded.group_key, service = excluded.service, profile = excluded.profile,
        departement = excluded.departement, status = excluded.status, granted_at = excluded.granted_at,
        granted_ms = excluded.granted_ms, suspended_at = excluded.suspended_at, suspended_day = excluded.suspended_day,
        revoked_at = excluded.revoked_at, revoked_day = excluded.revoked_day;
    INSERT INTO reviews (partner_id, completed_at, reviewer, proof) SELECT partner_id, completed_at, reviewer, proof FROM s_reviews WHERE true ORDER BY pos
      ON CONFLICT (partner_id, completed_at, reviewer) DO UPDATE SET proof = excluded.proof;
  `);
}

/** Cross-entity checks of dataset.md, run on the merged state so that a file may refer to stored entities. */
function findBrokenReferences(db: Database.Database, problems: ProblemList): void {
  const report = (sql: string, path: (row: Record<string, unknown>) => string, message: (row: Record<string, unknown>) => string) => {
    for (const row of db.prepare(sql).iterate() as IterableIterator<Record<string, unknown>>) problems.add(path(row), message(row));
  };
  report(
    `SELECT s.pos, s.caf_code FROM s_partners s WHERE NOT EXISTS (SELECT 1 FROM cafs c WHERE c.code = s.caf_code) ORDER BY s.pos`,
    (row) => `partners[${row.pos}].cafCode`,
    (row) => `Caf « ${row.caf_code} » inconnue`,
  );
  report(
    `SELECT s.pos, s.partner_id FROM s_conventions s WHERE NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = s.partner_id) ORDER BY s.pos`,
    (row) => `conventions[${row.pos}].partnerId`,
    (row) => `partenaire « ${row.partner_id} » inconnu`,
  );
  report(
    `SELECT s.pos, s.id FROM s_partners s WHERE NOT EXISTS (SELECT 1 FROM conventions c WHERE c.partner_id = s.id) ORDER BY s.pos`,
    (row) => `partners[${row.pos}]`,
    (row) => `aucune convention pour le partenaire « ${row.id} » (une convention par partenaire)`,
  );
  report(
    `SELECT s.pos, s.partner_id FROM s_users s WHERE NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = s.partner_id) ORDER BY s.pos`,
    (row) => `users[${row.pos}].partnerId`,
    (row) => `partenaire « ${row.partner_id} » inconnu`,
  );
  report(
    `SELECT s.pos, s.partner_id FROM s_groups s WHERE NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = s.partner_id) ORDER BY s.pos`,
    (row) => `groups[${row.pos}].partnerId`,
    (row) => `partenaire « ${row.partner_id} » inconnu`,
  );
  report(
    `SELECT s.pos, CAST(m.key AS INTEGER) AS member, m.value AS user_id, u.partner_id AS user_partner, s.partner_id
       FROM s_groups s JOIN json_each(s.member_ids) m LEFT JOIN users u ON u.id = m.value
      WHERE u.key IS NULL OR u.partner_id <> s.partner_id ORDER BY s.pos, member`,
    (row) => `groups[${row.pos}].memberIds[${row.member}]`,
    (row) =>
      row.user_partner === null
        ? `utilisateur « ${row.user_id} » inconnu`
        : `l’utilisateur « ${row.user_id} » appartient au partenaire « ${row.user_partner} », pas à « ${row.partner_id} »`,
  );
  report(
    `SELECT s.pos, s.partner_id FROM s_habilitations s WHERE NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = s.partner_id) ORDER BY s.pos`,
    (row) => `habilitations[${row.pos}].partnerId`,
    (row) => `partenaire « ${row.partner_id} » inconnu`,
  );
  for (const [column, table, label, field] of [
    ['user_id', 'users', 'utilisateur', 'userId'],
    ['group_id', 'groups', 'groupe', 'groupId'],
  ] as const) {
    report(
      `SELECT s.pos, s.${column} AS ref, s.partner_id, t.partner_id AS owner FROM s_habilitations s
         LEFT JOIN ${table} t ON t.id = s.${column}
        WHERE s.${column} IS NOT NULL AND (t.key IS NULL OR t.partner_id <> s.partner_id) ORDER BY s.pos`,
      (row) => `habilitations[${row.pos}].${field}`,
      (row) =>
        row.owner === null
          ? `${label} « ${row.ref} » inconnu`
          : `le ${label} « ${row.ref} » appartient au partenaire « ${row.owner} », pas à « ${row.partner_id} »`,
    );
  }
  report(
    `SELECT s.pos, s.partner_id FROM s_reviews s WHERE NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = s.partner_id) ORDER BY s.pos`,
    (row) => `reviews[${row.pos}].partnerId`,
    (row) => `partenaire « ${row.partner_id} » inconnu`,
  );
}
