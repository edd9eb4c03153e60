import { createContext, useContext } from 'react';
import type { CalendarDate, Flag, Trace } from '@cafsup/shared';

export const PARTNER_TABS = ['synthese', 'quotas', 'habilitations', 'utilisateurs', 'alertes', 'avenants', 'revues', 'traces'] as const;
export type PartnerTab = (typeof PARTNER_TABS)[number];

export type Route =
  | { screen: 'dashboard' }
  | { screen: 'partners' }
  | { screen: 'partner'; partnerId: string; tab: PartnerTab; focusId?: string }
  | { screen: 'alerts' }
  | { screen: 'traces' }
  | { screen: 'search'; query: string }
  | { screen: 'workflows'; partnerId: string };

/** What an action dialog is asked to do (`scope` says which rows, for a bulk action); the dialog's hook owns the SDK calls. */
export type ActionRequest =
  | { kind: 'habilitations'; action: 'suspend' | 'reinstate' | 'revoke'; ids: string[]; scope?: string }
  | { kind: 'users'; action: 'suspend' | 'reinstate' | 'forcePasswordReset'; ids: string[]; scope?: string }
  | { kind: 'withdrawDelegation'; partnerId: string }
  | { kind: 'review'; partnerId: string }
  | { kind: 'avenant'; partnerId: string };

/** What `Entrée` opens on a row: its detail, loaded by the detail's own hook (a group's habilitation shows the group). */
export type DetailRequest =
  { kind: 'user'; id: string } | { kind: 'habilitation'; id: string } | { kind: 'flag'; flag: Flag } | { kind: 'trace'; trace: Trace };

/** What screens may ask of the application: move, open a dialog or a detail, tell the user something. */
export interface Navigation {
  push(route: Route): void;
  replace(route: Route): void;
  back(): void;
  act(request: ActionRequest): void;
  detail(request: DetailRequest): void;
  notify(message: string, tone?: 'info' | 'error'): void;
  /** The evaluation date (`:date`), undefined for today. */
  asOf: CalendarDate | undefined;
  /** Changes after every action, `r`, and a change by someone else, so that lists reload. */
  revision: number;
  /** False while a dialog, a detail, the help or the command line has the keyboard. */
  active: boolean;
}

export const NavigationContext = createContext<Navigation | null>(null);

export function useNavigation(): Navigation {
  const navigation = useContext(NavigationContext);
  if (navigation === null) throw new Error('NavigationContext manquant');
  return navigation;
}
