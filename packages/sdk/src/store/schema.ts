import type Database from 'better-sqlite3';
import { CafsupError } from '@cafsup/shared';
import { WORKFLOWS_MIGRATION } from './workflows/schema.js';

interface IndexDefinition {
  name: string;
  create: string;
}

const habilitationIndex = (name: string, columns: string): IndexDefinition => ({ name, create: `CREATE INDEX ${name} ON habilitations ${columns}` });

/** A partner's habilitations in id order, whatever their status (lists, pages, campaigns). */
const BY_PARTNER = habilitationIndex('habilitations_partner', '(partner_id, id)');
/** A user's habilitations, grouped as the holdings are (derived facts stream out of it already grouped). */
const BY_USER = habilitationIndex('habilitations_user', '(user_key, service, profile, status, granted_ms) WHERE user_key IS NOT NULL');
const BY_GROUP = habilitationIndex('habilitations_group', '(group_key) WHERE group_key IS NOT NULL');
const SUSPENDED = habilitationIndex('habilitations_suspended', "(suspended_day) WHERE status = 'suspended'");
const ENDING = habilitationIndex('habilitations_ends', "(ends_at) WHERE ends_at IS NOT NULL AND status <> 'revoked'");
/**
 * A partner's held habilitations (migration 7): by grant date for rule 15 (a range per partner),
 * and covering the (service, profile, département) counts of `held_combos` and the per-partner
 * look-ups of the audit. It replaced two indexes led by the partner, each a sort of its own at
 * the end of a large import.
 */
const HELD = habilitationIndex('habilitations_held_granted', "(partner_id, granted_ms, service, profile, departement) WHERE status <> 'revoked'");

/**
 * The indexes of `habilitations` as migrations 1 and 4 created them (version 6, the baseline of
 * PostgreSQL); migration 7 dropped the last three. Kept as they were: a migration never changes.
 */
export const HABILITATION_INDEXES_V6: readonly IndexDefinition[] = [
  BY_PARTNER,
  BY_USER,
  BY_GROUP,
  habilitationIndex('habilitations_held', "(partner_id, service, profile, departement) WHERE status <> 'revoked'"),
  SUSPENDED,
  // Never chosen: retention reads revoked habilitations in key order, over the whole table.
  habilitationIndex('habilitations_revoked', "(revoked_day) WHERE status = 'revoked'"),
  ENDING,
  habilitationIndex('habilitations_granted', "(partner_id, granted_ms) WHERE status <> 'revoked'"),
];
const MIGRATION_1_INDEXES = HABILITATION_INDEXES_V6.slice(0, 6);
const MIGRATION_4_INDEXES = HABILITATION_INDEXES_V6.slice(6);

/**
 * The secondary indexes of `habilitations` that a large import drops and builds again at its
 * end: one sort each instead of updating their B-trees for each of a million rows. The small
 * partial ones (groups, suspensions, end dates) stay: they hold a few rows, which cost little
 * to add one by one, while building each would read the whole table again.
 */
export const DEFERRED_HABILITATION_INDEXES: readonly IndexDefinition[] = [BY_PARTNER, BY_USER, HELD];

const userIndex = (name: string, columns: string): IndexDefinition => ({ name, create: `CREATE INDEX ${name} ON users ${columns}` });

/**
 * The secondary indexes of `users` (migration 1 on SQLite, the baseline on PostgreSQL). A large
 * import drops them and builds them again once the derived facts are written: its full rebuild
 * gives every user new facts, and on PostgreSQL each rewritten row is a new version with an entry
 * in each index of the table (measured on 200,000 users: 5.3-5.8 s with them, 2.6-2.8 s without,
 * and 1.4 s to build the four again).
 */
export const USER_INDEXES: readonly IndexDefinition[] = [
  userIndex('users_partner', '(partner_id, id)'),
  userIndex('users_partner_email', '(partner_id, email_norm, status)'),
  userIndex('users_role', '(role, status, partner_id)'),
  userIndex('users_multiple_profiles', '(partner_id) WHERE multi_profiles IS NOT NULL'),
];

/**
 * Migration 9, the same on both engines: what is kept per partner gains its places
 * (partner-cache.ts), which an older cafsup's writes would not forget. Renamed, so that such a
 * cafsup — one still running beside a newer one on the same PostgreSQL database — fails its
 * writes at once rather than leave a partner's places stale for the day; a newer schema
 * already keeps it from opening the database.
 */
export const KEPT_WITH_PLACES = `ALTER TABLE partner_cache RENAME TO partner_kept;`;

/**
 * Migration 10, the same on both engines: partners' search keys with every apostrophe the
 * keyboard's, as `searchFold` now writes them, so that « l'habitat » finds « l’habitat ».
 */
export const FOLDED_SEARCH_KEYS = `UPDATE partners SET search_key = REPLACE(REPLACE(REPLACE(search_key, '’', ''''), '‘', ''''), 'ʼ', '''');`;

