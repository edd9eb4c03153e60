import { SEVERITY_LABELS, ruleDefinition, type Flag } from '@cafsup/shared';
import type { ActionRequest, Route } from './navigation.js';

/** Where a flag leads: the partner's tab and row that the flag is about. */
export function routeOfFlag(flag: Flag): Route {
  const base = { screen: 'partner' as const, partnerId: flag.partnerId };
  if ('habilitationId' in flag) return { ...base, tab: 'habilitations', focusId: flag.habilitationId };
  if ('userId' in flag) return { ...base, tab: 'utilisateurs', focusId: flag.userId };
  if (flag.rule === 'SHARED_EMAIL') return { ...base, tab: 'utilisateurs', focusId: flag.userIds[0]! };
  if (flag.rule === 'QUOTA_EXCEEDED') return { ...base, tab: 'quotas' };
  return { ...base, tab: 'synthese' };
}

/** The habilitations and users a flag names: what `s`, `x` and `p` act on from an alert. */
export function targetsOfFlag(flag: Flag): { habilitations: string[]; users: string[] } {
  if ('habilitationId' in flag) return { habilitations: [flag.habilitationId], users: [] };
  if ('userId' in flag) return { habilitations: [], users: [flag.userId] };
  if (flag.rule === 'SHARED_EMAIL') return { habilitations: [], users: flag.userIds };
  if (flag.rule === 'QUOTA_EXCEEDED') return { habilitations: [], users: flag.excessUserIds };
  return { habilitations: [], users: [] };
}

/**
 * The action of `s` (suspend), `x` (revoke) or `p` (password) on the flags selected: on their
 * habilitations when they name some, otherwise on their users; a sentence saying why when
 * nothing fits.
 */
export function actionOnFlags(flags: readonly Flag[], command: 'suspend' | 'revoke' | 'password'): ActionRequest | string {
  const habilitations = [...new Set(flags.flatMap((flag) => targetsOfFlag(flag).habilitations))];
  const users = [...new Set(flags.flatMap((flag) => targetsOfFlag(flag).users))];
  if (command === 'revoke')
    return habilitations.length > 0
      ? { kind: 'habilitations', action: 'revoke', ids: habilitations }
      : 'Ces alertes ne portent sur aucune habilitation à dévalider.';
  if (command === 'password')
    return users.length > 0 ? { kind: 'users', action: 'forcePasswordReset', ids: users } : 'Ces alertes ne portent sur aucun utilisateur.';
  if (habilitations.length > 0) return { kind: 'habilitations', action: 'suspend', ids: habilitations };
  return users.length > 0
    ? { kind: 'users', action: 'suspend', ids: users }
    : 'Ces alertes ne portent sur aucune habilitation ni aucun utilisateur (la convention ou le partenaire : voir sa fiche).';
}

/** The text `/` searches in a flag. */
export function flagSearchText(flag: Flag): string {
  const targets = targetsOfFlag(flag);
  // The words the table shows (« critique », « Profil non souscrit ») find their rows (review 42b:
  // `/critique` on the alerts said « Aucune alerte » beside 4 073 critical ones).
  const shown = `${SEVERITY_LABELS[flag.severity]} ${ruleDefinition(flag.rule).label}`;
  return `${shown} ${flag.partnerId} ${flag.rule} ${flag.message} ${targets.habilitations.join(' ')} ${targets.users.join(' ')}`;
}

/** A flag's identity in a selection: its rule, partner and message name it exactly. */
export function flagKey(flag: Flag): string {
  return `${flag.rule}|${flag.partnerId}|${flag.message}`;
}
