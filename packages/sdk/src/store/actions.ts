import {
  CafsupError,
  parseInput,
  actionOptionsSchema,
  avenantDraftSchema,
  avenantSignatureSchema,
  conventionState,
  effectiveTerms,
  idListSchema,
  reviewRecordSchema,
  type ActionOptions,
  type ActionResult,
  type Actor,
  type Avenant,
  type AvenantDraft,
  type AvenantSignature,
  type CalendarDate,
  type ChangedEntity,
  type ReviewRecord,
  type TraceAction,
  type TraceTarget,
  type UnchangedEntity,
  habilitationTransition,
  longFrenchDate,
  userTransition,
  type Decision,
  type HabilitationAction,
  type UserAction,
  notFound,
  type MissingKind,
} from '@cafsup/shared';
import { parisDay } from '@cafsup/shared';
import type { ConventionCache } from './conventions.js';
import { dialectOf, unavailable, type Sql } from './engine/engine.js';
import type { DerivedFacts } from './derived.js';
import type { TraceEntry, TraceWriter } from './traces.js';

/** Thrown inside a dry run's transaction to roll it back; never leaves `transact`. */
class DryRunRollback extends Error {}
const ROLLBACK = new DryRunRollback('dry run');

interface EntityAction<E, V> {
  action: TraceAction;
  targetType: TraceTarget & MissingKind;
  /** The table of the entities, whose `partner_id` names their partner. */
  table: 'habilitations' | 'users';
  /** The query of the entities of some ids (`{ids}`), in one statement. */
  load: string;
  view(entity: E): V;
  decide(entity: E, now: { at: string; today: CalendarDate }): Decision<V>;
  /** Writes every change in a few statements: one round trip per 500 rows on PostgreSQL. */
  write(changes: readonly { entity: E; after: V }[]): Promise<unknown>;
  partnerOf(entity: E): string;
  /** Recomputes the derived facts these changed entities count in (derived.ts). */
  refresh(writes: readonly { entity: E; after: V }[]): Promise<void>;
}

interface HabilitationState {
  key: number;
  id: string;
  partner_id: string;
  service: string;
  profile: string;
  status: string;
  suspended_at: string | null;
  revoked_at: string | null;
}
type HabilitationView = { status: string; suspendedAt: string | null; revokedAt: string | null };

interface UserState {
  key: number;
  id: string;
  partner_id: string;
  status: string;
  must_change_password: number;
}
type UserView = { status: string; mustChangePassword: boolean };

// `{ids}`: the row's id is one of those asked (a JSON array parameter), per engine (`inValues`).
const LOAD_HABILITATIONS = 'SELECT key, id, partner_id, service, profile, status, suspended_at, revoked_at FROM habilitations WHERE {ids}';
// One statement for many rows (`Sql.runMany`); the VALUES columns are named column1, column2… on
// both engines, and their types are said where PostgreSQL would take a parameter for text.
const UPDATE_HABILITATIONS = `UPDATE habilitations SET status = v.column2, suspended_at = v.column3, suspended_day = v.column4,
    revoked_at = v.column5, revoked_day = v.column6 FROM (VALUES (?, ?, ?, ?, ?, ?)) AS v WHERE habilitations.key = CAST(v.column1 AS BIGINT)`;
const LOAD_USERS = 'SELECT key, id, partner_id, status, must_change_password FROM users WHERE {ids}';
const UPDATE_USERS = `UPDATE users SET status = v.column2, must_change_password = CAST(v.column3 AS BIGINT)
    FROM (VALUES (?, ?, ?)) AS v WHERE users.key = CAST(v.column1 AS BIGINT)`;

/**
 * An avenant's signature date: not before the avenant was created (`createdOn`, null for one
 * imported), nor after today. A signature is recorded once made; one dated to come could never
 * be corrected, the avenant being « déjà signé » from then on.
 */