/**
 * Migration 11, the same on both engines but for the type of text (PostgreSQL's compares as
 * its other tables do): every decision each import changed (`DecisionChange`), by the trace of
 * the import. The trace itself lists the first thousand; the trails of users and partners, and
 * a person's extract, find an import through all of them (trial 22, F1: a change past the
 * thousandth was in no one's trail). Rows go with their trace when retention erases it.
 */
export const importChangesMigration = (text: string) => `
  CREATE TABLE import_changes (
    trace_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    section ${text} NOT NULL,
    id ${text} NOT NULL,
    partner_id ${text} NOT NULL,
    former_partner_id ${text},
    former_id ${text},
    change ${text} NOT NULL,
    PRIMARY KEY (trace_id, position)
  );
  CREATE INDEX import_changes_id ON import_changes (id, section);
  CREATE INDEX import_changes_partner ON import_changes (partner_id);
  CREATE INDEX import_changes_former_partner ON import_changes (former_partner_id) WHERE former_partner_id IS NOT NULL;
  CREATE INDEX import_changes_former ON import_changes (former_id) WHERE former_id IS NOT NULL;
`;

/**
 * Migration 7, the same on both engines: a leaner set of indexes on `habilitations` (what each
 * query's plan uses, nothing else), so that a large import sorts three of them instead of eight.
 */
export const LEANER_HABILITATION_INDEXES = `
  DROP INDEX habilitations_held;
  DROP INDEX habilitations_granted;
  DROP INDEX habilitations_revoked;
  ${HELD.create};
`;

