import { createContext, useContext, useEffect, useRef, useState } from 'react';
import { toCafsupError, type CafsupError } from '@cafsup/shared';
import { SLOW_AFTER_MS } from '../components/Spinner.js';

export interface AsyncState<T> {
  data: T | undefined;
  loading: boolean;
  /** Loading for longer than a moment (a lock, a slow server): the screen says so and Échap cancels. */
  slow: boolean;
  error: CafsupError | null;
}

/** The loads that are slow now, each with its cancel: Échap calls them. */
export const SlowLoadsContext = createContext<Set<() => void> | null>(null);

/**
 * Runs `load` whenever `deps` change, keeping the last data on screen while the next load
 * runs (tui.md: a spinner and the last data stay visible); a stale or cancelled answer is
 * dropped. Nothing waits on the answer: keys keep working while it comes.
 */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const slowLoads = useContext(SlowLoadsContext);
  const [state, setState] = useState<AsyncState<T>>({ data: undefined, loading: true, slow: false, error: null });
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true, slow: false }));
    const cancel = () => {
      generation.current += 1;
      setState((previous) => ({ ...previous, loading: false, slow: false }));
    };
    const timer = setTimeout(() => {
      if (mine !== generation.current) return;
      slowLoads?.add(cancel);
      setState((previous) => ({ ...previous, slow: true }));
    }, SLOW_AFTER_MS);
    const settle = (next: (previous: AsyncState<T>) => AsyncState<T>) => {
      clearTimeout(timer);
      slowLoads?.delete(cancel);
      if (mine === generation.current) setState(next);
    };
    load().then(
      (data) => settle(() => ({ data, loading: false, slow: false, error: null })),
      (error: unknown) => settle((previous) => ({ data: previous.data, loading: false, slow: false, error: toCafsupError(error) })),
    );
    return () => {
      clearTimeout(timer);
      slowLoads?.delete(cancel);
    };
    // The caller names what the load depends on, as with useEffect itself.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}
