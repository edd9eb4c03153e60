import { useEffect, useRef, useState } from 'react';
import { toCafsupError, type CafsupError } from '@cafsup/shared';

export interface AsyncState<T> {
  data: T | undefined;
  loading: boolean;
  error: CafsupError | null;
}

/**
 * Runs `load` whenever `deps` change, keeping the last data on screen while the next load
 * runs (tui.md: a spinner and the last data stay visible); a stale answer is dropped.
 */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ data: undefined, loading: true, error: null });
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => {
        if (mine === generation.current) setState({ data, loading: false, error: null });
      },
      (error: unknown) => {
        if (mine === generation.current) setState((previous) => ({ data: previous.data, loading: false, error: toCafsupError(error) }));
      },
    );
    // The caller names what the load depends on, as with useEffect itself.
  }, deps);
  return state;
}
