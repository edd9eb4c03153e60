import { useEffect, useRef, useState } from 'react';
import type { CafsupClient } from '@cafsup/sdk';

export interface Freshness {
  /** Changes whenever the data should be read again: `r`, an action, or a change by someone else. */
  revision: number;
  /** When the data on screen was read. */
  readAt: Date;
  reload(): void;
}

/** How often the trail head is read to notice another writer. */
export const REFRESH_EVERY_MS = 3000;

/**
 * Notices data changed by others: every write leaves a trace, so the newest trace id moves
 * with any change, whoever made it — in this process, another `cafsup` on the same file, or
 * another user of the same server. One small read every few seconds, the same locally and
 * remotely; a failed read changes nothing on screen.
 */
export function useFreshness(client: CafsupClient, clock: () => Date, everyMs: number = REFRESH_EVERY_MS): Freshness {
  const [state, setState] = useState({ revision: 0, readAt: clock() });
  const head = useRef<number | null | undefined>(undefined);

  const readHead = async (): Promise<number | null> => (await client.traces.list({ limit: 1 })).items[0]?.id ?? null;
  const bump = () => setState((current) => ({ revision: current.revision + 1, readAt: clock() }));

  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async () => {
      try {
        const latest = await readHead();
        if (stopped) return;
        if (head.current !== undefined && latest !== head.current) bump();
        head.current = latest;
      } catch {
        // A server that does not answer: the status bar's time of data says how old the screen is.
      }
      if (!stopped) timer = setTimeout(() => void poll(), everyMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // readHead and bump come from the client: the poll restarts only with a new client or period.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, everyMs]);

  return {
    ...state,
    reload() {
      bump();
      // Our own write (an action) moved the head: it must not count as someone else's change.
      readHead().then(
        (latest) => (head.current = latest),
        () => undefined,
      );
    },
  };
}
