// Trails and a person's extract after an import that changed many decisions, on both engines: the
// reads review 22 (M5) found reading every change of each import. Imports bench/out/national-N.json,
// then the same file with one active habilitation in four suspended (every such change filed under
// the import's trace), then times, medians of 7: a page of the whole trail, a partner's, a user's,
// each also as a token of that partner's Caf sees it, and a person's extract (a dry run, nothing
// recorded). Not a target of issue 14: what a national re-import costs the trails read after it.
// Usage: node bench/trails.mjs [--partners N] [--engines sqlite,postgres]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Store, createClient } from '@cafsup/sdk';
import { startCluster } from '../test/support/postgres-cluster.mjs';
import { generate } from './generate.mjs';
import { runJson } from './measure.mjs';

const { values: options } = parseArgs({
  options: { partners: { type: 'string', default: '500' }, engines: { type: 'string', default: 'sqlite,postgres' } },
});
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const file = here(`./out/national-${options.partners}.json`);
if (!existsSync(file)) await generate(file, Number(options.partners));
const work = mkdtempSync(join(tmpdir(), 'cafsup-trails-'));
const ACTOR = { name: 'Banc d’essai', email: 'bench@caf78.fr' };

// The same dataset with one active habilitation in four suspended: generate.mjs writes one record a line.
const changed = join(work, 'suspended.json');
let suspended = 0;
writeFileSync(
  changed,
  readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => {
      if (!line.startsWith('    {"id":"h')) return line;
      const comma = line.endsWith(',');
      const record = JSON.parse(comma ? line.slice(0, -1) : line);
      if (record.status !== 'active' || suspended++ % 4 !== 0) return line;
      return `    ${JSON.stringify({ ...record, status: 'suspended', suspendedAt: '2026-11-20T10:00:00+01:00' })}${comma ? ',' : ''}`;
    })
    .join('\n'),
);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
async function timed(work) {
  const runs = [];
  for (let run = 0; run < 7; run++) {
    const started = performance.now();
    await work();
    runs.push(performance.now() - started);
  }
  return median(runs);
}

async function measure(engine, database) {
  await runJson(process.execPath, [here('./import-child.mjs'), file, database]);
  const client = createClient({ database, actor: ACTOR });
  const answer = await client.dataset.import({ path: changed });
  const store = await Store.open(database);
  const partnerId = 'p00001';
  const caf = (await store.db.get('SELECT caf_code FROM partners WHERE id = ?', [partnerId])).caf_code;
  const userId = (
    await store.db.get(
      "SELECT u.id FROM users u JOIN habilitations h ON h.user_key = u.key WHERE h.partner_id = ? AND h.status = 'suspended' ORDER BY u.id LIMIT 1",
      [partnerId],
    )
  ).id;
  const scope = { cafCodes: [caf] };
  facts.push(`${engine}: ${answer.decisionChangesTotal} decisions changed by the import; partner ${partnerId}, Caf ${caf}, user ${userId}`);
  const lines = [];
  for (const [label, work] of [
    ['trail, first page', () => store.listTraces({})],
    [`the same, token of Caf ${caf}`, () => store.listTraces({}, scope)],
    [`trail of ${partnerId}`, () => store.listTraces({ partnerId })],
    [`the same, token of Caf ${caf}`, () => store.listTraces({ partnerId }, scope)],
    [`trail of ${userId}`, () => store.listTraces({ userId })],
    [`the same, token of Caf ${caf}`, () => store.listTraces({ userId }, scope)],
    [`extract of ${userId} (dry run)`, () => client.traces.forPerson({ userId, requestedBy: 'Banc d’essai', dryRun: true })],
  ])
    lines.push(`| ${engine} | ${label} | ${(await timed(work)).toFixed(1)} ms |`);
  await store.close();
  await client.close();
  return lines;
}

const facts = [];
const lines = ['| engine | read | median of 7 |', '|---|---|---:|'];
let cluster = null;
try {
  if (options.engines.includes('sqlite')) lines.push(...(await measure('SQLite', join(work, 'trails.db'))));
  if (options.engines.includes('postgres')) {
    cluster = await startCluster();
    if (cluster === null) lines.push('PostgreSQL: no binaries, not measured');
    else {
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query('CREATE DATABASE cafsup_trails');
      await admin.end();
      lines.push(...(await measure('PostgreSQL', cluster.url.replace(/\/postgres$/, '/cafsup_trails'))));
    }
  }
} finally {
  cluster?.stop();
  rmSync(work, { recursive: true, force: true });
}
console.log([...facts, '', ...lines].join('\n'));
