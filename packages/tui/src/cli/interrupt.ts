/**
 * Ends the process by `signal`'s own default action, at once: the shell reads 128 + its number
 * (130 for Ctrl-C, 143 for SIGTERM). Not `process.exit`: it ends the store's threads, and one
 * ended inside SQLite aborted the whole process (« FATAL ERROR: v8::ToLocalChecked », exit 134:
 * trials 26 and 27). A command with no listener of its own is ended so by the system itself, even
 * while SQLite holds its thread (a write waiting for another process's lock): plain commands
 * listen to no signal for that reason.
 */
export function endBySignal(signal: NodeJS.Signals): never {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Not reached once the signal is delivered; if it were not, the usual way.
  process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
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
        process.once(name, () => endBySignal(name));
      }
      resolve(signal);
    };
    for (const name of STOPS) process.on(name, first);
  });
}
