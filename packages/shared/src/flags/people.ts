import { compareCodePoints } from '../compare.js';
import { daysBetween, parisDay, type CalendarDate } from '../dates.js';
import { normaliseEmail } from '../fields.js';
import type { AuditSettings } from '../settings.js';
import type { UserRole, UserStatus } from '../user.js';
import { longFrenchDate } from '../wording.js';
import { countOf } from '../labels.js';
import { makeFlag, type Flag, type FlagOf } from './flag.js';

/** What the user rules need to know of one user; `holdsAny` and `getsActive` come from the store. */
export interface UserFacts {
  id: string;
  partnerId: string;
  email: string;
  role: UserRole;
  status: UserStatus;
  createdAt: string;
  lastLoginAt: string | null;
  passwordChangedAt: string | null;
  mustChangePassword: boolean;
  missionEndAt: CalendarDate | null;
  /** Holds at least one (service, profile): a held habilitation, directly or through a group. */
  holdsAny: boolean;
  /** Gets something through an `active` habilitation, directly or through a group. */
  getsActive: boolean;
}

/** The local part of an address, lower-case, anything from `+` dropped (rule 8). */
export function mailboxOf(email: string): string {
  const local = normaliseEmail(email).split('@')[0] ?? '';
  const plus = local.indexOf('+');
  return plus === -1 ? local : local.slice(0, plus);
}

export function isGenericMailbox(email: string, settings: AuditSettings): boolean {
  return settings.genericMailboxes.includes(mailboxOf(email));
}

/** Rules 4, 5, 6 and 8 for one user. */
export function userFlags(user: UserFacts, asOf: CalendarDate, settings: AuditSettings): Flag[] {
  const flags: Flag[] = [];
  const notDisabled = user.status !== 'disabled';
  if (notDisabled && user.holdsAny && user.missionEndAt !== null && user.missionEndAt < asOf) {
    flags.push(
      makeFlag(
        'MISSION_ENDED',
        user.partnerId,
        { userId: user.id, missionEndAt: user.missionEndAt },
        `Mission terminée le ${longFrenchDate(user.missionEndAt)} : ${user.id} garde des habilitations.`,
      ),
    );
  }
  if (user.status === 'active' && user.getsActive) {
    const lastSeenAt = user.lastLoginAt ?? user.createdAt;
    const days = daysBetween(parisDay(lastSeenAt), asOf);
    if (days >= settings.dormantDays) {
      flags.push(
        makeFlag(
          'DORMANT_ACCOUNT',
          user.partnerId,
          { userId: user.id, lastSeenAt, days },
          user.lastLoginAt === null
            ? `Compte ${user.id} jamais utilisé depuis sa création le ${longFrenchDate(parisDay(lastSeenAt))}, il y a ${countOf(days, 'jour')}.`
            : `Compte ${user.id} sans connexion depuis le ${longFrenchDate(parisDay(lastSeenAt))}, soit ${countOf(days, 'jour')}.`,
        ),
      );
    }
  }
  if (user.status === 'active' && !user.mustChangePassword) {
    const days = daysBetween(parisDay(user.passwordChangedAt ?? user.createdAt), asOf);
    if (days >= settings.passwordMaxAgeDays) {
      flags.push(makeFlag('PASSWORD_STALE', user.partnerId, { userId: user.id, days }, `Mot de passe de ${user.id} inchangé depuis ${countOf(days, 'jour')}.`));
    }
  }
  if (notDisabled && isGenericMailbox(user.email, settings)) {
    flags.push(
      makeFlag(
        'NON_PERSONAL_EMAIL',
        user.partnerId,
        { userId: user.id, email: user.email },
        `Adresse mél non nominative pour ${user.id} : ${user.email.trim()}.`,
      ),
    );
  }
  return flags;
}

/**
 * Rule 4 for a temporary habilitation (the request form's « mission temporaire, date de fin »):
 * held after its last day, whoever holds it; `userId` is null for a group's.
 */
export function habilitationEndedFlag(
  partnerId: string,
  habilitation: { id: string; userId: string | null; groupId: string | null; endsAt: CalendarDate },
): FlagOf<'MISSION_ENDED'> {
  const holder = habilitation.userId ?? `le groupe ${habilitation.groupId}`;
  return makeFlag(
    'MISSION_ENDED',
    partnerId,
    { userId: habilitation.userId, missionEndAt: habilitation.endsAt, habilitationId: habilitation.id },
    `Mission temporaire terminée le ${longFrenchDate(habilitation.endsAt)} : l’habilitation ${habilitation.id} (${holder}) n’a pas été retirée.`,
  );
}

/** Rule 7: one flag per address shared by two or more users of one partner, none disabled. */
export function sharedEmailFlags(partnerId: string, users: readonly { id: string; email: string; status: UserStatus }[]): FlagOf<'SHARED_EMAIL'>[] {
  const byEmail = new Map<string, string[]>();
  for (const user of users) {
    if (user.status === 'disabled') continue;
    const email = normaliseEmail(user.email);
    const ids = byEmail.get(email);
    if (ids === undefined) byEmail.set(email, [user.id]);
    else ids.push(user.id);
  }
  const flags: FlagOf<'SHARED_EMAIL'>[] = [];
  for (const [email, ids] of byEmail) {
    if (ids.length < 2) continue;
    const userIds = [...ids].sort(compareCodePoints);
    flags.push(
      makeFlag('SHARED_EMAIL', partnerId, { email, userIds }, `Adresse mél ${email} partagée par ${userIds.length} utilisateurs : ${userIds.join(', ')}.`),
    );
  }
  return flags;
}

/** Rule 9: a user holding two or more profiles of one service. */
export function multipleProfilesFlag(partnerId: string, userId: string, service: string, heldProfiles: readonly string[]): FlagOf<'MULTIPLE_PROFILES'> | null {
  const profiles = [...new Set(heldProfiles)].sort(compareCodePoints);
  if (profiles.length < 2) return null;
  return makeFlag(
    'MULTIPLE_PROFILES',
    partnerId,
    { userId, service, profiles },
    `${userId} cumule ${profiles.length} profils du service ${service} : ${profiles.join(', ')}.`,
  );
}
