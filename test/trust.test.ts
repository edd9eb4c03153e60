import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CafsupError,
  appendCheckpoint,
  checkAgainstCheckpoints,
  contradictedBy,
  createClient,
  loadSigningKey,
  readCheckpoints,
  signCheckpoint,
  type CafsupClient,
} from '@cafsup/sdk';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { ACTOR } from './support/fixture.js';
import { CliSandbox, startCafsup } from './support/cli.js';
import { openClient, refusalOf } from './support/client.js';
import { TestServer } from './support/server.js';
import { rewriteTail, truncate } from './support/traces.js';

const AS_OF = '2026-11-22';
/** A store identifier of the form cafsup draws, another store's. */
const OTHER_STORE = 'f'.repeat(32);
const SUPERVISOR_B = { name: 'Inès Perrin', email: 'ines.perrin@caf78.fr' };

/** The fastest of three tries: a refusal must be immediate, and one slow scheduling slot on a loaded machine is not the code's. */
async function fastestRefusal(attempt: () => Promise<unknown>): Promise<{ ms: number; error: CafsupError }> {
  let best = { ms: Number.POSITIVE_INFINITY, error: null as unknown as CafsupError };
  for (let index = 0; index < 3; index++) {
    const start = performance.now();
    const error = await refusalOf(attempt());
    const ms = performance.now() - start;
    if (ms < best.ms) best = { ms, error };
  }
  return best;
}

describe('the write path of cafsup serve (operations.md)', () => {
  const server = new TestServer();
  let admin: string;
  let other: CafsupClient;
  beforeAll(async () => {
    await server.seed(buildDemoDataset({ partners: 12, today: AS_OF }), ACTOR);
    admin = await server.token(ACTOR, 'supervisor', ['*']);
    const otherToken = await server.token(SUPERVISOR_B, 'supervisor', ['78', '40', '95', '25']);
    await server.start({ requestTimeoutMs: 8_000 });
    other = server.client(otherToken);
  });
  afterAll(async () => {
    await other.close();
    await server.stop();
  });

  it('loses no acknowledged write while an HTTP import of another token runs, and hands out each trace id once', async () => {
    // A large import of other partners than the ones being suspended: it takes the writer for a while.
    const big = buildDemoDataset({ partners: 400, today: AS_OF }) as unknown as Record<string, Record<string, unknown>[]>;
    const seeded = new Set((await other.partners.list({ limit: 100 })).items.map((partner) => partner.id));
    const keep = (row: Record<string, unknown>) => !seeded.has(String(row.partnerId ?? row.id));
    const document = {
      ...big,
      partners: big.partners!.filter(keep),
      conventions: big.conventions!.filter(keep),
      users: big.users!.filter(keep),
      groups: big.groups!.filter(keep),
      habilitations: big.habilitations!.filter(keep),
      reviews: big.reviews!.filter(keep),
    };
    const before = (await other.traces.verify()).head.id;
    const importer = server.client(admin);
    const ids = (await other.habilitations.list({ partnerId: 'amp', status: 'active', limit: 10 })).items.map((h) => h.id);
    expect(ids).toHaveLength(10);
    const imported = importer.dataset.import(document, { reason: 'Import national du test' });
    const writes = ids.map((id, index) =>
      other.habilitations.suspend([id], { reason: `Suspension concurrente ${index}` }).then(
        (result) => ({ id, ok: true as const, traceId: result.changed[0]!.traceId }),
        (error: CafsupError) => ({ id, ok: false as const, code: error.code }),
      ),
    );
    const [outcome, results] = await Promise.all([imported, Promise.all(writes)]);
    expect(outcome.counts.partners).toBe(document.partners.length);
    for (const result of results) {
      const status = (await other.habilitations.get(result.id)).status;
      // Acknowledged: present. Refused (503 after its deadline): nothing written.
      if (result.ok) expect(status).toBe('suspended');
      else expect([result.code, status]).toEqual(['UNAVAILABLE', 'active']);
    }
    const acknowledged = results.filter((result) => result.ok);
    expect(acknowledged.length).toBeGreaterThan(0);
    const traceIds = acknowledged.map((result) => (result as { traceId: number }).traceId);
    expect(new Set(traceIds).size).toBe(traceIds.length);
    const verification = await other.traces.verify();
    expect(verification.ok).toBe(true);
    // Traces = changes: one per acknowledged suspension, one for the import.
    expect(verification.head.id - before).toBe(acknowledged.length + 1);
    await importer.close();
  });

  it('takes no lock while an import is still being sent, and a dropped upload leaves writes free', async () => {
    const url = new URL(server.baseUrl);
    const upload = request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/v1/dataset.import?reason=Import%20abandonn%C3%A9',
      headers: { authorization: `Bearer ${admin}`, 'transfer-encoding': 'chunked' },
    });
    upload.on('error', () => undefined);
    upload.write('{"format":"cafsup/dataset","version":1,"cafs":[');
    // While the client dawdles, another supervisor's write lands at once.
    const target = (await other.habilitations.list({ partnerId: 'bavans', status: 'active', limit: 1 })).items[0]!.id;
    const during = await other.habilitations.suspend([target], { reason: 'Pendant un envoi lent' });
    expect(during.changed).toHaveLength(1);
    upload.destroy();
    // And after the client is gone, too.
    const after = await other.habilitations.reinstate([target], { reason: 'Après un envoi abandonné' });
    expect(after.changed).toHaveLength(1);
    expect((await other.traces.verify()).ok).toBe(true);
  });

  it('answers reads within 200 ms while a write waits for the lock, then lands the write', async () => {
    const target = (await other.habilitations.list({ partnerId: 'saint-leu', status: 'active', limit: 1 })).items[0]!.id;
    const blocker = new Database(server.database);
    blocker.exec('BEGIN IMMEDIATE');
    let released = false;
    try {
      const pending = other.habilitations.suspend([target], { reason: 'Écriture qui attend le verrou' });
      let settled = false;
      void pending.finally(() => (settled = true));
      const latencies: number[] = [];
      for (let index = 0; index < 5; index++) {
        const start = performance.now();
        await other.partners.list({ limit: 5 });
        latencies.push(performance.now() - start);
      }
      expect(settled).toBe(false);
      expect(Math.min(...latencies)).toBeLessThan(200);
      blocker.exec('COMMIT');
      released = true;
      const done = await pending;
      expect(done.changed[0]).toMatchObject({ id: target, after: { status: 'suspended' } });
    } finally {
      if (!released) blocker.exec('ROLLBACK');
      blocker.close();
    }
  });

  it('answers 503 with Retry-After when the lock outlasts the deadline, and writes nothing', async () => {
    const hurried = new TestServer();
    await hurried.seed(buildDemoDataset({ partners: 4, today: AS_OF }), ACTOR);
    const token = await hurried.token(ACTOR, 'supervisor', ['*']);
    await hurried.start({ requestTimeoutMs: 300 });
    const blocker = new Database(hurried.database);
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const answer = await hurried.post(
        '/v1/habilitations.suspend',
        JSON.stringify({ ids: ['amp-h0012'], options: { reason: 'Écriture trop tardive' } }),
        token,
      );
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('UNAVAILABLE');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      blocker.exec('ROLLBACK');
      const read = await hurried.post('/v1/habilitations.get', JSON.stringify({ id: 'amp-h0012' }), token);
      expect(read.body.status).toBe('active');
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
      await hurried.stop();
    }
  });

  it('binds an Idempotency-Key to the body: a replay gets the first answer, another body 422, a dry run is never stored', async () => {
    const body = (reason: string, dryRun?: boolean) => JSON.stringify({ ids: ['amp-h0013'], options: { reason, ...(dryRun === undefined ? {} : { dryRun }) } });
    const dry = await server.post('/v1/habilitations.suspend', body('Suspension rejouée', true), admin, { 'idempotency-key': 'cle-1' });
    expect(dry.body.dryRun).toBe(true);
    const first = await server.post('/v1/habilitations.suspend', body('Suspension rejouée'), admin, { 'idempotency-key': 'cle-1' });
    expect([first.status, first.body.dryRun, first.body.changed[0].after.status]).toEqual([200, false, 'suspended']);
    const replay = await server.post('/v1/habilitations.suspend', body('Suspension rejouée'), admin, { 'idempotency-key': 'cle-1' });
    expect([replay.status, replay.headers['idempotent-replay'], replay.body]).toEqual([200, 'true', first.body]);
    const otherBody = await server.post('/v1/habilitations.suspend', body('Un autre motif'), admin, { 'idempotency-key': 'cle-1' });
    expect([otherBody.status, otherBody.body.error.code]).toEqual([422, 'VALIDATION']);
    const traces = await other.traces.list({ targetId: 'amp-h0013' });
    expect(traces.items.map((trace) => trace.reason)).toEqual(['Suspension rejouée']);
  });

  it('binds the key of a streamed import to its document: the same document replays, another is 422', async () => {
    const document = JSON.stringify(buildDemoDataset({ partners: 4, today: AS_OF }));
    const headers = { 'idempotency-key': 'import-1' };
    const first = await server.post('/v1/dataset.import?reason=Import%20rejou%C3%A9', document, admin, headers);
    expect([first.status, first.body.dryRun]).toEqual([200, false]);
    const head = (await other.traces.head()).id;
    const replay = await server.post('/v1/dataset.import?reason=Import%20rejou%C3%A9', document, admin, headers);
    expect([replay.status, replay.headers['idempotent-replay'], replay.body]).toEqual([200, 'true', first.body]);
    const changed = await server.post('/v1/dataset.import?reason=Import%20rejou%C3%A9', document.replace('"Caf des Yvelines"', '"Caf 78"'), admin, headers);
    expect([changed.status, changed.body.error?.code]).toEqual([422, 'VALIDATION']);
    // Neither the replay nor the refused one wrote anything.
    expect((await other.traces.head()).id).toBe(head);
  });

  it('refuses an asOf outside 1900–2199 or not a date at once, and a purge of the future, over HTTP', async () => {
    for (const asOf of ['9999-12-31', 'garbage', '1899-12-31']) {
      const { ms, error } = await fastestRefusal(() => other.partners.get('amp', { asOf }));
      expect([error.code, error.details.problems![0]!.path]).toEqual(['VALIDATION', 'asOf']);
      expect(ms).toBeLessThan(100);
    }
    const audit = await fastestRefusal(() => other.audit.run({ asOf: '9999-12-31' }));
    expect(audit.error.code).toBe('VALIDATION');
    const purge = await refusalOf(server.client(admin).traces.purge({ asOf: '2099-01-01' }));
    expect([purge.code, purge.details.problems]).toEqual(['VALIDATION', [{ path: 'asOf', message: 'postérieure à aujourd’hui (22 novembre 2026)' }]]);
    const raw = await server.post('/v1/traces.purge', JSON.stringify({ asOf: '2099-01-01' }), admin);
    expect(raw.status).toBe(422);
  });

  it('refuses control and bidi characters in stored text, over HTTP', async () => {
    for (const reason of ['Motif \u001b]52;c;aGVsbG8=\u0007 piégé', 'Motif \u202e inversé', '\u200b\u200b\u200b\u200b\u200b\u200b']) {
      const answer = await server.post('/v1/habilitations.suspend', JSON.stringify({ ids: ['amp-h0014'], options: { reason } }), admin);
      expect([answer.status, answer.body.error.details.problems[0].path]).toEqual([422, 'options.reason']);
    }
    const long = await server.post('/v1/habilitations.suspend', JSON.stringify({ ids: ['amp-h0014'], options: { reason: 'x'.repeat(1001) } }), admin);
    expect(long.status).toBe(422);
  });
});

