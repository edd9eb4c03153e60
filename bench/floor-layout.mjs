// What a leaner habilitations table would save the import (issue 14 asks for one: integer codes,
// fewer secondary indexes). The dataset's habilitations are read and parsed first, untimed; then
// the same million rows are inserted into two tables on the same engine, each timed with the
// build of its three deferred secondary indexes (schema.ts, DEFERRED_HABILITATION_INDEXES):
// - cafsup's table as it is (text codes, dates as text beside their milliseconds);
// - a lean one: partner, service, profile, département and status as integer codes, dates as
//   milliseconds only, the same id and the same indexes over the integer columns.
// Both in the best way each engine has: SQLite one prepared insert per row in one transaction,
// written as cafsup writes a first import made aside; PostgreSQL INSERT … SELECT FROM unnest(…)
// batches of 5,000 rows in one transaction. The difference is the most a leaner table can take
// off the import's work (its parse, validation, users, derived facts and traces unchanged).
// Prints { current: { insertMs, indexMs }, lean: { insertMs, indexMs } }.
// Usage: node bench/floor-layout.mjs FILE DATABASE (a SQLite file path, or an empty PostgreSQL database)
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { HABILITATION_COLUMNS, datasetRecords, habilitationCells } from './floor-dataset.mjs';

const [file, database] = process.argv.slice(2);
const postgres = /^postgres(ql)?:\/\//i.test(database);
const BATCH = 5000;

const records = [];
for await (const [, record] of datasetRecords(file, ['habilitations'])) records.push(record);

/** Integer codes given in order of first sight, one numbering per kind of value. */
const coder = () => {
  const codes = new Map();
  return (value) => {
    if (value === null || value === undefined) return null;
    let found = codes.get(value);
    if (found === undefined) codes.set(value, (found = codes.size + 1));
    return found;
  };
};
const [partnerKey, userKey, groupKey, serviceCode, profileCode, departementCode, statusCode] = Array.from({ length: 7 }, coder);
const REVOKED = statusCode('revoked');

const LAYOUTS = {
  current: {
    columns: [['key', 'int8'], ...HABILITATION_COLUMNS],
    row: (h, key) => [key, ...habilitationCells(h, userKey(h.userId), groupKey(h.groupId))],
    indexes: [
      '(partner_id, id)',
      '(user_key, service, profile, status, granted_ms) WHERE user_key IS NOT NULL',
      "(partner_id, granted_ms, service, profile, departement) WHERE status <> 'revoked'",
    ],
  },
  lean: {
    columns: [
      ['key', 'int8'],
      ['id', 'text'],
      ['partner_key', 'int8'],
      ['user_key', 'int8'],
      ['group_key', 'int8'],
      ['service', 'int4'],
      ['profile', 'int4'],
      ['departement', 'int4'],
      ['status', 'int4'],
      ['granted_ms', 'int8'],
      ['suspended_ms', 'int8'],
      ['revoked_ms', 'int8'],
    ],
    row: (h, key) => [
      key,
      h.id,
      partnerKey(h.partnerId),
      userKey(h.userId),
      groupKey(h.groupId),
      serviceCode(h.service),
      profileCode(h.profile),
      departementCode(h.departement),
      statusCode(h.status),
      Date.parse(h.grantedAt),
      h.suspendedAt === null ? null : Date.parse(h.suspendedAt),
      h.revokedAt === null ? null : Date.parse(h.revokedAt),
    ],
    indexes: [
      '(partner_key, id)',
      '(user_key, service, profile, status, granted_ms) WHERE user_key IS NOT NULL',
      `(partner_key, granted_ms, service, profile, departement) WHERE status <> ${REVOKED}`,
    ],
  },
};
// Every row mapped before any timing: what is compared is the engine's work for each layout.
const rows = Object.fromEntries(Object.entries(LAYOUTS).map(([name, layout]) => [name, records.map((h, i) => layout.row(h, i + 1))]));
records.length = 0;

const definition = ({ columns }, type) =>
  `CREATE TABLE habilitations (${columns.map(([name, pgType], i) => `${name} ${type(pgType)}${i === 0 ? ' PRIMARY KEY' : ''}${name === 'id' ? ' NOT NULL UNIQUE' : ''}`).join(', ')})`;

async function onSqlite(layout, layoutRows) {
  rmSync(database, { force: true });
  const db = new Database(database);
  db.pragma('journal_mode = MEMORY');
  db.pragma('synchronous = OFF');
  db.exec(definition(layout, (type) => (type === 'text' ? 'TEXT' : 'INTEGER')));
  const insert = db.prepare(`INSERT INTO habilitations VALUES (${layout.columns.map(() => '?').join(', ')})`);
  const started = performance.now();
  db.transaction(() => {
    for (const row of layoutRows) insert.run(row);
  })();
  const inserted = performance.now();
  db.transaction(() => layout.indexes.forEach((columns, i) => db.exec(`CREATE INDEX h${i} ON habilitations ${columns}`)))();
  const indexed = performance.now();
  db.close();
  rmSync(database, { force: true });
  return { insertMs: inserted - started, indexMs: indexed - inserted };
}

async function onPostgres(layout, layoutRows) {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS habilitations');
  await client.query(definition(layout, (type) => type));
  const sql = `INSERT INTO habilitations SELECT * FROM unnest(${layout.columns.map(([, type], c) => `$${c + 1}::${type}[]`).join(', ')})`;
  const started = performance.now();
  await client.query('BEGIN');
  for (let first = 0; first < layoutRows.length; first += BATCH) {
    const batch = layoutRows.slice(first, first + BATCH);
    await client.query(
      sql,
      layout.columns.map((_, c) => batch.map((row) => row[c])),
    );
  }
  await client.query('COMMIT');
  const inserted = performance.now();
  await client.query('BEGIN');
  for (const [i, columns] of layout.indexes.entries()) await client.query(`CREATE INDEX h${i} ON habilitations ${columns}`);
  await client.query('COMMIT');
  const indexed = performance.now();
  await client.query('DROP TABLE habilitations');
  await client.end();
  return { insertMs: inserted - started, indexMs: indexed - inserted };
}

const result = {};
for (const name of Object.keys(LAYOUTS)) result[name] = await (postgres ? onPostgres : onSqlite)(LAYOUTS[name], rows[name]);
process.stdout.write(JSON.stringify(result));
