import { createContext, useContext } from 'react';
import type { Actor, CalendarDate } from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
import type { DashboardAhead } from './dashboard-data.js';

/** Where the data comes from and who acts: decided at the edge (the CLI entry), read by every screen. */
export interface Session {
  client: CafsupClient;
  /** The file path or the server URL, shown in the status bar. */
  source: string;
  actor: Actor | null;
  /** False for an auditor token or a read-only file: no action key is offered. */
  canWrite: boolean;
  today: CalendarDate;
  /** The clock of « données de HH:MM »; tests pass a fixed one. */
  clock?: () => Date;
  /** How often to look for changes made by others (milliseconds). */
  refreshEveryMs?: number;
  /** The dashboard's data, asked for before the interface's code was loaded (`cafsup`). */
  dashboardAhead?: DashboardAhead;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('SessionContext manquant');
  return session;
}
