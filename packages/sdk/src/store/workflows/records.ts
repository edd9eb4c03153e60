import {
  CafsupError,
  invalidInput,
  canonicalJson,
  conventionEditSchema,
  conventionSchema,
  groupEditSchema,
  partnerDraftSchema,
  partnerEditSchema,
  partnerSchema,
  userEditSchema,
  type ConventionEdit,
  type GroupEdit,
  type Partner,
  type PartnerDraft,
  type PartnerEdit,
  type UserEdit,
  groupDraftSchema,
  habilitationDraftSchema,
  parseInput,
  parisDay,
  userDraftSchema,
  userSchema,
  habilitationSchema,
  type Actor,
  type Group,
  type GroupDraft,
  type Habilitation,
  type HabilitationDraft,
  type User,
  type UserDraft,
  notFound,
} from '@cafsup/shared';
import {
  HABILITATION_INSERT,
  USER_INSERT,
  conventionDoc,
  habilitationToRow,
  habilitationValues,
  partnerDoc,
  searchKey,
  userToRow,
  userValues,
} from '../../dataset/rows.js';
import type { PartnerScope } from '../audit.js';
import { addressRuleRefusal, grantRefusal, nextId, refused, requireEndAhead, requirePartner, trace, type WorkflowDeps } from './deps.js';

export interface UserKeyRow {
  key: number;
  id: string;
  partner_id: string;
  status: string;
  role: string;
  disabled_at: string | null;
  name: string;
}

export const USER_KEY_COLUMNS = 'key, id, partner_id, status, role, disabled_at, name';
const INSERT_MEMBER = 'INSERT INTO group_members (group_key, position, user_key) VALUES (?, ?, ?)';

/** The write steps the workflows share: new users, groups and habilitations, roles, de-validation. */
export class Records {
  constructor(private readonly deps: WorkflowDeps) {}

  loadUser(id: string): Promise<UserKeyRow | undefined> {
    return this.deps.db.get<UserKeyRow>(`SELECT ${USER_KEY_COLUMNS} FROM users WHERE id = ?`, [id]);
  }

  async requireUserOf(partnerId: string, id: string, path: string): Promise<UserKeyRow> {
    const user = await this.loadUser(id);
    if (user === undefined || user.partner_id !== partnerId) {
      throw notFound('user', [id], { partnerId, problems: [{ path, message: 'utilisateur introuvable chez ce partenaire' }] });
    }
    return user;
  }

  /** The partner's user with this e-mail, not disabled (a form names people by their e-mail). */
  userByEmail(partnerId: string, emailNorm: string): Promise<UserKeyRow | undefined> {
    return this.deps.db.get<UserKeyRow>(
      `SELECT ${USER_KEY_COLUMNS} FROM users WHERE partner_id = ? AND email_norm = ? AND status <> 'disabled' ORDER BY id LIMIT 1`,
      [partnerId, emailNorm],
    );
  }

  /** The members of a list, in order, each a user of the partner. */
  private async requireMembers(partnerId: string, memberIds: readonly string[]): Promise<UserKeyRow[]> {
    const members: UserKeyRow[] = [];
    for (const [index, memberId] of memberIds.entries()) members.push(await this.requireUserOf(partnerId, memberId, `memberIds[${index}]`));
    return members;
  }

  private async insertMembers(groupKey: number, members: readonly UserKeyRow[]): Promise<void> {
    for (const [position, member] of members.entries()) await this.deps.db.run(INSERT_MEMBER, [groupKey, position, member.key]);
  }

  /** Inserts a user (validated as the dataset validates one) and traces it. */
  async insertUser(user: User, reason: string, actor: Actor, at: string, dryRun: boolean): Promise<number | null> {
    // The import's statement: its ON CONFLICT never fires here, the id was found free.
    await this.deps.db.run(USER_INSERT, userValues(userToRow(parseInput(userSchema, user, 'user'))));
    return (
      await trace(this.deps, actor, at, dryRun, [
        { action: 'user.create', targetType: 'user', targetId: user.id, partnerId: user.partnerId, reason, before: null, after: user },
      ])
    )[0]!;
  }

