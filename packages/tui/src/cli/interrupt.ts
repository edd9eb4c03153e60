/**
 * Who takes Ctrl-C (SIGINT). By default the process ends at once (130, main.ts); `serve` takes the
 * next one for a clean stop (its requests finished, its checkpoint signed), and a second one ends
 * it at once. A flag of its own, not a count of the process's listeners: Ink's exit hooks listen too.
 */
let taker: (() => void) | null = null;

/** The next Ctrl-C calls `stop` instead of ending the process. */
export function takeNextInterrupt(stop: () => void): void {
  taker = stop;
}

/** Hands a Ctrl-C to whoever took it; false when no one did. */
export function handOverInterrupt(): boolean {
  const stop = taker;
  taker = null;
  stop?.();
  return stop !== null;
}
