// Plain JavaScript (typed by postgres-cluster.d.mts) so that both the TypeScript tests and the
// benchmarks (bench/national.mjs, run by plain Node without a build step) start their cluster
// with the same code.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Settings of a test cluster: fsync off, since a test cluster's durability is not under test
 * (the crash test kills the client, not the server); a benchmark passes `fsync: 'on'` to measure
 * what a deployment pays.
 */
const DEFAULT_SETTINGS = { fsync: 'off', max_connections: '200' };

function binaries() {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+$/.test(name) && Number(name) >= 15 && existsSync(join(root, name, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? null : join(found, '..');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real PostgreSQL cluster (pitfalls.md): `initdb` and `pg_ctl` on a temporary directory and a
 * free port, as an unprivileged user when run as root (PostgreSQL refuses root), stopped by
 * `stop()`. No binary: null, and the callers that need it say they skip.
 */
export async function startCluster({ settings = {} } = {}) {
  const bin = binaries();
  if (bin === null) return null;
  const dir = mkdtempSync(join(tmpdir(), 'cafsup-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  // `nobody` owns the cluster when run as root.
  if (root) chownSync(dir, 65534, 65534);
  const as = (command, args) =>
    execFileSync(root ? 'runuser' : join(bin, command), root ? ['-u', 'nobody', '--', join(bin, command), ...args] : args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    });
  as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = Object.entries({ ...DEFAULT_SETTINGS, ...settings }).map(([name, value]) => `-c ${name}=${value}`);
  const start = () =>
    as('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', ...options].join(' '), '-w', 'start']);
  start();
  // The postmaster (first line of postmaster.pid) and its children (their parent in /proc/PID/stat).
  const signalAll = (signal) => {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const parentOf = (pid) => {
      try {
        return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1).split(' ')[1]);
      } catch {
        return null;
      }
    };
    const children = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name) && parentOf(name) === postmaster)
      .map(Number);
    for (const pid of [postmaster, ...children]) {
      try {
        process.kill(pid, `SIG${signal}`);
      } catch (error) {
        // A backend that ended meanwhile.
        if (error.code !== 'ESRCH') throw error;
      }
    }
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** The same database through the cluster's Unix socket: the host, a folder, in the query, as libpq and node-postgres take it. */
    socketUrl: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    version: execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim(),
    /** Stops the server at once, as a crash would (its clients' connections cut); `up()` starts it again. */
    down() {
      as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    },
    up() {
      start();
    },
    /** Stops every process of the server (SIGSTOP), as a frozen host would: connections stay open, nothing answers. */
    freeze() {
      signalAll('STOP');
    },
    /** Lets them go on (SIGCONT). */
    thaw() {
      signalAll('CONT');
    },
    stop() {
      try {
        // A server left frozen by a failed test would not hear pg_ctl (none running: nothing to do).
        if (existsSync(join(data, 'postmaster.pid'))) signalAll('CONT');
        as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