  async insertHabilitation(habilitation: Habilitation, reason: string, actor: Actor, at: string, dryRun: boolean): Promise<number | null> {
    const row = habilitationToRow(parseInput(habilitationSchema, habilitation, 'habilitation'));
    const userKey = habilitation.userId === null ? null : (await this.loadUser(habilitation.userId))!.key;
    const groupKey = habilitation.groupId === null ? null : (await this.deps.db.value<number>('SELECT key FROM groups WHERE id = ?', [habilitation.groupId]))!;
    // The import's statement: its ON CONFLICT never fires here, the id was found free.
    await this.deps.db.run(HABILITATION_INSERT, habilitationValues(row, userKey, groupKey));
    await this.deps.derived.refresh([habilitation.partnerId]);
    return (
      await trace(this.deps, actor, at, dryRun, [
        {
          action: 'habilitation.create',
          targetType: 'habilitation',
          targetId: habilitation.id,
          partnerId: habilitation.partnerId,
          reason,
          before: null,
          after: habilitation,
        },
      ])
    )[0]!;
  }

  async setRole(user: UserKeyRow, role: User['role'], reason: string, actor: Actor, at: string, dryRun: boolean): Promise<number | null> {
    await this.deps.db.run('UPDATE users SET role = ? WHERE key = ?', [role, user.key]);
    return (
      await trace(this.deps, actor, at, dryRun, [
        { action: 'user.setRole', targetType: 'user', targetId: user.id, partnerId: user.partner_id, reason, before: { role: user.role }, after: { role } },
      ])
    )[0]!;
  }

  /**
   * De-validates users (a departure, a loss or theft, a close-out): removes them from their
   * groups, then disables them with `disabledAt`, from which retention counts (contrat art. 5.3.2).
   * Each membership removal and each de-validation is traced; already disabled users are left.
   */
  async disable(
    users: readonly UserKeyRow[],
    reason: string,
    actor: Actor,
    at: string,
    dryRun: boolean,
  ): Promise<{ userId: string; groupIds: string[]; traceId: number | null }[]> {
    const done: { userId: string; groupIds: string[]; traceId: number | null }[] = [];
    for (const user of users) {
      if (user.status === 'disabled') continue;
      const groupIds = (
        await this.deps.db.all<{ id: string }>(`SELECT g.id FROM group_members m JOIN groups g ON g.key = m.group_key WHERE m.user_key = ? ORDER BY g.id`, [
          user.key,
        ])
      ).map((row) => row.id);
      await this.deps.db.run('DELETE FROM group_members WHERE user_key = ?', [user.key]);
      await this.deps.db.run(`UPDATE users SET status = 'disabled', disabled_at = ?, devalidated_day = ? WHERE key = ?`, [at, parisDay(at), user.key]);
      const ids = await trace(this.deps, actor, at, dryRun, [
        ...groupIds.map((groupId) => ({
          action: 'group.removeMember' as const,
          targetType: 'group' as const,
          targetId: groupId,
          partnerId: user.partner_id,
          reason,
          before: { memberId: user.id },
          after: null,
        })),
        {
          action: 'user.disable',
          targetType: 'user',
          targetId: user.id,
          partnerId: user.partner_id,
          reason,
          before: { status: user.status, disabledAt: user.disabled_at, groupIds },
          after: { status: 'disabled', disabledAt: at, groupIds: [] },
        },
      ]);
      done.push({ userId: user.id, groupIds, traceId: ids.at(-1)! });
    }
    await this.deps.derived.refresh(new Set(users.map((user) => user.partner_id)));
    return done;
  }

  // --- the operations of a supervisor's direct records ------------------------------------

