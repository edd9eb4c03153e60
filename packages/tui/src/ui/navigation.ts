import { createContext, useContext } from 'react';
import type { CalendarDate } from '@cafsup/shared';

export const PARTNER_TABS = ['synthese', 'quotas', 'habilitations', 'utilisateurs', 'alertes', 'avenants', 'revues', 'traces'] as const;
export type PartnerTab = (typeof PARTNER_TABS)[number];

export type Route =
  | { screen: 'dashboard' }
  | { screen: 'partners' }
  | { screen: 'partner'; partnerId: string; tab: PartnerTab; focusId?: string }
  | { screen: 'alerts' }
  | { screen: 'traces' }
  | { screen: 'workflows'; partnerId: string };

/** What an action dialog is asked to do; the dialog's hook owns the SDK calls. */
export type ActionRequest =
  | { kind: 'habilitations'; action: 'suspend' | 'reinstate' | 'revoke'; ids: string[] }
  | { kind: 'users'; action: 'suspend' | 'reinstate' | 'forcePasswordReset'; ids: string[] }
  | { kind: 'withdrawDelegation'; partnerId: string }
  | { kind: 'review'; partnerId: string }
  | { kind: 'avenant'; partnerId: string };

/** What screens may ask of the application: move, open a dialog, tell the user something. */
export interface Navigation {
  push(route: Route): void;
  replace(route: Route): void;
  back(): void;
  act(request: ActionRequest): void;
  notify(message: string, tone?: 'info' | 'error'): void;
  /** While a screen edits text (a filter), global keys such as `q` are letters. */
  setCapturing(capturing: boolean): void;
  /** The evaluation date (`:date`), undefined for today. */
  asOf: CalendarDate | undefined;
  /** Changes after every action, so that lists reload. */
  revision: number;
  /** False while a dialog, the help or the command line has the keyboard. */
  active: boolean;
}

export const NavigationContext = createContext<Navigation | null>(null);

export function useNavigation(): Navigation {
  const navigation = useContext(NavigationContext);
  if (navigation === null) throw new Error('NavigationContext manquant');
  return navigation;
}
