// The trust figures of the write path and of tamper evidence (issue 9), measured on real parts:
// a real `cafsup serve` on 127.0.0.1 over a real SQLite file.
//  1. An HTTP import of another token while 4 supervisors send suspensions and reads: writes
//     acknowledged and lost (must be 0), trace ids handed out twice (must be 0), read latency.
//  2. Another process holds the write lock for 2 s: read latency meanwhile, the write's fate.
//  3. The trail edited behind cafsup's back in 7 ways: caught by verify alone, and with a checkpoint.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, checkAgainstCheckpoints, createClient, loadSigningKey, signCheckpoint } from '@cafsup/sdk';
import { buildServer } from '@cafsup/server';
import { traceContentCanonical, traceLinkCanonical } from '@cafsup/shared';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const AS_OF = '2026-11-22';
const ACTOR = { name: 'Banc d’essai', email: 'banc@caf78.fr' };
const dir = mkdtempSync(join(tmpdir(), 'cafsup-trust-'));
const database = join(dir, 'trust.db');
const bin = fileURLToPath(new URL('../packages/tui/bin/cafsup.cjs', import.meta.url));
/** A demo database of `scale` partners, made by the `cafsup` command itself. */
function demo(file, scale) {
  const result = spawnSync(process.execPath, [bin, 'demo', '--scale', String(scale), '--as-of', AS_OF, '--db', file], {
    encoding: 'utf8',
    env: { ...process.env, CAFSUP_CONFIG_DIR: dir },
  });
  if (result.status !== 0) throw new Error(result.stderr);
}
function exportOf(file) {
  const result = spawnSync(process.execPath, [bin, 'export', '--db', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, CAFSUP_CONFIG_DIR: dir },
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))] ?? NaN;
const ms = (value) => `${value.toFixed(1)} ms`;

demo(database, 60);
const tokens = new Store(database);
const admin = tokens.tokens.create(ACTOR, 'supervisor', ['*'], ACTOR).token;
const supervisors = Array.from(
  { length: 4 },
  (_, k) => tokens.tokens.create({ name: `Superviseur ${k}`, email: `sup${k}@caf78.fr` }, 'supervisor', ['*'], ACTOR).token,
);
tokens.close();
const app = await buildServer({ database, log: false, requestTimeoutMs: 30_000 });
const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

// 1. Import and concurrent writes.
demo(join(dir, 'big.db'), 3000);
const big = exportOf(join(dir, 'big.db'));
const seededIds = new Set(exportOf(database).partners.map((p) => p.id));
const keep = (row) => !seededIds.has(String(row.partnerId ?? row.id));
const document = {
  ...big,
  partners: big.partners.filter(keep),
  conventions: big.conventions.filter(keep),
  users: big.users.filter(keep),
  groups: big.groups.filter(keep),
  habilitations: big.habilitations.filter(keep),
  reviews: big.reviews.filter(keep),
};
const importer = createClient({ baseUrl, token: admin, retries: 0 });
const clients = supervisors.map((token) => createClient({ baseUrl, token, retries: 0 }));
const targets = [];
for (const partner of (await clients[0].partners.list({ limit: 40 })).items) {
  targets.push(...(await clients[0].habilitations.list({ partnerId: partner.id, status: 'active', limit: 10 })).items.map((h) => h.id));
}
const headBefore = (await clients[0].traces.head()).id;
let importDone = false;
const importStarted = performance.now();
const importing = importer.dataset.import(document, { reason: 'Import national du banc' }).finally(() => (importDone = true));
const acknowledged = [];
const refused = [];
const readLatencies = [];
// Writers and readers side by side: the writes queue behind the import, the reads must not.
const reading = (async () => {
  while (!importDone) {
    const started = performance.now();
    await clients[3].partners.list({ limit: 20 });
    readLatencies.push(performance.now() - started);
  }
})();
await Promise.all(
  clients.slice(0, 3).map(async (client, k) => {
    for (let i = k; i < targets.length; i += 3) {
      const id = targets[i];
      try {
        const result = await client.habilitations.suspend([id], { reason: `Suspension concurrente ${i}` });
        acknowledged.push({ id, traceId: result.changed[0]?.traceId });
      } catch (error) {
        refused.push({ id, code: error.code });
      }
    }
  }),
);
await reading;
const imported = await importing;
const importMs = performance.now() - importStarted;
let lost = 0;
for (const { id } of acknowledged) if ((await clients[0].habilitations.get(id)).status !== 'suspended') lost += 1;
const traceIds = acknowledged.map((write) => write.traceId);
const duplicates = traceIds.length - new Set(traceIds).size;
const verification = await clients[0].traces.verify();
console.log('## Write path under an HTTP import');
console.log(`import of ${imported.counts.partners} partners / ${imported.counts.habilitations} habilitations: ${ms(importMs)}`);
console.log(
  `suspensions sent: ${targets.length}; acknowledged: ${acknowledged.length}; refused 503: ${refused.length}; acknowledged but lost: ${lost}; trace ids given twice: ${duplicates}`,
);
console.log(`traces added: ${verification.head.id - headBefore} (= acknowledged + 1 import: ${acknowledged.length + 1}); verify ok: ${verification.ok}`);
console.log(`reads during the import: ${readLatencies.length}, median ${ms(quantile(readLatencies, 0.5))}, p99 ${ms(quantile(readLatencies, 0.99))}`);

