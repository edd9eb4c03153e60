import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real PostgreSQL cluster for the tests (pitfalls.md): `initdb` and `pg_ctl` on a temporary
 * directory and a free port, as an unprivileged user when the tests run as root (PostgreSQL
 * refuses root), stopped at the end. No binary: null, and the tests that need it say they skip.
 */
export interface Cluster {
  url: string;
  stop(): void;
}

function binaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+$/.test(name) && Number(name) >= 15 && existsSync(join(root, name, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0]!, 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? null : join(found, '..');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startCluster(): Promise<Cluster | null> {
  const bin = binaries();
  if (bin === null) return null;
  const dir = mkdtempSync(join(tmpdir(), 'cafsup-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  // `nobody` owns the cluster when the tests run as root.
  if (root) chownSync(dir, 65534, 65534);
  const as = (command: string, args: string[]) =>
    execFileSync(root ? 'runuser' : join(bin, command), root ? ['-u', 'nobody', '--', join(bin, command), ...args] : args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    });
  as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  as('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    // fsync off: a test cluster's durability is not under test (the crash test kills the client, not the server).
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    '-w',
    'start',
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
