import type { Worker } from 'node:worker_threads';
import { workerFile } from './file.js';

/** The readers of the interface's store (PooledTransport), beside its writer. */
export const POOLED_READERS = 1;

/** Store workers started before any pool asked for one, oldest first, each with its listener of an early end. */
const started: { worker: Worker; ended: () => void }[] = [];

// node:worker_threads loads with the first worker, not with this module: every command loads it
// (the SDK's index, through pool.ts), and only the server and the interface start workers.
function startWorker(): Worker {
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  return new Worker(workerFile('store-worker'));
}

/**
 * Starts the interface's store workers ahead (`@cafsup/sdk/warm`): each loads its code, most of
 * a worker's start, on another core while the interface loads the SDK; the pool then takes them
 * (`storeWorker`) and they only open the file. They hold the process open only once taken.
 */
export function warmStoreWorkers(): void {
  while (started.length < 1 + POOLED_READERS) {
    const worker = startWorker();
    worker.unref();
    // One that fails while no pool has it (its code replaced by a build meanwhile, no memory) is
    // dropped rather than left to crash the process: the pool starts a fresh one, whose failure it reports.
    const ended = () => {
      const index = started.findIndex((entry) => entry.worker === worker);
      if (index !== -1) started.splice(index, 1);
    };
    worker.once('error', ended).once('exit', ended);
    started.push({ worker, ended });
  }
}

/** A worker started ahead, else a new one. */
export function storeWorker(): Worker {
  const entry = started.shift();
  if (entry === undefined) return startWorker();
  entry.worker.off('error', entry.ended).off('exit', entry.ended);
  entry.worker.ref();
  return entry.worker;
}

/** Ends the workers started ahead that no pool took (a server, PostgreSQL, a store that did not open). */
export async function releaseWarmWorkers(): Promise<void> {
  await Promise.all(started.splice(0).map(({ worker }) => worker.terminate()));
}
