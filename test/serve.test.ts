import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@cafsup/sdk';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { CAFSUP_BIN, CliSandbox, startCafsup } from './support/cli.js';
import { lockedCopy } from './support/locks.js';
import { rewriteTail } from './support/traces.js';

const ACTOR = 'Camille Roux <camille.roux@caf78.fr>';

describe('cafsup serve as a process', () => {
  const sandbox = new CliSandbox();
  let server: ChildProcess;
  let baseUrl: string;
  let token: string;
  let log = '';

  beforeAll(async () => {
    expect(sandbox.run(['demo']).status).toBe(0);
    token = sandbox.json(['token', 'create', 'Camille Roux', '--email', 'camille.roux@caf78.fr', '--role', 'supervisor', '--caf', '*'], {
      env: { CAFSUP_ACTOR: ACTOR },
    }).token;
    server = spawn(process.execPath, [CAFSUP_BIN, 'serve', '--port', '0'], { env: sandbox.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    baseUrl = await new Promise<string>((resolve, reject) => {
      server.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        const address = /écoute sur (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1];
        if (address !== undefined) resolve(address);
      });
      server.once('exit', (code) => reject(new Error(`serve sorti (${code}) :\n${log}`)));
    });
  });
  afterAll(() => {
    server.kill('SIGKILL');
    sandbox.cleanup();
  });

  it('refuses a port already taken at once: exit 2, a French sentence naming the port, the data untouched', () => {
    const port = new URL(baseUrl).port;
    const headBefore = sandbox.json(['traces', 'verify']).head;
    // A deadline of its own: a second server that listened would never exit.
    const second = spawnSync(process.execPath, [CAFSUP_BIN, 'serve', '--port', port, '--checkpoint-minutes', '0'], {
      env: sandbox.env(),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`Le port ${port} est déjà pris (127.0.0.1:${port})`);
    expect(second.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(sandbox.json(['traces', 'verify']).head).toEqual(headBefore);
  });

  it('refuses a dataset file that is missing, or a folder, in French through the SDK, on a file as over HTTP: no crash, nothing written', async () => {
    const headBefore = sandbox.json(['traces', 'verify']).head;
    const [missing, folder] = [join(sandbox.dir, 'absent.json'), sandbox.dir];
    // The file was opened before it was read: its error, with no listener yet, ended the process
    // (« Unhandled 'error' event »); over HTTP a folder was « Serveur injoignable : EISDIR » (review 41).
    const actor = { name: 'Camille Roux', email: 'camille.roux@caf78.fr' };
    // Off the caller's thread too (the interface's store workers), where the worker, told only to
    // give up the import, answered « Erreur interne inattendue » (review 41b).
    const clients = [
      createClient({ database: sandbox.database, actor }),
      createClient({ database: sandbox.database, actor, offThread: true }),
      createClient({ baseUrl, token, retries: 0 }),
    ];
    try {
      for (const client of clients) {
        for (const dryRun of [true, false]) {
          await expect(client.dataset.import({ path: missing }, { reason: 'Import du fichier absent', dryRun })).rejects.toMatchObject({
            code: 'NOT_FOUND',
            message: `Fichier introuvable : ${missing}.`,
          });
          await expect(client.dataset.import({ path: folder }, { reason: 'Import du dossier', dryRun })).rejects.toMatchObject({
            code: 'VALIDATION',
            message: `Fichier illisible : ${folder} (c’est un dossier).`,
          });
        }
      }
    } finally {
      for (const client of clients) await client.close();
    }
    const viaCli = sandbox.run(['api', 'dataset.import', '--input', '{"reason":"Import du fichier absent"}', '--file', missing, '--yes'], {
      env: { CAFSUP_ACTOR: ACTOR },
    });
    expect([viaCli.status, viaCli.stderr]).toEqual([3, `Fichier introuvable : ${missing}.\n`]);
    expect(sandbox.json(['traces', 'verify']).head).toEqual(headBefore);
  });

  it('refuses a database file that does not exist: exit 6, nothing created, never a server on an empty store', () => {
    const missing = join(sandbox.dir, 'faute-de-frappe.db');
    const result = spawnSync(process.execPath, [CAFSUP_BIN, 'serve', '--port', '0', '--checkpoint-minutes', '0', '--db', missing], {
      env: sandbox.env(),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect([result.status, result.stderr]).toEqual([6, expect.stringContaining(`Base de données introuvable : ${missing}. Créez-la avec « cafsup demo »`)]);
    expect(existsSync(missing)).toBe(false);
  });

  it('finishes the request in flight on SIGTERM, then stops with exit 0; its log names requests, never the token', async () => {
    const client = createClient({ baseUrl, token, retries: 0 });
    expect((await client.partners.get('amp')).id).toBe('amp');
    const large = buildDemoDataset({ partners: 400, today: '2026-11-22' });
    const inFlight = client.dataset.import(large, { reason: 'Import pendant l’arrêt' });
    // SIGTERM only once the server has the request (a fixed sleep sent it too early on a loaded machine: EPIPE).
    const deadline = Date.now() + 30_000;
    while (!log.includes('/v1/dataset.import')) {
      if (Date.now() > deadline) throw new Error(`import jamais reçu :\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    server.kill('SIGTERM');
    const outcome = await inFlight;
    expect(outcome.counts.partners).toBe(400);
    const [code] = await once(server, 'exit');
    expect(code).toBe(0);
    await client.close();
    const lines = log.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.some((line) => String(JSON.parse(line).req?.url).startsWith('/v1/dataset.import'))).toBe(true);
    expect(log.includes(token)).toBe(false);
    // What was imported is there after the stop, and the stop signed the trail's head with it.
    expect(sandbox.json(['partners']).partners).toHaveLength(400);
    const head = sandbox.json<{ head: { id: number; hash: string } }>(['traces', 'verify']).head;
    const signed = readFileSync(join(sandbox.env().CAFSUP_CONFIG_DIR!, 'checkpoints.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(signed.at(-1)).toMatchObject({ id: head.id, hash: head.hash });
    expect(signed.length).toBeGreaterThanOrEqual(2);
  });

  /** A second server of its own, its checkpoints in `checkpoints`: its URL once it listens, and its stderr so far. */
  const another = async (checkpoints: string) => {
    const child = spawn(process.execPath, [CAFSUP_BIN, 'serve', '--port', '0', '--checkpoints', checkpoints], {
      env: sandbox.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const address = /écoute sur (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
        if (address !== undefined) resolve(address);
      });
      child.once('exit', (code) => reject(new Error(`serve sorti (${code}) :\n${stderr}`)));
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    return { child, url, said: () => ({ stdout, stderr }) };
  };

  // Ctrl-C ended the process at once (130): requests cut, no checkpoint, though the banner says it stops cleanly (review 26).
  it('stops on Ctrl-C (SIGINT) as on SIGTERM: exit 0, the final checkpoint signing the writes made', async () => {
    const checkpoints = join(sandbox.dir, 'ctrl-c.jsonl');
    const server = await another(checkpoints);
    const client = createClient({ baseUrl: server.url, token, retries: 0 });
    await client.habilitations.suspend(['amp-h0004'], { reason: 'Arrêt par Ctrl-C' });
    await client.close();
    server.child.kill('SIGINT');
    const [code] = await once(server.child, 'exit');
    expect([code, server.said().stdout]).toEqual([0, 'Serveur arrêté.\n']);
    const head = sandbox.json<{ head: { id: number; hash: string } }>(['traces', 'verify']).head;
    const signed = readFileSync(checkpoints, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(signed.at(-1)).toMatchObject({ id: head.id, hash: head.hash });
  });

  // The store's writer was ended inside SQLite's wait for the lock, and better-sqlite3 then
  // aborted the process: « FATAL ERROR: v8::ToLocalChecked », exit 134 (trial 26, H2).
  it('stops cleanly on SIGTERM while its writes wait for another process’s lock: exit 0, nothing written, no crash', async () => {
    const checkpoints = join(sandbox.dir, 'verrou.jsonl');
    const server = await another(checkpoints);
    const before = sandbox.json<{ head: { id: number } }>(['traces', 'verify']).head.id;
    const holder = new Database(sandbox.database);
    try {
      holder.exec('BEGIN IMMEDIATE');
      holder.exec("UPDATE meta SET value = value WHERE key = 'trace_head'");
      const client = createClient({ baseUrl: server.url, token, retries: 0 });
      const writes = [
        ...['amp-h0001', 'amp-h0002', 'amp-h0003'].map((id) => client.habilitations.suspend([id], { reason: 'Pendant un verrou' })),
        client.dataset.import(buildDemoDataset({ partners: 40, today: '2026-11-22' }), { reason: 'Import pendant un verrou' }),
      ].map((write) =>
        write.then(
          () => 'écrite',
          (error: { code?: string }) => error.code,
        ),
      );
      // A request whose headers end after the stop began, on a connection opened before.
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      let answers = '';
      socket.on('data', (chunk: Buffer) => (answers += chunk.toString('utf8')));
      const socketClosed = once(socket, 'close');
      const suspend = (id: string) => {
        const body = JSON.stringify({ ids: [id], options: { reason: 'Pendant un verrou' } });
        return `POST /v1/habilitations.suspend HTTP/1.1\r\nHost: cafsup\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      };
      const late = suspend('amp-h0005');
      const cut = late.indexOf('Authorization');
      socket.write(late.slice(0, cut));
      const deadline = Date.now() + 30_000;
      while ((server.said().stderr.match(/"incoming request"/g) ?? []).length < 4) {
        if (Date.now() > deadline) throw new Error(`requêtes jamais reçues :\n${server.said().stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      server.child.kill('SIGTERM');
      while (!server.said().stderr.includes('arrêt demandé')) {
        if (Date.now() > deadline) throw new Error(`arrêt jamais commencé :\n${server.said().stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      socket.write(late.slice(cut));
      const [code] = await once(server.child, 'exit');
      expect(await Promise.all(writes)).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE']);
      await client.close();
      expect([code, server.said().stdout]).toEqual([0, 'Serveur arrêté.\n']);
      expect(server.said().stderr).not.toContain('FATAL');
      // The one that arrived during the stop is refused as cafsup refuses, not by Fastify's English 503 without the API's header (trial 26, L2).
      await socketClosed;
      expect(answers).toMatch(/^HTTP\/1\.1 503 /);
      expect(answers).toMatch(/\r\ncafsup-api: 1\r\n/i);
      expect(answers).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(answers).toContain('Serveur en cours d’arrêt : réessayez dans un instant.');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(sandbox.json<{ head: { id: number } }>(['traces', 'verify']).head.id).toBe(before);
  });

  // A stop during the start ended the process by the signal's default action, without a word (143: trial 26, L5).
  it('stops on SIGTERM during its start while another process holds the file’s lock: exit 0 at once, and says so', async () => {
    const holder = lockedCopy(sandbox.database, join(sandbox.dir, 'verrouillee.db'));
    try {
      const server = startCafsup(['serve', '--port', '0', '--db', holder.name], sandbox.env());
      await server.saying('ouverture de la base');
      const stopped = Date.now();
      server.child.kill('SIGTERM');
      const [code] = await server.exited;
      // At once: the store's threads, waiting for the lock, give their opening up (not the lock's 15 s).
      expect(Date.now() - stopped).toBeLessThan(5_000);
      expect([code, server.said().stdout]).toEqual([0, 'Serveur arrêté pendant son démarrage : il n’avait encore rien servi.\n']);
      expect(server.said().stderr).not.toContain('FATAL');
    } finally {
      holder.close();
    }
  });

  // Its stop's checkpoint walks only the traces since the head it last signed (review 26, 7), which must continue
  // it: a tail rewritten with recomputed hashes, which the walk alone cannot see, no longer does.
  it('signs no checkpoint over a tail rewritten under it since its last one: exit 6, the break named', async () => {
    const own = new CliSandbox();
    try {
      expect(own.run(['demo']).status).toBe(0);
      for (const id of ['amp-h0001', 'amp-h0002']) {
        expect(own.run(['suspend', '--habilitation', id, '--reason', 'Contrôle avant le serveur', '--yes'], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
      }
      const checkpoints = join(own.dir, 'points.jsonl');
      const signed = () => (existsSync(checkpoints) ? readFileSync(checkpoints, 'utf8').trim().split('\n').filter(Boolean) : []);
      const server = startCafsup(['serve', '--port', '0', '--checkpoints', checkpoints], own.env());
      try {
        const deadline = Date.now() + 30_000;
        while (signed().length === 0) {
          if (Date.now() > deadline) throw new Error(`aucun point de contrôle :\n${server.said().stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const first = JSON.parse(signed()[0]!) as { id: number };
        rewriteTail(own.database, first.id, 'Motif réécrit');
        server.child.kill('SIGTERM');
        const [code] = await server.exited;
        expect([code, server.said().stderr]).toEqual([
          6,
          expect.stringContaining(
            `Serveur arrêté sans son point de contrôle final : la chaîne des traces est rompue : la chaîne ne passe plus par le point de contrôle signé au n° ${first.id} : elle a été réécrite à partir de cette trace ou d’une précédente (cafsup traces verify --checkpoints ${checkpoints}).`,
          ),
        ]);
        expect(signed()).toHaveLength(1);
      } finally {
        server.child.kill('SIGKILL');
      }
    } finally {
      own.cleanup();
    }
  });

  // Its log's next line failed, unheard, and the server ended with it: a `setsid` server's
  // terminal closed (EIO), or, as here, the reader of its log's pipe gone (EPIPE) (review 34, M1).
  it('keeps answering when the reader of its log is gone, then stops as asked: exit 0', async () => {
    const server = await another(join(sandbox.dir, 'sans-journal.jsonl'));
    server.child.stderr.destroy();
    const client = createClient({ baseUrl: server.url, token, retries: 0 });
    // Each request is a log line written to a pipe nobody reads: the first failed, every one after too.
    for (let request = 0; request < 3; request += 1) expect((await client.partners.get('amp')).id).toBe('amp');
    await client.habilitations.suspend(['amp-h0005'], { reason: 'Journal sans lecteur' });
    await client.close();
    expect(server.child.exitCode).toBe(null);
    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    expect([code, server.said().stdout]).toEqual([0, 'Serveur arrêté.\n']);
  });

  it('says why a stop signed no checkpoint, exit 6, when the checkpoints file cannot be written', async () => {
    // Under a file (the database itself): the file of checkpoints can never be made.
    const unwritable = join(sandbox.database, 'points.jsonl');
    const server = await another(unwritable);
    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    expect([code, server.said().stderr]).toEqual([
      6,
      expect.stringContaining(`Serveur arrêté sans son point de contrôle final : le fichier des points de contrôle n’a pas pu être écrit (${unwritable}).`),
    ]);
  });
});
