import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectExecutor, Store, type Caller, type Outcome } from '@cafsup/sdk';
import { ACTOR, convention, dataset, deputy, habilitation, partner, review, user } from './support/fixture.js';
import { openClient, type TestClient } from './support/client.js';
import { POSTGRES_URL, freshDatabase } from './support/postgres.js';

// Writes on PostgreSQL take turns per partner, not all together (operations.md, "Two engines, one
// behaviour"): a write on one partner goes on while another partner's write is held, two on the
// same partner take turns, the chain head is locked only to append, and every wait ends by the
// request's deadline with nothing written. The held write is a real one, stopped by a second
// connection that locks the row it updates.

const CALLER: Caller = { actor: ACTOR, role: 'supervisor', cafCodes: null };

/** Waits until `probe` holds, checking every few milliseconds; fails past the deadline. */
async function until(what: string, probe: () => Promise<boolean>, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise's state, without waiting for it. */
function tracked(promise: Promise<Outcome>) {
  const state: { settled: boolean; promise: Promise<Outcome> } = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe.skipIf(POSTGRES_URL === null)('PostgreSQL: writes on different partners at the same time', () => {
  let test: TestClient;
  let executor: DirectExecutor;
  let holder: pg.Client;
  let observer: pg.Client;

  beforeAll(async () => {
    const partners = ['pa', 'pb'];
    test = await openClient({
      database: await freshDatabase(),
      dataset: dataset({
        partners: partners.map((id) => partner(id)),
        conventions: partners.map((id) => convention(id, { subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T1', maxUsers: 10 }] }] })),
        users: partners.flatMap((id) => [deputy(id), user(`${id}-u`, id)]),
        habilitations: partners.flatMap((id) => [1, 2, 3].map((n) => habilitation(`${id}-h${n}`, id, { userId: `${id}-u` }))),
        reviews: partners.map((id) => review(id)),
      }),
    });
    executor = await DirectExecutor.open({ database: test.database, clock: '2026-11-22T10:00:00Z' });
    holder = new pg.Client({ connectionString: test.database });
    observer = new pg.Client({ connectionString: test.database });
    await Promise.all([holder.connect(), observer.connect()]);
  });
  afterAll(async () => {
    await Promise.all([holder?.end(), observer?.end(), executor?.close()]);
    await test?.cleanup();
  });

  const suspend = (id: string, deadlineMs = 20_000) =>
    executor.run('habilitations.suspend', { ids: [id], options: { reason: 'Contrôle de concurrence' } }, CALLER, { deadlineMs });
  /** How many of this database's sessions wait for a lock of this kind (pg_stat_activity's wait_event). */
  const waiting = async (event: 'advisory' | 'transactionid' | 'tuple') =>
    Number(
      (
        await observer.query<{ n: string }>(
          `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1`,
          [event],
        )
      ).rows[0]!.n,
    );
  const status = async (id: string) => (await test.client.habilitations.get(id)).status;
  const head = async () => (await test.client.traces.head()).id;

  it('commits a write on another partner while one is held; the same partner waits its turn, or its deadline', async () => {
    const before = await head();
    // A write on partner pa, held once it has its partner's lock: its row is locked by another connection.
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM habilitations WHERE id = 'pa-h1' FOR UPDATE`);
    const held = tracked(suspend('pa-h1'));
    await until('the write on pa to wait for its row', async () => (await waiting('transactionid')) === 1);

    // Another write on pa waits for pa's lock; with a short deadline it gives up, having written nothing.
    const refused = await suspend('pa-h2', 300).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'UNAVAILABLE' });
    const queued = tracked(suspend('pa-h3'));
    await until('the second write on pa to wait for the partner', async () => (await waiting('advisory')) === 1);

    // Meanwhile a write on partner pb runs from start to end.
    const other = await suspend('pb-h1');
    expect(other.value).toMatchObject({ changed: [{ id: 'pb-h1', traceId: before + 1 }] });
    expect([held.settled, queued.settled]).toEqual([false, false]);

    await holder.query('COMMIT');
    const [first, third] = await Promise.all([held.promise, queued.promise]);
    // The held write appended first (it held pa first), then the one that waited for it.
    expect(first.value).toMatchObject({ changed: [{ id: 'pa-h1', traceId: before + 2 }] });
    expect(third.value).toMatchObject({ changed: [{ id: 'pa-h3', traceId: before + 3 }] });
    expect(await Promise.all(['pa-h1', 'pa-h2', 'pa-h3', 'pb-h1'].map(status))).toEqual(['suspended', 'active', 'suspended', 'suspended']);
    expect(await test.client.traces.verify()).toMatchObject({ ok: true, head: { id: before + 3 } });
  });

  it('appends in turn on the chain head: a write that cannot get it by its deadline writes nothing', async () => {
    const before = await head();
    await holder.query('BEGIN');
    await holder.query(`SELECT value FROM meta WHERE key = 'trace_head' FOR UPDATE`);
    const refused = await suspend('pb-h2', 300).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'UNAVAILABLE' });
    const queued = tracked(suspend('pb-h3'));
    await until('the write to wait for the head row', async () => (await waiting('transactionid')) + (await waiting('tuple')) === 1);
    expect(queued.settled).toBe(false);
    await holder.query('COMMIT');
    expect((await queued.promise).value).toMatchObject({ changed: [{ id: 'pb-h3', traceId: before + 1 }] });
    expect([await status('pb-h2'), await status('pb-h3')]).toEqual(['active', 'suspended']);
    expect(await test.client.traces.verify()).toMatchObject({ ok: true, head: { id: before + 1 } });
  });

  // An action that changes nothing has nothing to chain: it neither waits for the head row nor
  // locks it (review 29b, L3: a replayed or repeated suspension held up every other write).
  it('answers an action that changes nothing without the chain head, while another holds it', async () => {
    const before = await head();
    expect((await suspend('pa-h2')).value).toMatchObject({ changed: [{ id: 'pa-h2' }] });
    await holder.query('BEGIN');
    await holder.query(`SELECT value FROM meta WHERE key = 'trace_head' FOR UPDATE`);
    try {
      expect((await suspend('pa-h2', 2_000)).value).toMatchObject({ changed: [], unchanged: [{ id: 'pa-h2' }] });
    } finally {
      await holder.query('COMMIT');
    }
    expect(await head()).toBe(before + 1);
  });
});

// A write's BEGIN, savepoints and statements whose answer is not read go with its next round trip
// (engine/postgres.ts): a nested write undone must take back exactly its own statements, whether
// its savepoint was sent yet or not, and leave the rest of the write to commit.
describe.skipIf(POSTGRES_URL === null)('PostgreSQL: statements left for later', () => {
  it('undoes a nested write, its savepoint sent or not, and commits the rest', async () => {
    const store = await Store.open(await freshDatabase());
    const db = store.db;
    try {
      const put = (key: string) => db.runLater('INSERT INTO meta (key, value) VALUES (?, ?)', [key, '1']);
      const refused = new Error('refused');
      await db.transaction(async () => {
        await put('kept-before');
        // Nothing sent since its savepoint: undone by forgetting what was left for later.
        await expect(db.transaction(async () => put('undone-unsent').then(() => Promise.reject(refused)))).rejects.toBe(refused);
        // A statement answered inside it: its savepoint went to the server, ROLLBACK TO undoes it.
        await expect(
          db.transaction(async () => {
            await put('undone-sent');
            expect(await db.value<string>("SELECT value FROM meta WHERE key = 'undone-sent'")).toBe('1');
            throw refused;
          }),
        ).rejects.toBe(refused);
        await db.transaction(() => put('kept-nested'));
        await put('kept-after');
      });
      const keys = await db.all<{ key: string }>("SELECT key FROM meta WHERE key LIKE 'kept-%' OR key LIKE 'undone-%' ORDER BY key");
      expect(keys.map((row) => row.key)).toEqual(['kept-after', 'kept-before', 'kept-nested']);
    } finally {
      await store.close();
    }
  });

  // A write's statements are prepared once per connection (PREPARE, then EXECUTE). A connection
  // whose prepared statements are gone (a pooler's DISCARD, here done by hand) fails the write on
  // it, and is dropped: the next writes prepare afresh on another.
  it('drops a connection whose prepared statements are gone, and the next write lands', async () => {
    const store = await Store.open(await freshDatabase());
    const db = store.db;
    const put = (key: string) => db.transaction(() => db.runLater('INSERT INTO meta (key, value) VALUES (?, ?)', [key, '1']));
    try {
      await put('prepared-here');
      await expect(
        db.transaction(() => db.run('DEALLOCATE ALL').then(() => db.runLater('INSERT INTO meta (key, value) VALUES (?, ?)', ['lost', '1']))),
      ).rejects.toMatchObject({ code: '26000' });
      for (const key of ['then-one', 'then-two', 'then-three']) await put(key);
      const keys = await db.all<{ key: string }>("SELECT key FROM meta WHERE key LIKE 'prepared-%' OR key LIKE 'then-%' OR key = 'lost' ORDER BY key");
      expect(keys.map((row) => row.key)).toEqual(['prepared-here', 'then-one', 'then-three', 'then-two']);
    } finally {
      await store.close();
    }
  });
});
