import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Store, copySqliteToPostgres, createClient, type CafsupClient } from '@cafsup/sdk';
import { CAFSUP_BIN, CliSandbox, startCafsup } from './support/cli.js';
import { Terminal } from './support/terminal.js';
import { POSTGRES_SOCKET_URL, POSTGRES_URL, freshDatabase } from './support/postgres.js';
import { startCluster, type Cluster } from './support/postgres-cluster.mjs';
import { dialectOf } from '../packages/sdk/src/store/engine/engine.js';
import { GLOBAL_LOCK } from '../packages/sdk/src/store/engine/postgres.js';
import { fnv1a64 } from '../packages/sdk/src/fnv.js';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { ACTOR as PERSON } from './support/fixture.js';
import { TestServer, metricSample } from './support/server.js';

// PostgreSQL as a team or a nation would run it (operations.md, "Two engines, one behaviour"):
// a file copied into it, several `cafsup serve` processes on one database. The contract suite
// (contract.test.ts) and the crash and concurrency tests (durability.test.ts) run on it too.

const ACTOR = 'Camille Roux <camille.roux@caf78.fr>';

/** `cafsup serve` as a process of its own on a free port: its base URL once it listens, and what it wrote on stderr by then. */
function serve(sandbox: CliSandbox, database: string): Promise<{ url: string; process: ChildProcess; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CAFSUP_BIN, 'serve', '--port', '0', '--checkpoint-minutes', '0', '--db', database], {
      env: sandbox.env({ CAFSUP_DB: undefined }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const address = /écoute sur (\S+)/.exec(stderr)?.[1];
      if (address !== undefined) resolve({ url: address, process: child, stderr });
    });
    child.on('exit', (code) => reject(new Error(`cafsup serve s’est arrêté (${code}) : ${stderr}`)));
  });
}

