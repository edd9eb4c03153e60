// The import floor: the dataset's users and habilitations inserted into cafsup's own tables (the
// orchestrator creates the schema with Store.open first, so the columns and indexes are the same)
// by the smallest script that does it well on each engine: the file read line by line, each
// record parsed and inserted, with no validation, no derived facts and no traces. SQLite:
// better-sqlite3 prepared inserts in one transaction, written as cafsup writes a first import's
// file made aside. PostgreSQL: multi-row INSERT … SELECT FROM
// unnest(arrays), batches of 5,000 rows in one transaction, the next batch parsed while the
// server inserts the previous. Prints its wall time and peak RSS, like import-child.mjs.
// Usage: node bench/floor-import.mjs FILE DATABASE
import { closeSync, fsyncSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { HABILITATION_COLUMNS, datasetRecords, habilitationCells } from './floor-dataset.mjs';

const [file, database] = process.argv.slice(2);
const BATCH = 5000;

const USER_COLUMNS = [
  ['key', 'int8'],
  ['id', 'text'],
  ['partner_id', 'text'],
  ['name', 'text'],
  ['email', 'text'],
  ['email_norm', 'text'],
  ['mailbox', 'text'],
  ['function', 'text'],
  ['role', 'text'],
  ['status', 'text'],
  ['created_at', 'text'],
  ['last_login_at', 'text'],
  ['password_changed_at', 'text'],
  ['must_change_password', 'int8'],
  ['mission_end_at', 'text'],
  ['departement', 'text'],
  ['seen_day', 'text'],
  ['password_day', 'text'],
  ['devalidated_day', 'text'],
];

const userKeys = new Map();
const counts = { users: 0, habilitations: 0 };
const userRow = (u) => {
  const key = userKeys.size + 1;
  userKeys.set(u.id, key);
  const day = (at) => (at === null ? '' : at.slice(0, 10));
  return [
    key,
    u.id,
    u.partnerId,
    u.name,
    u.email,
    u.email.toLowerCase(),
    u.email,
    u.function,
    u.role,
    u.status,
    u.createdAt,
    u.lastLoginAt,
    u.passwordChangedAt,
    u.mustChangePassword ? 1 : 0,
    u.missionEndAt,
    u.departement,
    day(u.lastLoginAt),
    day(u.passwordChangedAt),
    '',
  ];
};
const habilitationRow = (h) =>
  habilitationCells(
    h,
    h.userId === undefined ? null : (userKeys.get(h.userId) ?? null),
    // Groups are not inserted by the floor: a key derived from the id stands for the group's.
    h.groupId === undefined ? null : Number(h.groupId.slice(1)) + 1,
  );
const TABLES = { users: [USER_COLUMNS, userRow], habilitations: [HABILITATION_COLUMNS, habilitationRow] };

/** The dataset's users and habilitations, each counted as it is read. */
async function* records() {
  for await (const [section, record] of datasetRecords(file, Object.keys(TABLES))) {
    counts[section] += 1;
    yield [section, record];
  }
}

async function sqlite() {
  const db = new Database(database);
  // As cafsup's first import writes its store made aside (connection.ts, `madeAside`), or the
  // floor would be cheaper or dearer for the wrong reason: the journal in memory, commits not
  // synced; the file in WAL mode and synced once at the end.
  db.pragma('journal_mode = MEMORY');
  db.pragma('synchronous = OFF');
  const insert = Object.fromEntries(
    Object.entries(TABLES).map(([table, [columns]]) => [
      table,
      db.prepare(`INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`),
    ]),
  );
  db.exec('BEGIN');
  for await (const [table, record] of records()) insert[table].run(TABLES[table][1](record));
  db.exec('COMMIT');
  db.pragma('journal_mode = WAL');
  db.close();
  const fd = openSync(database, 'r');
  fsyncSync(fd);
  closeSync(fd);
}

async function postgres() {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  let inflight = Promise.resolve();
  const batches = { users: [], habilitations: [] };
  const flush = async (table) => {
    const rows = batches[table];
    if (rows.length === 0) return;
    batches[table] = [];
    const columns = TABLES[table][0];
    const arrays = columns.map((_, c) => rows.map((row) => row[c]));
    const sql = `INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) SELECT * FROM unnest(${columns.map(([, type], c) => `$${c + 1}::${type}[]`).join(', ')})`;
    await inflight;
    inflight = client.query(sql, arrays);
  };
  await client.query('BEGIN');
  for await (const [table, record] of records()) {
    // Users first: a habilitation's user key is the user's row.
    if (table === 'habilitations' && batches.users.length > 0) await flush('users');
    batches[table].push(TABLES[table][1](record));
    if (batches[table].length >= BATCH) await flush(table);
  }
  await flush('users');
  await flush('habilitations');
  await inflight;
  await client.query('COMMIT');
  await client.end();
}

const started = performance.now();
await (/^postgres(ql)?:\/\//i.test(database) ? postgres() : sqlite());
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, counts, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
