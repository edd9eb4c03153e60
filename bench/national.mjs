// `pnpm bench`: builds a national-scale dataset (5,000 partners, 200,000 users, 1,000,000
// habilitations, groups, avenants and reviews), imports it, and times the operations a
// supervisor waits for, each beside the raw-SQL floor on the same file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createClient } from '@cafsup/sdk';
import { generate } from './generate.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here('./out');
const file = `${out}/national.json`;
const database = `${out}/national.db`;
const ASOF = '2026-11-22';
mkdirSync(out, { recursive: true });

if (!existsSync(file) || process.argv.includes('--fresh')) {
  process.stderr.write('Génération du jeu national…\n');
  await generate(file, 5000);
}
process.stderr.write('Import…\n');
const imported = JSON.parse(execFileSync(process.execPath, [here('./import-child.mjs'), file, database], { encoding: 'utf8', maxBuffer: 1 << 20 }));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
async function time(runs, fn) {
  await fn(0);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  return median(samples);
}

const raw = new Database(database, { readonly: true });
const floorSql = raw.prepare(
  `SELECT partner_id, service, profile, COUNT(*) FROM habilitations WHERE status <> 'revoked' GROUP BY partner_id, service, profile`,
);
const floor = await time(5, () => floorSql.all());
const partnerIds = raw.prepare('SELECT id FROM partners ORDER BY id').pluck().all();
raw.close();

const client = createClient({ database });
let flags = 0;
const fullAudit = await time(5, async () => (flags = (await client.audit.run({ asOf: ASOF })).flags.length));
const onePartner = await time(50, (i) => client.audit.run({ asOf: ASOF, partnerId: partnerIds[(i * 97) % partnerIds.length] }));
const quotas = await time(5, () => client.quotas.usage({ asOf: ASOF }));
const cursors = [null];
for (
  let page = await client.partners.list({ limit: 50 });
  page.nextCursor && cursors.length < 100;
  page = await client.partners.list({ limit: 50, cursor: page.nextCursor })
)
  cursors.push(page.nextCursor);
const pageOf50 = await time(100, (i) => client.partners.list({ limit: 50, cursor: cursors[i % cursors.length] }));
await client.close();

const rows = [
  ['import (1 000 000 habilitations)', imported.ms, '≤ 15 000 ms'],
  ['audit.run, all partners', fullAudit, '≤ 1 000 ms'],
  ['audit.run, one partner', onePartner, '≤ 10 ms'],
  ['quotas.usage, all partners', quotas, ''],
  ['partners.list, page of 50', pageOf50, '≤ 2 ms'],
  ['raw SQL floor (GROUP BY partner, service, profile)', floor, ''],
];
const format = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));
console.log(
  `dataset: ${Object.entries(imported.counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')}; ${flags} flags at ${ASOF}`,
);
console.log(`import peak RSS: ${imported.maxRssMb.toFixed(0)} MB (target ≤ 512 MB)`);
console.log('| operation | median ms | × floor | target |');
console.log('|---|---:|---:|---|');
for (const [name, ms, target] of rows) console.log(`| ${name} | ${format(ms)} | ${(ms / floor).toFixed(2)} | ${target} |`);

// Shared use: the same reads through `cafsup serve` on this file, and reads per second from 32
// clients at once (issue 5).
const { buildServer } = await import('@cafsup/server');
const { Store } = await import('@cafsup/sdk');
const tokenStore = new Store(database);
const { token } = tokenStore.tokens.create({ name: 'Banc d’essai', email: 'banc@caf.invalid' }, 'auditor', ['*'], {
  name: 'Banc d’essai',
  email: 'banc@caf.invalid',
});
tokenStore.close();
const app = await buildServer({ database, log: false });
const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
const local = createClient({ database });
const remote = createClient({ baseUrl, token, retries: 0 });
const pairs = [
  ['partners.list, page of 50', (c, i) => c.partners.list({ limit: 50, cursor: cursors[i % cursors.length] }), 100],
  ['audit.run, one partner', (c, i) => c.audit.run({ asOf: ASOF, partnerId: partnerIds[(i * 97) % partnerIds.length] }), 50],
];
console.log('| over HTTP | local ms | HTTP ms | HTTP ÷ local |');
console.log('|---|---:|---:|---:|');
for (const [name, fn, runs] of pairs) {
  const localMs = await time(runs, (i) => fn(local, i));
  const httpMs = await time(runs, (i) => fn(remote, i));
  console.log(`| ${name} | ${format(localMs)} | ${format(httpMs)} | ${(httpMs / localMs).toFixed(1)} |`);
}
const CONCURRENCY = 32;
const DURATION_MS = 5000;
const clients = Array.from({ length: CONCURRENCY }, () => createClient({ baseUrl, token, retries: 0 }));
let done = 0;
const deadline = performance.now() + DURATION_MS;
await Promise.all(
  clients.map(async (client, k) => {
    for (let i = k; performance.now() < deadline; i += CONCURRENCY) {
      await client.partners.list({ limit: 50, cursor: cursors[i % cursors.length] });
      done += 1;
    }
  }),
);
console.log(`reads over HTTP, ${CONCURRENCY} concurrent clients (page of 50 partners): ${(done / (DURATION_MS / 1000)).toFixed(0)} requests/s`);
await Promise.all([...clients.map((client) => client.close()), local.close(), remote.close()]);
await app.close();