describe('the embedded store refuses the same inputs, at once', () => {
  it('asOf out of range or garbage, control characters, purge of the future', async () => {
    const test = await openClient({ dataset: buildDemoDataset({ partners: 4, today: AS_OF }) });
    try {
      for (const asOf of ['9999-12-31', 'garbage']) {
        const { ms, error } = await fastestRefusal(() => test.client.partners.get('amp', { asOf }));
        expect([error.code, error.details.problems![0]!.path]).toEqual(['VALIDATION', 'asOf']);
        expect(ms).toBeLessThan(100);
      }
      const escape = await refusalOf(test.client.habilitations.suspend(['amp-h0001'], { reason: 'Motif \u001b[2J effacé' }));
      expect(escape.details.problems).toEqual([{ path: 'options.reason', message: 'caractère de contrôle ou de direction du texte interdit' }]);
      expect((await refusalOf(test.client.traces.purge({ asOf: '2099-01-01' }))).code).toBe('VALIDATION');
      expect((await test.client.habilitations.get('amp-h0001')).status).toBe('active');
      // The file holds people's names: its owner only.
      expect(statSync(test.database).mode & 0o777).toBe(0o600);
    } finally {
      await test.cleanup();
    }
  });
});

describe('the embedded store off the interface’s thread', () => {
  it('reads while another process holds the lock, and gives up a waiting write without writing it', async () => {
    const test = await openClient({ dataset: buildDemoDataset({ partners: 4, today: AS_OF }) });
    const client = createClient({ database: test.database, actor: ACTOR, offThread: true });
    const blocker = new Database(test.database);
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const waiting = refusalOf(client.habilitations.suspend(['amp-h0001'], { reason: 'Écriture abandonnée' }));
      // Reads are answered meanwhile, from the reader worker.
      expect((await client.partners.get('amp')).id).toBe('amp');
      // The write is queued (not started) or waiting for the lock: give up what has not started.
      let cancelled = 0;
      const deadline = Date.now() + 10_000;
      while (cancelled === 0 && Date.now() < deadline) cancelled = await client.cancelWaiting();
      blocker.exec('ROLLBACK');
      const refusal = await waiting;
      expect(refusal.code).toBe('UNAVAILABLE');
      expect((await client.habilitations.get('amp-h0001')).status).toBe('active');
      expect((await client.traces.list({ targetId: 'amp-h0001' })).items).toEqual([]);
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
      await client.close();
      await test.cleanup();
    }
  });
});

