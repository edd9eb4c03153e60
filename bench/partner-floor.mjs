// The floor of a one-partner command (`cafsup partner ID`, `cafsup audit ID`) in bench/national.mjs:
// Node starts an ES module, loads the store's driver, opens the store as cafsup does (SQLite: the
// same pragmas; PostgreSQL: one connection) and reads the partner's row and its convention, then
// prints them. No cafsup code: what any program doing that much pays before doing anything more.
// Usage: node bench/partner-floor.mjs FILE_OR_POSTGRES_URL PARTNER_ID
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const [location, partnerId] = process.argv.slice(2);
const require = createRequire(import.meta.url);
let rows;
if (location.startsWith('postgres')) {
  // pg, when loaded, reads the global Response to tell a Cloudflare Worker unless `navigator`
  // says where it runs, which Node 20 lacks: reading it loads Node's whole fetch (~27 ms). cafsup's
  // bundle skips that probe (packages/tui/build.mjs, pg-node-only); the floor does too, so that
  // it is not dearer than what it bounds.
  globalThis.navigator ??= { userAgent: 'Node.js' };
  const { Client } = require('pg');
  const client = new Client({ connectionString: location });
  await client.connect();
  const one = async (sql) => (await client.query(sql, [partnerId])).rows[0];
  rows = { partner: await one('SELECT * FROM partners WHERE id = $1'), convention: await one('SELECT * FROM conventions WHERE partner_id = $1') };
  await client.end();
} else {
  const Database = require('better-sqlite3');
  // The compiled addon named, as cafsup names it (store/connection.ts): no search by `bindings`.
  const db = new Database(location, { nativeBinding: join(dirname(require.resolve('better-sqlite3')), '..', 'build', 'Release', 'better_sqlite3.node') });
  for (const pragma of ['busy_timeout = 15000', 'journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = OFF', 'cache_size = -65536', 'temp_store = FILE']) {
    db.pragma(pragma);
  }
  const one = (sql) => db.prepare(sql).get(partnerId);
  rows = { partner: one('SELECT * FROM partners WHERE id = ?'), convention: one('SELECT * FROM conventions WHERE partner_id = ?') };
  db.close();
}
if (rows.partner === undefined) throw new Error(`${partnerId}: no such partner in ${location}`);
process.stdout.write(`${JSON.stringify(rows)}\n`);
