import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from './support/postgres.js';
import { convention, dataset, deputy, habilitation, partner, review, user } from './support/fixture.js';
import { openClient, type TestClient } from './support/client.js';

// These tests run the built SDK in child processes (`pnpm build` first), as real separate programs.
const WORKER = fileURLToPath(new URL('./support/worker.mjs', import.meta.url));

function store(users: number, habilitationsPerUser: number) {
  const ids = Array.from({ length: users * habilitationsPerUser }, (_, i) => `h${String(i).padStart(5, '0')}`);
  return {
    ids,
    data: dataset({
      partners: [partner('p')],
      conventions: [convention('p', { subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T1', maxUsers: users }] }] })],
      users: [deputy('p'), ...Array.from({ length: users }, (_, i) => user(`u${i}`, 'p'))],
      habilitations: ids.map((id, i) => habilitation(id, 'p', { userId: `u${Math.floor(i / habilitationsPerUser)}` })),
      reviews: [review('p')],
    }),
  };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runWorker(database: string, mode: string, ids: string[], killAfterReadyMs?: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER, database, mode, JSON.stringify(ids)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (killAfterReadyMs !== undefined && stdout.includes('ready')) setTimeout(() => child.kill('SIGKILL'), killAfterReadyMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const STATUSES = 'SELECT status, COUNT(*) AS n FROM habilitations GROUP BY status ORDER BY status';
const HABILITATION_TRACES = `SELECT COUNT(*) AS n FROM traces WHERE action LIKE 'habilitation.%'`;

/** What the database holds, read directly (not through cafsup): statuses, traces of actions, and SQLite's own check of its file. */
async function inspect(database: string) {
  if (database.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      return {
        statuses: (await client.query(STATUSES)).rows.map((row: { status: string; n: string }) => ({ status: row.status, n: Number(row.n) })),
        traces: Number((await client.query(HABILITATION_TRACES)).rows[0].n),
        integrity: 'ok',
      };
    } finally {
      await client.end();
    }
  }
  const db = new Database(database, { readonly: true });
  try {
    return {
      statuses: db.prepare(STATUSES).all() as { status: string; n: number }[],
      traces: db.prepare(HABILITATION_TRACES).pluck().get() as number,
      integrity: db.prepare('PRAGMA integrity_check').pluck().get() as string,
    };
  } finally {
    db.close();
  }
}

describe.each(ENGINES)('kill -9 in the middle of a bulk suspension (%s)', (_engine, database) => {
  const HABILITATIONS = 4000;
  let test: TestClient;
  let ids: string[];

  beforeAll(async () => {
    const built = store(400, 10);
    ids = built.ids;
    const location = await database();
    test = await openClient({ dataset: built.data, ...(location === undefined ? {} : { database: location }) });
  });
  afterAll(() => test.cleanup());

  it('leaves all or none changed, one trace per change, a verifiable chain and a sound file', async () => {
    // One uninterrupted run gives the length of the action, so the kills land during it.
    const started = Date.now();
    const clean = await runWorker(test.database, 'bulk', ids);
    expect(clean.code).toBe(0);
    const duration = Date.now() - started;
    let expectedTraces = HABILITATIONS;
    let suspended = HABILITATIONS;
    let interrupted = 0;
    for (let round = 0; round < 24; round++) {
      const run = await runWorker(test.database, 'bulk', ids, Math.floor(Math.random() * duration));
      const after = await inspect(test.database);
      expect(after.integrity).toBe('ok');
      expect(after.statuses).toHaveLength(1);
      const status = after.statuses[0]!;
      expect(status.n).toBe(HABILITATIONS);
      const nowSuspended = status.status === 'suspended' ? HABILITATIONS : 0;
      if (nowSuspended !== suspended) expectedTraces += HABILITATIONS;
      else if (run.signal === 'SIGKILL') interrupted += 1;
      suspended = nowSuspended;
      expect(after.traces).toBe(expectedTraces);
    }
    expect(await test.client.traces.verify()).toMatchObject({ ok: true });
    // Most kills should have hit the transaction itself rather than before or after it.
    expect(interrupted).toBeGreaterThan(0);
  });
});

describe.each(ENGINES)('eight processes writing at once (%s)', (_engine, database) => {
  let test: TestClient;
  let ids: string[];

  beforeAll(async () => {
    const built = store(40, 5);
    ids = built.ids;
    const location = await database();
    test = await openClient({ dataset: built.data, ...(location === undefined ? {} : { database: location }) });
  });
  afterAll(() => test.cleanup());

  it('never fails as busy and loses no trace', async () => {
    const processes = 8;
    const share = Math.floor(ids.length / processes);
    const runs = await Promise.all(Array.from({ length: processes }, (_, i) => runWorker(test.database, 'toggle', ids.slice(i * share, (i + 1) * share))));
    expect(runs.map((run) => [run.code, run.stderr])).toEqual(Array.from({ length: processes }, () => [0, '']));
    const after = await inspect(test.database);
    expect(after.traces).toBe(processes * share * 2);
    expect(after.statuses).toEqual([{ status: 'active', n: ids.length }]);
    expect(await test.client.traces.verify()).toMatchObject({ ok: true, checked: processes * share * 2 + 1, firstBrokenId: null });
  });
});