describe('the signing key made on first use', () => {
  /** What a file system without hard links (some network or FUSE mounts, vfat) answers a link: injected, as no folder here refuses one. */
  const noHardLinks = `const fs = (await import('node:fs')).default;
fs.linkSync = () => { throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' }); };
(await import('node:module')).syncBuiltinESMExports();`;

  // Review 42: two `cafsup serve` started together on a fresh machine both made the key; the second
  // to write it failed with EEXIST (« Erreur interne inattendue », exit 70), or read it still empty.
  // Review 43: where the file system makes no hard link, nobody could make it.
  it.each([
    { where: 'with hard links', prelude: '' },
    { where: 'on a file system without hard links', prelude: noHardLinks },
  ])(
    'is made once when several processes need it at the same moment, and each of them reads that one ($where)',
    async ({ prelude }) => {
      const { spawn } = await import('node:child_process');
      const module = join(import.meta.dirname, '..', 'packages', 'sdk', 'dist', 'checkpoints.js');
      const script = `${prelude}
const { loadSigningKey } = await import(${JSON.stringify(module)});
const [path, at] = process.argv.slice(1);
// Asleep until just before the moment the four share, then spinning to it: started together, they race.
const asleep = Number(at) - Date.now() - 25;
if (asleep > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, asleep);
while (Date.now() < Number(at)) {}
try { process.stdout.write('ok ' + loadSigningKey({ path, create: true }).keyId); } catch (error) { process.stdout.write('error ' + error.message); }`;
      const dir = mkdtempSync(join(tmpdir(), 'cafsup-key-race-'));
      try {
        for (let round = 0; round < 10; round++) {
          const path = join(dir, String(round), 'secrets', 'signing-key.pem');
          const at = String(Date.now() + 400);
          const outputs = await Promise.all(
            Array.from({ length: 4 }, () => {
              const child = spawn(process.execPath, ['--input-type=module', '-e', script, path, at], { stdio: ['ignore', 'pipe', 'inherit'] });
              let output = '';
              child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
              return new Promise<string>((resolve) => child.on('close', () => resolve(output)));
            }),
          );
          const key = loadSigningKey({ path });
          expect(outputs).toEqual(Array.from({ length: 4 }, () => `ok ${key.keyId}`));
          // A key, not only a file that reads as one: what it signs, its public half checks.
          const signed = Buffer.from('tête de la chaîne');
          expect(verify(null, signed, key.publicKey, sign(null, signed, key.privateKey))).toBe(true);
          expect(statSync(path).mode & 0o777).toBe(0o600);
          expect(readdirSync(dirname(path))).toEqual(['signing-key.pem']);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  // Review 43: an admin's `traces checkpoint` from an account other than the service's made a key
  // of that account, in silence, and signed with it a checkpoint the service's verify refuses.
  it('is said on stderr by the command that makes it, and by that one only: traces checkpoint (--json kept pure), serve', async () => {
    const sandbox = new CliSandbox();
    try {
      expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
      const made = (path: string) =>
        `Nouvelle clé de signature créée : ${path} (aucune n’existait pour ce compte ; une vérification qui fait confiance à une autre clé, celle du service par exemple, refusera les points de contrôle qu’elle signe).\n`;
      const file = `${sandbox.dir}/points.jsonl`;
      const first = sandbox.run(['traces', 'checkpoint', '--file', file, '--json']);
      expect([first.status, first.stderr]).toEqual([0, made(`${sandbox.dir}/config/secrets/signing-key.pem`)]);
      expect(JSON.parse(first.stdout)).toMatchObject({ file });
      const second = sandbox.run(['traces', 'checkpoint', '--file', file]);
      expect([second.status, second.stderr]).toEqual([0, '']);
      // The server, in its log, as it starts under an account (here a config folder) with no key yet.
      const service = { CAFSUP_CONFIG_DIR: `${sandbox.dir}/service` };
      for (const said of [made(`${sandbox.dir}/service/secrets/signing-key.pem`), '']) {
        const server = startCafsup(['serve', '--port', '0', '--checkpoints', `${sandbox.dir}/service.jsonl`], sandbox.env(service));
        try {
          await server.saying('écoute sur');
          server.child.kill('SIGTERM');
          expect((await server.exited)[0]).toBe(0);
        } finally {
          server.child.kill('SIGKILL');
        }
        expect(
          server
            .said()
            .stderr.split(/(?<=\n)/)
            .filter((line) => line.includes('clé de signature')),
        ).toEqual(said === '' ? [] : [said]);
      }
    } finally {
      sandbox.cleanup();
    }
  }, 60_000);

  // A key that could not be written (a full disk, a folder not writable, a config folder under a
  // file) ended « Erreur interne inattendue », exit 70, for checkpoint and serve alike.
  it('says why it cannot be made, naming its file (exit 6), and leaves nothing there', () => {
    const sandbox = new CliSandbox();
    try {
      expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
      const blocker = join(sandbox.dir, 'un-fichier');
      writeFileSync(blocker, '');
      const key = join(blocker, 'secrets', 'signing-key.pem');
      const said = `Clé de signature impossible à créer : ${key} (un élément du chemin n’est pas un dossier) ; rien n’a été signé.\n`;
      const checkpoint = sandbox.run(['traces', 'checkpoint', '--file', join(sandbox.dir, 'points.jsonl'), '--key', key]);
      expect([checkpoint.status, checkpoint.stderr]).toEqual([6, said]);
      const serve = sandbox.run(['serve', '--port', '0', '--checkpoints', join(sandbox.dir, 'service.jsonl')], {
        env: { CAFSUP_CONFIG_DIR: blocker },
        timeoutMs: 20_000,
      });
      expect([serve.status, serve.stderr]).toEqual([6, expect.stringContaining(said)]);
      expect(readdirSync(sandbox.dir).filter((name) => name.endsWith('.jsonl'))).toEqual([]);
    } finally {
      sandbox.cleanup();
    }
  }, 60_000);

  // Review 44: `traces checkpoint` made its key before it opened the database or looked at its
  // file: refused for either, it left a new key behind (and a file under a file was exit 70).
  it('is made by traces checkpoint only once its checkpoint can be written: a command refused for its database or its file leaves no new file', () => {
    const sandbox = new CliSandbox();
    try {
      expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
      const notStore = join(sandbox.dir, 'notes.txt');
      writeFileSync(notStore, 'pas une base\n');
      const folder = join(sandbox.dir, 'un-dossier');
      mkdirSync(folder);
      const before = readdirSync(sandbox.dir).sort();
      const key = join(sandbox.dir, 'config', 'secrets', 'signing-key.pem');
      const noKey = { CAFSUP_SIGNING_KEY: undefined };
      const underFile = join(notStore, 'points.jsonl');
      for (const [args, said] of [
        [['--db', join(sandbox.dir, 'absente.db')], `Base de données introuvable : ${join(sandbox.dir, 'absente.db')}.`],
        [['--db', notStore], `Le fichier ${notStore} n’est pas une base cafsup lisible.`],
        [['--db', 'mysql://caf78@db/cafsup'], 'Base de données non prise en charge : mysql://***.'],
        [['--file', folder], `Fichier de points de contrôle impossible à écrire : ${folder} (c’est un dossier) ; rien n’a été signé.`],
        [
          ['--file', underFile],
          `Fichier de points de contrôle impossible à écrire : ${underFile} (un élément du chemin n’est pas un dossier) ; rien n’a été signé.`,
        ],
        // Root may write anywhere, access() says, yet /proc refuses a new folder: the key was made, then the append refused.
        [
          ['--file', '/proc/cafsup-absent/points.jsonl'],
          'Fichier de points de contrôle impossible à écrire : /proc/cafsup-absent/points.jsonl (le système refuse d’y créer un dossier) ; rien n’a été signé.',
        ],
      ] as const) {
        const refused = sandbox.run(['traces', 'checkpoint', ...args], { env: noKey });
        expect([refused.status, refused.stderr]).toEqual([6, expect.stringContaining(said)]);
        expect(refused.stderr).not.toContain('clé de signature');
        expect([existsSync(key), readdirSync(sandbox.dir).sort(), readdirSync(folder)]).toEqual([false, before, []]);
      }
      // Nor does a server refused for its database (it made its key before opening it).
      const served = sandbox.run(['serve', '--port', '0', '--db', join(sandbox.dir, 'absente.db')], { env: noKey, timeoutMs: 20_000 });
      expect([served.status, served.stderr]).toEqual([6, expect.stringContaining(`Base de données introuvable : ${join(sandbox.dir, 'absente.db')}.`)]);
      expect([served.stderr.includes('clé de signature'), existsSync(key), readdirSync(sandbox.dir).sort()]).toEqual([false, false, before]);
      const signed = sandbox.run(['traces', 'checkpoint'], { env: noKey });
      expect([signed.status, signed.stderr]).toEqual([0, expect.stringContaining('Nouvelle clé de signature créée')]);
      expect(statSync(key).isFile()).toBe(true);
    } finally {
      sandbox.cleanup();
    }
  }, 60_000);

  // Without hard links the key is written under its own name: a process that finds it meanwhile
  // reads a PEM cut short, which it must wait for rather than call unreadable.
  it('is read once whole when found still being written', async () => {
    const { spawn } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-key-written-'));
    try {
      const path = join(dir, 'signing-key.pem');
      const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      writeFileSync(path, pem.slice(0, 40), { mode: 0o600 });
      const finishing = spawn(
        process.execPath,
        ['-e', 'setTimeout(() => require("node:fs").appendFileSync(process.argv[1], process.argv[2]), 300)', path, pem.slice(40)],
        { stdio: 'inherit' },
      );
      const finished = new Promise((resolve) => finishing.on('close', resolve));
      try {
        expect(loadSigningKey({ path }).keyId).toBe(loadSigningKey({ env: { CAFSUP_SIGNING_KEY: pem } }).keyId);
      } finally {
        await finished;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('signed checkpoints catch what the chain alone cannot', () => {
  const key = (() => {
    const { privateKey } = generateKeyPairSync('ed25519');
    return loadSigningKey({ env: { CAFSUP_SIGNING_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() } });
  })();

  async function scenario(tamper: (database: string) => void) {
    const test = await openClient({ dataset: buildDemoDataset({ partners: 4, today: AS_OF }) });
    try {
      for (let index = 1; index <= 4; index++) await test.client.habilitations.suspend([`amp-h000${index}`], { reason: `Contrôle ${index}` });
      const early = signCheckpoint(await test.client.traces.head(), '2026-11-22T10:00:00Z', key); // head 3
      for (let index = 5; index <= 7; index++) await test.client.habilitations.suspend([`amp-h000${index}`], { reason: `Contrôle ${index}` });
      const late = signCheckpoint(await test.client.traces.head(), '2026-11-22T11:00:00Z', key); // head 8
      tamper(test.database);
      const chain = await test.client.traces.verify();
      const report = await checkAgainstCheckpoints(chain.head, [early, late], [key.publicKey], (ids) => test.client.traces.hashes(ids));
      return { chain, report, early, late };
    } finally {
      await test.cleanup();
    }
  }

  it('passes an untouched chain', async () => {
    const { chain, report } = await scenario(() => undefined);
    expect([chain.ok, report]).toEqual([true, { ok: true, matched: 2, firstBrokenId: null, problems: [], renamedFrom: [], forged: 0, otherStores: [] }]);
  });

  it('catches a tail rewritten with recomputed hashes and names where it may start', async () => {
    const { chain, report, early } = await scenario((database) => rewriteTail(database, 6, 'Motif réécrit'));
    expect(chain.ok).toBe(true); // the chain alone is fooled
    expect([report.ok, report.firstBrokenId]).toEqual([false, early.id + 1]);
  });

  it('catches a truncated tail', async () => {
    const { chain, report, early } = await scenario((database) => truncate(database, 6));
    expect(chain.ok).toBe(true);
    // Nothing vouches for trace 6 any more (it may have been rewritten before the cut): the break is named from the last match.
    expect([report.ok, report.firstBrokenId]).toEqual([false, early.id + 1]);
    // Its moment as a French reader reads it, in Paris (cli.md): signed at 11:00Z.
    expect(report.problems[0]).toContain('chaîne tronquée : elle s’arrête à la trace n° 6, mais le point de contrôle du 22 novembre 2026 à 12:00 atteste');
  });

  /** Runs SQL on the file as an intruder with it would. */
  const onFile = (database: string, sql: string) => {
    const db = new Database(database);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  };

  // A server's checkpoints pass the head it signed last; its stop's walks only what came since (review 26, 7; review 28).
  describe('a verification through a signed head', () => {
    async function through(tamper: (database: string) => void) {
      const test = await openClient({ dataset: buildDemoDataset({ partners: 4, today: AS_OF }) });
      try {
        for (let index = 1; index <= 4; index++) await test.client.habilitations.suspend([`amp-h000${index}`], { reason: `Contrôle ${index}` });
        const checkpoint = await test.client.traces.head();
        for (let index = 5; index <= 6; index++) await test.client.habilitations.suspend([`amp-h000${index}`], { reason: `Contrôle ${index}` });
        tamper(test.database);
        return {
          checkpoint,
          alone: await test.client.traces.verify(),
          whole: await test.client.traces.verify({ checkpoint }),
          since: await test.client.traces.verify({ checkpoint, onlyAfter: true }),
        };
      } finally {
        await test.cleanup();
      }
    }

    it('walks the whole chain through it, or only the traces that continue it', async () => {
      const { checkpoint, alone, whole, since } = await through(() => undefined);
      expect(alone.head.id).toBeGreaterThan(checkpoint.id);
      expect([alone.ok, alone.checked, whole]).toEqual([true, alone.head.id, alone]);
      expect([since.ok, since.checked, since.head]).toEqual([true, alone.head.id - checkpoint.id, alone.head]);
    });

    it('names a tail rewritten from before it with recomputed hashes, which the walk alone cannot see', async () => {
      const { checkpoint, alone, whole, since } = await through((database) => rewriteTail(database, 3, 'Motif réécrit'));
      expect(alone.ok).toBe(true);
      const off = `la chaîne ne passe plus par le point de contrôle signé au n° ${checkpoint.id} : elle a été réécrite à partir de cette trace ou d’une précédente`;
      expect(whole).toMatchObject({ ok: false, firstBrokenId: checkpoint.id, problem: off });
      expect(since).toMatchObject({
        ok: false,
        firstBrokenId: checkpoint.id,
        problem: `le lien de la trace n° ${checkpoint.id + 1} ne mène plus à la trace n° ${checkpoint.id} du point de contrôle signé : l’une ou l’autre a été réécrite, ou une trace antérieure`,
      });
    });

    it('names a chain cut below it', async () => {
      const { checkpoint, alone, whole, since } = await through((database) => truncate(database, 3));
      expect(alone.ok).toBe(true);
      const cut = { ok: false, firstBrokenId: 4, problem: `tête de chaîne au n° 3, en deçà du point de contrôle signé au n° ${checkpoint.id}` };
      expect([whole, since]).toMatchObject([cut, cut]);
    });

    // Read from the head on, the walk missed a forged row numbered below the chain's start (review 28, H1).
    it('names a trace added below the chain’s start, walking whole or only after the head', async () => {
      const { alone, since } = await through((database) =>
        onFile(database, 'CREATE TEMP TABLE forged AS SELECT * FROM traces WHERE id = 1; UPDATE forged SET id = 0; INSERT INTO traces SELECT * FROM forged;'),
      );
      expect(alone).toMatchObject({ ok: false, firstBrokenId: 0, problem: 'trace n° 0 manquante ou déplacée' });
      expect(since).toMatchObject({ ok: false, firstBrokenId: 0, problem: 'trace n° 0 manquante ou déplacée' });
    });

    // Written once by a migration, it says which traces may leave the file: changed after the signature, it is forged (review 28, M1).
    it('names a last version-1 trace other than the signed one', async () => {
      const { since } = await through((database) => onFile(database, "UPDATE meta SET value = '5' WHERE key = 'trace_v1_last'"));
      expect(since).toMatchObject({
        ok: false,
        firstBrokenId: 1,
        problem: 'dernière trace de version 1 déclarée au n° 5, au n° 0 selon le point de contrôle signé',
      });
    });

    // Its checkpoints no longer named it, and verify --checkpoints passed them over as another store's (review 28b, N2).
    it('names a store identifier other than the signed one', async () => {
      const { checkpoint, whole } = await through((database) => onFile(database, `UPDATE meta SET value = '"${OTHER_STORE}"' WHERE key = 'store_id'`));
      expect(whole).toMatchObject({
        ok: false,
        problem: `identifiant de la base changé depuis le point de contrôle signé (${checkpoint.storeId}, maintenant ${OTHER_STORE})`,
      });
    });

    // Read as no number, the head passed; content that is no JSON failed the walk as an internal error (review 28b, N1, N3).
    it('names a head that is no number, and a trace whose content is no JSON', async () => {
      const { alone: head } = await through((database) => onFile(database, `UPDATE meta SET value = json_set(value, '$.id', '7') WHERE key = 'trace_head'`));
      expect(head).toMatchObject({
        ok: false,
        problem: 'tête ou début de la chaîne illisible : numéro, empreinte ou identifiant de la base d’une autre forme que celle que cafsup écrit',
      });
      const { alone: content } = await through((database) => onFile(database, "UPDATE traces SET before = '{' WHERE id = 2"));
      expect(content).toMatchObject({ ok: false, firstBrokenId: 2, problem: 'trace n° 2 modifiée : contenu illisible' });
    });

    // A record that is no JSON failed every walk as an internal error, and a write too (review 28c, R1).
    it('names a record of the chain that is no JSON, and writes nothing after such a head, nor after one of another form', async () => {
      for (const key of ['trace_head', 'trace_anchor', 'store_id', 'trace_v1_last']) {
        const { alone } = await through((database) =>
          onFile(database, `INSERT INTO meta (key, value) VALUES ('${key}', 'pas du json') ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
        );
        expect(alone, key).toMatchObject({
          ok: false,
          problem: 'tête ou début de la chaîne illisible : numéro, empreinte ou identifiant de la base d’une autre forme que celle que cafsup écrit',
        });
      }
      // The head's values in another form than cafsup writes: named by the walk, refused by a
      // write, as PostgreSQL's path refuses them.
      const otherForms = [
        "UPDATE meta SET value = json_object('hash', json_extract(value, '$.hash'), 'id', json_extract(value, '$.id')) WHERE key = 'trace_head'",
        "UPDATE meta SET value = replace(value, ',', ', ') WHERE key = 'trace_head'",
      ];
      for (const edit of otherForms) {
        const { alone } = await through((database) => onFile(database, edit));
        expect(alone, edit).toMatchObject({
          ok: false,
          problem: 'tête ou début de la chaîne illisible : numéro, empreinte ou identifiant de la base d’une autre forme que celle que cafsup écrit',
        });
      }
      for (const edit of ["UPDATE meta SET value = 'pas du json' WHERE key = 'trace_head'", ...otherForms]) {
        const test = await openClient({ dataset: buildDemoDataset({ partners: 4, today: AS_OF }) });
        try {
          onFile(test.database, edit);
          await expect(test.client.habilitations.suspend(['amp-h0001'], { reason: 'Contrôle' }), edit).rejects.toMatchObject({
            code: 'CONFLICT',
            message: expect.stringContaining('Tête de la chaîne des traces illisible dans la base (modifiée hors de cafsup) : rien n’a été écrit.'),
          });
          expect((await test.client.habilitations.get('amp-h0001')).status).toBe('active');
        } finally {
          await test.cleanup();
        }
      }
    });
  });

  // The interval's checkpoints walk the whole chain: an edit before the last signed head is still
  // refused, and the stop's, which would walk only after it, then walks whole too (review 28, M2).
  it('a server refuses its checkpoints once a trace before its last signed head is edited, at the interval and at its stop', async () => {
    const server = new TestServer();
    // Beside the server's folder, which its stop removes.
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-points-'));
    const file = join(folder, 'points.jsonl');
    const missed: string[] = [];
    const signed = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
    const until = async (what: string, done: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`${what} : jamais vu\n${server.log.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await server.seed(buildDemoDataset({ partners: 4, today: AS_OF }), ACTOR);
    const token = await server.token(ACTOR, 'supervisor', ['*']);
    await server.start({ checkpoints: { file, everyMs: 100, key: () => key, onFinalMissed: (why) => missed.push(why) } });
    const client = server.client(token);
    try {
      await until('le premier point de contrôle', () => signed().length === 1);
      onFile(server.database, "UPDATE traces SET reason = 'Motif changé' WHERE id = 1");
      await client.habilitations.suspend(['amp-h0001'], { reason: 'Après la modification' });
      await until('le refus', () => server.log.some((line) => line.includes('chaîne des traces rompue : point de contrôle refusé')));
    } finally {
      await client.close();
      await server.stop();
    }
    try {
      expect(signed()).toHaveLength(1);
      expect(missed).toEqual([`la chaîne des traces est rompue : trace n° 1 modifiée (cafsup traces verify --checkpoints ${file})`]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  /**
   * A server on a demo, signing into a file with `key` (every minute: only its first and its
   * stop's come in a test), with `before` run on its database before it starts and `meanwhile`
   * once its first checkpoint is signed; what its stop said of its final checkpoint, and the file's lines.
   */
  async function serverWith(
    before: (database: string, file: string) => Promise<void>,
    meanwhile: (database: string, file: string) => Promise<void>,
  ): Promise<{ file: string; missed: string[]; lines: { id: number; hash: string }[] }> {
    const server = new TestServer();
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-points-'));
    const file = join(folder, 'points.jsonl');
    const missed: string[] = [];
    try {
      await server.seed(buildDemoDataset({ partners: 4, today: AS_OF }), ACTOR);
      await before(server.database, file);
      const lines = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
      const already = lines().length;
      await server.start({ checkpoints: { file, everyMs: 60_000, key: () => key, onFinalMissed: (why) => missed.push(why) } });
      const deadline = Date.now() + 30_000;
      while (lines().length === already && !server.log.some((line) => line.includes('point de contrôle refusé'))) {
        if (Date.now() > deadline) throw new Error(`premier point de contrôle jamais vu\n${server.log.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await meanwhile(server.database, file);
      await server.stop();
      return { file, missed, lines: lines().map((line) => JSON.parse(line) as { id: number; hash: string }) };
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }

  /** Suspensions on `database` as another process would make them, then its head. */
  async function suspended(database: string, ids: string[]) {
    const local = createClient({ database, actor: ACTOR });
    try {
      for (const id of ids) await local.habilitations.suspend([id], { reason: `Contrôle de ${id}` });
      return await local.traces.head();
    } finally {
      await local.close();
    }
  }
  const contradicted = (file: string, id: number) => [
    expect.stringContaining(`la chaîne ne concorde plus avec les points de contrôle signés dans ${file} : trace n° ${id} différente de celle signée le `),
  ];

  // A server started again knew no head signed before: its first checkpoint walked the chain
  // alone, and signed a tail rewritten while it was stopped (review 28c, R3).
  it('a server started again refuses to sign a chain that the checkpoints of its file contradict', async () => {
    let signed = 0;
    const { file, missed, lines } = await serverWith(
      async (database, file) => {
        // The checkpoint of its previous run, with its key.
        const head = await suspended(database, ['amp-h0001']);
        appendCheckpoint(file, signCheckpoint(head, '2026-11-22T12:00:00Z', key));
        signed = head.id;
        await suspended(database, ['amp-h0002']);
        rewriteTail(database, head.id, 'Motif réécrit');
      },
      async () => undefined,
    );
    expect([lines.length, missed]).toEqual([1, contradicted(file, signed)]);
    expect(missed[0]).toContain('. Si une sauvegarde vient d’être restaurée, mettez ce fichier de côté');
  });

  // A running server checked only the head it signed last: a checkpoint the command line signed
  // since, of a later head, did not stop it signing a tail rewritten from there (review 29, M1).
  it('a running server refuses to sign a chain that a checkpoint signed since into its file contradicts', async () => {
    const later = { id: 0, hash: '' };
    const { file, missed, lines } = await serverWith(
      async () => undefined,
      async (database, file) => {
        const head = await suspended(database, ['amp-h0001', 'amp-h0002']);
        appendCheckpoint(file, signCheckpoint(head, new Date().toISOString(), key));
        Object.assign(later, { id: head.id, hash: head.hash });
        rewriteTail(database, head.id, 'Motif réécrit');
      },
    );
    expect([lines.map((line) => line.id), lines.at(-1)!.hash, missed]).toEqual([[later.id - 2, later.id], later.hash, contradicted(file, later.id)]);
  });

  // A server reads its file from where its last checkpoint stopped (a year's file, read whole each
  // time, held it 150–230 ms: review 29c). A checkpoint of a head past the one it walked (the
  // command line's, signed between its walk and its reading) was refused as a chain cut short:
  // now, held by the database, it is checked again at its next checkpoint, from what it read before.
  it('checks again, from where it stopped reading, a checkpoint of a later head read before', async () => {
    const test = await openClient({ dataset: buildDemoDataset({ partners: 4, today: AS_OF }) });
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-points-'));
    const file = join(folder, 'points.jsonl');
    try {
      const hashesOf = (ids: number[]) => test.client.traces.hashes(ids);
      await test.client.habilitations.suspend(['amp-h0001'], { reason: 'Contrôle 1' });
      const walked = await test.client.traces.head();
      await test.client.habilitations.suspend(['amp-h0002', 'amp-h0003'], { reason: 'Contrôle 2' });
      const later = await test.client.traces.head();
      appendCheckpoint(file, signCheckpoint(later, '2026-11-22T12:00:00Z', key));
      const first = await contradictedBy(file, walked, key, hashesOf, { newStore: true });
      expect(first).toEqual({
        refusal: null,
        checked: { mark: expect.objectContaining({ offset: statSync(file).size }), later: [expect.objectContaining({ id: later.id })] },
      });
      rewriteTail(test.database, walked.id + 1, 'Motif réécrit');
      const next = await contradictedBy(file, await test.client.traces.head(), key, hashesOf, { from: walked.id, newStore: true, since: first.checked! });
      expect([next.refusal, next.checked]).toEqual([expect.stringContaining(`trace n° ${later.id} différente de celle signée le `), null]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await test.cleanup();
    }
  });

  it('reads a checkpoints file from a mark: the lines added since, whole when it is another file or shorter, never a line not ended yet', () => {
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-points-'));
    const file = join(folder, 'points.jsonl');
    try {
      const line = (id: number) => signCheckpoint({ storeId: OTHER_STORE, id, hash: 'a'.repeat(64), legacyUntil: 0 }, '2026-11-21T12:00:00Z', key);
      appendCheckpoint(file, line(1));
      const whole = readCheckpoints(file);
      appendCheckpoint(file, line(2));
      writeFileSync(file, `${readFileSync(file, 'utf8')}{"v":1,"id":3`);
      const since = readCheckpoints(file, whole.mark);
      expect([since.checkpoints.map((checkpoint) => checkpoint.id), since.notCheckpoints]).toEqual([[2], [{ first: 2, last: 2 }]]);
      expect(since.mark.offset).toBe(statSync(file).size - '{"v":1,"id":3'.length);
      // Cut short, then ended by the next append: read then, as the line it is.
      appendCheckpoint(file, line(4));
      expect(readCheckpoints(file, since.mark).checkpoints.map((checkpoint) => checkpoint.id)).toEqual([4]);
      // Another file at the path (moved aside, a new one begun), or the same one shortened: whole.
      const moved = `${file}.1`;
      renameSync(file, moved);
      appendCheckpoint(file, line(5));
      expect(readCheckpoints(file, since.mark).checkpoints.map((checkpoint) => checkpoint.id)).toEqual([5]);
      const again = readCheckpoints(file);
      writeFileSync(file, '');
      appendCheckpoint(file, line(6));
      expect(readCheckpoints(file, { ...again.mark, offset: again.mark.offset + 1000 }).checkpoints.map((checkpoint) => checkpoint.id)).toEqual([6]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  /** A checkpoint of another store, signed with the server's key: the line a database sharing its file leaves. */
  const strangersLine = (file: string) =>
    appendCheckpoint(file, signCheckpoint({ storeId: OTHER_STORE, id: 1, hash: 'a'.repeat(64), legacyUntil: 0 }, '2026-11-21T12:00:00Z', key));

  // Its file shared with another database, whose checkpoints it holds: a server's first checkpoint
  // waits for an operator to say the database is a new one; a line of it whose signature fails does not say so.
  it('a server waits for an operator to sign the first checkpoint of its database in a file that holds another’s', async () => {
    let database = '';
    const { file, missed, lines } = await serverWith(
      async (path, file) => {
        database = path;
        strangersLine(file);
        const head = await suspended(path, []);
        appendCheckpoint(file, { ...signCheckpoint(head, '2026-11-22T12:00:00Z', key), signature: Buffer.alloc(64).toString('base64') });
      },
      async () => undefined,
    );
    expect([lines.length, missed]).toEqual([
      2,
      [
        expect.stringContaining(
          `Si c’est une nouvelle base, signez son premier point de contrôle : « cafsup traces checkpoint --new-store --file ${file} --db ${database}, avec la clé de ce serveur »`,
        ),
      ],
    ]);
  });

  // The README's remedy after a restore, or a rotation: a running server whose database the walk
  // has just recognised is no new one, whoever signed first into the new file (review 29c, M-A).
  it('a running server goes on signing into a file moved aside, where another database signed first', async () => {
    const { missed, lines } = await serverWith(
      async () => undefined,
      async (database, file) => {
        renameSync(file, `${file}.avant`);
        strangersLine(file);
        await suspended(database, ['amp-h0001']);
      },
    );
    expect([missed, lines.map((line) => (line as { storeId?: string }).storeId === OTHER_STORE)]).toEqual([[], [true, false]]);
  });

  it('refuses a checkpoint signed by another key', async () => {
    const stranger = loadSigningKey({
      env: { CAFSUP_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
    });
    const test = await openClient({ dataset: buildDemoDataset({ partners: 4, today: AS_OF }) });
    try {
      const forged = signCheckpoint(await test.client.traces.head(), '2026-11-22T12:00:00Z', stranger);
      const check = await checkAgainstCheckpoints(await test.client.traces.head(), [forged], [key.publicKey], (ids) => test.client.traces.hashes(ids));
      expect(check.ok).toBe(false);
      expect(check.problems[0]).toContain('signature invalide');
    } finally {
      await test.cleanup();
    }
  });

  it('from the command line: checkpoint, then verify names the break (exit 1) after a rewrite', () => {
    const sandbox = new CliSandbox();
    try {
      expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
      const actor = { CAFSUP_ACTOR: 'Camille Roux <camille.roux@caf78.fr>' };
      expect(sandbox.run(['suspend', '--habilitation', 'amp-h0001', '--reason', 'Contrôle du test', '--yes'], { env: actor }).status).toBe(0);
      const file = `${sandbox.dir}/points.jsonl`;
      const signed = sandbox.json(['traces', 'checkpoint', '--file', file]);
      expect(statSync(`${sandbox.dir}/config/secrets/signing-key.pem`).mode & 0o777).toBe(0o600);
      expect(sandbox.run(['suspend', '--habilitation', 'amp-h0002', '--reason', 'Contrôle suivant', '--yes'], { env: actor }).status).toBe(0);
      const clean = sandbox.run(['traces', 'verify', '--checkpoints', file]);
      expect(clean.status).toBe(0);
      // A file that is not there is said so, and a folder is named as one (both were « illisible »).
      for (const [given, said] of [
        [`${sandbox.dir}/absent.jsonl`, 'introuvable'],
        [sandbox.dir, 'illisible (c’est un dossier)'],
      ] as const) {
        const missing = sandbox.run(['traces', 'verify', '--checkpoints', given]);
        expect([missing.status, missing.stderr]).toEqual([3, `Fichier de points de contrôle ${said} : ${given}.\n`]);
      }
      expect(clean.stdout).toContain(`Tête de la chaîne : trace n° ${signed.checkpoint.id + 1}`);
      // One file signed on two machines, checked on a third that has neither key: each key given (trial 33, 2: only the last counted).
      const shared = `${sandbox.dir}/partage.jsonl`;
      writeFileSync(shared, readFileSync(file));
      const elsewhere = sandbox.json(['traces', 'checkpoint', '--file', shared, '--key', `${sandbox.dir}/autre-machine.pem`]);
      const keyFiles = [signed, elsewhere].map(({ checkpoint }, index) => {
        const keyFile = `${sandbox.dir}/cle-${index}.pub`;
        writeFileSync(keyFile, checkpoint.publicKey);
        return keyFile;
      });
      const auditor = { CAFSUP_CONFIG_DIR: `${sandbox.dir}/auditeur`, CAFSUP_SIGNING_KEY: undefined };
      const oneKey = sandbox.run(['traces', 'verify', '--checkpoints', shared, '--public-key', keyFiles[1]!], { env: auditor });
      expect([oneKey.status, oneKey.stdout]).toEqual([1, expect.stringContaining('signature invalide ou clé inconnue')]);
      const bothKeys = sandbox.run(['traces', 'verify', '--checkpoints', shared, '--public-key', keyFiles[0]!, '--public-key', keyFiles[1]!], { env: auditor });
      expect([bothKeys.status, bothKeys.stdout]).toEqual([0, expect.stringContaining('Points de contrôle (' + shared + ') : 2 concordants, aucun écart.')]);
      // A line whose moment is not one is named, not read: the sentences give each checkpoint's moment.
      const odd = `${sandbox.dir}/odd.jsonl`;
      const { legacyUntil: _older, ...withoutLimit } = signed.checkpoint;
      writeFileSync(odd, `${readFileSync(file, 'utf8')}${JSON.stringify({ ...signed.checkpoint, at: 'hier' })}\n${JSON.stringify(withoutLimit)}\n`);
      const named = sandbox.run(['traces', 'verify', '--checkpoints', odd]);
      expect([named.status, named.stdout]).toEqual([1, expect.stringContaining(`${odd}, lignes 2 à 3 : lignes qui ne sont pas des points de contrôle`)]);
      // A damaged file of 130,000 lines: its problems overflowed the call stack (« Erreur interne »),
      // then were 130,000 problems (5 M took 1.4 GB and 40 s): each run of such lines is one,
      // blank lines within it included, a checkpoint ending it. The terminal shows twenty, --json every one.
      const damaged = `${sandbox.dir}/damaged.jsonl`;
      const good = readFileSync(file, 'utf8');
      const goodLines = good.split('\n').length - 1;
      const junk = (count: number) => Array.from({ length: count }, (_, index) => (index % 2 === 0 ? 'pas un point de contrôle' : '{"v": 1')).join('\n\n');
      writeFileSync(damaged, `${junk(100_000)}\n${good}${junk(30_000)}\n${good}{}\n`);
      const many = JSON.parse(sandbox.run(['traces', 'verify', '--checkpoints', damaged, '--json']).stdout);
      expect(many.checkpoints).toMatchObject({ ok: false, matched: 2 * goodLines });
      const second = 200_000 + goodLines;
      expect(many.checkpoints.problems).toEqual([
        `${damaged}, lignes 1 à 199999 : lignes qui ne sont pas des points de contrôle`,
        `${damaged}, lignes ${second} à ${second + 59_998} : lignes qui ne sont pas des points de contrôle`,
        `${damaged}, ligne ${second + 59_999 + goodLines} : ligne qui n’est pas un point de contrôle`,
      ]);
      const scattered = `${sandbox.dir}/scattered.jsonl`;
      writeFileSync(scattered, `${good}x\n`.repeat(50));
      const shown = sandbox.run(['traces', 'verify', '--checkpoints', scattered]);
      expect([shown.status, shown.stderr]).toEqual([1, '']);
      expect(shown.stdout).toContain(
        `${scattered}, ligne ${20 * (goodLines + 1)} : ligne qui n’est pas un point de contrôle ; et 30 autres écarts (--json pour tous).`,
      );
      expect(JSON.parse(sandbox.run(['traces', 'verify', '--checkpoints', scattered, '--json']).stdout).checkpoints.problems).toHaveLength(50);
      rewriteTail(sandbox.database, signed.checkpoint.id, 'Motif réécrit');
      const broken = sandbox.run(['traces', 'verify', '--checkpoints', file, '--json']);
      expect(broken.status).toBe(1);
      expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, checkpoints: { ok: false, firstBrokenId: 1 } });
    } finally {
      sandbox.cleanup();
    }
  });
});

// A store's identifier lives in its database: changed, it hid a rewritten tail behind checkpoints
// « of another store », which verify passed over, and a routine checkpoint then vouched for the
// rewrite (review 28b, N2; review 28c, R3; review 29, H1). A chain is known by its hashes.
describe('a chain known by its hashes, not by the identifier its database claims', () => {
  /**
   * A demo with two checkpoints (the second after a suspension), and in the same file, with the
   * same key, one of another demo: its first there, signed with --new-store. Refused without
   * it: for all cafsup can tell, its identifier is a changed one.
   */
  function twoStores() {
    const sandbox = new CliSandbox();
    const elsewhere = new CliSandbox();
    expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
    const file = `${sandbox.dir}/points.jsonl`;
    const first = sandbox.json(['traces', 'checkpoint', '--file', file]).checkpoint;
    const actor = { CAFSUP_ACTOR: 'Camille Roux <camille.roux@caf78.fr>' };
    expect(sandbox.run(['suspend', '--habilitation', 'amp-h0001', '--reason', 'Contrôle du test', '--yes'], { env: actor }).status).toBe(0);
    const second = sandbox.json(['traces', 'checkpoint', '--file', file]).checkpoint;
    expect(elsewhere.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
    const key = `${sandbox.dir}/config/secrets/signing-key.pem`;
    const unsaid = elsewhere.run(['traces', 'checkpoint', '--file', file, '--key', key]);
    expect([unsaid.status, unsaid.stdout]).toEqual([
      1,
      expect.stringContaining(`Point de contrôle refusé : aucun point de contrôle de cette base (identifiant `),
    ]);
    expect(unsaid.stdout).toContain(
      `Si c’est une nouvelle base, signez son premier point de contrôle : « cafsup traces checkpoint --new-store --file ${file} »`,
    );
    const stranger = elsewhere.json(['traces', 'checkpoint', '--file', file, '--key', key, '--new-store']).checkpoint;
    // Its next one needs nothing more.
    expect(elsewhere.run(['traces', 'checkpoint', '--file', file, '--key', key]).status).toBe(0);
    const onFile = (sql: string) => {
      const db = new Database(sandbox.database);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    };
    const cleanup = () => {
      sandbox.cleanup();
      elsewhere.cleanup();
    };
    return { sandbox, file, first, second, stranger, onFile, cleanup };
  }
  const renameTo = `UPDATE meta SET value = '"${OTHER_STORE}"' WHERE key = 'store_id'`;

  it('passes over another database’s checkpoints, and refuses a changed identifier alone', () => {
    const { sandbox, file, first, stranger, onFile, cleanup } = twoStores();
    try {
      const clean = sandbox.run(['traces', 'verify', '--checkpoints', file]);
      expect([clean.status, clean.stdout]).toEqual([
        0,
        expect.stringContaining(`2 points de contrôle d’une autre base (identifiant ${stranger.storeId}), ignorés`),
      ]);
      // Lines naming seven stores more (anyone may add them): the terminal names five stores of the eight.
      const crowded = `${file}.crowded`;
      const line = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!);
      const added = Array.from({ length: 7 }, (_, index) => `${JSON.stringify({ ...line, storeId: `autre-${index}` })}\n`);
      writeFileSync(crowded, `${readFileSync(file, 'utf8')}${added.join('')}`);
      const named = sandbox.run(['traces', 'verify', '--checkpoints', crowded]);
      expect(named.stdout.match(/d’une autre base/g)).toHaveLength(5);
      expect(named.stdout).toContain('Et ceux de 3 autres bases, ignorés aussi (--json pour toutes).');
      expect(JSON.parse(sandbox.run(['traces', 'verify', '--checkpoints', crowded, '--json']).stdout).checkpoints.otherStores).toHaveLength(8);
      onFile(renameTo);
      const refused = sandbox.run(['traces', 'checkpoint', '--file', file, '--new-store']);
      expect([refused.status, refused.stdout]).toEqual([
        1,
        expect.stringContaining(
          `Point de contrôle refusé : la chaîne ne concorde plus avec les points de contrôle signés dans ${file} : identifiant de la base changé (${first.storeId}, maintenant ${OTHER_STORE}) : le point de contrôle du `,
        ),
      ]);
      expect(refused.stdout).toContain(`« cafsup traces verify --checkpoints ${file} » en donne le détail`);
      const verified = sandbox.run(['traces', 'verify', '--checkpoints', file, '--json']);
      expect([verified.status, JSON.parse(verified.stdout).checkpoints]).toEqual([
        1,
        expect.objectContaining({ ok: false, matched: 2, firstBrokenId: null, renamedFrom: [first.storeId] }),
      ]);
    } finally {
      cleanup();
    }
  });

  it('names a tail rewritten after a checkpoint under a changed identifier, and checks the old identifier’s checkpoints', () => {
    const { sandbox, file, first, second, stranger, onFile, cleanup } = twoStores();
    try {
      onFile(renameTo);
      rewriteTail(sandbox.database, second.id, 'Motif réécrit');
      const refused = sandbox.run(['traces', 'checkpoint', '--file', file]);
      expect([refused.status, refused.stdout]).toEqual([
        1,
        expect.stringContaining(`identifiant de la base changé (${first.storeId}, maintenant ${OTHER_STORE})`),
      ]);
      expect(refused.stdout).toContain('(et 1 autre écart)');
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
      const verified = sandbox.run(['traces', 'verify', '--checkpoints', file, '--json']);
      expect(verified.status).toBe(1);
      expect(JSON.parse(verified.stdout).checkpoints).toMatchObject({
        ok: false,
        matched: 1,
        firstBrokenId: first.id + 1,
        renamedFrom: [first.storeId],
        otherStores: [{ storeId: stranger.storeId, checkpoints: 2 }],
        problems: [expect.stringContaining('identifiant de la base changé'), expect.stringContaining(`trace n° ${second.id} différente`)],
      });
    } finally {
      cleanup();
    }
  });

  // No trace left to tie the chain to its old identifier: only its first checkpoint under the new one gives it away.
  it('refuses the routine first checkpoint of a chain emptied under a changed identifier', () => {
    const { sandbox, file, onFile, cleanup } = twoStores();
    try {
      onFile(`${renameTo}; DELETE FROM traces; UPDATE meta SET value = json_object('id', 0, 'hash', '${'0'.repeat(64)}') WHERE key = 'trace_head'`);
      const refused = sandbox.run(['traces', 'checkpoint', '--file', file]);
      expect([refused.status, refused.stdout]).toEqual([
        1,
        expect.stringContaining(
          `aucun point de contrôle de cette base (identifiant ${OTHER_STORE}) n’atteste sa chaîne dans ${file}, qui contient ceux d’autres bases signés avec la même clé`,
        ),
      ]);
      const verified = sandbox.run(['traces', 'verify', '--checkpoints', file]);
      expect([verified.status, verified.stdout]).toEqual([1, expect.stringContaining('aucun point de contrôle de cette base dans le fichier')]);
    } finally {
      cleanup();
    }
  });

  // Another store whose checkpoints attest nothing (n° 0: what a server signs on an empty
  // PostgreSQL database): a chain rewritten from its start and taken under its identifier (review 29c, H-A).
  it('refuses a chain rewritten from its start under the identifier of a store whose checkpoints attest nothing', () => {
    const { sandbox, file, onFile, cleanup } = twoStores();
    try {
      const key = loadSigningKey({ path: `${sandbox.dir}/config/secrets/signing-key.pem` });
      appendCheckpoint(file, signCheckpoint({ storeId: OTHER_STORE, id: 0, hash: '0'.repeat(64), legacyUntil: 0 }, '2026-11-21T12:00:00Z', key));
      onFile(renameTo);
      rewriteTail(sandbox.database, 1, 'Motif réécrit');
      const refused = sandbox.run(['traces', 'checkpoint', '--file', file]);
      expect([refused.status, refused.stdout]).toEqual([
        1,
        expect.stringContaining(`aucun point de contrôle de cette base (identifiant ${OTHER_STORE}) n’atteste sa chaîne`),
      ]);
      const verified = sandbox.run(['traces', 'verify', '--checkpoints', file]);
      expect([verified.status, verified.stdout]).toEqual([
        1,
        expect.stringContaining('aucun point de contrôle de cette base n’atteste une trace de sa chaîne'),
      ]);
    } finally {
      cleanup();
    }
  });

  // A crash during an append, or a copy cut in transfer, left a line without its end: the next checkpoint was glued to it.
  it('starts a new line after a last line cut short', () => {
    const sandbox = new CliSandbox();
    try {
      expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
      const file = `${sandbox.dir}/points.jsonl`;
      writeFileSync(file, '{"v":1,"storeId":"coupé');
      expect(sandbox.run(['traces', 'checkpoint', '--file', file]).status).toBe(0);
      const verified = sandbox.run(['traces', 'verify', '--checkpoints', file, '--json']);
      expect([verified.status, JSON.parse(verified.stdout).checkpoints]).toEqual([
        1,
        expect.objectContaining({ matched: 1, problems: [`${file}, ligne 1 : ligne qui n’est pas un point de contrôle`] }),
      ]);
    } finally {
      sandbox.cleanup();
    }
  });
});

describe('the reason rule on the command line', () => {
  it('asks no reason for a dry run, and refuses a real run without one (no terminal: exit 2)', () => {
    const sandbox = new CliSandbox();
    try {
      expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
      const env = { CAFSUP_ACTOR: 'Camille Roux <camille.roux@caf78.fr>' };
      const dry = sandbox.run(['suspend', '--habilitation', 'amp-h0001', '--dry-run', '--json'], { env });
      expect(dry.status).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, changed: [{ id: 'amp-h0001', traceId: null }] });
      const real = sandbox.run(['suspend', '--habilitation', 'amp-h0001', '--yes'], { env });
      expect([real.status, real.stderr]).toEqual([2, expect.stringContaining('Motif obligatoire')]);
      // An ESC in the reason: invalid data (exit 5), nothing written.
      const planted = sandbox.run(['suspend', '--habilitation', 'amp-h0001', '--yes', '--reason', 'Motif \u001b[31m rouge'], { env });
      expect([planted.status, planted.stderr]).toEqual([5, expect.stringContaining('caractère de contrôle')]);
      expect(sandbox.json(['habilitations', 'amp', '--status', 'suspended']).habilitations.map((h: { id: string }) => h.id)).not.toContain('amp-h0001');
    } finally {
      sandbox.cleanup();
    }
  });

  it('is the same for the records and workflow steps: a dry run without a reason, a real run refused before any work', () => {
    const sandbox = new CliSandbox();
    try {
      expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
      const env = { CAFSUP_ACTOR: 'Camille Roux <camille.roux@caf78.fr>' };
      const grant = ['habilitation', 'add', 'bavans', '--user', 'bavans-u002', '--profile', 'T1'];
      const dry = sandbox.run([...grant, '--dry-run', '--json'], { env });
      expect(dry.status, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, habilitation: { profile: 'T1' } });
      const closeOut = sandbox.run(['close-out', 'amp', '--dry-run'], { env });
      expect(closeOut.stderr).not.toContain('--reason');
      const headBefore = sandbox.json(['traces', 'verify']).head;
      const real = sandbox.run([...grant, '--yes'], { env });
      expect([real.status, real.stderr]).toEqual([2, expect.stringContaining('Motif obligatoire')]);
      expect(sandbox.json(['traces', 'verify']).head).toEqual(headBefore);
      expect(sandbox.run([...grant, '--yes', '--reason', 'Accueil social'], { env }).status).toBe(0);
    } finally {
      sandbox.cleanup();
    }
  });
});

describe('a reason planted in the file behind cafsup’s back', () => {
  it('is shown escaped by `cafsup traces`: no escape sequence reaches the terminal', async () => {
    const sandbox = new CliSandbox();
    try {
      expect(sandbox.run(['demo', '--scale', '4', '--as-of', AS_OF]).status).toBe(0);
      const db = new Database(sandbox.database);
      db.prepare(`UPDATE traces SET reason = ? WHERE id = (SELECT MAX(id) FROM traces)`).run('Import \u001b]52;c;aGVsbG8=\u0007 piégé \u202e');
      db.close();
      const shown = sandbox.run(['traces', '--limit', '1']);
      expect(shown.status).toBe(0);
      expect(shown.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
      expect(shown.stdout).toContain('\\x1b]52;c;aGVsbG8=\\x07');
      // Every other way out: CSV, JSON, the dataset itself; JSON keeps the value (\u escapes).
      for (const args of [['traces', '--csv'], ['traces', '--json'], ['export']]) {
        const out = sandbox.run(args);
        expect([args.join(' '), out.status]).toEqual([args.join(' '), 0]);
        expect(out.stdout).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
      }
      expect(JSON.parse(sandbox.run(['traces', '--json', '--limit', '1']).stdout).traces[0].reason).toBe('Import \u001b]52;c;aGVsbG8=\u0007 piégé \u202e');
    } finally {
      sandbox.cleanup();
    }
  });
});

describe('traces verify stays a read', () => {
  it('is allowed to an auditor token, and a purge is not', async () => {
    const server = new TestServer();
    await server.seed(buildDemoDataset({ partners: 4, today: AS_OF }), ACTOR);
    const token = await server.token({ name: 'Audit', email: 'audit@cnaf.fr' }, 'auditor', ['*']);
    await server.start();
    const auditor = server.client(token);
    try {
      expect((await auditor.traces.verify()).ok).toBe(true);
      expect((await refusalOf(auditor.traces.purge({ dryRun: true }))).code).toBe('FORBIDDEN');
    } finally {
      await auditor.close();
      await server.stop();
    }
  });
});
