import { Worker } from 'node:worker_threads';
import { workerFile } from './file.js';

/** The readers of the interface's store (PooledTransport), beside its writer. */
export const POOLED_READERS = 1;

/** Store workers started before any pool asked for one, oldest first. */
const started: Worker[] = [];

function startWorker(): Worker {
  return new Worker(workerFile('store-worker'));
}

/**
 * Starts the interface's store workers ahead (`@cafsup/sdk/warm`): each loads its code, most of
 * a worker's start, on another core while the interface loads its own and draws its first frame;
 * the pool then takes them (`storeWorker`) and they only open the file. They hold the process
 * open only once taken.
 */
export function warmStoreWorkers(count = 1 + POOLED_READERS): void {
  while (started.length < count) {
    const worker = startWorker();
    worker.unref();
    started.push(worker);
  }
}

/** A worker started ahead, else a new one. */
export function storeWorker(): Worker {
  const worker = started.shift();
  if (worker === undefined) return startWorker();
  worker.ref();
  return worker;
}

/** Ends the workers started ahead that no pool took: the store was a server or PostgreSQL. */
export async function releaseWarmWorkers(): Promise<void> {
  await Promise.all(started.splice(0).map((worker) => worker.terminate()));
}