/** Waits until `condition` holds, or fails the test past the deadline. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(await condition()).toBe(true);
}

describe.skipIf(POSTGRES_URL === null)('PostgreSQL: a file copied in, several servers on one database', () => {
  const sandbox = new CliSandbox();
  let database: string;
  const servers: ChildProcess[] = [];
  /** The interface on `database` in a real terminal, which says its exit code once it ends. */
  const interfaceOn = (database: string) =>
    new Terminal(`'${process.execPath}' '${CAFSUP_BIN}'; echo "SORTIE=$?"; sleep 60`, {
      CAFSUP_DATABASE_URL: database,
      CAFSUP_CONFIG_DIR: sandbox.env().CAFSUP_CONFIG_DIR!,
      CAFSUP_ACTOR: ACTOR,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
    });

  beforeAll(async () => {
    expect(sandbox.run(['demo'], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    database = await freshDatabase();
  });
  afterAll(() => {
    for (const server of servers) server.kill('SIGTERM');
    sandbox.cleanup();
  });

  it('says in French what is wrong with a URL, exit 6, without the password', async () => {
    const port = new URL(POSTGRES_URL!).port;
    const missing = sandbox.run(['partners', '--db', `postgres://postgres:secret@127.0.0.1:${port}/cafsup_inexistante`]);
    expect([missing.status, missing.stderr]).toEqual([
      6,
      `Base PostgreSQL postgres://postgres:***@127.0.0.1:${port}/cafsup_inexistante : base de données inexistante (son nom dans l’URL ?) (SQLSTATE 3D000).\n`,
    ]);
    const closed = sandbox.run(['partners', '--db', 'postgres://postgres@127.0.0.1:1/cafsup']);
    expect([closed.status, closed.stderr]).toEqual([
      6,
      expect.stringContaining('Base PostgreSQL postgres://postgres@127.0.0.1:1/cafsup : serveur injoignable'),
    ]);
    // A password with an unescaped « @ » then « # » (the fragment's start): the driver would take the
    // piece of password between them for the host, and name it in its error (« ENOTFOUND ssw0rd »).
    // Refused before anything is tried, and not shown.
    const cut = sandbox.run(['partners', '--db', 'postgres://pwuser:MyP@ssw0rd#2024@127.0.0.1:1/cafsup']);
    const escapes = 'attendu %23 pour « # », %2F pour « / », %3F pour « ? » et %40 pour « @ » dans un mot de passe.\nAide : cafsup --help\n';
    expect([cut.status, cut.stderr]).toEqual([2, `URL PostgreSQL, « # » inattendu (--db) : ${escapes}`]);
    // A « / » in it: the driver would read a host, a port and a database from the password's pieces.
    const slash = sandbox.run(['partners', '--db', 'postgres://cafsup:2024/Caf!@127.0.0.1:1/cafsup']);
    expect([slash.status, slash.stderr]).toEqual([2, `URL PostgreSQL, « @ » après l’hôte (--db) : ${escapes}`]);
    // A space or a lone « % » made the driver re-encode the whole URL and keep its other escapes as
    // written: « p%3Aw rd » reached the server as « p%3Aw rd », refused as a wrong password (review 41).
    const unescaped = 'attendu %20 pour une espace et %25 pour « % ».\nAide : cafsup --help\n';
    for (const url of [
      `postgres://u:p%3Aw rd@127.0.0.1:${port}/postgres`,
      `postgres://u:100%@127.0.0.1:1/caf%C3%A9`,
      'postgres://u@127.0.0.1:1/cafsup?application_name=a%zz',
    ]) {
      const refused = sandbox.run(['partners', '--db', url]);
      expect([refused.status, refused.stderr], url).toEqual([2, `URL PostgreSQL, espace ou « % » non échappé (--db) : ${unescaped}`]);
    }
    // The same checks for a URL saved in a profile, and a saved one is never shown with its password.
    const saved = sandbox.run(['config', 'profile', 'add', 'partagee', '--db', `postgres://postgres:secret@127.0.0.1:${port}/postgres`]);
    expect(saved.status, saved.stderr).toBe(0);
    const listed = sandbox.run(['config', 'profile', 'list', '--json']);
    expect(listed.stdout).toContain(`postgres://postgres:***@127.0.0.1:${port}/postgres`);
    expect(listed.stdout + saved.stdout).not.toContain('secret');
    expect(sandbox.run(['config', 'profile', 'add', 'cassee', '--db', 'postgres://pwuser:MyP@ssw0rd#2024@127.0.0.1:1/cafsup']).status).toBe(2);
    // A host name no resolver takes: said, not an internal error.
    const longHost = sandbox.run(['partners', '--db', `postgres://postgres@${'h'.repeat(300)}:1/cafsup`]);
    expect([longHost.status, longHost.stderr]).toEqual([6, expect.stringContaining(' : nom d’hôte invalide (')]);
    // A URL the driver could not read is a usage error, said before anything is tried.
    const unreadable = sandbox.run(['partners', '--db', 'postgres://postgres:secret@[127.0.0.1/cafsup']);
    expect([unreadable.status, unreadable.stderr]).toEqual([
      2,
      'URL PostgreSQL illisible (--db) : attendu postgres://utilisateur:mot-de-passe@hôte:port/base.\nAide : cafsup --help\n',
    ]);
    // A Unix socket, its folder in the query, with a user and no host (trial 22, F11): as libpq and the driver take it.
    const socket = POSTGRES_SOCKET_URL!.replace('/postgres?', `${new URL(await freshDatabase()).pathname}?`);
    expect(socket).toMatch(/^postgres:\/\/postgres@\/cafsup_\w+\?host=/);
    const throughSocket = sandbox.run(['demo', '--db', socket]);
    expect(throughSocket.status, throughSocket.stderr).toBe(0);
    expect(JSON.parse(sandbox.run(['partners', '--json', '--db', socket]).stdout).partners).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'amp' })]),
    );
    // A socket that is not there, and a port that is no number: said, not an internal error (trial 24).
    const noSocket = sandbox.run(['partners', '--db', socket.replace(/host=[^&]+/, 'host=%2Fnonexistent')]);
    expect([noSocket.status, noSocket.stderr]).toEqual([6, expect.stringContaining(' : socket du serveur introuvable (dossier host= ou port ?)')]);
    // A setting the server refuses as the connection opens, from the URL or PGOPTIONS: said, exit 6, not an internal error (trial 32).
    const settings = [
      // The server's English (« invalid value for parameter "search_path" ») is left to the cause; its code is said.
      [`${socket}&options=${encodeURIComponent('-c search_path="x;DROP TABLE y"')}`, {}, 'SQLSTATE 22023'],
      [`${socket}&options=${encodeURIComponent('-c nosuch=1')}`, {}, 'SQLSTATE 42704'],
      [socket, { PGOPTIONS: '-c work_mem=abc' }, 'SQLSTATE 22023'],
      [socket, { PGOPTIONS: 'foo' }, 'SQLSTATE 42601'],
    ] as const;
    for (const [url, env, said] of settings) {
      const refused = sandbox.run(['partners', '--db', url], { env });
      expect([refused.status, refused.stderr], url).toEqual([
        6,
        expect.stringMatching(
          new RegExp(` : réglage refusé par le serveur à l’ouverture de la connexion \\(options= de l’URL, ou PGOPTIONS\\) \\(${said}\\)\\.\\n$`),
        ),
      ]);
    }
    const badPort = sandbox.run(['partners', '--db', socket.replace(/port=\d+/, 'port=abc')]);
    expect([badPort.status, badPort.stderr]).toEqual([2, 'URL PostgreSQL, port « abc » illisible (--db) : attendu un numéro de port.\nAide : cafsup --help\n']);
    // Past 65535 the command ended at once, exit 0, having said nothing.
    const pastPorts = sandbox.run(['partners', '--db', `${POSTGRES_URL!.replace(/:\d+\//, '/')}?port=99999`]);
    expect([pastPorts.status, pastPorts.stderr]).toEqual([
      2,
      'URL PostgreSQL, port « 99999 » illisible (--db) : attendu un numéro de port.\nAide : cafsup --help\n',
    ]);
    // A wait longer than a timer holds is the longest one, not none: the closed port is said as such.
    const long = sandbox.run(['partners', '--db', 'postgres://postgres@127.0.0.1:1/cafsup?connect_timeout=9999999999']);
    expect([long.status, long.stderr]).toEqual([6, expect.stringContaining('serveur injoignable')]);
    expect(long.stderr).not.toContain('TimeoutOverflowWarning');
    // Parameters libpq refuses are refused too, before anything is tried.
    for (const [parameter, said] of [
      ['sslmode=bogus', 'sslmode « bogus » inconnu (--db) : attendu disable, allow, prefer, require, verify-ca, verify-full ou no-verify.'],
      ['connect_timeout=dix', 'connect_timeout « dix » illisible (--db) : attendu un nombre entier de secondes.'],
      // The driver reads them as it opens a connection, and failed there with an internal error.
      ['sslmode=verify-full&sslrootcert=/nonexistent.pem', 'sslrootcert : fichier « /nonexistent.pem » illisible (--db) : attendu un fichier lisible (PEM).'],
      ['sslcert=/tmp&sslkey=/tmp', 'sslcert : fichier « /tmp » illisible (--db) : attendu un fichier lisible (PEM).'],
    ]) {
      const refused = sandbox.run(['partners', '--db', `postgres://postgres@127.0.0.1:1/cafsup?${parameter}`]);
      expect([refused.status, refused.stderr]).toEqual([2, `URL PostgreSQL, ${said}\nAide : cafsup --help\n`]);
    }
    const fromEnvironment = sandbox.run(['partners', '--db', 'postgres://postgres@127.0.0.1:1/cafsup'], { env: { PGCONNECT_TIMEOUT: 'dix' } });
    expect([fromEnvironment.status, fromEnvironment.stderr]).toEqual([
      2,
      'PGCONNECT_TIMEOUT « dix » illisible : attendu un nombre entier de secondes.\nAide : cafsup --help\n',
    ]);
    // Where the data is, as shown, never carries the password (the run's cluster trusts any).
    const shown = sandbox.run(['whoami', '--db', POSTGRES_URL!.replace('postgres@', 'postgres:secret@')]);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Données : base PostgreSQL postgres://postgres:***@127.0.0.1:${port}/postgres (--db)`);
    expect(shown.stdout + shown.stderr).not.toContain('secret');
    // A user name with an « @ » (user@server), a password with « @ » and « # », one in the query: none of them shown.
    for (const url of [`postgres://admin@serveur:s3cr@t#x@127.0.0.1:${port}/postgres`, `postgres://u@127.0.0.1:${port}/postgres?password=secret`]) {
      const listed = sandbox.run(['whoami', '--db', url]);
      expect(listed.stdout + listed.stderr).not.toMatch(/s3cr|t#x|secret/);
    }
  });

  it('says, exit 6, that a server which takes the connection but never answers is mute, after the URL’s connect_timeout', async () => {
    // A firewall that lets the connection open then drops everything, or a frozen host: it never
    // answers. The kernel accepts the connection even while this process waits for the command.
    const mute = createServer(() => undefined);
    mute.listen(0, '127.0.0.1');
    await once(mute, 'listening');
    try {
      const { port } = mute.address() as AddressInfo;
      const waited = sandbox.run(['partners', '--db', `postgres://postgres@127.0.0.1:${port}/cafsup?connect_timeout=1`], { timeoutMs: 30_000 });
      expect([waited.status, waited.stderr]).toEqual([6, expect.stringContaining('serveur muet, aucune réponse à la connexion dans le délai')]);
      // Written escaped, as URLs may be: « %202 » is 2 s, stopped at 8 s (the default wait is 10 s).
      const escaped = sandbox.run(['partners', '--db', `postgres://postgres@127.0.0.1:${port}/cafsup?connect_timeout=%202`], { timeoutMs: 8_000 });
      expect([escaped.status, escaped.stderr]).toEqual([6, expect.stringContaining('serveur muet')]);
      // Or PGCONNECT_TIMEOUT, as libpq reads it: 2 s here, stopped at 8 s (the default wait is 10 s).
      const fromEnvironment = sandbox.run(['partners', '--db', `postgres://postgres@127.0.0.1:${port}/cafsup`], {
        env: { PGCONNECT_TIMEOUT: '2' },
        timeoutMs: 8_000,
      });
      expect([fromEnvironment.status, fromEnvironment.stderr]).toEqual([6, expect.stringContaining('serveur muet')]);
    } finally {
      mute.close();
    }
  });

  it('says, exit 6, that the database holds another application’s table of the same name, or that the URL’s search_path names no schema', async () => {
    const foreign = await freshDatabase();
    const admin = new pg.Client({ connectionString: foreign });
    await admin.connect();
    try {
      await admin.query('CREATE TABLE users (id integer PRIMARY KEY)');
      // A view of the name refuses the store's table as well: named too, not « introuvable ».
      await admin.query('CREATE VIEW groups AS SELECT 1 AS id');
    } finally {
      await admin.end();
    }
    // Said, naming the table, before anything is made (the driver's English was the only name
    // given) and by a read too, which said « introuvable… Créez-la avec cafsup import » (review 41).
    const sentence = (url: string) =>
      `Base PostgreSQL ${url} : la base a déjà une table du nom d’une de celles de cafsup, sans être une base de cafsup (une autre application ?), rien n’a été créé : donnez à cafsup une base, ou un schéma, à lui (déjà là : groups, users).\n`;
    for (const command of [['demo'], ['import', join(sandbox.dir, 'autre-application.json')], ['partners']]) {
      if (command[0] === 'import') writeFileSync(command[1]!, sandbox.run(['export']).stdout);
      const taken = sandbox.run([...command, '--db', foreign], { env: { CAFSUP_ACTOR: ACTOR } });
      expect([taken.status, taken.stderr], command[0]).toEqual([6, sentence(foreign)]);
    }
    // A copy into it as well: inside the copy's transaction, the refusal lost its ending (« (42P07) », review 45).
    const copied = sandbox.run(['migrate', '--to', foreign]);
    expect([copied.status, copied.stderr]).toEqual([6, sentence(foreign)]);
    // Another application's `meta`, of other columns or of cafsup's two: refused alike, neither migrated nor written into.
    for (const [table, row] of [
      ['CREATE TABLE meta (id integer PRIMARY KEY, payload text)', "INSERT INTO meta VALUES (1, 'x')"],
      ['CREATE TABLE meta (key text PRIMARY KEY, value text)', "INSERT INTO meta VALUES ('theme', 'sombre')"],
      ['CREATE TABLE meta (key text PRIMARY KEY, value text)', "INSERT INTO meta VALUES ('schema_version', 'v2')"],
    ] as const) {
      const other = await freshDatabase();
      const owner = new pg.Client({ connectionString: other });
      await owner.connect();
      try {
        await owner.query(table);
        await owner.query(row);
        const refused = sandbox.run(['partners', '--db', other]);
        expect([refused.status, refused.stderr], table).toEqual([6, expect.stringContaining('la base a déjà une table du nom d’une de celles de cafsup')]);
        const left = await owner.query("SELECT (SELECT count(*) FROM meta) AS rows, to_regclass('partners') AS partners");
        expect(left.rows[0], table).toEqual({ rows: '1', partners: null });
      } finally {
        await owner.end();
      }
    }
    // Ending with its code, as the server's own error would, not its English (review 44d).
    const nowhere = sandbox.run(['demo', '--db', `${await freshDatabase()}?options=-c%20search_path%3Dabsent`]);
    expect([nowhere.status, nowhere.stderr]).toEqual([
      6,
      expect.stringContaining(
        'le search_path de l’URL ne nomme aucun schéma qui existe : cafsup n’y trouve ni n’y crée ses tables, rien n’a été écrit (SQLSTATE 3F000).\n',
      ),
    ]);
  });

  it('never writes the demo over a PostgreSQL database that holds data: refused, exit 4, even with --force; kept with --if-missing', async () => {
    const target = await freshDatabase();
    // The run's cluster trusts any password: one given is never shown.
    const withPassword = target.replace('postgres@', 'postgres:secret@');
    const shown = target.replace('postgres@', 'postgres:***@');
    const created = sandbox.run(['demo', '--db', withPassword]);
    expect([created.status, created.stdout]).toEqual([0, expect.stringContaining(`Base de démonstration créée : ${shown}\n`)]);
    const suspended = sandbox.run(['suspend', '--habilitation', 'amp-h0022', '--reason', 'Suspension réelle', '--yes', '--db', target], {
      env: { CAFSUP_ACTOR: ACTOR },
    });
    expect(suspended.status, suspended.stderr).toBe(0);
    const before = sandbox.run(['export', '--db', target]).stdout;
    const trail = sandbox.json(['traces', '--db', target]).traces;
    for (const force of [[], ['--force']]) {
      const again = sandbox.run(['demo', '--db', withPassword, ...force]);
      expect([again.status, again.stderr]).toEqual([
        4,
        `La base ${shown} contient déjà des données : la démonstration ne s’écrit que dans une base vide (--force ne remplace qu’un fichier). Rien n’a été écrit.\n`,
      ]);
    }
    const kept = sandbox.run(['demo', '--if-missing', '--db', withPassword]);
    expect([kept.status, kept.stdout]).toEqual([0, `Base existante conservée : ${shown}\n`]);
    expect(sandbox.run(['export', '--db', target]).stdout).toBe(before);
    expect(sandbox.json(['traces', '--db', target]).traces).toEqual(trail);
  });

  // A write whose connection the server ended said « connexion fermée par le serveur » and no
  // more, whether it was cut in its COMMIT or before it (review 44): its author could not know
  // whether to make it again. The HTTP transport says so of a write sent and not answered.
  it('says of a write cut off from PostgreSQL that it may have landed when cut in its COMMIT, and that nothing was written when cut before', async () => {
    const target = await freshDatabase();
    expect(sandbox.run(['demo', '--db', target]).status).toBe(0);
    const head = () => sandbox.json<{ head: { id: number } }>(['traces', 'verify', '--db', target]).head.id;
    const before = head();
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    // The write's session once it waits (a lock, or `pg_sleep` in its COMMIT), to be ended as an administrator would.
    const waiting = (event: string) =>
      admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'cafsup' AND wait_event = $1", [
        event,
      ]);
    const cut = async (event: string, reason: string) => {
      const write = startCafsup(['suspend', '--habilitation', 'amp-h0022', '--reason', reason, '--yes', '--db', target], sandbox.env({ CAFSUP_ACTOR: ACTOR }));
      try {
        await until(async () => (await waiting(event)).rowCount === 1);
        await admin.query('SELECT pg_terminate_backend($1)', [(await waiting(event)).rows[0]!.pid]);
        const [code] = await write.exited;
        // What it said last: before it, the change it makes (« 1 habilitation à modifier »).
        return [code, write.said().stderr.trimEnd().split('\n').at(-1)];
      } finally {
        write.child.kill('SIGKILL');
      }
    };
    const ended = `Base PostgreSQL ${target} : connexion fermée par le serveur (arrêt, ou pg_terminate_backend par un administrateur) (SQLSTATE 57P01)`;
    try {
      // Before its COMMIT: waiting for every partner's key, which another session holds (not
      // this one, which would read pg_stat_activity as of its transaction's start).
      const holder = new pg.Client({ connectionString: target });
      await holder.connect();
      try {
        await holder.query(`BEGIN; SELECT ${GLOBAL_LOCK}`);
        expect(await cut('advisory', 'Coupée avant sa validation')).toEqual([6, `${ended} ; rien n’a été écrit.`]);
      } finally {
        await holder.end();
      }
      // In its COMMIT: a deferred trigger that sleeps there.
      await admin.query('CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$');
      await admin.query(
        'CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON traces DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()',
      );
      expect(await cut('PgSleep', 'Coupée pendant sa validation')).toEqual([
        6,
        `${ended} : l’écriture a pu être faite ; vérifiez-la (cafsup traces) avant de la relancer.`,
      ]);
      // Neither landed, here: the session ended before either committed.
      expect(head()).toBe(before);
    } finally {
      await admin.end();
    }
  });

  // A purge commits in batches: cut in a later one, it said « rien n’a été écrit » of the rows its
  // earlier batches had removed (review 45).
  it('says of a purge cut in a later batch that the batches before it were written', async () => {
    const target = await freshDatabase();
    expect(sandbox.run(['demo', '--db', target, '--as-of', '2018-01-01']).status).toBe(0);
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    const habilitations = async () => Number((await admin.query<{ n: string }>('SELECT COUNT(*) AS n FROM habilitations')).rows[0]!.n);
    const before = await habilitations();
    // The users' batch, after the traces' and the habilitations', sleeps in its first deletion.
    await admin.query('CREATE FUNCTION slow_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN OLD; END $$');
    await admin.query('CREATE TRIGGER slow_delete BEFORE DELETE ON users FOR EACH ROW EXECUTE FUNCTION slow_delete()');
    const sleeping = () =>
      admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'cafsup' AND wait_event = 'PgSleep'",
      );
    const purge = startCafsup(['traces', 'purge', '--yes', '--db', target], sandbox.env({ CAFSUP_ACTOR: ACTOR }));
    try {
      await until(async () => (await sleeping()).rowCount === 1);
      await admin.query('SELECT pg_terminate_backend($1)', [(await sleeping()).rows[0]!.pid]);
      const [code] = await purge.exited;
      expect([code, purge.said().stderr.trimEnd().split('\n').at(-1)]).toEqual([
        6,
        `Base PostgreSQL ${target} : connexion fermée par le serveur (arrêt, ou pg_terminate_backend par un administrateur) (SQLSTATE 57P01) ; rien de cette étape n’a été écrit, les précédentes l’ont été : relancez la commande, elle fera ce qui reste.`,
      ]);
      expect(await habilitations()).toBeLessThan(before);
    } finally {
      purge.child.kill('SIGKILL');
      await admin.end();
    }
  });

  // As a SQLite file that is not there: a mistyped database name answered as an empty store, its
  // tables made by a read, and an audit with nothing to flag passed a `--fail-on` check (trial 32, D2).
  it('refuses, exit 6, a database without cafsup’s tables to every command but those that make a store, and makes none', async () => {
    const empty = await freshDatabase();
    const tables = async () => {
      const client = new pg.Client({ connectionString: empty });
      await client.connect();
      try {
        return Number((await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema()')).rows[0]!.n);
      } finally {
        await client.end();
      }
    };
    const commands = [['audit', '--fail-on', 'critical', '--json'], ['partners'], ['traces', 'verify'], ['token', 'list'], ['serve', '--port', '0']];
    for (const command of commands) {
      const refused = sandbox.run([...command, '--db', empty], { env: { CAFSUP_ACTOR: ACTOR }, timeoutMs: 60_000 });
      // `serve` says first which database it opens.
      expect([refused.status, refused.stderr.trimEnd().split('\n').at(-1)], command.join(' ')).toEqual([
        6,
        `Base de données introuvable : ${empty}. Créez-la avec « cafsup demo » ou « cafsup import FICHIER ».`,
      ]);
    }
    // The interface too, before its screen, as for a missing file.
    const terminal = interfaceOn(empty);
    try {
      await terminal.waitFor('SORTIE=6', 30_000);
      await terminal.waitFor('Base de données introuvable');
    } finally {
      terminal.close();
    }
    // A search_path that names no schema: said as such, not « introuvable », which would send its owner to make a second store.
    const nowhere = sandbox.run(['partners', '--db', `${empty}?options=-c%20search_path%3Dabsent`]);
    expect([nowhere.status, nowhere.stderr]).toEqual([
      6,
      expect.stringContaining('le search_path de l’URL ne nomme aucun schéma qui existe : cafsup n’y trouve ni n’y crée ses tables'),
    ]);
    // Nor does a dry run of an import make them (review 32, L1): it reads the file against an empty store of its own.
    const file = join(sandbox.dir, 'simulation.json');
    expect(sandbox.run(['export', '--out', file]).status).toBe(0);
    const scratch = join(sandbox.dir, 'tmp');
    mkdirSync(scratch);
    const dry = sandbox.run(['import', file, '--dry-run', '--db', empty], { env: { CAFSUP_ACTOR: ACTOR, TMPDIR: scratch } });
    expect([dry.status, dry.stdout]).toEqual([
      0,
      expect.stringContaining('Simulation : rien n’a été écrit (pas encore de base cafsup à cet endroit : l’import la créerait).'),
    ]);
    expect([await tables(), readdirSync(scratch)]).toEqual([0, []]);
    // Nor a refused import: the tables it made for itself go with it, and the database stays « introuvable » (trial 35).
    const faulty = join(sandbox.dir, 'tableau.json');
    writeFileSync(faulty, '[]');
    const refused = sandbox.run(['import', faulty, '--yes', '--db', empty], { env: { CAFSUP_ACTOR: ACTOR } });
    expect([refused.status, refused.stderr]).toEqual([5, 'JSON invalide ligne 1, colonne 1 : le document doit être un objet JSON commençant par {\n']);
    expect(await tables()).toBe(0);
    expect(sandbox.run(['partners', '--db', empty]).status).toBe(6);
    const made = sandbox.run(['demo', '--db', empty]);
    expect(made.status, made.stderr).toBe(0);
    expect(sandbox.run(['audit', '--json', '--db', empty]).status).toBe(0);
  });

  it('copies the demo file with `cafsup migrate --to`: same export, same chain head, verify passes; the file then reads but takes no write, nor a second copy, nor the demo over it (with --force or without)', async () => {
    const exported = sandbox.run(['export']).stdout;
    const migrated = sandbox.run(['migrate', '--to', database, '--json']);
    expect(migrated.status, migrated.stderr).toBe(0);
    const report = JSON.parse(migrated.stdout) as { traceHead: number; sourceMarked: boolean; tables: { name: string; rows: number }[] };
    expect(report.sourceMarked).toBe(true);
    const fileHead = sandbox.json<{ head: { id: number; hash: string } }>(['traces', 'verify']).head;
    expect(report.traceHead).toBe(fileHead.id);
    // CAFSUP_DATABASE_URL chooses the database as --db does.
    const onPostgres = { CAFSUP_DB: undefined, CAFSUP_DATABASE_URL: database };
    const verified = sandbox.json<{ ok: boolean; head: { id: number; hash: string } }>(['traces', 'verify'], { env: onPostgres });
    expect(verified).toMatchObject({ ok: true, head: fileHead });
    expect(sandbox.run(['export'], { env: onPostgres }).stdout).toBe(sandbox.run(['export']).stdout);
    expect(sandbox.run(['audit', '--json'], { env: onPostgres }).stdout).toBe(sandbox.run(['audit', '--json']).stdout);

    // The file reads as before, but a write there would be missing from the database the team
    // now reads, and a second copy would fork the chain under the same store id: both refused.
    const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const when = String.raw` le \d{1,2}(er)? \S+ \d{4} à \d\d:\d\d `;
    const copied = new RegExp(
      `^La base ${escaped(sandbox.database)} a (déjà )?été copiée dans ${escaped(database)}${when}\\(jusqu’à la trace n° ${report.traceHead}\\)`,
    );
    const write = sandbox.run(['suspend', '--habilitation', 'amp-h0022', '--reason', 'Écrite au mauvais endroit', '--yes'], {
      env: { CAFSUP_ACTOR: ACTOR },
    });
    expect([write.status, write.stderr]).toEqual([6, expect.stringMatching(copied)]);
    expect(write.stderr).toContain('elle ne reçoit plus d’écritures, qui manqueraient à la base copiée.');
    expect(sandbox.run(['export']).stdout).toBe(exported);
    for (const target of [database, await freshDatabase()]) {
      const again = sandbox.run(['migrate', '--to', target]);
      expect([again.status, again.stderr]).toEqual([4, expect.stringMatching(copied)]);
      expect(again.stderr).toContain('une seconde copie ferait deux bases d’une même chaîne de traces, qui divergeraient. Rien n’a été écrit.');
    }
    // Nor the demo over it, which took away without a word the record of where its data now is
    // (review 44); without --force, said at once rather than advising --force (review 44).
    for (const force of [[], ['--force']]) {
      const demo = sandbox.run(['demo', ...force]);
      expect([demo.status, demo.stderr]).toEqual([4, expect.stringMatching(copied)]);
      expect(demo.stderr).toContain('n’est pas remplacée, même avec --force');
    }
    expect(sandbox.run(['export']).stdout).toBe(exported);
    expect(sandbox.json<{ head: { id: number } }>(['traces', 'verify'], { env: onPostgres }).head.id).toBe(report.traceHead);
  });

  it('refuses, exit 4, to copy the file into a database that holds a row in any of its tables, and writes nothing', async () => {
    const target = await freshDatabase();
    const store = await Store.open(target);
    // A Caf the file does not have: merged with the file's, it would make a store that neither is.
    await store.db.run("INSERT INTO cafs (code, doc) VALUES ('99', '{}')");
    await store.close();
    const file = join(sandbox.dir, 'a-copier.db');
    expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    const refused = sandbox.run(['migrate', '--db', file, '--to', target]);
    expect([refused.status, refused.stderr]).toEqual([4, expect.stringContaining('contient déjà des données')]);
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    try {
      expect((await admin.query('SELECT code FROM cafs')).rows).toEqual([{ code: '99' }]);
      expect((await admin.query('SELECT COUNT(*) AS n FROM partners')).rows).toEqual([{ n: '0' }]);
    } finally {
      await admin.end();
    }
  });

  it('refuses the writes of a server left running on a file once copied: 503 without Retry-After and without the copy’s URL; its reads answer, and it is not ready', async () => {
    const server = new TestServer();
    expect(sandbox.run(['demo', '--db', server.database], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    const token = await server.token(PERSON, 'supervisor', ['*']);
    await server.start();
    try {
      const body = (reason: string) => JSON.stringify({ ids: ['amp-h0001'], options: { reason } });
      expect((await server.post('/v1/habilitations.suspend', body('Avant la copie'), token)).status).toBe(200);
      const target = await freshDatabase();
      const migrated = sandbox.run(['migrate', '--db', server.database, '--to', target]);
      expect(migrated.status, migrated.stderr).toBe(0);
      expect(migrated.stdout).toContain('ne reçoit plus d’écritures ni de seconde copie');
      const refused = await server.post('/v1/habilitations.reinstate', body('Après la copie'), token);
      expect([refused.status, refused.body.error.message, refused.headers['retry-after']]).toEqual([
        503,
        'Base de données du serveur : copiée dans PostgreSQL par cafsup migrate, elle ne reçoit plus d’écritures, qui manqueraient à la base copiée ; rien n’a été écrit.',
        undefined,
      ]);
      expect((await server.post('/v1/partners.list', '{}', token)).status).toBe(200);
      // Not ready: a balancer sends the team to the servers of the copy.
      const ready = await server.request('GET', '/readyz', undefined, null);
      expect([ready.status, ready.body.error.message]).toEqual([
        503,
        'Serveur pas prêt : base copiée dans PostgreSQL par cafsup migrate, elle ne reçoit plus d’écritures : faites servir la base copiée.',
      ]);
      // The copy holds the suspension: it is where the reinstatement is to be made.
      const onCopy = sandbox.run(['reinstate', '--habilitation', 'amp-h0001', '--reason', 'Après la copie', '--yes', '--db', target], {
        env: { CAFSUP_ACTOR: ACTOR },
      });
      expect(onCopy.status, onCopy.stderr).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('refuses the second of two copies of one file begun together: one database of its chain, not two (review 41)', async () => {
    const file = join(sandbox.dir, 'deux-copies.db');
    expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    const [first, second] = [await freshDatabase(), await freshDatabase()];
    // The other copy runs whole while this one, its rows read before the file was marked, copies its first table.
    let other: ReturnType<CliSandbox['run']> | undefined;
    const copy = copySqliteToPostgres(file, second, () => (other ??= sandbox.run(['migrate', '--db', file, '--to', first, '--json'])));
    await expect(copy).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('une seconde copie ferait deux bases') });
    expect(other!.status, other!.stderr).toBe(0);
    expect((JSON.parse(other!.stdout) as { sourceMarked: boolean }).sourceMarked).toBe(true);
    const admin = new pg.Client({ connectionString: second });
    await admin.connect();
    try {
      expect((await admin.query('SELECT COUNT(*)::int AS n FROM pg_tables WHERE schemaname = current_schema()')).rows[0].n).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('ends two copies of one file into the same database begun together with one store there, the file marked once: one copies, the other is refused', async () => {
    const file = join(sandbox.dir, 'meme-base.db');
    expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    const target = await freshDatabase();
    const copies = [0, 1].map(() => startCafsup(['migrate', '--db', file, '--to', target, '--json'], sandbox.env()));
    const ends = await Promise.all(copies.map(async (copy) => [(await copy.exited)[0], copy.said()] as const));
    const done = ends.filter(([code]) => code === 0);
    const refused = ends.filter(([code]) => code !== 0);
    expect([done.length, refused.length]).toEqual([1, 1]);
    expect((JSON.parse(done[0]![1].stdout) as { sourceMarked: boolean }).sourceMarked).toBe(true);
    expect([refused[0]![0], refused[0]![1].stderr]).toEqual([4, expect.stringMatching(/contient déjà des données|une seconde copie ferait deux bases/)]);
    expect(refused[0]![1].stderr).not.toMatch(/Erreur interne|\bat .+:\d+:\d+/);
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    try {
      expect((await admin.query("SELECT COUNT(*)::int AS n FROM meta WHERE key = 'store_id'")).rows[0].n).toBe(1);
    } finally {
      await admin.end();
    }
    const marker = new Database(file, { readonly: true });
    try {
      expect(
        marker
          .prepare("SELECT value FROM meta WHERE key = 'moved_to'")
          .pluck()
          .all()
          .map((text) => JSON.parse(text as string) as { pending?: true }),
      ).toEqual([expect.not.objectContaining({ pending: true })]);
    } finally {
      marker.close();
    }
    expect(sandbox.run(['export', '--db', target]).stdout).toBe(sandbox.run(['export', '--db', file]).stdout);
    expect(sandbox.json<{ ok: boolean }>(['traces', 'verify', '--db', target])).toMatchObject({ ok: true });
  });

  // A copy killed between PostgreSQL's commit and the file's mark left the file unmarked: it took
  // writes the database serving the team would never have, and a second copy was refused as the
  // database held data (review 44). The file is now marked « pending » before that commit.
  it('leaves a file whose copy was stopped in its commit refusing writes until `migrate --to` there again makes the copy (not committed) or finishes its mark (committed, kill -9)', async () => {
    const file = join(sandbox.dir, 'coupee.db');
    expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    const exported = sandbox.run(['export', '--db', file]).stdout;
    const target = await freshDatabase();
    // cafsup's tables, empty, and a trigger that holds the copy's COMMIT until this test lets it go.
    await (await Store.open(target)).close();
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    await admin.query(
      "CREATE FUNCTION held_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('lock_timeout', '0', true); PERFORM pg_advisory_xact_lock(44, 44); RETURN NULL; END $$",
    );
    await admin.query(
      'CREATE CONSTRAINT TRIGGER held_commit AFTER INSERT OR UPDATE ON meta DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION held_commit()',
    );
    await admin.query('SELECT pg_advisory_lock(44, 44)');
    const count = async (sql: string) => Number((await admin.query<{ n: string }>(sql)).rows[0]!.n);
    const heldInCommit = () =>
      admin.query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 44 AND objid = 44 AND objsubid = 2");
    const migrate = () => {
      const child = spawn(process.execPath, [CAFSUP_BIN, 'migrate', '--db', file, '--to', target], { env: sandbox.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      return { child, closed: once(child, 'close'), stderr: () => stderr };
    };
    const write = () =>
      sandbox.run(['suspend', '--db', file, '--habilitation', 'amp-h0022', '--reason', 'Écrite pendant la copie', '--yes'], { env: { CAFSUP_ACTOR: ACTOR } });
    const rerun = `Relancez « cafsup migrate --db ${file} --to ${target} » (avec le mot de passe s’il en faut un) : il termine la copie si elle a abouti, la refait sinon.`;
    try {
      // Its connection ended by the server in the commit: not committed, nor known to be by the copy.
      const ended = migrate();
      await until(async () => (await heldInCommit()).rowCount === 1);
      await admin.query('SELECT pg_terminate_backend($1)', [(await heldInCommit()).rows[0]!.pid]);
      const [endedCode] = await ended.closed;
      expect([endedCode, ended.stderr()]).toEqual([
        6,
        `La copie dans ${target} n’a pas été confirmée (elle peut avoir abouti ou non) : connexion fermée par le serveur (arrêt, ou pg_terminate_backend par un administrateur) (SQLSTATE 57P01). Le fichier ${file} ne reçoit plus d’écritures tant que « cafsup migrate --db ${file} --to ${target} » n’a pas été relancé : il termine la copie si elle a abouti, la refait sinon.\n`,
      ]);
      expect(await count('SELECT COUNT(*) AS n FROM partners')).toBe(0);
      const refused = write();
      expect([refused.status, refused.stderr]).toEqual([
        6,
        expect.stringContaining(`n’a pas été confirmée (interrompue, ou encore en cours) : la base ne reçoit plus d’écritures`),
      ]);
      expect(refused.stderr).toContain(rerun);

      // Made again, and killed in its commit, which then lands: the file still refuses writes, and
      // a copy into another database.
      const killed = migrate();
      await until(async () => (await heldInCommit()).rowCount === 1);
      killed.child.kill('SIGKILL');
      await killed.closed;
      await admin.query('SELECT pg_advisory_unlock(44, 44)');
      await until(async () => (await count('SELECT COUNT(*) AS n FROM partners')) > 0);
      expect(write()).toMatchObject({ status: 6, stderr: expect.stringContaining(rerun) });
      expect(sandbox.run(['demo', '--db', file, '--force'])).toMatchObject({ status: 4, stderr: expect.stringContaining(`${rerun} Elle n’est pas remplacée`) });
      const elsewhere = sandbox.run(['migrate', '--db', file, '--to', await freshDatabase()]);
      expect([elsewhere.status, elsewhere.stderr]).toEqual([
        4,
        expect.stringContaining('Une copie dans une autre base ferait deux bases d’une même chaîne de traces'),
      ]);

      // There again: the copy found, only the mark finished; the file then as after any copy.
      const head = sandbox.json<{ head: { id: number } }>(['traces', 'verify', '--db', file]).head.id;
      const finished = sandbox.run(['migrate', '--db', file, '--to', target]);
      expect([finished.status, finished.stderr]).toEqual([0, '']);
      expect(finished.stdout).toContain(`La copie précédente dans ${target} avait abouti`);
      expect(finished.stdout).toContain(`Tête de la chaîne des traces : n° ${head}`);
      expect(finished.stdout).toContain('ne reçoit plus d’écritures ni de seconde copie');
      expect(write()).toMatchObject({ status: 6, stderr: expect.stringContaining(`a été copiée dans ${target}`) });
      expect(sandbox.run(['migrate', '--db', file, '--to', target])).toMatchObject({
        status: 4,
        stderr: expect.stringContaining('une seconde copie ferait deux bases'),
      });
      expect(sandbox.run(['export', '--db', target]).stdout).toBe(exported);
      expect(sandbox.json<{ ok: boolean; head: { id: number } }>(['traces', 'verify', '--db', target])).toMatchObject({ ok: true, head: { id: head } });
    } finally {
      await admin.end();
    }
  });

  // A copy whose COMMIT the server refused (an error raised there, by a deferred constraint) was
  // said to « peut avoir abouti », in the server's own words (review 44): it surely did not land.
  it('says of a copy whose COMMIT the server refused that it did not land, in French with its SQLSTATE, and lets the file take writes again; `migrate --to` again makes it', async () => {
    const file = join(sandbox.dir, 'refusee.db');
    expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    const target = await freshDatabase();
    await (await Store.open(target)).close();
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    try {
      await admin.query("CREATE FUNCTION refused_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'commit refused by a test'; END $$");
      await admin.query(
        'CREATE CONSTRAINT TRIGGER refused_commit AFTER INSERT OR UPDATE ON meta DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refused_commit()',
      );
      const refused = sandbox.run(['migrate', '--db', file, '--to', target]);
      expect([refused.status, refused.stderr]).toEqual([
        6,
        `La copie dans ${target} n’a pas abouti : validation (COMMIT) refusée par le serveur (SQLSTATE P0001). Rien n’y a été copié, et le fichier ${file} reçoit de nouveau ses écritures.\n`,
      ]);
      expect(Number((await admin.query<{ n: string }>('SELECT COUNT(*) AS n FROM partners')).rows[0]!.n)).toBe(0);
      // Its pending mark taken away: the next write was refused « n’a pas été confirmée (interrompue, ou encore en cours) » (review 45).
      const write = sandbox.run(['suspend', '--db', file, '--habilitation', 'amp-h0022', '--reason', 'Écrite après le refus', '--yes'], {
        env: { CAFSUP_ACTOR: ACTOR },
      });
      expect(write.status, write.stderr).toBe(0);
      await admin.query('DROP TRIGGER refused_commit ON meta');
      const copied = sandbox.run(['migrate', '--db', file, '--to', target]);
      expect([copied.status, copied.stderr]).toEqual([0, '']);
      expect(copied.stdout).not.toContain('La copie précédente');
      expect(copied.stdout).toContain('ne reçoit plus d’écritures ni de seconde copie');
      expect(sandbox.json<{ ok: boolean }>(['traces', 'verify', '--db', target])).toMatchObject({ ok: true });
    } finally {
      await admin.end();
    }
  });

  it('takes the pending mark away when the database it names holds another store: that copy never landed, the file takes writes again', async () => {
    const file = join(sandbox.dir, 'ailleurs.db');
    expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    const target = await freshDatabase();
    expect(sandbox.run(['demo', '--db', target]).status).toBe(0);
    // As copy.ts marks a file before its commit (meta.ts, `Moved.pending`).
    const marker = new Database(file);
    marker
      .prepare("INSERT INTO meta (key, value) VALUES ('moved_to', ?)")
      .run(JSON.stringify({ to: target, at: new Date().toISOString(), head: 1, pending: true }));
    marker.close();
    // By an account that may not write the file: said, naming it, the mark kept (SQLite's
    // « Impossible d’ouvrir la base de données » named neither the file nor why, review 44d).
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-marque-'));
    const readOnly = join(folder, 'ailleurs.db');
    copyFileSync(file, readOnly);
    chmodSync(readOnly, 0o444);
    chmodSync(folder, 0o555);
    // root writes anywhere: as root, the command runs as nobody, for whom the mode bits hold.
    const args = [CAFSUP_BIN, 'migrate', '--db', readOnly, '--to', target];
    const options = { env: { ...sandbox.env(), CAFSUP_CONFIG_DIR: join(folder, 'config') }, encoding: 'utf8' as const, cwd: tmpdir() };
    const kept =
      process.getuid?.() === 0 ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, ...args], options) : spawnSync(process.execPath, args, options);
    chmodSync(folder, 0o755);
    expect([kept.status, kept.stderr]).toEqual([
      6,
      expect.stringContaining(`la copie du fichier ${readOnly} n’y a pas abouti, et il peut reprendre ses écritures, mais ce compte ne peut pas l’écrire`),
    ]);
    rmSync(folder, { recursive: true, force: true });
    const refused = sandbox.run(['migrate', '--db', file, '--to', target]);
    expect([refused.status, refused.stderr]).toEqual([4, expect.stringContaining(`La base ${target} contient déjà des données`)]);
    const written = sandbox.run(['suspend', '--db', file, '--habilitation', 'amp-h0022', '--reason', 'Le fichier reste la base', '--yes'], {
      env: { CAFSUP_ACTOR: ACTOR },
    });
    expect(written.status, written.stderr).toBe(0);
  });

  // The mark names the database as shown, « *** » for a password given in the URL: made again
  // with the password given otherwise (PGPASSWORD, .pgpass), or the other way round, the copy was
  // refused as one « dans une autre base », the file left refusing writes (review 44d).
  it('makes a pending copy again whether its password is given in the URL or otherwise, as the mark named it or not', async () => {
    for (const [name, marked, given] of [
      ['avec.db', (url: string) => url.replace('://postgres@', '://postgres:***@'), (url: string) => url],
      ['sans.db', (url: string) => url, (url: string) => url.replace('://postgres@', '://postgres:secret@')],
    ] as const) {
      const file = join(sandbox.dir, name);
      expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
      const target = await freshDatabase();
      expect(marked(target)).not.toBe(given(target));
      const marker = new Database(file);
      marker
        .prepare("INSERT INTO meta (key, value) VALUES ('moved_to', ?)")
        .run(JSON.stringify({ to: marked(target), at: new Date().toISOString(), head: 1, pending: true }));
      marker.close();
      const copied = sandbox.run(['migrate', '--db', file, '--to', given(target)]);
      expect([copied.status, copied.stderr]).toEqual([0, '']);
      expect(copied.stdout).toContain('ne reçoit plus d’écritures ni de seconde copie');
      expect(sandbox.json<{ ok: boolean }>(['traces', 'verify', '--db', target])).toMatchObject({ ok: true });
    }
  });

  // A copy made while a server wrote to the file read its tables at different moments: exit 0, and
  // a trail that did not verify, a trace without its change. One cut short left an empty store (trial 37).
  it('copies the file as of one moment or not at all: written meanwhile, refused (exit 4); cut short, nothing left', async () => {
    const file = join(sandbox.dir, 'ecrite.db');
    expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    const target = await freshDatabase();
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    const count = async (sql: string) => Number((await admin.query<{ n: string }>(sql)).rows[0]!.n);
    const tables = () => count('SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema()');
    // The copy's transaction under way on the database: it holds the schema's advisory key.
    const copying = () =>
      count(
        "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      );
    // Another process's write on the file, under way before the copy starts: not in its rows.
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    writer.exec("UPDATE meta SET value = value || ' ' WHERE key = 'trace_head'");
    const migrate = () => {
      const child = spawn(process.execPath, [CAFSUP_BIN, 'migrate', '--db', file, '--to', target], { env: sandbox.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      return { child, closed: once(child, 'close'), stderr: () => stderr };
    };
    try {
      const cut = migrate();
      // Its rows copied, waiting for the file's writer: idle in its transaction a while.
      await until(
        async () =>
          (await count(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND state_change < now() - interval '300 milliseconds'",
          )) > 0,
      );
      cut.child.kill('SIGKILL');
      await cut.closed;
      await until(async () => (await copying()) === 0);
      expect(await tables()).toBe(0);
      expect(sandbox.run(['partners', '--db', target]).status).toBe(6);

      const written = migrate();
      await until(async () => (await copying()) > 0);
      writer.exec('COMMIT');
      const [code] = await written.closed;
      expect([code, written.stderr()]).toEqual([4, expect.stringContaining('a reçu des écritures pendant la copie')]);
      expect(await tables()).toBe(0);
    } finally {
      if (writer.inTransaction) writer.exec('ROLLBACK');
      writer.close();
      await admin.end();
    }
  });

  // A first import's tables are made in its own transaction, as `migrate --to` makes its copy's.
  // Made before it, in a transaction of their own, they stayed after an import stopped before its
  // commit: the database then answered as an empty store (« 0 partenaire ») rather than
  // « introuvable », and the next import was one into an existing store.
  it('leaves no store behind a first import stopped before its commit (SIGTERM, SIGHUP, kill -9); the next is a first import, and one that finds a store made meanwhile is refused (exit 4), as is the SDK’s first import on a store there already, which it serves', async () => {
    const target = await freshDatabase();
    const file = join(sandbox.dir, 'premier-import.json');
    expect(sandbox.run(['export', '--out', file]).status).toBe(0);
    const text = readFileSync(file, 'utf8');
    const half = Math.floor(text.length / 2);
    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    const count = async (sql: string) => Number((await admin.query<{ n: string }>(sql)).rows[0]!.n);
    const tables = () => count('SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema()');
    const space = /\((\d+), 0\)/.exec(GLOBAL_LOCK)![1]!;
    /** Sessions on the database that hold (or wait for) the global key every import takes first; `idle`: held by one idle in its transaction a while, waiting for its input. */
    const globalKey = (granted: boolean, idle = false) =>
      count(
        `SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.classid = ${space} AND l.objid = 0 AND l.granted = ${granted} AND a.datname = current_database()
          ${idle ? "AND a.state = 'idle in transaction' AND a.state_change < now() - interval '300 milliseconds'" : ''}`,
      );
    const cafsup = (args: string[]) => {
      const child = spawn(process.execPath, [CAFSUP_BIN, ...args, '--db', target], {
        env: sandbox.env({ CAFSUP_ACTOR: ACTOR }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let [stdout, stderr] = ['', ''];
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const closed = once(child, 'close');
      return { child, ended: async () => [...(await closed), stdout, stderr] };
    };
    /** A first import from standard input, given the first half of the file, waiting for the rest inside its transaction. */
    const held = async () => {
      const importing = cafsup(['import', '-']);
      importing.child.stdin.write(text.slice(0, half));
      await until(async () => (await globalKey(true, true)) === 1);
      return importing;
    };
    const introuvable = `Base de données introuvable : ${target}. Créez-la avec « cafsup demo » ou « cafsup import FICHIER ».\n`;
    try {
      // Through the SDK as through the CLI: no store to read there before its import commits.
      const made = createClient({ database: target, create: 'by-import', actor: PERSON });
      await expect(made.partners.list()).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { absent: true } });
      await made.close();
      for (const signal of ['SIGTERM', 'SIGHUP', 'SIGKILL'] as const) {
        const stopped = await held();
        stopped.child.kill(signal);
        expect(await stopped.ended(), signal).toEqual([null, signal, '', '']);
        // Its session ended with it, its transaction rolled back.
        await until(async () => (await globalKey(true)) === 0);
        const partners = sandbox.run(['partners', '--db', target]);
        expect([await tables(), partners.status, partners.stdout, partners.stderr], signal).toEqual([0, 6, '', introuvable]);
      }
      // Two first imports, and `cafsup start`'s `demo --if-missing`: the one held makes the store;
      // the others, waiting for its key, find it made once they have it, and keep it as it is.
      // A client opened for a first import before another process made the store.
      const late = createClient({ database: target, create: 'by-import', actor: PERSON });
      await expect(late.partners.list()).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { absent: true } });
      const first = await held();
      const second = cafsup(['import', file]);
      const demo = cafsup(['demo', '--if-missing']);
      await until(async () => (await globalKey(false)) === 2);
      first.child.stdin.end(text.slice(half));
      expect(await first.ended()).toEqual([0, null, expect.stringMatching(/^Import terminé \(trace n° 1\) : /), '']);
      expect(await second.ended()).toEqual([
        4,
        null,
        '',
        `La base ${target} a été créée par un autre processus pendant cet import : elle est conservée telle quelle, rien n’y a été écrit.\n`,
      ]);
      expect(await demo.ended()).toEqual([0, null, `Base existante conservée : ${target}\n`, '']);
      expect(sandbox.json<{ head: { id: number } }>(['traces', 'verify', '--db', target]).head.id).toBe(1);
      expect(sandbox.run(['export', '--db', target]).stdout).toBe(text);
      // Its import refused as made meanwhile, that client serves the store now there: it answered
      // « introuvable » to every read after its refusal had said the store was made.
      try {
        await expect(late.dataset.import({ path: file })).rejects.toMatchObject({
          code: 'CONFLICT',
          message: `La base ${target} a été créée par un autre processus pendant cet import : elle est conservée telle quelle, rien n’y a été écrit.`,
        });
        expect((await late.partners.list()).items.length).toBeGreaterThan(0);
        await expect(late.dataset.import({ path: file })).rejects.toMatchObject({ code: 'CONFLICT' });
      } finally {
        await late.close();
      }
      expect(sandbox.run(['export', '--db', target]).stdout).toBe(text);
      // A client for a first import on the store now there: served as that store, its import refused.
      const found = createClient({ database: target, create: 'by-import', actor: PERSON });
      try {
        expect((await found.partners.list()).items.length).toBeGreaterThan(0);
        await expect(found.dataset.import({ path: file })).rejects.toMatchObject({
          code: 'CONFLICT',
          message: `La base ${target} contient déjà une base cafsup : ce n’est pas une première importation, elle est conservée telle quelle, rien n’y a été écrit.`,
        });
      } finally {
        await found.close();
      }
      expect(sandbox.run(['export', '--db', target]).stdout).toBe(text);
    } finally {
      await admin.end();
    }
  });

  it('lets a role that may only read, or one whose transactions are read only, open the database and read; a write is refused, exit 6, in French, nothing written; a server on it is not ready', async () => {
    const readable = await freshDatabase();
    const file = join(sandbox.dir, 'a-lire.db');
    expect(sandbox.run(['demo', '--db', file], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    expect(sandbox.run(['migrate', '--db', file, '--to', readable]).status).toBe(0);
    const suffix = Date.now().toString(36);
    const [reader, readOnly] = [`cafsup_lecteur_${suffix}`, `cafsup_ro_${suffix}`];
    const admin = new pg.Client({ connectionString: readable });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${reader} LOGIN`);
      await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`);
      // Every right, but read-only transactions, as on a standby.
      await admin.query(`CREATE ROLE ${readOnly} LOGIN`);
      await admin.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${readOnly}`);
      await admin.query(`ALTER ROLE ${readOnly} SET default_transaction_read_only = on`);
    } finally {
      await admin.end();
    }
    const as = (role: string) => {
      const url = new URL(readable);
      url.username = role;
      return { url: url.toString(), env: { CAFSUP_DB: undefined, CAFSUP_DATABASE_URL: url.toString(), CAFSUP_ACTOR: ACTOR } };
    };
    const asOwner = { CAFSUP_DB: undefined, CAFSUP_DATABASE_URL: readable };
    const exported = sandbox.run(['export'], { env: asOwner }).stdout;
    const suspend = ['suspend', '--habilitation', 'amp-h0001', '--reason', 'Essai en lecture seule', '--yes'];
    const refusals = {
      [reader]:
        'droits insuffisants pour ce rôle, rien n’a été écrit (lire demande SELECT sur les tables de cafsup, écrire le droit d’y écrire, créer ou migrer le schéma celui de créer des tables) (SQLSTATE 42501)',
      [readOnly]:
        'base en lecture seule (serveur de secours, ou rôle en default_transaction_read_only), rien n’a été écrit : écrivez sur le serveur principal, avec un rôle qui peut écrire (SQLSTATE 25006)',
    };
    const unready = {
      [reader]: 'le rôle de la base n’a pas le droit d’y écrire (INSERT sur la table traces)',
      [readOnly]: 'base en lecture seule (serveur de secours, ou rôle en default_transaction_read_only)',
    };
    for (const [role, refusal] of Object.entries(refusals)) {
      const { url, env } = as(role);
      // Opening reads the schema's version only: before, it wrote it back in a transaction,
      // which such a role is refused, so it could not even read.
      const partners = sandbox.run(['partners', '--json'], { env });
      expect([partners.status, partners.stderr]).toEqual([0, '']);
      expect(partners.stdout).toBe(sandbox.run(['partners', '--json']).stdout);
      const refused = sandbox.run(suspend, { env });
      expect([refused.status, refused.stderr]).toEqual([6, `Base PostgreSQL ${url} : ${refusal}.\n`]);
      // No retry mends it: a server's 503 names no wait (LASTING), where it asked for one each second (review 41).
      const client = createClient({ database: url, actor: PERSON });
      try {
        await expect(client.habilitations.suspend(['amp-h0001'], { reason: 'Essai en lecture seule' })).rejects.toMatchObject({
          code: 'UNAVAILABLE',
          details: { lasting: true },
        });
      } finally {
        await client.close();
      }
      // A server on it is not ready: a balancer sent it writes it refused every one of (review 44).
      const server = new TestServer(url);
      await server.start();
      try {
        const ready = await server.request('GET', '/readyz', undefined, null);
        expect([ready.status, ready.body.error.message]).toEqual([503, `Serveur pas prêt : ${unready[role]} : toute écriture serait refusée.`]);
        expect(metricSample((await server.request('GET', '/metrics', undefined, null)).body, 'cafsup_store_ready')).toBe(0);
      } finally {
        await server.stop();
      }
    }
    // The owner's server is, asked the same way.
    const owned = new TestServer(readable);
    await owned.start();
    try {
      expect((await owned.request('GET', '/readyz', undefined, null)).status).toBe(200);
    } finally {
      await owned.stop();
    }
    // Refused as the connection opens, the same code (42501) is the role's right to set a superuser's setting, or to connect, not the tables' rights.
    const { url, env } = as(reader);
    const superuserSetting = sandbox.run(['partners'], { env: { ...env, PGOPTIONS: '-c log_min_messages=debug1' } });
    expect([superuserSetting.status, superuserSetting.stderr]).toEqual([
      6,
      `Base PostgreSQL ${url} : connexion refusée par le serveur : ce rôle ne peut pas changer un réglage demandé par options= de l’URL ou PGOPTIONS (réservé à un superutilisateur) (SQLSTATE 42501).\n`,
    ]);
    const database = new URL(readable).pathname.slice(1);
    const owner = new pg.Client({ connectionString: readable });
    await owner.connect();
    try {
      await owner.query(`REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`);
    } finally {
      await owner.end();
    }
    const noConnect = sandbox.run(['partners'], { env });
    expect([noConnect.status, noConnect.stderr]).toEqual([
      6,
      `Base PostgreSQL ${url} : connexion refusée par le serveur : ce rôle n’a pas le droit de se connecter à cette base (un administrateur peut le lui donner : GRANT CONNECT ON DATABASE … TO …) (SQLSTATE 42501).\n`,
    ]);
    expect(sandbox.run(['export'], { env: asOwner }).stdout).toBe(exported);
  });

  it('drives the interface on PostgreSQL in a real terminal: a suspension typed in bursts lands with its trace', async () => {
    const terminal = interfaceOn(database);
    try {
      await terminal.waitFor('Quotas dépassés');
      terminal.send(':partenaire amp\r3');
      await terminal.waitFor(/›amp-h0001 /);
      terminal.send('js');
      await terminal.waitFor('Motif (obligatoire');
      terminal.send('Département 06 hors convention\ro');
      const done = await terminal.waitFor(/Fait\. Trace n° \d+/);
      const traceId = Number(/Trace n° (\d+)/.exec(done)![1]);
      terminal.press('Escape');
      await terminal.waitFor(/›amp-h0002 .*suspendue/);
      terminal.send('qqq');
      await terminal.waitFor('SORTIE=0');
      const traces = sandbox.json<{ traces: { id: number; action: string; targetId: string }[] }>(['traces', '--partner', 'amp', '--db', database]).traces;
      expect(traces.find((trace) => trace.id === traceId)).toMatchObject({ action: 'habilitation.suspend', targetId: 'amp-h0002' });
      // Back to active, for the next test's writes.
      expect(
        sandbox.run(['reinstate', '--habilitation', 'amp-h0002', '--reason', 'Fin du test', '--yes', '--db', database], { env: { CAFSUP_ACTOR: ACTOR } })
          .status,
      ).toBe(0);
    } finally {
      terminal.close();
    }
  });

  it('leaves the interface on `q` within moments while one of its reads waits for a lock held elsewhere', async () => {
    const holder = new pg.Client({ connectionString: database });
    await holder.connect();
    const terminal = interfaceOn(database);
    try {
      await terminal.waitFor('Quotas dépassés');
      await holder.query('BEGIN; LOCK TABLE traces, meta IN ACCESS EXCLUSIVE MODE');
      // The interface's check for others' writes (every 3 s) then waits for the lock.
      const waiting = async () => Number((await holder.query('SELECT COUNT(*) AS n FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()')).rows[0].n);
      const deadline = Date.now() + 15_000;
      while ((await waiting()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await waiting()).toBeGreaterThan(0);
      terminal.send('q');
      // The lock still held: closing the store would wait for it.
      await terminal.waitFor('SORTIE=0', 10_000);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      terminal.close();
    }
  });

  it('runs two `cafsup serve` on the database: writes through both land once each in one gapless chain; keys and limits are shared', async () => {
    const token = sandbox.run(
      ['token', 'create', 'Camille Roux', '--email', 'camille.roux@caf78.fr', '--role', 'superviseur', '--caf', '*', '--quiet', '--db', database],
      {
        env: { CAFSUP_ACTOR: ACTOR },
      },
    );
    expect(token.status, token.stderr).toBe(0);
    const [first, second] = await Promise.all([serve(sandbox, database), serve(sandbox, database)]);
    servers.push(first.process, second.process);
    const clients: CafsupClient[] = [first, second].map((server) => createClient({ baseUrl: server.url, token: token.stdout.trim(), retries: 0 }));
    try {
      const before = (await clients[0]!.traces.head()).id;
      const ids = (await clients[0]!.habilitations.list({ partnerId: 'amp', status: 'active', limit: 40 })).items.map((item) => item.id);
      // Every active habilitation of AMP, each suspended then reinstated, half through each server, all at once.
      const answers = await Promise.all(
        ids.map(async (id, index) => {
          const client = clients[index % 2]!;
          const suspended = await client.habilitations.suspend([id], { reason: 'Contrôle à deux serveurs' });
          const reinstated = await client.habilitations.reinstate([id], { reason: 'Contrôle terminé' });
          return [...suspended.changed, ...reinstated.changed].map((change) => change.traceId!);
        }),
      );
      const traceIds = answers.flat().sort((a, b) => a - b);
      const written = ids.length * 2;
      expect(ids.length).toBeGreaterThan(10);
      expect(traceIds).toEqual(Array.from({ length: written }, (_, index) => before + 1 + index));
      const verification = await clients[1]!.traces.verify();
      expect(verification).toMatchObject({ ok: true, head: { id: before + written } });

      // The same Idempotency-Key through the other server: the stored answer, nothing written twice.
      const body = JSON.stringify({ ids: [ids[0]], options: { reason: 'Suspension rejouée' } });
      const post = (url: string, headers: Record<string, string>) =>
        fetch(`${url}/v1/habilitations.suspend`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token.stdout.trim()}`, ...headers },
          body,
        }).then(async (response) => ({
          status: response.status,
          body: (await response.json()) as unknown,
          replayed: response.headers.get('idempotent-replay'),
        }));
      const once = await post(first.url, { 'idempotency-key': 'cle-partagee-1' });
      const twice = await post(second.url, { 'idempotency-key': 'cle-partagee-1' });
      expect([once.status, twice.status, once.replayed, twice.replayed]).toEqual([200, 200, null, 'true']);
      expect(twice.body).toEqual(once.body);
      expect((await clients[0]!.traces.head()).id).toBe(before + written + 1);

      // The same keyed request sent four times at once, through both servers: one write, and the
      // same answer to all four. The later ones either meet the key when they store theirs, or are
      // refused by what the first did (« habilitation non suspendue »): the first's answer either way.
      const reinstate = (url: string, id: string) =>
        fetch(`${url}/v1/habilitations.reinstate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token.stdout.trim()}`, 'idempotency-key': `rejeu-${id}` },
          body: JSON.stringify({ ids: [id], options: { reason: 'Levée rejouée' } }),
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as unknown }));
      const retried = ids.slice(1, 6);
      await clients[0]!.habilitations.suspend(retried, { reason: 'Avant les rejeux simultanés' });
      const headBefore = (await clients[0]!.traces.head()).id;
      for (const id of retried) {
        const sent = await Promise.all([first.url, second.url, first.url, second.url].map((url) => reinstate(url, id)));
        expect(
          sent.map((answer) => answer.status),
          JSON.stringify(sent),
        ).toEqual([200, 200, 200, 200]);
        for (const answer of sent.slice(1)) expect(answer.body).toEqual(sent[0]!.body);
      }
      expect((await clients[0]!.traces.head()).id).toBe(headBefore + retried.length);

      // Failed authentications count in the database: the limit is crossed through both servers together.
      const refused: number[] = [];
      for (let attempt = 0; attempt < 12; attempt++) {
        const response = await fetch(`${[first, second][attempt % 2]!.url}/v1/dataset.summary`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer cafsup_faux_jeton_0000000000000000000000' },
          body: '{}',
        });
        refused.push(response.status);
      }
      expect(refused.slice(0, 10).every((status) => status === 401)).toBe(true);
      expect(refused.slice(10)).toEqual([429, 429]);

      // Each server keeps the token's principal in memory, and the valid token still passes the
      // address's limit; revoked from the command line, it is refused by both at the next request.
      const summary = (url: string) =>
        fetch(`${url}/v1/dataset.summary`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token.stdout.trim()}` },
          body: '{}',
        }).then((response) => response.status);
      expect(await Promise.all([summary(first.url), summary(second.url)])).toEqual([200, 200]);
      const tokenId = (sandbox.json(['token', 'list', '--db', database]).tokens as { id: number; owner: { email: string } }[]).find(
        (listed) => listed.owner.email === 'camille.roux@caf78.fr',
      )!.id;
      const revoked = sandbox.run(['token', 'revoke', String(tokenId), '--reason', 'Poste perdu', '--yes', '--db', database], { env: { CAFSUP_ACTOR: ACTOR } });
      expect(revoked.status, revoked.stderr).toBe(0);
      // Refused: past the address's limit, as any token that does not pass (429), never 200.
      expect(await Promise.all([summary(first.url), summary(second.url)])).toEqual([429, 429]);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});

// A cluster of its own, restarted at once (as a crash would) while writes are on their way: the
// run's shared cluster serves the other tests meanwhile.
describe.skipIf(POSTGRES_URL === null)('PostgreSQL restarted under writes', () => {
  const sandbox = new CliSandbox();
  let cluster: Cluster;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    cluster = (await startCluster())!;
    expect(sandbox.run(['demo'], { env: { CAFSUP_ACTOR: ACTOR } }).status).toBe(0);
    expect(sandbox.run(['migrate', '--to', cluster.url]).status).toBe(0);
  });
  afterAll(() => {
    for (const server of servers) server.kill('SIGTERM');
    cluster.stop();
    sandbox.cleanup();
  });

  /** Sets a server setting of the cluster (null: back to its default), then has the server read it. */
  const setting = async (name: string, value: string | null) => {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query(value === null ? `ALTER SYSTEM RESET ${name}` : `ALTER SYSTEM SET ${name} = '${value}'`);
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
  };

  // An import holds every partner's key, then drops and builds indexes: a write must wait for it
  // before it reads a table, or each waits for the other (a deadlock, and the import failed).
  it('makes a write wait for a write that holds everything before it touches a table', async () => {
    const holder = new pg.Client({ connectionString: cluster.url });
    await holder.connect();
    const local = createClient({ database: cluster.url, actor: { name: 'Camille Roux', email: 'camille.roux@caf78.fr' } });
    try {
      await holder.query(`BEGIN; SELECT ${GLOBAL_LOCK}`);
      const suspended = local.habilitations.suspend(['amp-h0003'], { reason: 'Écriture pendant un import' });
      // The write is waiting: for the key, holding nothing on habilitations.
      const deadline = Date.now() + 10_000;
      const waiting = async () =>
        Number((await holder.query("SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid <> pg_backend_pid()")).rows[0].n);
      while ((await waiting()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await waiting()).toBe(1);
      await holder.query('SET lock_timeout = 1000; LOCK TABLE habilitations IN ACCESS EXCLUSIVE MODE');
      await holder.query('COMMIT');
      expect((await suspended).changed.map((change) => change.id)).toEqual(['amp-h0003']);
      await local.habilitations.reinstate(['amp-h0003'], { reason: 'Fin du test' });
    } finally {
      await holder.end();
      await local.close();
    }
  });

  // A write lets go of the chain's head before its commit reaches the disk (postgres.ts, `begin`),
  // and is answered only once it has. The WAL writer here waits 10 s between its own flushes, so
  // a commit that had only been handed to it is still in memory when the server dies at once.
  it('keeps a write that was answered, when the server dies at once just after', async () => {
    await setting('wal_writer_delay', '10s');
    try {
      for (const [round, action] of (['suspend', 'reinstate'] as const).entries()) {
        const local = createClient({ database: cluster.url, actor: { name: 'Camille Roux', email: 'camille.roux@caf78.fr' } });
        let traceId: number | null = null;
        try {
          const { changed } = await local.habilitations[action](['amp-h0003'], { reason: `Écriture juste avant une panne (${round + 1})` });
          expect(changed.map((change) => change.id)).toEqual(['amp-h0003']);
          traceId = changed[0]!.traceId;
        } finally {
          await local.close();
        }
        cluster.down();
        cluster.up();
        const after = createClient({ database: cluster.url, actor: { name: 'Camille Roux', email: 'camille.roux@caf78.fr' } });
        try {
          expect([(await after.habilitations.get('amp-h0003')).status, (await after.traces.head()).id]).toEqual([
            action === 'suspend' ? 'suspended' : 'active',
            traceId,
          ]);
        } finally {
          await after.close();
        }
      }
      expect(sandbox.json<{ ok: boolean }>(['traces', 'verify', '--db', cluster.url]).ok).toBe(true);
    } finally {
      await setting('wal_writer_delay', null);
    }
  });

  // The same write seen by another session before it is on disk (here: before a synchronous
  // standby, which never comes, has it): a retry under its key is answered only once it is.
  it('replays a keyed write only once it is on disk, not as soon as it is seen', async () => {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const server = new TestServer(cluster.url);
    // Sessions waiting for the standby: the write's second transaction, a replay's (`settled`).
    const standbyWaits = async (kind: 'write' | 'replay') =>
      Number(
        (
          await admin.query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE $1", [
            kind === 'write' ? 'SELECT set_config%' : 'BEGIN; SELECT pg_logical_emit_message%',
          ])
        ).rows[0].n,
      );
    const until = async (condition: () => Promise<boolean>) => {
      const deadline = Date.now() + 15_000;
      while (!(await condition()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    try {
      const token = await server.token(PERSON, 'supervisor', ['*']);
      await server.start();
      await setting('synchronous_standby_names', 'cafsup_absent');
      await until(async () => (await admin.query('SHOW synchronous_standby_names')).rows[0].synchronous_standby_names === 'cafsup_absent');
      const body = JSON.stringify({ ids: ['amp-h0003'], options: { reason: 'Écriture que le secours attend' } });
      const send = () => server.post('/v1/habilitations.suspend', body, token, { 'idempotency-key': 'attendue-par-le-secours' });
      const first = send();
      await until(async () => (await standbyWaits('write')) === 1);
      let retried = false;
      const retry = send().finally(() => {
        retried = true;
      });
      // The retry waits for the standby too, rather than answering at once what is not on disk yet.
      await until(async () => (await standbyWaits('replay')) === 1 || retried);
      expect([await standbyWaits('replay'), retried]).toEqual([1, false]);
      await setting('synchronous_standby_names', null);
      const [written, replayed] = await Promise.all([first, retry]);
      expect([written.status, replayed.status, replayed.headers['idempotent-replay']]).toEqual([200, 200, 'true']);
      expect(replayed.body).toEqual(written.body);
    } finally {
      await setting('synchronous_standby_names', null);
      await admin.end();
      await server.stop();
    }
    const local = createClient({ database: cluster.url, actor: { name: 'Camille Roux', email: 'camille.roux@caf78.fr' } });
    await local.habilitations.reinstate(['amp-h0003'], { reason: 'Fin du test' });
    await local.close();
  });

  // A database down is no lock wait: counted as one, an outage read as contention (trial 33).
  it('counts the 503s of a database down apart from its lock waits', async () => {
    const server = new TestServer(cluster.url);
    try {
      const token = await server.token(PERSON, 'supervisor', ['*']);
      await server.start();
      const client = server.client(token);
      const head = (await client.traces.head()).id;
      cluster.down();
      let metrics: string;
      try {
        await expect(client.partners.get('amp')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
        metrics = (await server.request('GET', '/metrics', undefined, null)).body as string;
      } finally {
        cluster.up();
      }
      // The head as the server read it at its start, never scraped before: it said 0 (trial 35).
      expect([
        metricSample(metrics, 'cafsup_unavailable_total{operation="partners.get"}'),
        metricSample(metrics, 'cafsup_lock_waits_total{operation="partners.get"}'),
        metricSample(metrics, 'cafsup_store_ready'),
        metricSample(metrics, 'cafsup_trace_head'),
      ]).toEqual([1, undefined, 0, head]);
      await client.close();
    } finally {
      await server.stop();
    }
  });

  // A host that freezes keeps its connections open: nothing would ever end the wait. A query that
  // hears nothing asks the server on a new connection; while that one is answered (here, a write
  // waiting for a lock), the query waits on; once it is not, the command says so and ends.
  it('ends a command, exit 6, when the server stops answering in the middle of it, and not before', async () => {
    const holder = new pg.Client({ connectionString: cluster.url });
    await holder.connect();
    // Outside any transaction: statistics are read once per transaction.
    const observer = new pg.Client({ connectionString: cluster.url });
    await observer.connect();
    const url = `${cluster.url}?connect_timeout=2`;
    const sessions = async () => Number((await observer.query('SELECT sessions FROM pg_stat_database WHERE datname = current_database()')).rows[0].sessions);
    const until = async (condition: () => Promise<boolean> | boolean, deadlineMs = 20_000) => {
      const deadline = Date.now() + deadlineMs;
      while (!(await condition()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    let frozen = false;
    let child: ChildProcess | undefined;
    try {
      await holder.query("BEGIN; SELECT value FROM meta WHERE key = 'trace_head' FOR UPDATE");
      child = spawn(process.execPath, [CAFSUP_BIN, 'suspend', '--habilitation', 'amp-h0003', '--reason', 'Écriture pendant un gel', '--yes', '--db', url], {
        env: sandbox.env({ CAFSUP_ACTOR: ACTOR }),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = once(child, 'exit') as Promise<[number | null]>;
      let status: number | null | undefined;
      void exited.then(([code]) => (status = code));
      // The write waits for the head; the server answers the connections its silence opens.
      const waiting = async () =>
        Number((await holder.query('SELECT COUNT(*) AS n FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()')).rows[0].n) === 1;
      await until(waiting);
      expect(await waiting()).toBe(true);
      const before = await sessions();
      await until(async () => (await sessions()) >= before + 2);
      expect([(await sessions()) >= before + 2, status]).toEqual([true, undefined]);
      frozen = true;
      cluster.freeze();
      await until(() => status !== undefined);
      // Its detail in French too (trial 27: « server mute for 20 s »).
      expect([status, stderr]).toEqual([6, expect.stringMatching(/ : serveur muet : plus aucune réponse depuis \d+ s, ni à une nouvelle connexion /)]);
    } finally {
      if (frozen) cluster.thaw();
      // Still waiting if the test failed: it must not write once the head is let go.
      if (child?.exitCode === null) child.kill('SIGKILL');
      await holder.query('ROLLBACK');
      await Promise.all([holder.end(), observer.end()]);
    }
    const local = createClient({ database: cluster.url, actor: { name: 'Camille Roux', email: 'camille.roux@caf78.fr' } });
    try {
      expect((await local.habilitations.get('amp-h0003')).status).toBe('active');
    } finally {
      await local.close();
    }
  });

  /**
   * `cafsup serve` with `options` on the cluster, stopped by SIGTERM once `ready` holds and the
   * cluster is frozen: its exit code, what it said, and how long the stop took.
   */
  const stopFrozen = async (options: string[], ready: (stderr: string) => boolean, whileFrozen?: (url: string, stderr: () => string) => Promise<void>) => {
    const child = spawn(process.execPath, [CAFSUP_BIN, 'serve', '--port', '0', ...options, '--db', cluster.url], {
      env: sandbox.env({ CAFSUP_DB: undefined }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = once(child, 'exit') as Promise<[number | null]>;
    let frozen = false;
    try {
      const deadline = Date.now() + 30_000;
      while (!ready(stderr) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(ready(stderr), stderr).toBe(true);
      cluster.freeze();
      frozen = true;
      await whileFrozen?.(/écoute sur (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!, () => stderr);
      const stopped = Date.now();
      child.kill('SIGTERM');
      const [code] = await exited;
      return { code, stdout, stderr, ms: Date.now() - stopped };
    } finally {
      if (frozen) cluster.thaw();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  };

  // A stop waited for the final checkpoint as long as the database stayed silent, then Fastify's
  // own 10 s and exit 70 (trial 25, M4); with requests in flight, for them (20 s), then for the
  // checkpoint (15 s more: trial 26, M3). Now bounded as a whole: what a service manager waits
  // for (systemd 90 s, Kubernetes 30 s), exit 6, and why in French.
  it('stops on SIGTERM while the database is frozen, requests in flight: within 30 s, exit 6, the checkpoint left unsigned said', async () => {
    const checkpoints = join(sandbox.dir, 'gel.jsonl');
    const token = sandbox.run(
      ['token', 'create', 'Camille Roux', '--email', 'camille.roux@caf78.fr', '--role', 'superviseur', '--caf', '*', '--quiet', '--db', cluster.url],
      { env: { CAFSUP_ACTOR: ACTOR } },
    );
    expect(token.status, token.stderr).toBe(0);
    let client: ReturnType<typeof createClient> | null = null;
    let writes: Promise<unknown>[] = [];
    // Listening, and the checkpoint of the start signed (not waited for by the start itself).
    const stop = await stopFrozen(
      ['--checkpoints', checkpoints],
      (stderr) => stderr.includes('écoute sur') && existsSync(checkpoints),
      async (url, stderr) => {
        client = createClient({ baseUrl: url, token: token.stdout.trim(), retries: 0 });
        writes = ['amp-h0001', 'amp-h0002', 'amp-h0003'].map((id) => client!.habilitations.suspend([id], { reason: 'Pendant un gel' }).catch(() => undefined));
        const deadline = Date.now() + 30_000;
        while ((stderr().match(/"incoming request"/g) ?? []).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        // In flight indeed: the stop below waits for them (review 27).
        expect(stderr().match(/"incoming request"/g) ?? []).toHaveLength(3);
      },
    );
    await Promise.all(writes);
    await client!.close();
    expect(stop.ms).toBeLessThan(30_000);
    expect([stop.code, stop.stderr]).toEqual([
      6,
      expect.stringMatching(
        /Serveur arrêté sans son point de contrôle final : la (base n’a pas permis de lire la chaîne des traces|chaîne des traces n’a pas pu être vérifiée en \d+ s)\. /,
      ),
    ]);
    expect(stop.stderr).not.toContain('Erreur interne');
    // An unreachable database is logged in its words, not with a stack (trial 26, M3).
    expect(stop.stderr).not.toMatch(/"stack":"[^"]/);
  });

  // A frozen database held /readyz 10 to 22 s and a scrape of /metrics 10 s (the mute detection, a new
  // connection's wait), past a balancer's and Prometheus' timeouts, when their probe allows 2 s (review 42c).
  it('answers /readyz 503 and /metrics within their 2 s while the database is frozen', async () => {
    const timed = async (url: string) => {
      const started = Date.now();
      const response = await fetch(url);
      return { status: response.status, body: await response.text(), ms: Date.now() - started };
    };
    const seen: Awaited<ReturnType<typeof timed>>[] = [];
    await stopFrozen(
      ['--checkpoint-minutes', '0'],
      (stderr) => stderr.includes('écoute sur'),
      async (url) => {
        // Twice each, the second while the first's query may still wait on the frozen server.
        for (let round = 0; round < 2; round += 1) {
          const [ready, metrics] = await Promise.all([timed(`${url}/readyz`), timed(`${url}/metrics`)]);
          seen.push(ready, metrics);
        }
      },
    );
    for (const [index, probe] of seen.entries()) {
      expect(probe.ms, JSON.stringify(probe)).toBeLessThan(4_000);
      if (index % 2 === 0)
        expect([probe.status, probe.body]).toEqual([503, expect.stringContaining('Serveur pas prêt : Base de données du serveur : aucune réponse en 2 s.')]);
      else expect([probe.status, probe.body]).toEqual([200, expect.stringContaining('cafsup_store_ready 0')]);
    }
  });

  // A stop during the start ended the process by the signal's default action, without a word (143: trial 26, L5).
  it('stops on SIGTERM during its start while the database is frozen: exit 0 at once, and says so', async () => {
    cluster.freeze();
    try {
      const server = startCafsup(['serve', '--port', '0', '--checkpoint-minutes', '0', '--db', cluster.url], sandbox.env({ CAFSUP_DB: undefined }));
      await server.saying('ouverture de la base');
      const stopped = Date.now();
      server.child.kill('SIGTERM');
      const [code] = await server.exited;
      expect(Date.now() - stopped).toBeLessThan(10_000);
      expect([code, server.said().stdout, server.said().stderr]).toEqual([
        0,
        'Serveur arrêté pendant son démarrage : il n’avait encore rien servi.\n',
        expect.not.stringContaining('écoute sur'),
      ]);
    } finally {
      cluster.thaw();
    }
  });

  // Without checkpoints the stop said « Serveur arrêté. » and the process stayed, its connections waiting (review 26).
  it('ends the process on SIGTERM while the database is frozen, checkpoints off: exit 0 within 15 s', async () => {
    const stop = await stopFrozen(['--checkpoint-minutes', '0'], (stderr) => stderr.includes('écoute sur'));
    expect(stop.ms).toBeLessThan(15_000);
    expect([stop.code, stop.stdout]).toEqual([0, 'Serveur arrêté.\n']);
  });

  it('keeps both servers running, answers again once the database is back, and loses no acknowledged write', async () => {
    const token = sandbox.run(
      ['token', 'create', 'Camille Roux', '--email', 'camille.roux@caf78.fr', '--role', 'superviseur', '--caf', '*', '--quiet', '--db', cluster.url],
      { env: { CAFSUP_ACTOR: ACTOR } },
    );
    expect(token.status, token.stderr).toBe(0);
    // With a password in the URL (the cluster trusts any): the start-up line, which goes to the journal, masks it.
    const withPassword = cluster.url.replace('postgres@', 'postgres:secret@');
    const started = await Promise.all([serve(sandbox, withPassword), serve(sandbox, withPassword)]);
    servers.push(...started.map((server) => server.process));
    expect(started[0].stderr).toContain('(base postgres://postgres:***@127.0.0.1:');
    expect(started.map((server) => server.stderr).join('')).not.toContain('secret');
    const clients = started.map((server) => createClient({ baseUrl: server.url, token: token.stdout.trim(), retries: 0 }));
    try {
      const ids = (await clients[0]!.habilitations.list({ partnerId: 'amp', status: 'active', limit: 8 })).items.map((item) => item.id);
      const acknowledged: number[] = [];
      let writing = true;
      // Eight writers, half through each server, suspending and reinstating until told to stop;
      // what fails while the database is down is only counted.
      const writers = ids.map(async (id, index) => {
        const client = clients[index % 2]!;
        let failures = 0;
        while (writing) {
          for (const action of ['suspend', 'reinstate'] as const) {
            try {
              acknowledged.push(
                ...(await client.habilitations[action]([id], { reason: 'Écritures pendant un redémarrage' })).changed.map((change) => change.traceId!),
              );
            } catch {
              failures += 1;
            }
          }
        }
        return failures;
      });
      const deadline = Date.now() + 30_000;
      while (acknowledged.length < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      cluster.down();
      // While it is down, the probe says what is wrong, never where the database is.
      const probe = await fetch(`${started[0].url}/readyz`);
      const said = JSON.stringify(await probe.json());
      expect([probe.status, said]).toEqual([503, expect.stringContaining('Serveur pas prêt : Base de données du serveur : ')]);
      expect(said).not.toMatch(/postgres:|127\.0\.0\.1|secret/);
      cluster.up();
      const afterRestart = acknowledged.length;
      while (acknowledged.length < afterRestart + 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      writing = false;
      const failures = (await Promise.all(writers)).reduce((sum, count) => sum + count, 0);

      // Both processes still run and write: the writes after the restart were acknowledged.
      expect(started.map((server) => server.process.exitCode)).toEqual([null, null]);
      expect(acknowledged.length).toBeGreaterThanOrEqual(afterRestart + 40);
      expect(failures).toBeGreaterThan(0);
      // Every acknowledged write is in the trail, which verifies.
      const traces = sandbox.json<{ traces: { id: number }[] }>(['traces', '--limit', '100000', '--db', cluster.url]).traces.map((trace) => trace.id);
      expect(acknowledged.filter((id) => !traces.includes(id))).toEqual([]);
      expect(sandbox.json<{ ok: boolean }>(['traces', 'verify', '--db', cluster.url]).ok).toBe(true);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  /** Creates a role (`CREATE ROLE name …`) and has the cluster ask every role but postgres for its password over TCP (SCRAM), as a shared server does. */
  const passwordRole = async (role: string) => {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role}`);
      const directory = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
      writeFileSync(join(directory, 'pg_hba.conf'), 'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
  };

  it('says at once, exit 6, that a role asking for a password was given none', async () => {
    await passwordRole("lecteur LOGIN PASSWORD 'motdepasse'");
    const url = cluster.url.replace('postgres@', 'lecteur@');
    const started = Date.now();
    const refused = sandbox.run(['partners', '--db', url], { env: { PGPASSWORD: undefined } });
    // The driver's « SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string » ended the sentence.
    expect([refused.status, refused.stderr]).toEqual([
      6,
      `Base PostgreSQL ${url} : mot de passe absent : le serveur en demande un (dans l’URL, ou PGPASSWORD).\n`,
    ]);
    // node-postgres leaves that connection open until the server's own timeout (a minute).
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  // The driver's or the server's English ended each sentence (« (password authentication failed
  // for user …) », « (Connection terminated unexpectedly) »); a port that answers the request for
  // SSL as no PostgreSQL does was « Erreur interne », exit 70.
  it('says in French, exit 6, what a supervisor meets, with neither the driver’s nor the server’s English: a password, a limit, another service at the port, a server stopped mid-command', async () => {
    await passwordRole("secretaire LOGIN PASSWORD 'bon-mot' CONNECTION LIMIT 1");
    const as = (credentials: string) => cluster.url.replace('postgres@', `${credentials}@`);
    const refusal = (url: string, problem: string) => [6, `Base PostgreSQL ${url.replace(/:[^:/@]+@/, ':***@')} : ${problem}.\n`];
    // Run aside: this process answers as the HTTP server below, which a synchronous run would block.
    const refused = async (url: string) => {
      const running = startCafsup(['partners', '--db', url], sandbox.env());
      const [code] = await running.exited;
      return [code, running.said().stderr];
    };
    // PostgreSQL says a wrong password and an unknown role alike.
    const authentication = 'authentification refusée (utilisateur ou mot de passe) (SQLSTATE 28P01)';
    for (const url of [as('secretaire:mauvais'), as('inconnu:bon-mot')]) expect(await refused(url), url).toEqual(refusal(url, authentication));
    const held = new pg.Client({ connectionString: as('secretaire:bon-mot') });
    await held.connect();
    try {
      expect(await refused(as('secretaire:bon-mot'))).toEqual(
        refusal(
          as('secretaire:bon-mot'),
          'trop de connexions ouvertes, pour le serveur (max_connections) ou pour ce rôle ou cette base (CONNECTION LIMIT) : réessayez quand d’autres seront fermées, ou demandez à un administrateur de relever la limite (SQLSTATE 53300)',
        ),
      );
    } finally {
      await held.end();
    }
    // An HTTP server at the URL's port closes the connection at its first bytes, and answers the request for SSL with text.
    const web = createHttpServer((_request, response) => response.end('ok'));
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
    try {
      const url = `postgres://postgres@127.0.0.1:${(web.address() as AddressInfo).port}/postgres`;
      expect(await refused(url)).toEqual(
        refusal(url, 'connexion coupée par le serveur (arrêté ou redémarré, ou un autre service que PostgreSQL à cette adresse ?)'),
      );
      expect(await refused(`${url}?sslmode=require`)).toEqual(
        refusal(
          `${url}?sslmode=require`,
          'réponse à la demande de SSL qui n’est pas celle d’un serveur PostgreSQL (un autre service à cette adresse ? vérifiez le port de l’URL)',
        ),
      );
    } finally {
      web.close();
    }
    // The server stopped at once while a command waits for a lock.
    const holder = new pg.Client({ connectionString: cluster.url });
    const watcher = new pg.Client({ connectionString: cluster.url });
    await Promise.all([holder.connect(), watcher.connect()]);
    for (const client of [holder, watcher]) client.on('error', () => undefined);
    let down = false;
    try {
      await holder.query('BEGIN; LOCK TABLE partners IN ACCESS EXCLUSIVE MODE');
      const waiting = startCafsup(['partners', '--db', cluster.url], sandbox.env());
      const blocked = async () =>
        (await watcher.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'cafsup' AND wait_event_type = 'Lock'")).rowCount! > 0;
      const deadline = Date.now() + 20_000;
      while (!(await blocked()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await blocked()).toBe(true);
      cluster.down();
      down = true;
      const [code] = await waiting.exited;
      expect([code, waiting.said().stderr]).toEqual(
        refusal(cluster.url, 'connexion coupée par le serveur (arrêté ou redémarré, ou un autre service que PostgreSQL à cette adresse ?)'),
      );
    } finally {
      if (down) cluster.up();
      await Promise.all([holder.end(), watcher.end()].map((ending) => ending.catch(() => undefined)));
    }
  });

  it('says at once, exit 6, that the server’s certificate is signed by no authority this machine knows', async () => {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      const directory = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
      // A self-signed certificate, as a DBA's first set-up makes, owned by the server's user as PostgreSQL demands of its key.
      const [key, certificate] = [join(directory, 'server.key'), join(directory, 'server.crt')];
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', certificate], {
        stdio: 'ignore',
      });
      const owner = statSync(directory);
      for (const file of [key, certificate]) {
        chownSync(file, owner.uid, owner.gid);
        chmodSync(file, 0o600);
      }
      await admin.query('ALTER SYSTEM SET ssl = on');
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    const url = `${cluster.url}?sslmode=verify-full`;
    // The reload is taken by new connections once the postmaster has read it: asked until SSL is on.
    const deadline = Date.now() + 20_000;
    let refused = sandbox.run(['partners', '--db', url]);
    while (refused.stderr.includes('n’accepte pas SSL') && Date.now() < deadline) refused = sandbox.run(['partners', '--db', url]);
    expect([refused.status, refused.stderr]).toEqual([6, expect.stringContaining('certificat du serveur signé par une autorité inconnue de ce poste')]);
    expect(refused.stderr).not.toMatch(/Erreur interne|\bat .+:\d+:\d+/);
    // node-postgres 8 reads require (and prefer, verify-ca) as verify-full: the same refusal, and
    // no English warning from the driver on the way.
    const required = sandbox.run(['partners', '--db', `${cluster.url}?sslmode=require`]);
    expect([required.status, required.stderr]).toEqual([6, expect.stringContaining('certificat du serveur signé par une autorité inconnue de ce poste')]);
    expect(required.stderr).not.toMatch(/WARNING|Warning/);
  });

  it('says in French, exit 6, that the server cancelled a statement or closed the connection, rather than « Erreur interne »', async () => {
    const holder = new pg.Client({ connectionString: cluster.url });
    // Another connection watches: inside the holder's transaction, pg_stat_activity stays as it first read it.
    const watcher = new pg.Client({ connectionString: cluster.url });
    await Promise.all([holder.connect(), watcher.connect()]);
    for (const client of [holder, watcher]) client.on('error', () => undefined);
    try {
      // Partners locked by another transaction: a read of them waits, until the server ends it.
      await holder.query("BEGIN; SET LOCAL lock_timeout = '10s'; LOCK TABLE partners IN ACCESS EXCLUSIVE MODE");
      const timedOut = sandbox.run(['partners', '--db', `${cluster.url}?options=-c%20statement_timeout%3D300`]);
      expect([timedOut.status, timedOut.stderr]).toEqual([6, expect.stringContaining('requête annulée par le serveur (statement_timeout')]);
      const waiting = spawn(process.execPath, [CAFSUP_BIN, 'partners', '--db', cluster.url], { env: sandbox.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      waiting.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = once(waiting, 'exit');
      const blocked = async () =>
        (await watcher.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'cafsup' AND wait_event_type = 'Lock'")).rows;
      const deadline = Date.now() + 20_000;
      let pids = await blocked();
      while (pids.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        pids = await blocked();
      }
      expect(pids.length).toBeGreaterThan(0);
      // Its other calls may still wait for the lock: the failure is said all the same, at once.
      await watcher.query('SELECT pg_terminate_backend(pid) FROM unnest(CAST($1 AS int[])) AS pid', [pids.slice(0, 1).map((row) => row.pid)]);
      const [code] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running:\n${stderr}`)), 20_000))]);
      expect([code, stderr]).toEqual([6, expect.stringContaining('connexion fermée par le serveur (arrêt, ou pg_terminate_backend')]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await Promise.all([holder.end(), watcher.end()]);
    }
  });
});

describe.skipIf(POSTGRES_URL === null)('PostgreSQL: rows sent many at a time, as arrays or copied in', () => {
  const texts = [
    'simple',
    'guillemet " dedans',
    'barre \\ oblique',
    '\\"',
    '"',
    '{accolades}',
    'a,b',
    'NULL',
    '\\N',
    '\\.',
    '',
    ' espace ',
    'tab\tulation',
    'ligne\nsuivante',
    'retour\r',
    'Saint-Étienne 🏠',
    null,
  ];
  const numbers = [null, 2 ** 53, -(2 ** 31), 0, 1e-7, 0.1 + 0.2, Number.MAX_VALUE];
  /** Rows of every hard text, number, boolean and NULL, of ids `prefix0`, `prefix1`… */
  const probeRows = (prefix: string) =>
    texts.map((text, index) => [`${prefix}${index}`, text, index % 3 === 0 ? null : index * 1_000_000_007, numbers[index % numbers.length], index % 2 === 0]);
  const insert = 'INSERT INTO probe (id, text, n, x, b) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING';

  /** A store with an empty `probe` table, for `work`, then closed. */
  async function withProbe(work: (store: Store, read: () => Promise<Map<unknown, unknown[]>>) => Promise<void>): Promise<void> {
    const store = await Store.open(await freshDatabase());
    try {
      await store.db.exec('CREATE TABLE probe (id TEXT PRIMARY KEY, text TEXT, n BIGINT, x DOUBLE PRECISION, b INTEGER)');
      const read = async () =>
        new Map(
          (await store.db.all<{ id: string; text: string | null; n: number | null; x: number | null; b: number }>('SELECT id, text, n, x, b FROM probe')).map(
            ({ id, text, n, x, b }) => [id, [id, text, n, x, b === 1]],
          ),
        );
      await work(store, read);
    } finally {
      await store.close();
    }
  }
  const byId = (rows: unknown[][]) => new Map(rows.map((row) => [row[0], row]));

  it('keeps every text as it was, numbers, booleans and NULLs, as arrays, in a write too', () =>
    withProbe(async (store, read) => {
      const rows = probeRows('p');
      // Alone, then in a write with a statement left for later, which its arrays must not join as literals.
      expect(await store.db.runMany(insert, rows.slice(0, 6))).toEqual({ changes: 6 });
      await store.db.transaction(async () => {
        await store.db.runLater("INSERT INTO probe (id) VALUES ('plus-tard')");
        expect(await store.db.runMany(insert, rows.slice(6))).toEqual({ changes: rows.length - 6 });
      });
      expect(await read()).toEqual(byId([...rows, ['plus-tard', null, null, null, false]]));
    }));

  it('keeps every text as it was, numbers, booleans and NULLs, copied in after the statements left for later; a row not new fails the write', () =>
    withProbe(async (store, read) => {
      const rows = probeRows('p');
      await store.db.runMany(insert, [rows[0]!.map((value, index) => (index === 0 ? value : null))]);
      // The statement left for later removes the row the copy then adds: sent after it, the copy would meet its id.
      await store.db.transaction(async () => {
        await store.db.runLater("DELETE FROM probe WHERE id = 'p0'");
        // A value past the statement's columns is not the table's, as with `runMany`.
        await store.db.appendMany(
          insert,
          rows.map((row) => [...row, 'de trop']),
        );
      });
      expect(await read()).toEqual(byId(rows));
      // The caller vouched that the rows were new: a stored id is the server's refusal, not skipped, and nothing is written.
      await expect(store.db.transaction(() => store.db.appendMany(insert, [['neuf', 'x', null, null, 0], rows[1]!]))).rejects.toThrow(
        'appendMany: a row said to be new is not (probe: Key (id)=(p1) already exists.)',
      );
      expect(await read()).toEqual(byId(rows));
    }));

  // A write's partners are locked by the statement that reads their ids and computes their keys
  // (one round trip with its BEGIN and its read): each key must be the one cafsup computed in
  // JavaScript before, so that a server of either version keeps out the other's writes on a
  // partner. On a database whose text is not UTF-8, whose characters the statement cannot read,
  // they are computed in JavaScript still (review 29b, M3: a SQL_ASCII database let both write).
  for (const encoding of ['UTF8', 'SQL_ASCII'] as const) {
    it(`locks each partner a write names under the key computed in JavaScript before, then reads (${encoding})`, async () => {
      const url = await freshDatabase(encoding);
      const store = await Store.open(url);
      const watcher = new pg.Client({ connectionString: url });
      await watcher.connect();
      try {
        await store.db.exec('CREATE TABLE probe (id TEXT PRIMARY KEY, text TEXT, n BIGINT, x DOUBLE PRECISION, b INTEGER)');
        const partners = [...new Set(texts.filter((text): text is string => text !== null))];
        await store.db.runMany(insert, probeRows('p'));
        await store.db.transaction(async () => {
          const { locked, rows } = await store.db.lockPartners<{ id: string }>('SELECT text FROM probe WHERE text IS NOT NULL', 'SELECT id FROM probe', []);
          expect([locked, rows.length]).toEqual([new Set(partners), texts.length]);
          // The partners' lock space: 'cafs' + 1 (postgres.ts, LOCK_SPACE); its key is the lock's objid, unsigned.
          const held = await watcher.query<{ key: string }>("SELECT objid AS key FROM pg_locks WHERE locktype = 'advisory' AND classid = 1667327604");
          expect(new Set(held.rows.map((row) => Number(row.key)))).toEqual(new Set(partners.map((partner) => fnv1a64(partner)[0])));
        });
      } finally {
        await Promise.all([store.close(), watcher.end()]);
      }
    });
  }

  // Two writes naming the same partners never wait for each other in a circle: a write takes its
  // partners' keys in ascending order, so one held by another session is waited for with only
  // the lower ones held (review 29b, L2: the order rests on PostgreSQL taking the locks after the sort).
  it('takes a write’s partner locks in ascending order of their keys', async () => {
    const url = await freshDatabase();
    const local = createClient({ database: url, actor: PERSON });
    await local.dataset.import(buildDemoDataset({ partners: 12, today: '2026-11-22' }), { reason: 'Jeu de test' });
    await local.close();
    const store = await Store.open(url);
    const watcher = new pg.Client({ connectionString: url });
    const holder = new pg.Client({ connectionString: url });
    await Promise.all([watcher.connect(), holder.connect()]);
    try {
      const rows = await store.db.all<{ partner_id: string; id: string }>(
        "SELECT partner_id, MIN(id) AS id FROM habilitations WHERE status = 'active' GROUP BY partner_id",
      );
      // Signed, as the keys are taken (pg_locks shows them unsigned).
      const keys = rows.map((row) => fnv1a64(row.partner_id)[0] | 0).sort((a, b) => a - b);
      expect(keys.length).toBeGreaterThanOrEqual(10);
      const middle = keys[5]!;
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(1667327604, $1)', [middle]);
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const write = store.actions.habilitationAction(
        'suspend',
        rows.map((row) => row.id),
        { reason: 'Ordre des verrous' },
        PERSON,
      );
      const outcome = write.then(
        () => 'écrit',
        (error: unknown) => error,
      );
      const deadline = Date.now() + 15_000;
      let locks: { granted: boolean; key: string }[] = [];
      while (!locks.some((lock) => !lock.granted)) {
        if (Date.now() > deadline) throw new Error('la suspension n’a jamais attendu le verrou tenu');
        locks = (
          await watcher.query<{ granted: boolean; key: string }>(
            "SELECT granted, objid AS key FROM pg_locks WHERE locktype = 'advisory' AND classid = 1667327604 AND pid <> $1",
            [holderPid],
          )
        ).rows;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const keysOf = (granted: boolean) => new Set(locks.filter((lock) => lock.granted === granted).map((lock) => Number(lock.key) | 0));
      expect([keysOf(false), keysOf(true)]).toEqual([new Set([middle]), new Set(keys.slice(0, 5))]);
      await holder.query('COMMIT');
      expect(await outcome).toBe('écrit');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await Promise.all([watcher.end(), holder.end()]);
      await store.close();
    }
  });

  // A database made in French (ICU fr-FR; libc's fr_FR.UTF-8 orders these ids alike): ids in
  // byte order are not in its own order (« B-1 » < « a-2 » < « é-3 » byte by byte; « a-2 »,
  // « B-1 », « é-3 » in French), and a list's range must be taken in the column's.
  it('finds every id of a list read as its range, in a database whose own collation is French', async () => {
    const name = `cafsup_fr_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL! });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'fr-FR' LOCALE 'C.UTF-8'`);
    } finally {
      await admin.end();
    }
    const store = await Store.open(POSTGRES_URL!.replace(/\/postgres$/, `/${name}`));
    try {
      await store.db.exec(`CREATE TABLE probe (id TEXT COLLATE "C" PRIMARY KEY); INSERT INTO probe VALUES ('B-1'), ('a-2'), ('é-3'), ('b-4'), ('Z-5')`);
      const found = async (ids: string[]) =>
        (
          await store.db.all<{ id: string }>(`SELECT id FROM probe WHERE ${dialectOf(store.db).inValuesWithin('id', '@ids')} ORDER BY id`, {
            ids: JSON.stringify(ids),
          })
        ).map((row) => row.id);
      expect(await found(['a-2', 'B-1', 'é-3'])).toEqual(['B-1', 'a-2', 'é-3']);
      expect(await found(['Z-5', 'b-4'])).toEqual(['Z-5', 'b-4']);
      expect(await found([])).toEqual([]);
    } finally {
      await store.close();
    }
  });

  // What each statement that added users or habilitations was, as the server saw it: a trigger
  // of the test's own records the first word of what the client sent (`current_query()`: the
  // whole round trip, statements left for later included, which come first).
  it('copies an import’s users and habilitations into tables empty before it, vacuumed after it, and inserts them into tables that hold rows', async () => {
    const url = await freshDatabase();
    await (await Store.open(url)).close();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE TABLE test_statements (tbl TEXT NOT NULL, verb TEXT NOT NULL);
        CREATE FUNCTION test_seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          INSERT INTO test_statements VALUES (TG_TABLE_NAME, upper(split_part(ltrim(current_query()), ' ', 1))); RETURN NULL; END $$;
        CREATE TRIGGER users_seen AFTER INSERT ON users FOR EACH STATEMENT EXECUTE FUNCTION test_seen();
        CREATE TRIGGER habilitations_seen AFTER INSERT ON habilitations FOR EACH STATEMENT EXECUTE FUNCTION test_seen();
        CREATE TABLE other_application AS SELECT generate_series(1, 1000) AS n;`);
      const seen = async () => {
        const { rows } = await admin.query<{ tbl: string; verb: string }>('DELETE FROM test_statements RETURNING tbl, verb');
        return [...new Set(rows.map(({ tbl, verb }) => `${tbl} ${verb}`))].sort();
      };
      const client = createClient({ database: url, actor: PERSON });
      try {
        const document = buildDemoDataset({ partners: 6, today: '2026-11-22' });
        await client.dataset.import(document);
        expect(await seen()).toEqual(['habilitations COPY', 'users COPY']);
        // Vacuumed after the commit: every page loaded is marked all-visible, read by index alone.
        const { rows: pages } = await admin.query<{ relname: string; visible: boolean }>(
          "SELECT relname, relpages > 0 AND relallvisible = relpages AS visible FROM pg_class WHERE relname IN ('users', 'habilitations', 'conventions') ORDER BY relname",
        );
        expect(pages).toEqual(['conventions', 'habilitations', 'users'].map((relname) => ({ relname, visible: true })));
        // Every table of cafsup's, and only those: this test's own tables, beside them in the
        // schema as another application's would be, are left to their owner.
        const notVacuumed = async () =>
          (
            await admin.query<{ relname: string }>(
              'SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() AND (last_vacuum IS NULL OR last_analyze IS NULL) ORDER BY relname',
            )
          ).rows.map((row) => row.relname);
        expect(await notVacuumed()).toEqual(['other_application', 'test_statements']);
        // The same file again: every id is stored already, so each row goes by a statement that may meet it.
        // Meanwhile another session holds a table the import does not write: its VACUUM skips it rather than wait.
        const holder = new pg.Client({ connectionString: url });
        await holder.connect();
        try {
          await holder.query('BEGIN; LOCK TABLE tokens IN SHARE MODE');
          await client.dataset.import(document);
        } finally {
          await holder.end();
        }
        expect(await seen()).toEqual(['habilitations INSERT', 'users INSERT']);
      } finally {
        await client.close();
      }
    } finally {
      await admin.end();
    }
  });
});

describe.skipIf(POSTGRES_URL === null)('PostgreSQL: an action’s traces numbered with its commit', () => {
  /** A fresh database holding the demo's four partners. */
  async function demoDatabase(): Promise<string> {
    const url = await freshDatabase();
    const local = createClient({ database: url, actor: PERSON });
    await local.dataset.import(buildDemoDataset({ partners: 4, today: '2026-11-22' }), { reason: 'Jeu de test' });
    await local.close();
    return url;
  }

  // An action's few traces are numbered and hashed in SQL with its commit (traces.ts,
  // `appendInSql`), their numbers given until then as stand-ins (postgres.ts, `laterNumber`):
  // the answer, the answer stored under its key and the chain must hold the real numbers and the
  // hashes JavaScript computes, whatever the text, on a database in UTF-8 or not (whose
  // `convert_to` gives back the client's bytes), beside an action of more traces numbered in JavaScript.
  for (const encoding of ['UTF8', 'SQL_ASCII'] as const) {
    it(`numbers an action's traces with its commit: real numbers in its answer, in its replay and in a chain that verifies (${encoding})`, async () => {
      const server = new TestServer(await freshDatabase(encoding));
      await server.seed(buildDemoDataset({ partners: 4, today: '2026-11-22' }), PERSON);
      const token = await server.token(PERSON, 'supervisor', ['*']);
      await server.start();
      const reader = new pg.Client({ connectionString: server.database });
      await reader.connect();
      try {
        const active = (
          await reader.query<{ id: string }>("SELECT id FROM habilitations WHERE partner_id = 'amp' AND status = 'active' ORDER BY id LIMIT 12")
        ).rows.map((row) => row.id);
        expect(active).toHaveLength(12);
        const head = async () =>
          JSON.parse((await reader.query<{ value: string }>("SELECT value FROM meta WHERE key = 'trace_head'")).rows[0]!.value) as { id: number };
        const before = (await head()).id;
        const reason = "Contrôle « sur place » : l’agent \\ 😀 fin 'citée'";
        const suspend = (ids: string[], key: string) =>
          server.post('/v1/habilitations.suspend', JSON.stringify({ ids, options: { reason } }), token, { 'idempotency-key': key });
        // Three traces in SQL, then nine in JavaScript, then two in SQL again.
        const answers = [
          await suspend(active.slice(0, 3), 'cle-sql-1'),
          await suspend(active.slice(3, 12), 'cle-js'),
          await server.post('/v1/habilitations.reinstate', JSON.stringify({ ids: active.slice(0, 2), options: { reason } }), token, {
            'idempotency-key': 'cle-sql-2',
          }),
        ];
        expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
        const answered = answers.flatMap((answer) => (answer.body.changed as { id: string; traceId: number }[]).map((change) => [change.traceId, change.id]));
        expect(answered.map(([id]) => id)).toEqual(Array.from({ length: 14 }, (_, index) => before + 1 + index));
        const stored = (
          await reader.query<{ id: string; target_id: string; reason: string }>('SELECT id, target_id, reason FROM traces WHERE id > $1 ORDER BY id', [before])
        ).rows;
        expect(stored.map((row) => [Number(row.id), row.target_id])).toEqual(answered);
        expect(new Set(stored.map((row) => row.reason))).toEqual(new Set([reason]));
        expect((await head()).id).toBe(before + 14);
        // Replayed under their keys: the answers stored with the commit hold the real numbers too.
        const replayed = [await suspend(active.slice(0, 3), 'cle-sql-1'), await suspend(active.slice(3, 12), 'cle-js')];
        expect(replayed.map((answer) => [answer.status, answer.headers['idempotent-replay'], answer.body])).toEqual(
          answers.slice(0, 2).map((answer) => [200, 'true', answer.body]),
        );
        const verification = await server.post('/v1/traces.verify', '{}', token);
        expect(verification.body).toMatchObject({ ok: true, head: { id: before + 14 } });
      } finally {
        await reader.end();
        await server.stop();
      }
    });
  }

  // PostgreSQL keeps every setting a connection ever named for the connection's life (on 15, sorting
  // them all at each new one, the chain's head held): a setting named by its stand-in, a new name
  // for each trace, made a connection's writes ten times slower within 700 (review 30, H1).
  it('names a bounded set of settings for the numbers of traces appended in SQL, however many writes', async () => {
    const url = await demoDatabase();
    // One connection: every write on it, as a long-lived server's connection takes them.
    const store = await Store.open(url, { connections: 1 });
    const named = new Set<string>();
    const query = pg.Client.prototype.query;
    try {
      const ids = (await store.db.all<{ id: string }>("SELECT id FROM habilitations WHERE partner_id = 'amp' AND status = 'active' ORDER BY id LIMIT 3")).map(
        (row) => row.id,
      );
      const first = (await store.traceHead()).id;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
        for (const name of text?.match(/cafsup\.late_\d+/g) ?? []) named.add(name);
        return (query as (...rest: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      for (let index = 0; index < 20; index++) {
        const answer = await store.actions.habilitationAction(index % 2 === 0 ? 'suspend' : 'reinstate', ids, { reason: 'Contrôle' }, PERSON, true);
        expect(answer.changed).toHaveLength(3);
      }
      pg.Client.prototype.query = query;
      const verification = await store.verifyTraces({});
      expect(verification).toMatchObject({ ok: true, head: { id: first + 60 } });
    } finally {
      pg.Client.prototype.query = query;
      await store.close();
    }
    expect([...named].sort()).toEqual(['cafsup.late_0', 'cafsup.late_1', 'cafsup.late_2']);
  });

  // A stand-in whose statement a savepoint took with it before it was sent: read later from a
  // setting never set in the write, it was an empty text on a connection that had used that name
  // before (review 30b, L1). It stands for itself, a trace that never was, as JavaScript's number would.
  it('keeps a stand-in whose statement was undone as it is, in a text and as a number', async () => {
    const url = await demoDatabase();
    const store = await Store.open(url, { connections: 1 });
    try {
      const act = (action: 'suspend' | 'reinstate') => store.actions.habilitationAction(action, ['amp-h0001'], { reason: 'Contrôle' }, PERSON, true);
      // The connection has used the setting of a first number.
      await act('suspend');
      await act('reinstate');
      const undone = await store.db.transaction(async () => {
        let kept = 0;
        await store.db
          .transaction(async () => {
            kept = (await act('suspend')).changed[0]!.traceId!;
            throw new Error('défait');
          })
          .catch(() => undefined);
        await store.db.runLater('INSERT INTO meta (key, value) VALUES (?, ?)', ['essai_texte', JSON.stringify({ traceId: kept })]);
        await store.db.runLater('INSERT INTO meta (key, value) VALUES (?, CAST(? AS text))', ['essai_nombre', kept]);
        return kept;
      });
      const stored = await store.db.all<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'essai%' ORDER BY key");
      expect(stored).toEqual([
        { key: 'essai_nombre', value: String(undone) },
        { key: 'essai_texte', value: JSON.stringify({ traceId: undone }) },
      ]);
    } finally {
      await store.close();
    }
  });

  // Appended in SQL, a trace took a head of any form (review 30b, M1: a hash edited by hand was
  // chained onto; a head no JSON, or gone, an internal error or a change without its trace): it
  // reads only a head of the form cafsup writes, and refuses as the JavaScript path does, nothing written.
  it('refuses an action after a chain head edited by hand or gone, as the JavaScript path does, and writes nothing', async () => {
    const url = await demoDatabase();
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    const store = await Store.open(url);
    try {
      const { value: head } = (await raw.query<{ value: string }>("SELECT value FROM meta WHERE key = 'trace_head'")).rows[0]!;
      const point = JSON.parse(head) as { id: number; hash: string };
      const traces = async () => Number((await raw.query<{ n: string }>('SELECT COUNT(*) AS n FROM traces')).rows[0]!.n);
      const before = await traces();
      const edits = [
        `UPDATE meta SET value = '${head.replace(/"hash":"[0-9a-f]+"/, '"hash":"zz"')}' WHERE key = 'trace_head'`,
        "UPDATE meta SET value = 'pas du json' WHERE key = 'trace_head'",
        `UPDATE meta SET value = '{"hash":"${'0'.repeat(64)}"}' WHERE key = 'trace_head'`,
        // The same values in another form than cafsup writes: refused by both paths alike.
        `UPDATE meta SET value = '${JSON.stringify({ hash: point.hash, id: point.id })}' WHERE key = 'trace_head'`,
        `UPDATE meta SET value = '${head.replace(',', ', ')}' WHERE key = 'trace_head'`,
        // A number JavaScript cannot hold exactly (review 32, L3).
        `UPDATE meta SET value = '${JSON.stringify({ id: point.id, hash: point.hash }).replace(/"id":\d+/, '"id":9007199254740992')}' WHERE key = 'trace_head'`,
        "DELETE FROM meta WHERE key = 'trace_head'",
      ];
      for (const edit of edits) {
        await raw.query(edit);
        for (const whole of [true, false]) {
          await expect(
            store.actions.habilitationAction('suspend', ['amp-h0001'], { reason: 'Contrôle' }, PERSON, whole),
            `${edit} (${whole})`,
          ).rejects.toMatchObject({
            code: 'CONFLICT',
            message: expect.stringContaining('Tête de la chaîne des traces illisible dans la base (modifiée hors de cafsup) : rien n’a été écrit.'),
          });
        }
        const status = (await raw.query<{ status: string }>("SELECT status FROM habilitations WHERE id = 'amp-h0001'")).rows[0]!.status;
        expect([status, await traces()]).toEqual(['active', before]);
        // The walk names what the write refused.
        expect(await store.verifyTraces(), edit).toMatchObject({ ok: false });
      }
    } finally {
      await Promise.all([store.close(), raw.end()]);
    }
  });
});

describe.skipIf(POSTGRES_URL === null)('PostgreSQL: a write that cannot get its lock in time', () => {
  it('answers 503 « occupée » with Retry-After from the request’s deadline, and writes nothing', async () => {
    const server = new TestServer(await freshDatabase());
    await server.seed(buildDemoDataset({ partners: 4, today: '2026-11-22' }), PERSON);
    const token = await server.token(PERSON, 'supervisor', ['*']);
    await server.start({ requestTimeoutMs: 1000 });
    // Another session holds the chain's head, which every write locks before it commits.
    const blocker = new pg.Client({ connectionString: server.database });
    await blocker.connect();
    try {
      await blocker.query("BEGIN; SELECT value FROM meta WHERE key = 'trace_head' FOR UPDATE");
      const answer = await server.post(
        '/v1/habilitations.suspend',
        JSON.stringify({ ids: ['amp-h0012'], options: { reason: 'Écriture trop tardive' } }),
        token,
      );
      expect([answer.status, answer.body.error.code, answer.body.error.message]).toEqual([
        503,
        'UNAVAILABLE',
        expect.stringContaining('Base de données occupée'),
      ]);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      await blocker.query('ROLLBACK');
      const read = await server.post('/v1/habilitations.get', JSON.stringify({ id: 'amp-h0012' }), token);
      expect(read.body.status).toBe('active');
    } finally {
      await blocker.end();
      await server.stop();
    }
  });

  // A write whose process froze in its transaction kept its locks, and every write through every
  // other server answered « occupée » for as long as it stayed frozen (trial 33, 1).
  it('ends a write whose process stops talking inside its transaction, freeing its locks; a limit the URL sets is kept', async () => {
    const url = await freshDatabase();
    const seeding = createClient({ database: url, actor: PERSON });
    await seeding.dataset.import(buildDemoDataset({ partners: 4, today: '2026-11-22' }), { reason: 'Jeu de test' });
    await seeding.close();
    const frozen = await Store.open(`${url}?options=${encodeURIComponent('-c idle_in_transaction_session_timeout=1s')}`);
    const other = await Store.open(url);
    try {
      const limit = (store: Store) => store.db.transaction(() => store.db.value<string>("SELECT current_setting('idle_in_transaction_session_timeout')"));
      expect([await limit(other), await limit(frozen)]).toEqual(['15s', '1s']);
      // An import, whose input may pause, keeps the session's own limit: none, or the URL's.
      const importLimit = (store: Store) =>
        store.db.transaction(() => store.db.appending(() => store.db.value<string>("SELECT current_setting('idle_in_transaction_session_timeout')")));
      expect([await importLimit(other), await importLimit(frozen)]).toEqual(['0', '1s']);
      let othersDone: () => void = () => undefined;
      const afterOthers = new Promise<void>((resolve) => (othersDone = resolve));
      // In-process, a write that says nothing more after its first statement until the other's is done.
      let holding: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const stalled = frozen.db.transaction(async () => {
        await frozen.db.run("UPDATE habilitations SET status = 'revoked' WHERE id = 'amp-h0012'");
        holding();
        await afterOthers;
        await frozen.db.run('SELECT 1');
      });
      const outcome = stalled.then(
        () => 'committed',
        (error: unknown) => error,
      );
      // The other write starts once the frozen one holds its locks (the clean clone's run saw it come first).
      await Promise.race([held, outcome]);
      const suspended = await other.actions.habilitationAction('suspend', ['amp-h0012'], { reason: 'Contrôle' }, PERSON);
      othersDone();
      expect(suspended.changed.map((change) => change.id)).toEqual(['amp-h0012']);
      // Said as the server ended it: nothing of it was written.
      expect(await outcome).toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringContaining(
          ' : connexion fermée par le serveur : restée muette au milieu d’une transaction au-delà du délai (idle_in_transaction_session_timeout)',
        ),
      });
      expect(await other.db.value("SELECT status FROM habilitations WHERE id = 'amp-h0012'")).toBe('suspended');
    } finally {
      await Promise.all([frozen.close(), other.close()]);
    }
  });
});