  async createUser(partnerId: string, draft: UserDraft, actor: Actor) {
    const input = parseInput(userDraftSchema, draft);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const partner = await requirePartner(this.deps, partnerId, now.today);
      const id = input.id ?? (await nextId(this.deps.db, 'users', `${partnerId}-u`, 3));
      if ((await this.loadUser(id)) !== undefined) throw new CafsupError('CONFLICT', `L’identifiant ${id} est déjà pris.`, { ids: [id] });
      // Refused as a request or a habilitation with this address is (rules 7 and 8): created, the
      // account would be flagged at once, and a form could then grant its rights to someone else.
      const refusal = await addressRuleRefusal(this.deps, partner, input.email, null);
      if (refusal !== null) throw refused(refusal, 'Rien n’a été créé.');
      const user = newUser(
        {
          id,
          partnerId,
          name: input.name,
          email: input.email,
          function: input.function ?? null,
          role: input.role,
          departement: input.departement ?? null,
          missionEndAt: input.missionEndAt ?? null,
        },
        now.at,
      );
      const traceId = await this.insertUser(user, input.reason ?? `Création de l’utilisateur ${user.name}`, actor, now.at, dryRun);
      return { dryRun, user, traceId };
    });
  }

  async createGroup(partnerId: string, draft: GroupDraft, actor: Actor) {
    const input = parseInput(groupDraftSchema, draft);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      await requireCentralised(this.deps, partnerId, now.today, 'un groupe');
      const id = input.id ?? (await nextId(this.deps.db, 'groups', `${partnerId}-g`, 2));
      if ((await this.deps.db.get('SELECT 1 FROM groups WHERE id = ?', [id])) !== undefined)
        throw new CafsupError('CONFLICT', `L’identifiant ${id} est déjà pris.`, { ids: [id] });
      const members = await this.requireMembers(partnerId, input.memberIds);
      const key = (await this.deps.db.value<number>('INSERT INTO groups (id, partner_id, name) VALUES (?, ?, ?) RETURNING key', [id, partnerId, input.name]))!;
      await this.insertMembers(key, members);
      await this.deps.derived.refresh([partnerId]);
      const group: Group = { id, partnerId, name: input.name, memberIds: members.map((member) => member.id) };
      const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'group.create',
          targetType: 'group',
          targetId: id,
          partnerId,
          reason: input.reason ?? `Création du groupe ${input.name}`,
          before: null,
          after: group,
        },
      ]);
      return { dryRun, group, traceId: traceId! };
    });
  }

  /** A habilitation granted by the Caf itself: refused, naming the rule and article, when it would break one. */
  async createHabilitation(partnerId: string, draft: HabilitationDraft, actor: Actor) {
    const input = parseInput(habilitationDraftSchema, draft);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const partner = await requireCentralised(this.deps, partnerId, now.today, 'une habilitation');
      requireEndAhead(input.endsAt, now.today, 'endsAt');
      const user = input.userId === undefined ? undefined : await this.requireUserOf(partnerId, input.userId, 'userId');
      if (user?.status === 'disabled') throw new CafsupError('CONFLICT', `L’utilisateur ${user.id} est désactivé.`, { ids: [user.id] });
      if (input.groupId !== undefined) {
        const group = await this.deps.db.value<string>('SELECT partner_id FROM groups WHERE id = ?', [input.groupId]);
        if (group !== partnerId) throw notFound('group', [input.groupId], { partnerId });
      }
      const email = user === undefined ? null : (await this.deps.db.value<string>('SELECT email FROM users WHERE key = ?', [user.key]))!;
      const refusal = await grantRefusal(this.deps, partner, now.today, {
        service: input.service,
        profile: input.profile,
        departement: input.departement ?? null,
        email,
        userId: user?.id ?? null,
        ...(input.groupId === undefined ? {} : { groupId: input.groupId }),
      });
      if (refusal !== null) throw refused(refusal, 'Rien n’a été créé.');
      const habilitation = newHabilitation(
        {
          id: input.id ?? (await nextId(this.deps.db, 'habilitations', `${partnerId}-h`, 4)),
          partnerId,
          userId: user?.id ?? null,
          groupId: input.groupId ?? null,
        },
        { service: input.service, profile: input.profile, departement: input.departement ?? null, endsAt: input.endsAt ?? null },
        now.at,
      );
      if ((await this.deps.db.get('SELECT 1 FROM habilitations WHERE id = ?', [habilitation.id])) !== undefined) {
        throw new CafsupError('CONFLICT', `L’identifiant ${habilitation.id} est déjà pris.`, { ids: [habilitation.id] });
      }
      const traceId = await this.insertHabilitation(
        habilitation,
        input.reason ?? `Habilitation ${input.service} ${input.profile} accordée par la Caf`,
        actor,
        now.at,
        dryRun,
      );
      return { dryRun, habilitation, traceId };
    });
  }

  /** A new partner and its convention as signed (dataset.md's fields and checks); avenants come later, numbered. */
  async createPartner(draft: PartnerDraft, actor: Actor, scope: PartnerScope = {}) {
    const input = parseInput(partnerDraftSchema, draft);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const { partner, convention } = input;
      const problems: { path: string; message: string }[] = [];
      if (convention.partnerId !== partner.id)
        problems.push({ path: 'convention.partnerId', message: `attendu « ${partner.id} », l’identifiant du partenaire` });
      if (convention.avenants.length > 0)
        problems.push({ path: 'convention.avenants', message: 'les avenants s’enregistrent ensuite, un par un (avenants.create)' });
      if ((await this.deps.db.get('SELECT 1 FROM cafs WHERE code = ?', [partner.cafCode])) === undefined)
        problems.push({ path: 'partner.cafCode', message: `Caf ${partner.cafCode} inconnue` });
      if (problems.length > 0) throw invalidInput(problems);
      if (scope.cafCodes !== undefined && !scope.cafCodes.includes(partner.cafCode)) {
        throw new CafsupError('FORBIDDEN', `La Caf ${partner.cafCode} est hors du périmètre de votre jeton.`);
      }
      if ((await this.deps.db.get('SELECT 1 FROM partners WHERE id = ?', [partner.id])) !== undefined) {
        throw new CafsupError('CONFLICT', `L’identifiant ${partner.id} est déjà pris.`, { ids: [partner.id] });
      }
      await this.deps.db.run('INSERT INTO partners (id, name, search_key, caf_code, doc) VALUES (?, ?, ?, ?, ?)', [
        partner.id,
        partner.name,
        searchKey(partner.id, partner.name),
        partner.cafCode,
        partnerDoc(partner),
      ]);
      await this.deps.db.run('INSERT INTO conventions (partner_id, number, doc) VALUES (?, ?, ?)', [partner.id, convention.number, conventionDoc(convention)]);
      this.deps.conventions.invalidate();
      const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'partner.create',
          targetType: 'partner',
          targetId: partner.id,
          partnerId: partner.id,
          reason: input.reason ?? '',
          before: null,
          after: { partner, convention },
        },
      ]);
      return { dryRun, partner, convention, traceId: traceId! };
    });
  }

  async editPartner(partnerId: string, changes: PartnerEdit, actor: Actor) {
    const input = parseInput(partnerEditSchema, changes);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      await requirePartner(this.deps, partnerId, now.today);
      const current = JSON.parse((await this.deps.db.value<string>('SELECT doc FROM partners WHERE id = ?', [partnerId]))!) as Partner;
      const { next, changes, same } = merged(current, input);
      const partner = parseInput(partnerSchema, next, 'partner', false);
      if (same) return { dryRun, partner, changes, traceId: null };
      const { before, after } = changes;
      await this.deps.db.run('UPDATE partners SET name = ?, search_key = ?, doc = ? WHERE id = ?', [
        partner.name,
        searchKey(partner.id, partner.name),
        partnerDoc(partner),
        partnerId,
      ]);
      this.deps.conventions.invalidate();
      const [traceId = null] = await trace(this.deps, actor, now.at, dryRun, [
        { action: 'partner.edit', targetType: 'partner', targetId: partnerId, partnerId, reason: input.reason ?? '', before, after },
      ]);
      return { dryRun, partner, changes, traceId };
    });
  }

  /** Corrections to the convention as signed; its avenants and termination are left as they are. */
  async editConvention(partnerId: string, changes: ConventionEdit, actor: Actor) {
    const input = parseInput(conventionEditSchema, changes);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const { entry } = await requirePartner(this.deps, partnerId, now.today);
      const { next, changes, same } = merged(entry.convention, input);
      const convention = parseInput(conventionSchema, next, 'convention', false);
      if (same) return { dryRun, convention, changes, traceId: null };
      const { before, after } = changes;
      await this.deps.db.run('UPDATE conventions SET number = ?, doc = ? WHERE partner_id = ?', [convention.number, conventionDoc(convention), partnerId]);
      this.deps.conventions.invalidate();
      const [traceId = null] = await trace(this.deps, actor, now.at, dryRun, [
        { action: 'convention.edit', targetType: 'partner', targetId: partnerId, partnerId, reason: input.reason ?? '', before, after },
      ]);
      return { dryRun, convention, changes, traceId };
    });
  }

  async editUser(userId: string, changes: UserEdit, actor: Actor) {
    const input = parseInput(userEditSchema, changes);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const current = await this.deps.store.getUser(userId);
      const { next, changes, same } = merged(current, input);
      const row = userToRow(parseInput(userSchema, next, 'user', false));
      if (same) return { dryRun, user: current, changes, traceId: null };
      const { before, after } = changes;
      // A new address is checked as a new user's is (rules 7 and 8); a disabled account's is not, as the rules leave it out.
      if (after.email !== undefined && current.status !== 'disabled') {
        const partner = await requirePartner(this.deps, current.partnerId, now.today);
        const refusal = await addressRuleRefusal(this.deps, partner, after.email, userId);
        if (refusal !== null) throw refused(refusal, 'Rien n’a été modifié.');
      }
      await this.deps.db.run(
        'UPDATE users SET name = @name, email = @email, email_norm = @email_norm, mailbox = @mailbox, function = @function, role = @role, mission_end_at = @mission_end_at, departement = @departement WHERE id = @id',
        { ...row },
      );
      const [traceId = null] = await trace(this.deps, actor, now.at, dryRun, [
        { action: 'user.edit', targetType: 'user', targetId: userId, partnerId: row.partner_id, reason: input.reason ?? '', before, after },
      ]);
      return { dryRun, user: await this.deps.store.getUser(userId), changes, traceId };
    });
  }

  async editGroup(groupId: string, changes: GroupEdit, actor: Actor) {
    const input = parseInput(groupEditSchema, changes);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const current = await this.deps.store.getGroup(groupId);
      await requireCentralised(this.deps, current.partnerId, now.today, 'leurs groupes');
      const { next, changes, same } = merged(current, input);
      if (same) return { dryRun, group: current, changes, traceId: null };
      const { before, after } = changes;
      const key = (await this.deps.db.value<number>('SELECT key FROM groups WHERE id = ?', [groupId]))!;
      await this.deps.db.run('UPDATE groups SET name = ? WHERE key = ?', [next.name, key]);
      if (input.memberIds !== undefined) {
        const members = await this.requireMembers(current.partnerId, input.memberIds);
        await this.deps.db.run('DELETE FROM group_members WHERE group_key = ?', [key]);
        await this.insertMembers(key, members);
        await this.deps.derived.refresh([current.partnerId]);
      }
      const [traceId = null] = await trace(this.deps, actor, now.at, dryRun, [
        { action: 'group.edit', targetType: 'group', targetId: groupId, partnerId: current.partnerId, reason: input.reason ?? '', before, after },
      ]);
      return { dryRun, group: await this.deps.store.getGroup(groupId), changes, traceId };
    });
  }
}

