/** A running PostgreSQL cluster (postgres-cluster.mjs). */
export interface Cluster {
  /** The `postgres` database of the cluster, as superuser. */
  url: string;
  /** The same database through the cluster's Unix socket (`postgres://postgres@/postgres?host=FOLDER&port=N`). */
  socketUrl: string;
  /** `postgres --version` of the binaries used. */
  version: string;
  /** Stops the server at once, as a crash would (its clients' connections cut). */
  down(): void;
  /** Starts it again, on the same port. */
  up(): void;
  /** Stops every process of the server (SIGSTOP), as a frozen host would: connections stay open, nothing answers. */
  freeze(): void;
  /** Lets them go on (SIGCONT). */
  thaw(): void;
  stop(): void;
}

export interface ClusterOptions {
  /** Server settings (`-c name=value`) over the defaults (fsync off, 200 connections). */
  settings?: Record<string, string>;
}

/** A new cluster in a temporary directory on a free port, or null when no PostgreSQL binary exists. */
export function startCluster(options?: ClusterOptions): Promise<Cluster | null>;
