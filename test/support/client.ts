import { join } from 'node:path';
import { CafsupError, createClient, type CafsupClient } from '@cafsup/sdk';
import { ACTOR } from './fixture.js';
import { TemporaryFolder } from './temporary-folder.js';

export interface TestClient {
  client: CafsupClient;
  database: string;
  dir: string;
  cleanup(): Promise<void>;
}

/** A client on a fresh SQLite file in a temporary folder (or on `database`, a PostgreSQL URL), with a fixed clock. */
export async function openClient(options: { now?: string; dataset?: Record<string, unknown>; database?: string } = {}): Promise<TestClient> {
  const folder = new TemporaryFolder('cafsup-test-');
  const database = options.database ?? join(folder.path, 'cafsup.db');
  const now = new Date(options.now ?? '2026-11-22T10:00:00Z');
  const client = createClient({ database, actor: ACTOR, now: () => now });
  const cleanup = async () => {
    await client.close();
    folder.remove();
  };
  try {
    if (options.dataset !== undefined) await client.dataset.import(options.dataset);
  } catch (error) {
    // A dataset refused leaves the test no client to clean up: its folder would stay.
    await cleanup();
    throw error;
  }
  return {
    client,
    database,
    get dir() {
      return folder.path;
    },
    cleanup,
  };
}

/** The CafsupError a promise is refused with; fails the test when it is not refused. */
export async function refusalOf(promise: Promise<unknown>): Promise<CafsupError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CafsupError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
