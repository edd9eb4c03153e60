// The HTTP write measure of bench/national.mjs alone, for working on the write path: imports a
// dataset (bench/out/national-N.json) into SQLite and/or a PostgreSQL cluster started here (fsync
// on), then 32 clients each suspend and reinstate their own habilitation in their own partner
// (Idempotency-Keys) for a few seconds; prints writes/s, latencies, writes lost and the chain's
// verification, and on PostgreSQL the round trips per write, the time of one WAL sync, and the
// floor: the least chained write from as many connections (bench/floor-writes.mjs).
// Usage: node bench/writes.mjs [--partners N] [--engines sqlite,postgres] [--seconds S] [--runs R]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Store, createClient } from '@cafsup/sdk';
import { buildServer } from '@cafsup/server';
import { startCluster } from '../test/support/postgres-cluster.mjs';
import { chainedWrites, fsyncBetween, walSyncs } from './floor-writes.mjs';
import { generate } from './generate.mjs';
import { runJson } from './measure.mjs';

const { values: options } = parseArgs({
  options: {
    partners: { type: 'string', default: '500' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '2' },
    clients: { type: 'string', default: '32' },
  },
});
const PARTNERS = Number(options.partners);
const CLIENTS = Number(options.clients);
const ACTOR = { name: 'Banc d’essai', email: 'banc@caf78.fr' };
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const file = here(`./out/national-${PARTNERS}.json`);
if (!existsSync(file)) await generate(file, PARTNERS);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

// Queries sent to PostgreSQL by this process (the server runs in it), to count them per write: each
// is a round trip, whether it holds one statement or several (the simple protocol).
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  statements += 1;
  return query.apply(this, args);
};

async function measure(engine, location, floorLocation) {
  const imported = await runJson(process.execPath, [here('./import-child.mjs'), file, location]);
  process.stderr.write(`[${engine}] imported in ${imported.ms.toFixed(0)} ms\n`);
  const client = createClient({ database: location, actor: ACTOR });
  const store = await Store.open(location);
  const rows = await store.db.all(`SELECT MIN(id) AS id FROM habilitations WHERE status = 'active' GROUP BY partner_id ORDER BY 1 LIMIT ${CLIENTS}`);
  const { token } = await store.tokens.create(ACTOR, 'supervisor', ['*'], ACTOR);
  await store.close();
  const ids = { ids: rows.map((row) => row.id), token };
  const app = await buildServer({ database: location, log: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const lines = [];
  for (let run = 0; run < Number(options.runs); run++) {
    const headBefore = (await client.traces.head()).id;
    const wal = engine === 'postgres' ? await Store.open(location) : null;
    // A checkpoint first, as before the floor: the import's would otherwise write meanwhile.
    await wal?.db.exec('CHECKPOINT');
    const walBefore = wal === null ? null : await walSyncs((sql) => wal.db.all(sql));
    const statementsBefore = statements;
    const result = await runJson(process.execPath, [here('./http-load.mjs')], {
      input: JSON.stringify({
        url,
        durationMs: Number(options.seconds) * 1000,
        headers: { authorization: `Bearer ${ids.token}` },
        idempotency: true,
        // Each habilitation's next action first: a run may have ended on either.
        perClient: await Promise.all(
          ids.ids.map(async (id) =>
            ((await client.habilitations.get(id)).status === 'suspended' ? ['reinstate', 'suspend'] : ['suspend', 'reinstate']).map((action) => ({
              path: `/v1/habilitations.${action}`,
              body: { ids: [id], options: { reason: `Banc (${action})` } },
            })),
          ),
        ),
      }),
    });
    const added = (await client.traces.head()).id - headBefore;
    const perWrite = engine === 'postgres' ? ` ${((statements - statementsBefore) / Math.max(1, result.ok)).toFixed(1)} round trips/write;` : '';
    const fsyncMs = wal === null ? null : fsyncBetween(walBefore, await walSyncs((sql) => wal.db.all(sql)));
    await wal?.close();
    const fsync = fsyncMs === null ? '' : ` WAL sync ${fsyncMs.toFixed(2)} ms;`;
    lines.push(
      `${engine}: ${(result.changed / result.seconds).toFixed(0)} writes/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms;${perWrite} lost ${result.changed - added} (${result.changed} acknowledged, ${added} traces); statuses ${JSON.stringify(result.statuses)} ${result.errors.slice(0, 2).join(' | ')};${fsync} load ${load()}`,
    );
    process.stderr.write(`${lines.at(-1)}\n`);
  }
  await app.close();
  if (floorLocation !== undefined) {
    const floor = await chainedWrites(floorLocation, { clients: CLIENTS, durationMs: Number(options.seconds) * 1000 });
    lines.push(
      `${engine}: floor (least chained write): ${floor.perSecond.toFixed(0)} writes/s, p50 ${floor.p50.toFixed(1)} ms;${floor.fsyncMs === null ? '' : ` WAL sync ${floor.fsyncMs.toFixed(2)} ms;`} load ${load()}`,
    );
    process.stderr.write(`${lines.at(-1)}\n`);
  }
  const verified = await client.traces.verify();
  lines.push(`${engine}: chain ${verified.ok ? 'verified' : `BROKEN at ${verified.firstBrokenId}: ${verified.problem}`} (${verified.checked} traces)`);
  await client.close();
  return lines;
}

const lines = [`load at start ${load()}`];
const configDir = mkdtempSync(join(tmpdir(), 'cafsup-writes-'));
process.env.CAFSUP_CONFIG_DIR = configDir;
let cluster = null;
try {
  if (options.engines.includes('sqlite')) lines.push(...(await measure('sqlite', join(tmpdir(), `cafsup-writes-${process.pid}.db`))));
  if (options.engines.includes('postgres')) {
    cluster = await startCluster({ settings: { fsync: 'on', track_wal_io_timing: 'on' } });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    for (const name of ['cafsup_writes', 'floor_writes']) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = (name) => cluster.url.replace(/\/postgres$/, `/${name}`);
    lines.push(...(await measure('postgres', url('cafsup_writes'), url('floor_writes'))));
  }
} finally {
  cluster?.stop();
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(tmpdir(), `cafsup-writes-${process.pid}.db${suffix}`), { force: true });
  rmSync(configDir, { recursive: true, force: true });
}
lines.push(`load at end ${load()}`);
console.log(lines.join('\n'));