/**
 * Numbered migrations; `PRAGMA user_version` records how many ran. Entities keep their
 * dataset id as a unique text column and get an integer key, so that the joins over a million
 * habilitations compare integers.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE cafs (code TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    search_key TEXT NOT NULL,
    caf_code TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX partners_caf ON partners (caf_code, id);
  CREATE TABLE conventions (
    partner_id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE TABLE avenants (
    partner_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    doc TEXT NOT NULL,
    created_on TEXT,
    PRIMARY KEY (partner_id, number)
  );
  CREATE TABLE users (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    partner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    function TEXT,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_login_at TEXT,
    password_changed_at TEXT,
    must_change_password INTEGER NOT NULL,
    mission_end_at TEXT,
    departement TEXT,
    seen_day TEXT NOT NULL,
    password_day TEXT NOT NULL,
    devalidated_day TEXT NOT NULL,
    -- Derived from the habilitations by derived.ts, in the transaction of every write:
    holds_any INTEGER NOT NULL DEFAULT 0,
    gets_active INTEGER NOT NULL DEFAULT 0,
    multi_profiles TEXT
  );
  ${USER_INDEXES.map((index) => index.create).join(';\n  ')};
  CREATE TABLE groups (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    partner_id TEXT NOT NULL,
    name TEXT NOT NULL
  );
  CREATE INDEX groups_partner ON groups (partner_id, id);
  CREATE TABLE group_members (
    group_key INTEGER NOT NULL,
    position INTEGER NOT NULL,
    user_key INTEGER NOT NULL,
    PRIMARY KEY (group_key, position)
  ) WITHOUT ROWID;
  CREATE INDEX group_members_user ON group_members (user_key, group_key);
  CREATE TABLE habilitations (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    partner_id TEXT NOT NULL,
    user_key INTEGER,
    group_key INTEGER,
    service TEXT NOT NULL,
    profile TEXT NOT NULL,
    departement TEXT,
    status TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    granted_ms INTEGER NOT NULL,
    suspended_at TEXT,
    suspended_day TEXT,
    revoked_at TEXT,
    revoked_day TEXT
  );
  ${MIGRATION_1_INDEXES.map((index) => index.create).join(';\n  ')};
  -- Facts derived from habilitations, users and groups (see derived.ts), so that an audit over a
  -- million habilitations reads tens of thousands of rows instead.
  CREATE TABLE holdings (
    user_key INTEGER NOT NULL,
    service TEXT NOT NULL,
    profile TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    first_granted_ms INTEGER NOT NULL,
    active_habilitations INTEGER NOT NULL,
    PRIMARY KEY (user_key, service, profile)
  ) WITHOUT ROWID;
  CREATE INDEX holdings_quota ON holdings (partner_id, service, profile);
  CREATE TABLE quota_holders (
    partner_id TEXT NOT NULL,
    service TEXT NOT NULL,
    profile TEXT NOT NULL,
    assigned INTEGER NOT NULL,
    active INTEGER NOT NULL,
    PRIMARY KEY (partner_id, service, profile)
  ) WITHOUT ROWID;
  CREATE TABLE held_combos (
    partner_id TEXT NOT NULL,
    service TEXT NOT NULL,
    profile TEXT NOT NULL,
    departement TEXT NOT NULL,
    held INTEGER NOT NULL,
    PRIMARY KEY (partner_id, service, profile, departement)
  ) WITHOUT ROWID;
  CREATE TABLE reviews (
    key INTEGER PRIMARY KEY,
    partner_id TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    proof TEXT,
    UNIQUE (partner_id, completed_at, reviewer)
  );
  CREATE TABLE traces (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_email TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT,
    partner_id TEXT,
    reason TEXT NOT NULL,
    before TEXT,
    after TEXT,
    details TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX traces_partner ON traces (partner_id, id);
  CREATE INDEX traces_target ON traces (target_id, id);
  CREATE INDEX traces_at ON traces (at);
  `,
  // 2: the server's access tokens (only their hash), their suspended owners, idempotency keys.
  `
  CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    owner_name TEXT NOT NULL,
    owner_email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('supervisor', 'auditor')),
    cafs TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  CREATE TABLE suspended_owners (
    email TEXT PRIMARY KEY,
    suspended_at TEXT NOT NULL
  );
  CREATE TABLE idempotency_keys (
    token_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    operation TEXT NOT NULL,
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (token_id, key)
  );
  `,
  // 3: the write path and tamper evidence of operations.md. Idempotency keys bound to a body
  // hash with their answer (written with the write: no key left « en cours » by a crash);
  // authentication failures counted in the store, so every server process shares the limit;
  // traces of version 2 (a content hash, a kind for retention, erasable content).
  `
  DROP TABLE idempotency_keys;
  CREATE TABLE idempotency_keys (
    token_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    operation TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (token_id, key)
  );
  CREATE INDEX idempotency_keys_age ON idempotency_keys (created_ms);
  CREATE TABLE auth_failures (
    bucket TEXT PRIMARY KEY,
    window_ms INTEGER NOT NULL,
    count INTEGER NOT NULL,
    untraced INTEGER NOT NULL,
    traced_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  ALTER TABLE traces ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE traces ADD COLUMN kind TEXT NOT NULL DEFAULT 'decision';
  ALTER TABLE traces ADD COLUMN content_hash TEXT;
  ALTER TABLE traces ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;
  UPDATE traces SET kind = 'activity' WHERE action = 'auth.failure';
  ALTER TABLE users ADD COLUMN disabled_at TEXT;
  CREATE INDEX traces_retention ON traces (kind, at) WHERE erased = 0;
  INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', json_quote(lower(hex(randomblob(16)))));
  -- The last trace of version 1: no trace after it may ever be removed (retention erases them
  -- in place), so the chain can never start past it; signed checkpoints carry it.
  INSERT OR IGNORE INTO meta (key, value)
    VALUES ('trace_v1_last', COALESCE((SELECT json_extract(value, '$.id') FROM meta WHERE key = 'trace_head'), 0));
  `,
  // 4: when a user was de-validated (retention, contrat art. 5.3.2) and the last day of a
  // temporary habilitation (rule 4, the request form's « date de fin »); the indexes of rules 4
  // and 15 (grants before the convention's terms).
  `
  ALTER TABLE habilitations ADD COLUMN ends_at TEXT;
  ${MIGRATION_4_INDEXES.map((index) => index.create).join(';\n  ')};
  `,
  // 5 (deployment): tokens that expire, and when each was last used (written at most once a minute).
  `
  ALTER TABLE tokens ADD COLUMN expires_at TEXT;
  ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
  `,
  // 6: the supervision workflows (workflows.md): the register of forms, questions and incidents,
  // returned review sheets (their SHA-256), a person's extracts.
  WORKFLOWS_MIGRATION,
  // 7: what was computed per partner at one date (partner-cache.ts): flag counts, flags,
  // quota usage, so that lists and dashboards do not run every rule.
  `
  CREATE TABLE partner_cache (
    partner_id TEXT NOT NULL,
    aspect TEXT NOT NULL,
    as_of TEXT NOT NULL,
    basis TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (aspect, partner_id)
  ) WITHOUT ROWID;
  `,
  // 8: a leaner habilitations table for the national import (see LEANER_HABILITATION_INDEXES).
  LEANER_HABILITATION_INDEXES,
  // 9: see KEPT_WITH_PLACES.
  KEPT_WITH_PLACES,
  // 10: see FOLDED_SEARCH_KEYS.
  FOLDED_SEARCH_KEYS,
  // 11: see importChangesMigration.
  importChangesMigration('TEXT'),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** A database a newer cafsup has migrated: this one could not read it right, nor write it safely. */
export function newerSchema(found: number, known: number): CafsupError {
  return new CafsupError(
    'UNAVAILABLE',
    `Cette base est au schéma ${found}, plus récent que celui de cette version de cafsup (${known}) : utilisez une version à jour de cafsup (rien n’a été lu ni écrit).`,
    { found, known },
  );
}

/** Runs the migrations the file has not seen yet, each in its own immediate transaction. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw newerSchema(current, SCHEMA_VERSION);
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      // Another process may have migrated while this one waited for the lock.
      if ((db.pragma('user_version', { simple: true }) as number) !== version) return;
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