// 2. A lock held by another process.
const blocker = new Database(database);
blocker.exec('BEGIN IMMEDIATE');
const waitingWrite = clients[1].habilitations.suspend([(await clients[1].habilitations.list({ partnerId: 'macs', status: 'active', limit: 1 })).items[0].id], {
  reason: 'Écriture qui attend le verrou',
});
const lockReads = [];
const lockUntil = performance.now() + 2000;
while (performance.now() < lockUntil) {
  const started = performance.now();
  await clients[2].partners.list({ limit: 20 });
  lockReads.push(performance.now() - started);
}
blocker.exec('COMMIT');
blocker.close();
const waited = await waitingWrite;
console.log('## A write waiting for another process’s lock (2 s)');
console.log(
  `reads meanwhile: ${lockReads.length}, median ${ms(quantile(lockReads, 0.5))}, p99 ${ms(quantile(lockReads, 0.99))}, max ${ms(Math.max(...lockReads))}; the write then landed: ${waited.changed.length === 1}`,
);
await Promise.all([importer.close(), ...clients.map((client) => client.close())]);
await app.close();

// 3. Tampering with and without a checkpoint.
const sha = (text) => createHash('sha256').update(text).digest('hex');
const key = loadSigningKey({ env: { CAFSUP_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() } });
function rechain(db, from, change) {
  const rows = db.prepare('SELECT * FROM traces WHERE id >= ? ORDER BY id').all(from);
  let prevHash = from === 1 ? '0'.repeat(64) : db.prepare('SELECT hash FROM traces WHERE id = ?').get(from - 1).hash;
  for (const row of rows) {
    change(row);
    const trace = {
      id: row.id,
      at: row.at,
      kind: row.kind,
      actor: { name: row.actor_name, email: row.actor_email },
      action: row.action,
      targetType: row.target_type,
      targetId: row.target_id,
      partnerId: row.partner_id,
      reason: row.reason,
      before: row.before && JSON.parse(row.before),
      after: row.after && JSON.parse(row.after),
      details: row.details && JSON.parse(row.details),
    };
    const contentHash = sha(traceContentCanonical(trace));
    const hash = sha(traceLinkCanonical({ id: row.id, at: row.at, kind: row.kind, prevHash, contentHash }));
    db.prepare('UPDATE traces SET reason = ?, kind = ?, content_hash = ?, prev_hash = ?, hash = ? WHERE id = ?').run(
      row.reason,
      row.kind,
      contentHash,
      prevHash,
      hash,
      row.id,
    );
    prevHash = hash;
  }
  db.prepare(`UPDATE meta SET value = json_object('id', ?, 'hash', ?) WHERE key = 'trace_head'`).run(rows.at(-1).id, prevHash);
}
const edits = [
  ['tail rewritten, hashes recomputed', (db, head) => rechain(db, head - 5, (row) => row.id === head - 5 && (row.reason = 'Motif réécrit'))],
  [
    'tail truncated, head moved back',
    (db, head) => {
      const last = db.prepare('SELECT hash FROM traces WHERE id = ?').get(head - 3);
      db.prepare('DELETE FROM traces WHERE id > ?').run(head - 3);
      db.prepare(`UPDATE meta SET value = json_object('id', ?, 'hash', ?) WHERE key = 'trace_head'`).run(head - 3, last.hash);
    },
  ],
  [
    'start cut, forged purge anchor',
    (db) => {
      db.prepare('DELETE FROM traces WHERE id <= 3').run();
      db.prepare(
        `INSERT OR REPLACE INTO meta (key, value) SELECT 'trace_anchor', json_object('firstId', 4, 'prevHash', prev_hash) FROM traces WHERE id = 4`,
      ).run();
    },
  ],
  [
    'recent decision erased as if expired',
    (db, head) => db.prepare(`UPDATE traces SET erased = 1, reason = '', actor_name = '', actor_email = '' WHERE id = ?`).run(head - 2),
  ],
  ['a decision relabelled as activity, chain recomputed', (db, head) => rechain(db, head - 4, (row) => row.id === head - 4 && (row.kind = 'activity'))],
  ['one reason edited in place', (db, head) => db.prepare(`UPDATE traces SET reason = 'Autre motif' WHERE id = ?`).run(head - 1)],
  ['whole chain rebuilt from the first trace', (db) => rechain(db, 1, (row) => row.id === 2 && (row.reason = 'Histoire réécrite'))],
];
let caughtAlone = 0;
let caughtWithCheckpoint = 0;
console.log('## Tampering (7 edits of the file)');
for (const [name, edit] of edits) {
  const file = join(dir, `tamper-${caughtAlone}-${caughtWithCheckpoint}-${Math.random().toString(36).slice(2)}.db`);
  demo(file, 4);
  const local = createClient({ database: file, actor: ACTOR });
  const ids = (await local.habilitations.list({ partnerId: 'amp', status: 'active', limit: 12 })).items.map((h) => h.id);
  for (const id of ids) await local.habilitations.suspend([id], { reason: `Contrôle ${id}` });
  const head = await local.traces.head();
  const checkpoint = signCheckpoint(head, new Date().toISOString(), key);
  await local.close();
  const db = new Database(file);
  edit(db, head.id);
  db.close();
  const after = createClient({ database: file });
  const chain = await after.traces.verify();
  const report = await checkAgainstCheckpoints(chain.head, [checkpoint], [key.publicKey], (list) => after.traces.hashes(list));
  await after.close();
  const alone = !chain.ok;
  const withCheckpoint = !chain.ok || !report.ok;
  caughtAlone += alone ? 1 : 0;
  caughtWithCheckpoint += withCheckpoint ? 1 : 0;
  console.log(
    `- ${name}: verify alone ${alone ? `caught (n° ${chain.firstBrokenId})` : 'fooled'}; with the checkpoint ${withCheckpoint ? `caught (n° ${chain.firstBrokenId ?? report.firstBrokenId})` : 'fooled'}`,
  );
}
console.log(`caught: ${caughtAlone}/7 by verify alone, ${caughtWithCheckpoint}/7 with a signed checkpoint`);
rmSync(dir, { recursive: true, force: true });
