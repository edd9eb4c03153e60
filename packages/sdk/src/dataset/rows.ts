import {
  mailboxOf,
  normaliseEmail,
  parisDay,
  searchFold,
  timestampToEpochMs,
  type Caf,
  type Convention,
  type Group,
  type Habilitation,
  type Partner,
  type Review,
  type User,
} from '@cafsup/shared';
import { insertRow } from '../store/engine/engine.js';

// The one mapping between dataset entities and table rows, used by import, export and reads.

/** Lower-case, accent-free text for partner search ("aix" finds « Métropole d'Aix… »). */
export function searchKey(...parts: string[]): string {
  return searchFold(parts.join(' '));
}

export interface UserRow {
  key?: number;
  id: string;
  partner_id: string;
  name: string;
  email: string;
  email_norm: string;
  mailbox: string;
  function: string | null;
  role: string;
  status: string;
  created_at: string;
  last_login_at: string | null;
  password_changed_at: string | null;
  must_change_password: number;
  mission_end_at: string | null;
  disabled_at: string | null;
  departement: string | null;
  seen_day: string;
  password_day: string;
  devalidated_day: string;
}

export function userToRow(user: User): UserRow {
  const createdDay = parisDay(user.createdAt);
  const loginDay = user.lastLoginAt === null ? null : parisDay(user.lastLoginAt);
  const passwordDay = user.passwordChangedAt === null ? createdDay : parisDay(user.passwordChangedAt);
  const lastEvidence = [createdDay, loginDay ?? createdDay, passwordDay].sort().at(-1)!;
  return {
    id: user.id,
    partner_id: user.partnerId,
    name: user.name,
    email: user.email,
    email_norm: normaliseEmail(user.email),
    mailbox: mailboxOf(user.email),
    function: user.function,
    role: user.role,
    status: user.status,
    created_at: user.createdAt,
    last_login_at: user.lastLoginAt,
    password_changed_at: user.passwordChangedAt,
    must_change_password: user.mustChangePassword ? 1 : 0,
    mission_end_at: user.missionEndAt,
    disabled_at: user.disabledAt,
    departement: user.departement,
    seen_day: loginDay ?? createdDay,
    password_day: passwordDay,
    // Retention counts from the de-validation, else from the latest known activity (rules.md, "Retention").
    devalidated_day: user.disabledAt === null ? lastEvidence : parisDay(user.disabledAt),
  };
}

/**
 * An upsert by id of one row: it replaces the entity with the same id and keeps its row key
 * (exports stay in the same order). `?` parameters in the order of `columns`.
 */
function upsertById(table: string, columns: readonly string[]): string {
  const updates = columns.filter((column) => column !== 'id').map((column) => `${column} = excluded.${column}`);
  return `${insertRow(table, columns)} ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`;
}

export const USER_WRITTEN = [
  'id',
  'partner_id',
  'name',
  'email',
  'email_norm',
  'mailbox',
  'function',
  'role',
  'status',
  'created_at',
  'last_login_at',
  'password_changed_at',
  'must_change_password',
  'mission_end_at',
  'disabled_at',
  'departement',
  'seen_day',
  'password_day',
  'devalidated_day',
] as const satisfies readonly (keyof UserRow)[];

/** The one statement that writes a user (import, users.create): parameters from `userValues`. */
export const USER_INSERT = upsertById('users', USER_WRITTEN);

/** The parameters of `USER_INSERT`, in the order of `USER_WRITTEN`. */
export function userValues(row: UserRow): unknown[] {
  // Spelled out rather than mapped over the columns, as `habilitationValues`: an import packs
  // each of its users so, and a field read by a name that varies is slow.
  return [
    row.id,
    row.partner_id,
    row.name,
    row.email,
    row.email_norm,
    row.mailbox,
    row.function,
    row.role,
    row.status,
    row.created_at,
    row.last_login_at,
    row.password_changed_at,
    row.must_change_password,
    row.mission_end_at,
    row.disabled_at,
    row.departement,
    row.seen_day,
    row.password_day,
    row.devalidated_day,
  ];
}

export function rowToUser(row: UserRow): User {
  return {
    id: row.id,
    partnerId: row.partner_id,
    name: row.name,
    email: row.email,
    function: row.function,
    role: row.role as User['role'],
    status: row.status as User['status'],
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
    passwordChangedAt: row.password_changed_at,
    mustChangePassword: row.must_change_password === 1,
    missionEndAt: row.mission_end_at,
    disabledAt: row.disabled_at,
    departement: row.departement,
  };
}

export interface HabilitationRow {
  key?: number;
  id: string;
  partner_id: string;
  user_id: string | null;
  group_id: string | null;
  service: string;
  profile: string;
  departement: string | null;
  status: string;
  granted_at: string;
  granted_ms: number;
  suspended_at: string | null;
  suspended_day: string | null;
  revoked_at: string | null;
  revoked_day: string | null;
  ends_at: string | null;
}

export function habilitationToRow(habilitation: Habilitation): HabilitationRow {
  return {
    id: habilitation.id,
    partner_id: habilitation.partnerId,
    user_id: habilitation.userId,
    group_id: habilitation.groupId,
    service: habilitation.service,
    profile: habilitation.profile,
    departement: habilitation.departement,
    status: habilitation.status,
    granted_at: habilitation.grantedAt,
    granted_ms: timestampToEpochMs(habilitation.grantedAt)!,
    suspended_at: habilitation.suspendedAt,
    suspended_day: habilitation.suspendedAt === null ? null : parisDay(habilitation.suspendedAt),
    revoked_at: habilitation.revokedAt,
    revoked_day: habilitation.revokedAt === null ? null : parisDay(habilitation.revokedAt),
    ends_at: habilitation.endsAt,
  };
}

