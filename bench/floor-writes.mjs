// The floor of a chained write on PostgreSQL: the least a write does that appends to a chain whose
// head is one locked row (operations.md), with none of cafsup's work. Each of the clients, on a
// connection of its own: BEGIN and the head row FOR UPDATE (one round trip, the head held from
// here), then one trace row inserted, the head updated and COMMIT, and, as cafsup's writes do
// (postgres.ts, LET_GO_BEFORE_THE_DISK), the head let go at that COMMIT before the disk has it,
// the answer waiting for the disk in a second transaction of the same round trip. Every write
// waits for the previous one's commit: the rate is bound by one round trip and a commit,
// whatever the server does besides.
import pg from 'pg';

/**
 * Runs the floor for `durationMs` on the database at `url` (a table and a meta row of its own).
 * Returns { perSecond, p50, fsyncMs }: fsyncMs is PostgreSQL's mean WAL sync time per sync over
 * the run (pg_stat_wal, with track_wal_io_timing on; null otherwise).
 */
export async function chainedWrites(url, { clients = 32, durationMs = 5000 } = {}) {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query(`CREATE TABLE IF NOT EXISTS floor_chain (id bigint PRIMARY KEY, at text NOT NULL, body text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL);
    CREATE TABLE IF NOT EXISTS floor_head (key text PRIMARY KEY, value text NOT NULL);
    INSERT INTO floor_head VALUES ('head', '{"id":0,"hash":""}') ON CONFLICT (key) DO NOTHING`);
  const connections = await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  const all = async (sql) => (await setup.query(sql)).rows;
  // From a clean start: no checkpoint of earlier writes (an import's) writing meanwhile.
  await setup.query('CHECKPOINT');
  const before = await walSyncs(all);
  const latencies = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    connections.map(async (client, k) => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        const [, , locked] = await client.query("BEGIN; SET LOCAL synchronous_commit = off; SELECT value FROM floor_head WHERE key = 'head' FOR UPDATE");
        const head = JSON.parse(locked.rows[0].value);
        const id = head.id + 1;
        const hash = `${k}:${id}`;
        const body = JSON.stringify({ client: k, reason: 'Banc d’essai', n: latencies.length });
        await client.query(
          `INSERT INTO floor_chain VALUES (${id}, ${pg.escapeLiteral(new Date().toISOString())}, ${pg.escapeLiteral(body)}, ${pg.escapeLiteral(head.hash)}, ${pg.escapeLiteral(hash)});
           UPDATE floor_head SET value = ${pg.escapeLiteral(JSON.stringify({ id, hash }))} WHERE key = 'head'; COMMIT;
           BEGIN; SELECT pg_logical_emit_message(true, 'floor', 'durable'); COMMIT`,
        );
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = await walSyncs(all);
  await Promise.all(connections.map((client) => client.end()));
  await setup.end();
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / seconds, p50: latencies[latencies.length >> 1], fsyncMs: fsyncBetween(before, after) };
}

/** PostgreSQL's WAL syncs so far and their time (pg_stat_wal), for `fsyncBetween`; `all` runs a query and answers its rows. */
export async function walSyncs(all) {
  const rows = await all("SELECT wal_sync AS syncs, wal_sync_time AS ms, current_setting('track_wal_io_timing') AS timed FROM pg_stat_wal");
  return { syncs: Number(rows[0].syncs), ms: Number(rows[0].ms), timed: rows[0].timed === 'on' };
}

/** The mean time of one WAL sync between two readings, in ms (null when not timed or none). */
export function fsyncBetween(before, after) {
  const syncs = after.syncs - before.syncs;
  return after.timed && syncs > 0 ? (after.ms - before.ms) / syncs : null;
}
