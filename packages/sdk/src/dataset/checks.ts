import {
  DATASET_SECTIONS,
  HABILITATION_STATUSES,
  TEXT_MAX,
  USER_ROLES,
  USER_STATUSES,
  formatPath,
  hasUnsafeCharacter,
  isAcceptedDate,
  isDepartementCode,
  isEmail,
  isKnownProfile,
  isProfileCode,
  isServiceCode,
  isYearInRange,
  timestampToEpochMs,
  type DatasetSection,
  type Habilitation,
  type Problem,
  type User,
} from '@cafsup/shared';
import { habilitationToRow, userToRow, type HabilitationRow, type UserRow } from './rows.js';

// Hand-written checks for the two sections that make a million rows (users, habilitations). Each
// accepts only what the zod schema accepts *and* maps to the same value; anything else — a
// refusal, but also an id with spaces that zod would trim — goes to zod, which words the
// refusal (or gives the trimmed value). So the refusals stay zod's, word for word, and zod
// runs on the rare row, not on every one.

const HABILITATION_STATUS = new Set<unknown>(HABILITATION_STATUSES);
const USER_ROLE = new Set<unknown>(USER_ROLES);
const USER_STATUS = new Set<unknown>(USER_STATUSES);

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `idSchema` without its trim: a valid id that trimming would leave as it is. */
function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 200 && !hasUnsafeCharacter(value) && value.trim() === value;
}

function isOptionalId(value: unknown): boolean {
  return value === null || isId(value);
}

function isTimestampInRange(value: unknown): value is string {
  return typeof value === 'string' && timestampToEpochMs(value) !== null && isYearInRange(value);
}

function isOptionalTimestamp(value: unknown): boolean {
  return value === null || isTimestampInRange(value);
}

function isOptionalDate(value: unknown): boolean {
  return value === null || (typeof value === 'string' && isAcceptedDate(value));
}

function isOptionalDepartement(value: unknown): boolean {
  return value === null || (typeof value === 'string' && isDepartementCode(value));
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= TEXT_MAX && !hasUnsafeCharacter(value);
}

/** A habilitation the schema accepts as it is, or null (then zod decides). */
function plainHabilitation(value: unknown): Habilitation | null {
  if (!isObject(value)) return null;
  const {
    id,
    partnerId,
    userId = null,
    groupId = null,
    service,
    profile,
    departement = null,
    status,
    grantedAt,
    suspendedAt = null,
    revokedAt = null,
    endsAt = null,
  } = value;
  if (
    !isId(id) ||
    !isId(partnerId) ||
    !isOptionalId(userId) ||
    !isOptionalId(groupId) ||
    (userId === null) === (groupId === null) ||
    typeof service !== 'string' ||
    !isServiceCode(service) ||
    typeof profile !== 'string' ||
    !isProfileCode(profile) ||
    !isKnownProfile(service, profile) ||
    !isOptionalDepartement(departement) ||
    !HABILITATION_STATUS.has(status) ||
    !isTimestampInRange(grantedAt) ||
    !isOptionalTimestamp(suspendedAt) ||
    (suspendedAt !== null && status !== 'suspended') ||
    !isOptionalTimestamp(revokedAt) ||
    (revokedAt !== null && status !== 'revoked') ||
    !isOptionalDate(endsAt)
  ) {
    return null;
  }
  return { id, partnerId, userId, groupId, service, profile, departement, status, grantedAt, suspendedAt, revokedAt, endsAt } as Habilitation;
}

/** A user the schema accepts as it is, or null (then zod decides). */
function plainUser(value: unknown): User | null {
  if (!isObject(value)) return null;
  const {
    id,
    partnerId,
    name,
    email,
    function: job = null,
    role,
    status,
    createdAt,
    lastLoginAt = null,
    passwordChangedAt = null,
    mustChangePassword = false,
    missionEndAt = null,
    disabledAt = null,
    departement = null,
  } = value;
  if (
    !isId(id) ||
    !isId(partnerId) ||
    !isText(name) ||
    name.length === 0 ||
    typeof email !== 'string' ||
    !isEmail(email) ||
    (job !== null && !isText(job)) ||
    !USER_ROLE.has(role) ||
    !USER_STATUS.has(status) ||
    !isTimestampInRange(createdAt) ||
    !isOptionalTimestamp(lastLoginAt) ||
    !isOptionalTimestamp(passwordChangedAt) ||
    typeof mustChangePassword !== 'boolean' ||
    !isOptionalDate(missionEndAt) ||
    !isOptionalTimestamp(disabledAt) ||
    (disabledAt !== null && status !== 'disabled') ||
    !isOptionalDepartement(departement)
  ) {
    return null;
  }
  return {
    id,
    partnerId,
    name,
    email,
    function: job,
    role,
    status,
    createdAt,
    lastLoginAt,
    passwordChangedAt,
    mustChangePassword,
    missionEndAt,
    disabledAt,
    departement,
  } as User;
}

/** What the import makes of one element of a section: its row or entity, or its problems. */
export type Checked =
  | { ok: true; section: 'users'; row: UserRow }
  | { ok: true; section: 'habilitations'; row: HabilitationRow }
  | { ok: true; section: Exclude<DatasetSection, 'users' | 'habilitations'>; entity: unknown }
  | { ok: false; problems: Problem[]; id: string | null };

/** The field that names an element of a section, claimed even by an invalid one (so a later duplicate is named too). */
function claimedId(section: DatasetSection, value: unknown): string | null {
  const key = section === 'cafs' ? 'code' : section === 'conventions' ? 'partnerId' : 'id';
  const id = isObject(value) ? value[key] : undefined;
  return typeof id === 'string' ? id : null;
}

/** Validates one element at `section[index]`: the hand-written check first, zod when it fails or for the small sections. */
export function checkElement(section: DatasetSection, index: number, value: unknown): Checked {
  if (section === 'habilitations') {
    const plain = plainHabilitation(value);
    if (plain !== null) return { ok: true, section, row: habilitationToRow(plain) };
  } else if (section === 'users') {
    const plain = plainUser(value);
    if (plain !== null) return { ok: true, section, row: userToRow(plain) };
  }
  const parsed = DATASET_SECTIONS[section].safeParse(value);
  if (!parsed.success) {
    const base = `${section}[${index}]`;
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({ path: formatPath(base, issue.path), message: issue.message })),
      id: claimedId(section, value),
    };
  }
  if (section === 'habilitations') return { ok: true, section, row: habilitationToRow(parsed.data as Habilitation) };
  if (section === 'users') return { ok: true, section, row: userToRow(parsed.data as User) };
  return { ok: true, section, entity: parsed.data };
}
