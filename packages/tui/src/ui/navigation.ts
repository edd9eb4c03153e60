import { createContext, useContext } from 'react';
import type { CalendarDate, Flag, Group, RequestKind, Trace } from '@cafsup/shared';
import type { CurrentValues } from '../record-forms.js';

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
  | { kind: 'avenant'; partnerId: string }
  | WorkflowRequest
  | RecordRequest;

/**
 * The records the Caf writes without a form (workflows.md §1). An edit carries the record's
 * current values when the screen has them (the dialog offers them); a `:` command has only the id.
 */
export type RecordRequest =
  | { kind: 'userCreate'; partnerId: string }
  | { kind: 'userEdit'; userId: string; current?: CurrentValues }
  | { kind: 'groupCreate'; partnerId: string }
  | { kind: 'groupEdit'; groups: { id: string; current?: Group }[] }
  | { kind: 'habilitationCreate'; partnerId: string; /** The holder proposed: the user under the cursor. */ holder?: string }
  | { kind: 'partnerCreate' }
  | { kind: 'partnerEdit'; partnerId: string; current?: CurrentValues }
  | { kind: 'conventionEdit'; partnerId: string; current?: CurrentValues };

/** A numbered record a workflow step acts on (a form, a question), as a choice of the dialog. */
export interface Numbered {
  number: number;
  label: string;
}

/** The supervision workflows' steps (workflows.md): each a dialog with its dry run and reason. */
export type WorkflowRequest =
  | { kind: 'requestAdd'; partnerId: string; requestKind?: RequestKind }
  | { kind: 'requestDecision'; partnerId: string; decision: 'apply' | 'refuse'; requests: Numbered[] }
  | { kind: 'questionAdd'; partnerId: string }
  | { kind: 'incident'; partnerId: string }
  | { kind: 'questionAnswer'; partnerId: string; questions: Numbered[] }
  | { kind: 'notice'; partnerId: string; notice: 'breach' | 'unilateral' }
  | { kind: 'remedy'; partnerId: string }
  | { kind: 'closeOut'; partnerId: string }
  | { kind: 'personExtract'; userId: string };

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
