// The state machines of habilitations and users (rules.md, "Actions"): what each action does to
// one entity, or why it is refused or changes nothing. Pure, so that the store, a dry run and
// any other engine decide alike.

/** What an action decides for one entity. */
export type Decision<V> = { after: V } | { unchanged: string } | { refused: string };

/** The fields of a habilitation that its actions change. */
export interface HabilitationStateView {
  status: string;
  suspendedAt: string | null;
  revokedAt: string | null;
}

export type HabilitationAction = 'suspend' | 'reinstate' | 'revoke';

/** `at` is the instant of the action (an ISO timestamp). */
export function habilitationTransition(action: HabilitationAction, current: HabilitationStateView, at: string): Decision<HabilitationStateView> {
  switch (action) {
    case 'suspend':
      // A precautionary suspension (contrat art. 2.2.1) keeps the place: only revocation frees it.
      if (current.status === 'revoked') return { refused: 'habilitation dévalidée' };
      if (current.status === 'suspended') return { unchanged: 'déjà suspendue' };
      return { after: { status: 'suspended', suspendedAt: at, revokedAt: null } };
    case 'reinstate':
      if (current.status !== 'suspended') return { refused: current.status === 'revoked' ? 'habilitation dévalidée' : 'habilitation non suspendue' };
      return { after: { status: 'active', suspendedAt: null, revokedAt: null } };
    case 'revoke':
      if (current.status === 'revoked') return { refused: 'déjà dévalidée' };
      return { after: { status: 'revoked', suspendedAt: null, revokedAt: at } };
  }
}

/** The fields of a user that its actions change. */
export interface UserStateView {
  status: string;
  mustChangePassword: boolean;
}

export type UserAction = 'suspend' | 'reinstate' | 'forcePasswordReset';

export function userTransition(action: UserAction, current: UserStateView): Decision<UserStateView> {
  // A disabled user is gone from MCP: nothing more can be done to the account.
  if (current.status === 'disabled') return { refused: 'utilisateur désactivé' };
  switch (action) {
    case 'suspend':
      return current.status === 'suspended' ? { unchanged: 'déjà suspendu' } : { after: { ...current, status: 'suspended' } };
    case 'reinstate':
      return current.status === 'active' ? { unchanged: 'déjà actif' } : { after: { ...current, status: 'active' } };
    case 'forcePasswordReset':
      return current.mustChangePassword ? { unchanged: 'changement de mot de passe déjà demandé' } : { after: { ...current, mustChangePassword: true } };
  }
}
