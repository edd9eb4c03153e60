/** What the shell reads after Ctrl-C (128 + SIGINT's number): a question given up, the interface quit by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** Shows the terminal's cursor again (a prompt or the interface hid it). */
export const SHOW_CURSOR = '\u001b[?25h';

/**
 * Ends the process by `signal`'s own default action, at once: the shell reads 128 + its number
 * (130 for Ctrl-C, 143 for SIGTERM). Not `process.exit`: it ends the store's threads, and one
 * ended inside SQLite aborted the whole process (« FATAL ERROR: v8::ToLocalChecked », exit 134:
 * trials 26 and 27). A command with no listener of its own is ended so by the system itself, even
 * while SQLite holds its thread (a write waiting for another process's lock): plain commands
 * listen to no signal for that reason.
 */
export function endBySignal(signal: NodeJS.Signals): never {
  removeUnfinishedFiles();
  // The terminal as it was: a signal's own end does not reset it, and a prompt or the interface
  // left it raw, without echo or Ctrl-C (review 27b).
  try {
    if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
  } catch {
    // A terminal already gone (SIGHUP: its window closed) has nothing to give back.
  }
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Not reached once the signal is delivered; if it were not, the usual way.
  process.exit(128 + process.getBuiltinModule('node:os').constants.signals[signal]);
}

/** Files still being written aside, removed by `endBySignal` and by the interface's crash: no `finally` runs when a signal or `process.exit` ends the process. */
const unfinishedFiles = new Set<string>();

/**
 * Until the returned function is called, `path` is removed if a signal or Ctrl-C ends the process
 * (`endBySignal`): the interface's `e` writes its file aside while the interface answers keys,
 * and one left that way its hidden file in the user's folder, the list's rows in it (review 43c).
 */
export function removedIfEnded(path: string): () => void {
  unfinishedFiles.add(path);
  return () => unfinishedFiles.delete(path);
}

/** Removes the files `removedIfEnded` holds, as `endBySignal` does before the process ends. */
export function removeUnfinishedFiles(): void {
  for (const path of unfinishedFiles) {
    try {
      process.getBuiltinModule('node:fs').rmSync(path, { force: true });
    } catch {
      // Ending anyway: a file that cannot be removed is left, as it would have been.
    }
  }
  unfinishedFiles.clear();
}

const STOPS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

/**
 * `serve`'s stop: the first SIGTERM, SIGHUP or Ctrl-C starts it (its requests finished, its
 * checkpoint signed); any of them again then ends the process at once (trial 27: after a
 * SIGTERM, a first Ctrl-C did nothing).
 */
export function stopAsked(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      for (const name of STOPS) {
        process.off(name, first);
        process.once(name, () => {
          process.stderr.write(`Arrêt immédiat (${name} pendant l’arrêt) : les requêtes en cours sont coupées, sans point de contrôle final.\n`);
          endBySignal(name);
        });
      }
      resolve(signal);
    };
    for (const name of STOPS) process.on(name, first);
  });
}

/**
 * Until the returned function is called, a stop signal runs `before`, then ends the process as
 * its default action would (`endBySignal`). Only where the main thread cannot be inside SQLite
 * waiting for another process's lock: that is why plain commands listen to no signal.
 */
export function endingOnStop(before: () => void): () => void {
  const end = (signal: NodeJS.Signals) => {
    try {
      before();
    } finally {
      endBySignal(signal);
    }
  };
  for (const signal of STOPS) process.on(signal, end);
  return () => {
    for (const signal of STOPS) process.off(signal, end);
  };
}

/**
 * Removes `folder` before a stop ends the process: what a plain command made for itself alone
 * (a dry run's store), listened for while it exists. Its store is this process's own, so no
 * other process's lock holds the main thread meanwhile. Returns what stops listening.
 */
export function removedOnStop(folder: string): () => void {
  return endingOnStop(() => process.getBuiltinModule('node:fs').rmSync(folder, { recursive: true, force: true }));
}

/**
 * A question at the terminal, the stop signals listened for meanwhile: the main thread is not
 * inside SQLite then, and the prompt's terminal (raw, its cursor hidden) is given back before
 * the signal ends the process. Without it, a prompt library's own listener ended the process
 * with the terminal still raw (review 27b).
 */
export async function whileAsking<T>(ask: () => Promise<T>): Promise<T> {
  // A choice's prompt hides the cursor.
  const stopListening = endingOnStop(() => {
    if (process.stdout.isTTY) process.stdout.write(SHOW_CURSOR);
  });
  try {
    return await ask();
  } finally {
    stopListening();
  }
}
