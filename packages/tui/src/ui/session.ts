import { createContext, useContext } from 'react';
import type { Actor, CalendarDate } from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';

/** Where the data comes from and who acts: decided at the edge (the CLI entry), read by every screen. */
export interface Session {
  client: CafsupClient;
  /** The file path or the server URL, shown in the status bar. */
  source: string;
  actor: Actor | null;
  /** An auditor sees no action keys. */
  canWrite: boolean;
  today: CalendarDate;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('SessionContext manquant');
  return session;
}