/**
 * The fields of `changes` that were given, over `current`; and, of those that change, what they
 * were and become (a field given as it already is changes nothing). `same`: nothing changes, so
 * nothing is written nor traced (rules.md: no change, no trace).
 */
function merged<T extends object>(current: T, changes: Record<string, unknown>): { next: T; changes: FieldChanges<T>; same: boolean } {
  const given = Object.entries(changes).filter(([key, value]) => value !== undefined && key !== 'reason' && key !== 'dryRun');
  const was = (key: string) => (current as Record<string, unknown>)[key] ?? null;
  const changing = given.filter(([key, value]) => comparable(value) !== comparable(was(key)));
  const before = Object.fromEntries(changing.map(([key]) => [key, was(key)])) as Partial<T>;
  const after = Object.fromEntries(changing) as Partial<T>;
  return { next: { ...current, ...Object.fromEntries(given) }, changes: { before, after }, same: changing.length === 0 };
}

/** A value as an edit compares it: a list of ids or codes (members, départements, missions) is a set, its order no change. */
function comparable(value: unknown): string {
  return canonicalJson(Array.isArray(value) && value.every((item) => typeof item === 'string') ? [...value].sort() : value);
}

/** What an edit changes (or would, in a dry run): each field before and after; empty when nothing. */
interface FieldChanges<T> {
  before: Partial<T>;
  after: Partial<T>;
}