function checkSignatureDate(date: CalendarDate, path: string, createdOn: CalendarDate | null, today: CalendarDate): void {
  if (createdOn !== null && date < createdOn) {
    throw new CafsupError('VALIDATION', `Date de signature du ${longFrenchDate(date)} antérieure à la création de l’avenant (${longFrenchDate(createdOn)}).`, {
      problems: [{ path, message: `antérieure à la création de l’avenant (${longFrenchDate(createdOn)})` }],
    });
  }
  if (date > today) {
    throw new CafsupError('VALIDATION', `Date de signature du ${longFrenchDate(date)}, dans le futur : une signature s’enregistre une fois faite.`, {
      problems: [{ path, message: 'date dans le futur' }],
    });
  }
}

/** The write side of the store: every action validated, decided, applied and traced in one transaction. */
export class ActionRunner {
  constructor(
    private readonly db: Sql,
    private readonly traces: TraceWriter,
    private readonly derived: DerivedFacts,
    private readonly conventions: ConventionCache,
    private readonly clock: () => { at: string; today: CalendarDate },
  ) {}

  /**
   * Runs `body` in a write transaction; with `dryRun` everything it wrote is rolled back.
   * Nested in another write (a workflow step running these actions), it is a savepoint of it.
   */
  async transact<T>(dryRun: boolean, body: () => Promise<T>): Promise<T> {
    let result: T | undefined;
    try {
      // Answered by the transaction: what it answers holds the numbers of the traces appended with its commit (`TraceWriter.append`'s `late`).
      result = await this.db.transaction(async () => {
        result = await body();
        if (dryRun) throw ROLLBACK;
        return result;
      });
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    } finally {
      // After a rollback too (a dry run, a refusal): conventions read inside, after its own writes, were never committed.
      this.conventions.invalidate();
    }
    return result as T;
  }

