import type Database from 'better-sqlite3';
import {
  CafsupError,
  parseInput,
  actionOptionsSchema,
  avenantDraftSchema,
  avenantSignatureSchema,
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
} from '@cafsup/shared';
import { parisDay } from '@cafsup/shared';
import type { ConventionCache } from './conventions.js';
import type { DerivedFacts } from './derived.js';
import type { TraceEntry, TraceWriter } from './traces.js';

/** Thrown inside a dry run's transaction to roll it back; never leaves `transact`. */
class DryRunRollback extends Error {}
const ROLLBACK = new DryRunRollback('dry run');

interface EntityAction<E, V> {
  action: TraceAction;
  targetType: TraceTarget;
  noun: string;
  load(id: string): E | undefined;
  view(entity: E): V;
  decide(entity: E, now: { at: string; today: CalendarDate }): Decision<V>;
  write(entity: E, after: V): void;
  partnerOf(entity: E): string;
}

interface HabilitationState {
  key: number;
  id: string;
  partner_id: string;
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

/** The write side of the store: every action validated, decided, applied and traced in one transaction. */
export class ActionRunner {
  private readonly loadHabilitation: Database.Statement;
  private readonly updateHabilitation: Database.Statement;
  private readonly loadUser: Database.Statement;
  private readonly updateUser: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly traces: TraceWriter,
    private readonly derived: DerivedFacts,
    private readonly conventions: ConventionCache,
    private readonly clock: () => { at: string; today: CalendarDate },
  ) {
    this.loadHabilitation = db.prepare('SELECT key, id, partner_id, status, suspended_at, revoked_at FROM habilitations WHERE id = ?');
    this.updateHabilitation = db.prepare(
      'UPDATE habilitations SET status = ?, suspended_at = ?, suspended_day = ?, revoked_at = ?, revoked_day = ? WHERE key = ?',
    );
    this.loadUser = db.prepare('SELECT key, id, partner_id, status, must_change_password FROM users WHERE id = ?');
    this.updateUser = db.prepare('UPDATE users SET status = ?, must_change_password = ? WHERE key = ?');
  }

  /**
   * Runs `body` in an immediate transaction; with `dryRun` everything it wrote is rolled back.
   * Nested in another write (a workflow step running these actions), it is a savepoint of it.
   */
  transact<T>(dryRun: boolean, body: () => T): T {
    let result: T | undefined;
    try {
      this.db
        .transaction(() => {
          result = body();
          if (dryRun) throw ROLLBACK;
        })
        .immediate();
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    }
    if (!dryRun) this.conventions.invalidate();
    return result as T;
  }

