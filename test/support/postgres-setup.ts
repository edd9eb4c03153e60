import type { TestProject } from 'vitest/node';
import { startCluster } from './postgres-cluster.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The URL of the run's PostgreSQL cluster, or null when no PostgreSQL binary exists. */
    postgresUrl: string | null;
    /** The same cluster through its Unix socket (`postgres://postgres@/postgres?host=…`). */
    postgresSocketUrl: string | null;
  }
}

/** One cluster for the whole run; each test makes its own database in it (postgres.ts). */
export default async function setup(project: TestProject) {
  const cluster = await startCluster();
  project.provide('postgresUrl', cluster?.url ?? null);
  project.provide('postgresSocketUrl', cluster?.socketUrl ?? null);
  return () => cluster?.stop();
}