  /** Rows of `sql` (which selects by `{ids}`) for these ids, by id. */
  private async loadByIds<E extends { id: string }>(sql: string, ids: readonly string[]): Promise<Map<string, E>> {
    const rows = await this.db.all<E>(sql.replace('{ids}', dialectOf(this.db).inValues('id', '?')), [JSON.stringify(ids)]);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /**
   * `whole`: the action is the whole of its operation (a command of the table, not a workflow's
   * step, which may reason on its numbers or hash them into a trace of its own): its traces'
   * numbers go only to its answer, and on PostgreSQL are decided with the commit (`TraceWriter.append`'s `late`).
   */
  private runEntityAction<E, V>(spec: EntityAction<E, V>, ids: unknown, options: ActionOptions, actor: Actor, whole: boolean): Promise<ActionResult<V>> {
    const idList = [...new Set(parseInput(idListSchema, ids, 'ids'))];
    // A dry run may come without a reason (it is asked after the preview); nothing is traced then.
    const { reason = '', dryRun = false } = parseInput(actionOptionsSchema, options);
    return this.transact(dryRun, async () => {
      const now = this.clock();
      // Their partners locked before they are read: a write on the same partner waits, others go on.
      const byIds = dialectOf(this.db).inValues('id', '?');
      const { locked, rows } = await this.db.lockPartners<E & { id: string }>(
        `SELECT partner_id FROM ${spec.table} WHERE ${byIds}`,
        spec.load.replace('{ids}', byIds),
        [JSON.stringify(idList)],
      );
      const found = new Map(rows.map((row) => [row.id, row]));
      // Moved to another partner between the two reads (an import): taken for a busy base, retried.
      if (locked !== null && [...found.values()].some((entity) => !locked.has(spec.partnerOf(entity)))) throw unavailable(1);
      const entities = idList.map((id) => ({ id, entity: found.get(id) }));
      const missing = entities.filter((entry) => entry.entity === undefined).map((entry) => entry.id);
      if (missing.length > 0) {
        throw notFound(spec.targetType, missing);
      }
      const changed: ChangedEntity<V>[] = [];
      const unchanged: UnchangedEntity[] = [];
      const refused: { id: string; reason: string }[] = [];
      const writes: { entity: E; after: V; change: ChangedEntity<V> }[] = [];
      for (const { id, entity } of entities as { id: string; entity: E }[]) {
        const decision = spec.decide(entity, now);
        if ('refused' in decision) refused.push({ id, reason: decision.refused });
        else if ('unchanged' in decision) unchanged.push({ id, reason: decision.unchanged });
        else {
          const change = { id, before: spec.view(entity), after: decision.after, traceId: null };
          changed.push(change);
          writes.push({ entity, after: decision.after, change });
        }
      }
      if (refused.length > 0) {
        throw new CafsupError('CONFLICT', `Action refusée, rien n’a été modifié : ${refused.map((item) => `${item.id} (${item.reason})`).join(', ')}.`, {
          ids: refused.map((item) => item.id),
          refused,
        });
      }
      await spec.write(writes);
      await spec.refresh(writes);
      const entries: TraceEntry[] = writes.map(({ entity, after, change }) => ({
        action: spec.action,
        targetType: spec.targetType,
        targetId: change.id,
        partnerId: spec.partnerOf(entity),
        reason,
        before: change.before,
        after,
      }));
      const traceIds = await this.traces.append(actor, now.at, entries, { late: whole });
      if (!dryRun) writes.forEach((write, index) => (write.change.traceId = traceIds[index]!));
      return { dryRun, changed, unchanged };
    });
  }

  private habilitationSpec(action: HabilitationAction): EntityAction<HabilitationState, HabilitationView> {
    return {
      action: `habilitation.${action}`,
      targetType: 'habilitation',
      table: 'habilitations',
      load: LOAD_HABILITATIONS,
      view: (h) => ({ status: h.status, suspendedAt: h.suspended_at, revokedAt: h.revoked_at }),
      decide: (h, now) => habilitationTransition(action, { status: h.status, suspendedAt: h.suspended_at, revokedAt: h.revoked_at }, now.at),
      // Its count is not read: on PostgreSQL it goes with the refresh that follows, one round trip less.
      write: (changes) =>
        this.db.runManyLater(
          UPDATE_HABILITATIONS,
          changes.map(({ entity, after }) => [
            // Numbers as texts, which the statement casts: all its parameters texts, PostgreSQL
            // prepares it once per connection rather than planning it at each write (postgres.ts, `executables`).
            String(entity.key),
            after.status,
            after.suspendedAt,
            after.suspendedAt === null ? null : parisDay(after.suspendedAt),
            after.revokedAt,
            after.revokedAt === null ? null : parisDay(after.revokedAt),
          ]),
        ),
      partnerOf: (h) => h.partner_id,
      // A habilitation's status counts only for its holders, within its (service, profile).
      refresh: (writes) =>
        this.derived.refreshStatus(
          writes.map(({ entity: h, after }) => ({
            id: h.id,
            partnerId: h.partner_id,
            service: h.service,
            profile: h.profile,
            from: h.status,
            to: after.status,
          })),
        ),
    };
  }

  /** Suspends, reinstates or revokes habilitations (rules.md, "Actions"): all or nothing. */
  habilitationAction(action: HabilitationAction, ids: unknown, options: ActionOptions, actor: Actor, whole = false) {
    return this.runEntityAction(this.habilitationSpec(action), ids, options, actor, whole);
  }

  /**
   * Revokes what was given to these users directly (their groups' habilitations stay: a group
   * is revoked as a group). The people leave; the record of their rights is kept 6 years.
   */
  async revokeUsersHabilitations(userIds: unknown, options: ActionOptions, actor: Actor, whole = false) {
    const users = [...new Set(parseInput(idListSchema, userIds, 'ids'))];
    const missing: string[] = [];
    const found = await this.loadByIds<UserState>(LOAD_USERS, users);
    for (const id of users) if (!found.has(id)) missing.push(id);
    if (missing.length > 0) throw notFound('user', missing);
    const held = (
      await this.db.all<{ id: string }>(
        `SELECT h.id FROM habilitations h JOIN users u ON u.key = h.user_key
          WHERE ${dialectOf(this.db).inValues('u.id', '?')} AND h.status <> 'revoked' ORDER BY h.id`,
        [JSON.stringify(users)],
      )
    ).map((row) => row.id);
    if (held.length === 0) return { dryRun: options.dryRun ?? false, changed: [], unchanged: [] };
    return this.habilitationAction('revoke', held, options, actor, whole);
  }

  private userSpec(action: UserAction): EntityAction<UserState, UserView> {
    return {
      action: `user.${action}`,
      targetType: 'user',
      table: 'users',
      load: LOAD_USERS,
      view: (u) => ({ status: u.status, mustChangePassword: u.must_change_password === 1 }),
      decide: (u) => userTransition(action, { status: u.status, mustChangePassword: u.must_change_password === 1 }),
      write: (changes) =>
        this.db.runMany(
          UPDATE_USERS,
          // Numbers as texts, which the statement casts, as the habilitations' (prepared once on PostgreSQL).
          changes.map(({ entity, after }) => [String(entity.key), after.status, after.mustChangePassword ? '1' : '0']),
        ),
      partnerOf: (u) => u.partner_id,
      // A user's status counts in every pair they hold: their partners are recomputed.
      refresh: (writes) => this.derived.refresh(writes.map(({ entity }) => entity.partner_id)),
    };
  }

  /** Suspends or reinstates users (rules.md, "Actions"): all or nothing. */
  userAction(action: 'suspend' | 'reinstate', ids: unknown, options: ActionOptions, actor: Actor, whole = false) {
    return this.runEntityAction(this.userSpec(action), ids, options, actor, whole);
  }

  /**
   * Forces a password change at next login (the MCP back office ends the open sessions when
   * the flag is set). For a whole partner, disabled users are left out rather than refused.
   */
  async forcePasswordReset(target: { userIds: unknown } | { partnerId: string }, options: ActionOptions, actor: Actor, whole = false) {
    let ids: unknown;
    if ('partnerId' in target) {
      await this.requirePartner(target.partnerId);
      ids = (await this.db.all<{ id: string }>(`SELECT id FROM users WHERE partner_id = ? AND status <> 'disabled' ORDER BY id`, [target.partnerId])).map(
        (row) => row.id,
      );
      if ((ids as string[]).length === 0) return { dryRun: options.dryRun ?? false, changed: [], unchanged: [] };
    } else ids = target.userIds;
    return this.runEntityAction(this.userSpec('forcePasswordReset'), ids, options, actor, whole);
  }

  private async requirePartner(partnerId: string): Promise<void> {
    if ((await this.conventions.get(partnerId)) === undefined) {
      throw notFound('partner', [partnerId]);
    }
  }

  private async nextAvenantNumber(partnerId: string): Promise<number> {
    return (await this.db.value<number>('SELECT COALESCE(MAX(number), 0) + 1 AS next FROM avenants WHERE partner_id = ?', [partnerId]))!;
  }

  private async insertAvenant(partnerId: string, avenant: Avenant, createdOn: CalendarDate): Promise<void> {
    await this.db.run('INSERT INTO avenants (partner_id, number, doc, created_on) VALUES (?, ?, ?, ?)', [
      partnerId,
      avenant.number,
      JSON.stringify(avenant),
      createdOn,
    ]);
  }

  /**
   * The Caf takes back habilitation management at once (contrat art. 2.2.1); the change of mode
   * still needs an avenant, created here as a draft for both sides to sign.
   */
  withdrawDelegation(partnerId: string, options: ActionOptions, actor: Actor) {
    // A dry run may come without a reason (it is asked after the preview); nothing is traced then.
    const { reason = '', dryRun = false } = parseInput(actionOptionsSchema, options);
    return this.transact(dryRun, async () => {
      const now = this.clock();
      const entry = await this.conventions.get(partnerId);
      if (entry === undefined) throw notFound('partner', [partnerId]);
      const state = conventionState(entry.convention, now.today);
      // The ladder's step is « sans objet » once the convention has ended (workflows.md, section 3).
      if (state.status === 'terminated') {
        throw new CafsupError(
          'CONFLICT',
          `La convention ${entry.convention.number} de ${partnerId} est résiliée${state.endsAt === null ? '' : ` depuis le ${longFrenchDate(state.endsAt)}`} : retirer la délégation est sans objet, rien n’a été modifié.`,
          { ids: [partnerId] },
        );
      }
      const before = {
        managementMode: effectiveTerms(entry.convention, now.today).managementMode,
        delegationWithdrawnAt: entry.convention.delegationWithdrawnAt,
      };
      if (before.managementMode === 'centralised') {
        throw new CafsupError('CONFLICT', `Le partenaire ${partnerId} est déjà en mode centralisé : rien à retirer.`, { ids: [partnerId] });
      }
      // The convention keeps one withdrawal date, which every asOf reads (rules.md): writing
      // another over it would move the recorded one and change what earlier dates show (trial 36,
      // M2: « délégation retirée le 05/12 » became « 06/12 », and « délégué » on the 5th), and
      // draft a second avenant for the same withdrawal. Once delegation came back through an
      // avenant, taking it back again is a signed avenant of centralised management.
      const recorded = entry.convention.delegationWithdrawnAt;
      if (recorded !== null) {
        throw new CafsupError(
          'CONFLICT',
          `Un retrait de la délégation de ${partnerId} est déjà enregistré, le ${longFrenchDate(recorded)} : un second retrait remplacerait cette date, rien n’a été modifié. Pour reprendre la gestion, faites signer un avenant de gestion centralisée (cafsup avenant add ${partnerId}).`,
          { ids: [partnerId] },
        );
      }
      const after = { managementMode: 'centralised', delegationWithdrawnAt: now.today };
      const { avenants: _avenants, ...stored } = entry.convention;
      await this.db.run('UPDATE conventions SET doc = ? WHERE partner_id = ?', [JSON.stringify({ ...stored, delegationWithdrawnAt: now.today }), partnerId]);
      const number = await this.nextAvenantNumber(partnerId);
      const avenant: Avenant = {
        number,
        title: `Avenant ${number} : retrait de la délégation, gestion centralisée par la Caf`,
        signedByCafAt: null,
        signedByPartnerAt: null,
        effectiveAt: null,
        changes: [{ type: 'setManagementMode', mode: 'centralised' }],
      };
      await this.insertAvenant(partnerId, avenant, now.today);
      const [partnerTrace, avenantTrace] = await this.traces.append(actor, now.at, [
        { action: 'partner.withdrawDelegation', targetType: 'partner', targetId: partnerId, partnerId, reason, before, after },
        { action: 'avenant.create', targetType: 'avenant', targetId: `${partnerId}#${avenant.number}`, partnerId, reason, before: null, after: avenant },
      ]);
      return {
        dryRun,
        changed: [{ id: partnerId, before, after, traceId: dryRun ? null : partnerTrace! }],
        unchanged: [],
        avenant: { ...avenant, traceId: dryRun ? null : avenantTrace! },
      };
    });
  }

  createAvenant(partnerId: string, draft: AvenantDraft, actor: Actor) {
    const input = parseInput(avenantDraftSchema, draft);
    return this.transact(input.dryRun ?? false, async () => {
      const now = this.clock();
      await this.requirePartner(partnerId);
      for (const side of ['signedByCafAt', 'signedByPartnerAt'] as const) {
        const date = input[side];
        if (date !== undefined && date !== null) checkSignatureDate(date, side, now.today, now.today);
      }
      const avenant: Avenant = {
        number: await this.nextAvenantNumber(partnerId),
        title: input.title,
        signedByCafAt: input.signedByCafAt ?? null,
        signedByPartnerAt: input.signedByPartnerAt ?? null,
        effectiveAt: input.effectiveAt ?? null,
        changes: input.changes,
      };
      await this.insertAvenant(partnerId, avenant, now.today);
      const [traceId] = await this.traces.append(actor, now.at, [
        {
          action: 'avenant.create',
          targetType: 'avenant',
          targetId: `${partnerId}#${avenant.number}`,
          partnerId,
          reason: input.reason ?? input.title,
          before: null,
          after: avenant,
        },
      ]);
      return { dryRun: input.dryRun ?? false, avenant: { partnerId, ...avenant }, traceId: input.dryRun ? null : traceId! };
    });
  }

  signAvenant(partnerId: string, number: number, signature: AvenantSignature, actor: Actor) {
    const input = parseInput(avenantSignatureSchema, signature);
    return this.transact(input.dryRun ?? false, async () => {
      const now = this.clock();
      await this.requirePartner(partnerId);
      const row = await this.db.get<{ doc: string; created_on: string | null }>('SELECT doc, created_on FROM avenants WHERE partner_id = ? AND number = ?', [
        partnerId,
        number,
      ]);
      if (row === undefined) throw new CafsupError('NOT_FOUND', `Avenant ${number} introuvable pour ${partnerId}.`, { ids: [`${partnerId}#${number}`] });
      const before = JSON.parse(row.doc) as Avenant;
      const field = input.side === 'caf' ? 'signedByCafAt' : 'signedByPartnerAt';
      const sideLabel = input.side === 'caf' ? 'la Caf' : 'le partenaire';
      // Already signed by that side: said so whatever the date given, the recorded one is what counts.
      if (before[field] === input.date) return { dryRun: input.dryRun ?? false, avenant: { partnerId, ...before }, changed: false, traceId: null };
      if (before[field] !== null) {
        throw new CafsupError('CONFLICT', `L’avenant ${number} est déjà signé par ${sideLabel} le ${longFrenchDate(before[field])}.`, {
          ids: [`${partnerId}#${number}`],
        });
      }
      checkSignatureDate(input.date, 'date', row.created_on, now.today);
      const after: Avenant = { ...before, [field]: input.date };
      await this.db.run('UPDATE avenants SET doc = ? WHERE partner_id = ? AND number = ?', [JSON.stringify(after), partnerId, number]);
      const [traceId] = await this.traces.append(actor, now.at, [
        {
          action: 'avenant.sign',
          targetType: 'avenant',
          targetId: `${partnerId}#${number}`,
          partnerId,
          reason: input.reason ?? `Signature de l’avenant ${number} par ${sideLabel} le ${longFrenchDate(input.date)}`,
          before: { [field]: before[field] },
          after: { [field]: input.date },
        },
      ]);
      return { dryRun: input.dryRun ?? false, avenant: { partnerId, ...after }, changed: true, traceId: input.dryRun ? null : traceId! };
    });
  }

  recordReview(partnerId: string, record: ReviewRecord, actor: Actor) {
    const input = parseInput(reviewRecordSchema, record);
    return this.transact(input.dryRun ?? false, async () => {
      const now = this.clock();
      await this.requirePartner(partnerId);
      if (input.completedAt > now.today) {
        throw new CafsupError('VALIDATION', `La revue ne peut pas être datée du ${longFrenchDate(input.completedAt)}, dans le futur.`, {
          problems: [{ path: 'completedAt', message: 'date dans le futur' }],
        });
      }
      const review = { partnerId, completedAt: input.completedAt, reviewer: input.reviewer, proof: input.proof ?? null };
      const existing = await this.db.get<{ proof: string | null }>('SELECT proof FROM reviews WHERE partner_id = ? AND completed_at = ? AND reviewer = ?', [
        partnerId,
        review.completedAt,
        review.reviewer,
      ]);
      if (existing !== undefined) {
        throw new CafsupError('CONFLICT', `Une revue du ${longFrenchDate(review.completedAt)} par ${review.reviewer} est déjà enregistrée.`, {
          ids: [partnerId],
        });
      }
      await this.db.run('INSERT INTO reviews (partner_id, completed_at, reviewer, proof) VALUES (?, ?, ?, ?)', [
        partnerId,
        review.completedAt,
        review.reviewer,
        review.proof,
      ]);
      const [traceId] = await this.traces.append(actor, now.at, [
        {
          action: 'review.record',
          targetType: 'review',
          targetId: `${partnerId}@${review.completedAt}`,
          partnerId,
          reason: input.reason ?? `Revue inverse des habilitations du ${longFrenchDate(review.completedAt)}`,
          before: null,
          after: review,
        },
      ]);
      return { dryRun: input.dryRun ?? false, review, traceId: input.dryRun ? null : traceId! };
    });
  }
}