/** Groups and habilitations are the Caf's to create only when it manages them (convention art. 9.1, contrat art. 2.2.1). */
async function requireCentralised(deps: WorkflowDeps, partnerId: string, today: string, what: string) {
  const partner = await requirePartner(deps, partnerId, today);
  if (partner.terms.managementMode !== 'centralised') {
    throw new CafsupError(
      'CONFLICT',
      `Partenaire ${partnerId} en mode délégué : ses gestionnaires créent ${what} eux-mêmes (convention, art. 9.1). La Caf ne le fait qu’en mode centralisé ou après un retrait de la délégation (contrat de services, art. 2.2.1).`,
      { ids: [partnerId] },
    );
  }
  return partner;
}

/** A new account: active, created now, never signed in. */
export function newUser(fields: Pick<User, 'id' | 'partnerId' | 'name' | 'email' | 'function' | 'role' | 'departement' | 'missionEndAt'>, at: string): User {
  return { ...fields, status: 'active', createdAt: at, lastLoginAt: null, passwordChangedAt: null, mustChangePassword: false, disabledAt: null };
}

export function newHabilitation(
  owner: Pick<Habilitation, 'id' | 'partnerId' | 'userId' | 'groupId'>,
  grant: Pick<Habilitation, 'service' | 'profile' | 'departement' | 'endsAt'>,
  at: string,
): Habilitation {
  return { ...owner, ...grant, status: 'active', grantedAt: at, suspendedAt: null, revokedAt: null };
}
