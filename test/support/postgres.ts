import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';

/** The run's cluster (postgres-setup.ts), or null: the PostgreSQL tests then skip, and say so. */
export const POSTGRES_URL = inject('postgresUrl');
/** The same cluster through its Unix socket. */
export const POSTGRES_SOCKET_URL = inject('postgresSocketUrl');
if (POSTGRES_URL === null) console.warn('PostgreSQL absent (aucun pg_ctl) : les tests PostgreSQL sont ignorés. « apt-get install postgresql » les active.');

/** A new, empty database of the run's cluster, for one test: its URL. */
export async function freshDatabase(encoding?: 'UTF8' | 'SQL_ASCII'): Promise<string> {
  if (POSTGRES_URL === null) throw new Error('no PostgreSQL cluster');
  const name = `cafsup_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${encoding === undefined ? '' : ` TEMPLATE template0 ENCODING '${encoding}' LOCALE 'C'`}`);
  } finally {
    await admin.end();
  }
  return POSTGRES_URL.replace(/\/postgres$/, `/${name}`);
}

/** The engines a test runs on: SQLite on a file of its own (no URL: the test's own file), and PostgreSQL on a fresh database of the run's cluster when there is one. */
export const ENGINES: [engine: 'SQLite' | 'PostgreSQL', database: () => Promise<string | undefined>][] = [
  ['SQLite', () => Promise.resolve(undefined)],
  ...(POSTGRES_URL === null ? [] : [['PostgreSQL', freshDatabase] as ['PostgreSQL', () => Promise<string | undefined>]]),
];