  private runEntityAction<E, V>(spec: EntityAction<E, V>, ids: unknown, options: ActionOptions, actor: Actor): ActionResult<V> {
    const idList = [...new Set(parseInput(idListSchema, ids, 'ids'))];
    // A dry run may come without a reason (it is asked after the preview); nothing is traced then.
    const { reason = '', dryRun = false } = parseInput(actionOptionsSchema, options);
    return this.transact(dryRun, () => {
      const now = this.clock();
      const entities = idList.map((id) => ({ id, entity: spec.load(id) }));
      const missing = entities.filter((entry) => entry.entity === undefined).map((entry) => entry.id);
      if (missing.length > 0) {
        throw new CafsupError('NOT_FOUND', `${capitalise(spec.noun)} introuvable : ${missing.join(', ')}.`, { ids: missing });
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
      for (const { entity, after } of writes) spec.write(entity, after);
      this.derived.refresh(writes.map(({ entity }) => spec.partnerOf(entity)));
      const entries: TraceEntry[] = writes.map(({ entity, after, change }) => ({
        action: spec.action,
        targetType: spec.targetType,
        targetId: change.id,
        partnerId: spec.partnerOf(entity),
        reason,
        before: change.before,
        after,
      }));
      const traceIds = this.traces.append(actor, now.at, entries);
      if (!dryRun) writes.forEach((write, index) => (write.change.traceId = traceIds[index]!));
      return { dryRun, changed, unchanged };
    });
  }

  private habilitationSpec(action: HabilitationAction): EntityAction<HabilitationState, HabilitationView> {
    return {
      action: `habilitation.${action}`,
      targetType: 'habilitation',
      noun: 'habilitation',
      load: (id) => this.loadHabilitation.get(id) as HabilitationState | undefined,
      view: (h) => ({ status: h.status, suspendedAt: h.suspended_at, revokedAt: h.revoked_at }),
      decide: (h, now) => habilitationTransition(action, { status: h.status, suspendedAt: h.suspended_at, revokedAt: h.revoked_at }, now.at),
      write: (h, after) =>
        this.updateHabilitation.run(
          after.status,
          after.suspendedAt,
          after.suspendedAt === null ? null : parisDay(after.suspendedAt),
          after.revokedAt,
          after.revokedAt === null ? null : parisDay(after.revokedAt),
          h.key,
        ),
      partnerOf: (h) => h.partner_id,
    };
  }

  /** Suspends, reinstates or revokes habilitations (rules.md, "Actions"): all or nothing. */
  habilitationAction(action: HabilitationAction, ids: unknown, options: ActionOptions, actor: Actor) {
    return this.runEntityAction(this.habilitationSpec(action), ids, options, actor);
  }

  /**
   * Revokes what was given to these users directly (their groups' habilitations stay: a group
   * is revoked as a group). The people leave; the record of their rights is kept 6 years.
   */
  revokeUsersHabilitations(userIds: unknown, options: ActionOptions, actor: Actor) {
    const users = [...new Set(parseInput(idListSchema, userIds, 'ids'))];
    const missing = users.filter((id) => this.loadUser.get(id) === undefined);
    if (missing.length > 0) throw new CafsupError('NOT_FOUND', `Utilisateur introuvable : ${missing.join(', ')}.`, { ids: missing });
    const held = this.db
      .prepare(
        `SELECT h.id FROM habilitations h JOIN users u ON u.key = h.user_key
          WHERE u.id IN (SELECT value FROM json_each(?)) AND h.status <> 'revoked' ORDER BY h.id`,
      )
      .pluck()
      .all(JSON.stringify(users)) as string[];
    if (held.length === 0) return { dryRun: options.dryRun ?? false, changed: [], unchanged: [] };
    return this.habilitationAction('revoke', held, options, actor);
  }

  private userSpec(action: UserAction): EntityAction<UserState, UserView> {
    return {
      action: `user.${action}`,
      targetType: 'user',
      noun: 'utilisateur',
      load: (id) => this.loadUser.get(id) as UserState | undefined,
      view: (u) => ({ status: u.status, mustChangePassword: u.must_change_password === 1 }),
      decide: (u) => userTransition(action, { status: u.status, mustChangePassword: u.must_change_password === 1 }),
      write: (u, after) => this.updateUser.run(after.status, after.mustChangePassword ? 1 : 0, u.key),
      partnerOf: (u) => u.partner_id,
    };
  }

  /** Suspends or reinstates users (rules.md, "Actions"): all or nothing. */
  userAction(action: 'suspend' | 'reinstate', ids: unknown, options: ActionOptions, actor: Actor) {
    return this.runEntityAction(this.userSpec(action), ids, options, actor);
  }

  /**
   * Forces a password change at next login (the MCP back office ends the open sessions when
   * the flag is set). For a whole partner, disabled users are left out rather than refused.
   */
  forcePasswordReset(target: { userIds: unknown } | { partnerId: string }, options: ActionOptions, actor: Actor) {
    let ids: unknown;
    if ('partnerId' in target) {
      this.requirePartner(target.partnerId);
      ids = (this.db.prepare(`SELECT id FROM users WHERE partner_id = ? AND status <> 'disabled' ORDER BY id`).all(target.partnerId) as { id: string }[]).map(
        (row) => row.id,
      );
      if ((ids as string[]).length === 0) return { dryRun: options.dryRun ?? false, changed: [], unchanged: [] };
    } else ids = target.userIds;
    return this.runEntityAction(this.userSpec('forcePasswordReset'), ids, options, actor);
  }

  private requirePartner(partnerId: string): void {
    if (this.conventions.get(partnerId) === undefined) {
      throw new CafsupError('NOT_FOUND', `Partenaire introuvable : ${partnerId}.`, { ids: [partnerId] });
    }
  }

  private nextAvenantNumber(partnerId: string): number {
    return (this.db.prepare('SELECT COALESCE(MAX(number), 0) + 1 AS next FROM avenants WHERE partner_id = ?').get(partnerId) as { next: number }).next;
  }

  private insertAvenant(partnerId: string, avenant: Avenant, createdOn: CalendarDate): void {
    this.db
      .prepare('INSERT INTO avenants (partner_id, number, doc, created_on) VALUES (?, ?, ?, ?)')
      .run(partnerId, avenant.number, JSON.stringify(avenant), createdOn);
  }

  /**
   * The Caf takes back habilitation management at once (contrat art. 2.2.1); the change of mode
   * still needs an avenant, created here as a draft for both sides to sign.
   */
  withdrawDelegation(partnerId: string, options: ActionOptions, actor: Actor) {
    // A dry run may come without a reason (it is asked after the preview); nothing is traced then.
    const { reason = '', dryRun = false } = parseInput(actionOptionsSchema, options);
    return this.transact(dryRun, () => {
      const now = this.clock();
      const entry = this.conventions.get(partnerId);
      if (entry === undefined) throw new CafsupError('NOT_FOUND', `Partenaire introuvable : ${partnerId}.`, { ids: [partnerId] });
      const before = {
        managementMode: effectiveTerms(entry.convention, now.today).managementMode,
        delegationWithdrawnAt: entry.convention.delegationWithdrawnAt,
      };
      if (before.managementMode === 'centralised') {
        throw new CafsupError('CONFLICT', `Le partenaire ${partnerId} est déjà en mode centralisé : rien à retirer.`, { ids: [partnerId] });
      }
      const after = { managementMode: 'centralised', delegationWithdrawnAt: now.today };
      const { avenants: _avenants, ...stored } = entry.convention;
      this.db.prepare('UPDATE conventions SET doc = ? WHERE partner_id = ?').run(JSON.stringify({ ...stored, delegationWithdrawnAt: now.today }), partnerId);
      const number = this.nextAvenantNumber(partnerId);
      const avenant: Avenant = {
        number,
        title: `Avenant ${number} : retrait de la délégation, gestion centralisée par la Caf`,
        signedByCafAt: null,
        signedByPartnerAt: null,
        effectiveAt: null,
        changes: [{ type: 'setManagementMode', mode: 'centralised' }],
      };
      this.insertAvenant(partnerId, avenant, now.today);
      const [partnerTrace, avenantTrace] = this.traces.append(actor, now.at, [
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
    return this.transact(input.dryRun ?? false, () => {
      const now = this.clock();
      this.requirePartner(partnerId);
      for (const side of ['signedByCafAt', 'signedByPartnerAt'] as const) {
        const date = input[side];
        if (date !== undefined && date !== null && date < now.today) {
          throw new CafsupError(
            'VALIDATION',
            `Date de signature du ${longFrenchDate(date)} antérieure à la création de l’avenant (${longFrenchDate(now.today)}).`,
            {
              problems: [{ path: side, message: `antérieure à la création de l’avenant (${longFrenchDate(now.today)})` }],
            },
          );
        }
      }
      const avenant: Avenant = {
        number: this.nextAvenantNumber(partnerId),
        title: input.title,
        signedByCafAt: input.signedByCafAt ?? null,
        signedByPartnerAt: input.signedByPartnerAt ?? null,
        effectiveAt: input.effectiveAt ?? null,
        changes: input.changes,
      };
      this.insertAvenant(partnerId, avenant, now.today);
      const [traceId] = this.traces.append(actor, now.at, [
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
    return this.transact(input.dryRun ?? false, () => {
      const now = this.clock();
      this.requirePartner(partnerId);
      const row = this.db.prepare('SELECT doc, created_on FROM avenants WHERE partner_id = ? AND number = ?').get(partnerId, number) as
        { doc: string; created_on: string | null } | undefined;
      if (row === undefined) throw new CafsupError('NOT_FOUND', `Avenant ${number} introuvable pour ${partnerId}.`, { ids: [`${partnerId}#${number}`] });
      const before = JSON.parse(row.doc) as Avenant;
      const field = input.side === 'caf' ? 'signedByCafAt' : 'signedByPartnerAt';
      const sideLabel = input.side === 'caf' ? 'la Caf' : 'le partenaire';
      if (row.created_on !== null && input.date < row.created_on) {
        throw new CafsupError(
          'VALIDATION',
          `Date de signature du ${longFrenchDate(input.date)} antérieure à la création de l’avenant (${longFrenchDate(row.created_on)}).`,
          {
            problems: [{ path: 'date', message: `antérieure à la création de l’avenant (${longFrenchDate(row.created_on)})` }],
          },
        );
      }
      if (before[field] === input.date) return { dryRun: input.dryRun ?? false, avenant: { partnerId, ...before }, changed: false, traceId: null };
      if (before[field] !== null) {
        throw new CafsupError('CONFLICT', `L’avenant ${number} est déjà signé par ${sideLabel} le ${longFrenchDate(before[field])}.`, {
          ids: [`${partnerId}#${number}`],
        });
      }
      const after: Avenant = { ...before, [field]: input.date };
      this.db.prepare('UPDATE avenants SET doc = ? WHERE partner_id = ? AND number = ?').run(JSON.stringify(after), partnerId, number);
      const [traceId] = this.traces.append(actor, now.at, [
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
    return this.transact(input.dryRun ?? false, () => {
      const now = this.clock();
      this.requirePartner(partnerId);
      if (input.completedAt > now.today) {
        throw new CafsupError('VALIDATION', `La revue ne peut pas être datée du ${longFrenchDate(input.completedAt)}, dans le futur.`, {
          problems: [{ path: 'completedAt', message: 'date dans le futur' }],
        });
      }
      const review = { partnerId, completedAt: input.completedAt, reviewer: input.reviewer, proof: input.proof ?? null };
      const existing = this.db
        .prepare('SELECT proof FROM reviews WHERE partner_id = ? AND completed_at = ? AND reviewer = ?')
        .get(partnerId, review.completedAt, review.reviewer) as { proof: string | null } | undefined;
      if (existing !== undefined) {
        throw new CafsupError('CONFLICT', `Une revue du ${longFrenchDate(review.completedAt)} par ${review.reviewer} est déjà enregistrée.`, {
          ids: [partnerId],
        });
      }
      this.db
        .prepare('INSERT INTO reviews (partner_id, completed_at, reviewer, proof) VALUES (?, ?, ?, ?)')
        .run(partnerId, review.completedAt, review.reviewer, review.proof);
      const [traceId] = this.traces.append(actor, now.at, [
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

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