/** The columns of `HABILITATION_INSERT`: a habilitation row's fields, its user and group as keys. */
export const HABILITATION_WRITTEN = [
  'id',
  'partner_id',
  'user_key',
  'group_key',
  'service',
  'profile',
  'departement',
  'status',
  'granted_at',
  'granted_ms',
  'suspended_at',
  'suspended_day',
  'revoked_at',
  'revoked_day',
  'ends_at',
] as const;

/** The one statement that writes a habilitation (import, habilitations.create): parameters from `habilitationValues`. */
export const HABILITATION_INSERT = upsertById('habilitations', HABILITATION_WRITTEN);

/** The ids of the habilitations given to a user (`@userId`) themselves, whatever their status. */
export const USER_DIRECT_HABILITATION_IDS = 'SELECT h.id FROM habilitations h WHERE h.user_key = (SELECT key FROM users WHERE id = @userId)';

/**
 * The ids of the habilitations a user (`@userId`) holds, given to them or to one of their groups,
 * whatever their status. One branch per side, each through its index: as one condition with an
 * OR, PostgreSQL read every habilitation (an IN beside an OR is no index condition to it), and so
 * did SQLite where the user was a joined row's id (28 ms of a person's extract on 100,000 rows).
 */
export const USER_HABILITATION_IDS = `${USER_DIRECT_HABILITATION_IDS}
  UNION ALL SELECT h.id FROM group_members m JOIN habilitations h ON h.group_key = m.group_key WHERE m.user_key = (SELECT key FROM users WHERE id = @userId)`;

/**
 * Of `import_changes`, the rows (`trace_id`, `position`, `change`) about a user (`@userId`), their
 * place in a group, or a habilitation they hold or held before the import gave it to another:
 * what in an import concerns them. One branch per index, for the reason above (each import's
 * whole list was read on PostgreSQL).
 */
export const USER_IMPORT_CHANGES = `SELECT trace_id, position, change FROM import_changes WHERE id = @userId AND section IN ('users', 'groups')
  UNION SELECT trace_id, position, change FROM import_changes WHERE id IN (${USER_HABILITATION_IDS}) AND section = 'habilitations'
  UNION SELECT trace_id, position, change FROM import_changes WHERE former_id = @userId AND section = 'habilitations'`;

/**
 * The import's statement for a habilitation: a new row with the key it is given, or nothing when
 * the id is taken (a duplicate in the file, or a stored habilitation that the import then
 * replaces). Parameters those of `HABILITATION_INSERT`, then the key (last, so that the
 * import fills one array per row).
 */
export const HABILITATION_IMPORT = `${insertRow('habilitations', [...HABILITATION_WRITTEN, 'key'])} ON CONFLICT (id) DO NOTHING`;

/**
 * The parameters of `HABILITATION_INSERT`, in the order of `habilitationToRow`'s fields, the
 * user and group ids replaced by their row keys (null when there is none, or not yet known) —
 * or left as they are, where an import's reader packs the row (segments.ts).
 */
export function habilitationValues<Ref extends number | string>(row: HabilitationRow, user: Ref | null, group: Ref | null): unknown[] {
  // Spelled out rather than mapped over the columns: a large import writes a million of them.
  return [
    row.id,
    row.partner_id,
    user,
    group,
    row.service,
    row.profile,
    row.departement,
    row.status,
    row.granted_at,
    row.granted_ms,
    row.suspended_at,
    row.suspended_day,
    row.revoked_at,
    row.revoked_day,
    row.ends_at,
  ];
}

export function rowToHabilitation(row: HabilitationRow): Habilitation {
  return {
    id: row.id,
    partnerId: row.partner_id,
    userId: row.user_id,
    groupId: row.group_id,
    service: row.service,
    profile: row.profile,
    departement: row.departement,
    status: row.status as Habilitation['status'],
    grantedAt: row.granted_at,
    suspendedAt: row.suspended_at,
    revokedAt: row.revoked_at,
    endsAt: row.ends_at,
  };
}

/** Selects a habilitation with its user and group ids resolved from their keys. */
export const HABILITATION_COLUMNS = `h.key, h.id, h.partner_id, u.id AS user_id, g.id AS group_id, h.service, h.profile,
  h.departement, h.status, h.granted_at, h.granted_ms, h.suspended_at, h.suspended_day, h.revoked_at, h.revoked_day, h.ends_at`;
export const HABILITATION_FROM = `habilitations h LEFT JOIN users u ON u.key = h.user_key LEFT JOIN groups g ON g.key = h.group_key`;

export function partnerDoc(partner: Partner): string {
  return JSON.stringify(partner);
}

export function conventionDoc(convention: Convention): string {
  const { avenants: _avenants, ...terms } = convention;
  return JSON.stringify(terms);
}

export type StoredConvention = Omit<Convention, 'avenants'>;

export function cafDoc(caf: Caf): string {
  return JSON.stringify(caf);
}

export function groupFromRow(row: { id: string; partner_id: string; name: string; member_ids: string | null }): Group {
  return { id: row.id, partnerId: row.partner_id, name: row.name, memberIds: row.member_ids === null ? [] : (JSON.parse(row.member_ids) as string[]) };
}

export function reviewFromRow(row: { partner_id: string; completed_at: string; reviewer: string; proof: string | null }): Review {
  return { partnerId: row.partner_id, completedAt: row.completed_at, reviewer: row.reviewer, proof: row.proof };
}
