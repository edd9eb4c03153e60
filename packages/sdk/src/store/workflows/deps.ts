import {
  CafsupError,
  articleFor,
  conventionState,
  indexQuotas,
  isGenericMailbox,
  isProfileEligible,
  longFrenchDate,
  normaliseEmail,
  quotaKey,
  ruleRefusal,
  scopeViolation,
  type ActionOptions,
  type Actor,
  type AuditSettings,
  type CalendarDate,
  type RequestRefusal,
  type Terms,
  notFound,
} from '@cafsup/shared';
import type { ActionRunner } from '../actions.js';
import type { ConventionCache, PartnerConvention } from '../conventions.js';
import type { DerivedFacts } from '../derived.js';
import { pick, type Sql } from '../engine/engine.js';
import type { Store } from '../store.js';
import type { TraceEntry, TraceWriter } from '../traces.js';

/** What every workflow needs of the store: its connection, trail, derived facts, actions and clock. */
export interface WorkflowDeps {
  db: Sql;
  traces: TraceWriter;
  derived: DerivedFacts;
  conventions: ConventionCache;
  actions: ActionRunner;
  /** The store's reads (partners, audit, users, habilitations, traces). */
  store: Store;
  clock(): { at: string; today: CalendarDate };
  settings: AuditSettings;
}

export interface PartnerContext {
  entry: PartnerConvention;
  terms: Terms;
  name: string;
}

export async function requirePartner(deps: WorkflowDeps, partnerId: string, asOf: CalendarDate): Promise<PartnerContext> {
  const entry = await deps.conventions.get(partnerId);
  if (entry === undefined) throw notFound('partner', [partnerId]);
  const name = (await deps.db.value<string>('SELECT name FROM partners WHERE id = ?', [partnerId]))!;
  return { entry, terms: deps.conventions.terms(entry, asOf), name };
}

/** The next number of a per-partner register (requests, questions). */
export async function nextNumber(db: Sql, table: 'requests' | 'questions', partnerId: string): Promise<number> {
  return (await db.value<number>(`SELECT COALESCE(MAX(number), 0) + 1 FROM ${table} WHERE partner_id = ?`, [partnerId]))!;
}

/** A free id `prefix` + a zero-padded number (`bavans-u004`), as the demo and the Caf's own ids read. */
export async function nextId(db: Sql, table: 'users' | 'groups' | 'habilitations', prefix: string, width: number): Promise<string> {
  // The count only says where to start looking. SQLite's LIKE ignores ASCII case and has no
  // escape character; PostgreSQL's ILIKE on these "C" columns ignores ASCII case only, and
  // ESCAPE '' removes its backslash escape: both count the same ids.
  const like = pick(db, { sqlite: "id LIKE ? || '%'", postgres: "id ILIKE ? || '%' ESCAPE ''" });
  let number = (await db.value<number>(`SELECT COUNT(*) FROM ${table} WHERE ${like}`, [prefix]))! + 1;
  for (;;) {
    const id = `${prefix}${String(number).padStart(width, '0')}`;
    if ((await db.value(`SELECT 1 FROM ${table} WHERE id = ?`, [id])) === undefined) return id;
    number += 1;
  }
}

/** Appends traces; a dry run's are rolled back with it, so it reports none. */
export async function trace(deps: WorkflowDeps, actor: Actor, at: string, dryRun: boolean, entries: readonly TraceEntry[]): Promise<(number | null)[]> {
  const ids = await deps.traces.append(actor, at, entries);
  return dryRun ? ids.map(() => null) : ids;
}

/**
 * The options of an action that a workflow step runs inside its own write: a dry run's is a dry
 * run too, which needs no reason (rules.md: it is asked after the preview) and is rolled back with
 * it; a real one carries the workflow's reason.
 */
export function stepOptions(reason: string, dryRun: boolean): ActionOptions {
  return dryRun ? { dryRun: true } : { reason };
}

/**
 * A habilitation may not be granted to end on a day already past: it would be held out of its
 * term from its first day (rule 4). The end may be today (it lapses tonight).
 */
export function requireEndAhead(endsAt: CalendarDate | null | undefined, today: CalendarDate, path: string): void {
  if (endsAt === null || endsAt === undefined || endsAt >= today) return;
  throw new CafsupError('VALIDATION', `Date de fin du ${longFrenchDate(endsAt)} déjà passée (nous sommes le ${longFrenchDate(today)}) : rien n’a été créé.`, {
    problems: [{ path, message: 'date de fin déjà passée' }],
  });
}

/** What a new habilitation would be given (a request or a supervisor's direct record). */
export interface Grant {
  service: string;
  profile: string;
  departement: string | null;
  /** The person's e-mail; null for a group. */
  email: string | null;
  /** The existing user who would hold it, if any. */
  userId: string | null;
  /** Or the group it would be given to: each member not yet holding it takes a place. */
  groupId?: string;
}

/**
 * Why the Caf may not grant this (workflows.md, section 1): the rule it would break and the
 * article that rule enforces for this partner — convention not in force (10), profile not
 * subscribed (2), not eligible (16), département out of scope (3), generic (8) or shared (7)
 * e-mail, quota exceeded (1). Null when nothing stands in the way.
 */
export async function grantRefusal(deps: WorkflowDeps, partner: PartnerContext, asOf: CalendarDate, grant: Grant): Promise<RequestRefusal | null> {
  const { entry, terms } = partner;
  const article = (rule: Parameters<typeof articleFor>[0]) => articleFor(rule, terms.managementMode);
  const state = conventionState(entry.convention, asOf);
  if (!state.inForce) return ruleRefusal('CONVENTION_NOT_IN_FORCE', article('CONVENTION_NOT_IN_FORCE'), `Convention ${entry.convention.number} non en vigueur`);
  const quotas = indexQuotas(terms);
  // Rules 2 and 3 as the audit finds them (an empty list of départements restricts nothing).
  const violation = scopeViolation(quotas, grant.service, grant.profile, grant.departement);
  if (violation === 'PROFILE_NOT_SUBSCRIBED') {
    return ruleRefusal('PROFILE_NOT_SUBSCRIBED', article('PROFILE_NOT_SUBSCRIBED'), `Profil ${grant.profile} du service ${grant.service} non souscrit`);
  }
  // Subscribed: scopeViolation found its quota.
  const quota = quotas.get(quotaKey(grant.service, grant.profile))!;
  if (!isProfileEligible(grant.service, grant.profile, entry.kind)) {
    return ruleRefusal(
      'PROFILE_NOT_ELIGIBLE',
      article('PROFILE_NOT_ELIGIBLE'),
      `Profil ${grant.profile} réservé par le bulletin d’adhésion à un autre type d’organisme`,
    );
  }
  if (violation === 'DEPARTEMENT_OUT_OF_SCOPE') {
    return ruleRefusal(
      'DEPARTEMENT_OUT_OF_SCOPE',
      article('DEPARTEMENT_OUT_OF_SCOPE'),
      `Département ${grant.departement ?? 'non précisé'} hors de ceux du quota ${grant.profile} (${quota.departements!.join(', ')})`,
    );
  }
  if (grant.email !== null) {
    const refusal = await addressRuleRefusal(deps, partner, grant.email, grant.userId);
    if (refusal !== null) return refusal;
  }
  const assigned =
    (await deps.db.value<number>('SELECT assigned FROM quota_holders WHERE partner_id = ? AND service = ? AND profile = ?', [
      entry.partnerId,
      grant.service,
      grant.profile,
    ])) ?? 0;
  // The people who would start holding (service, profile): a new person; the user unless they
  // already do; or the group's members who do not (rules.md: a user holds what their groups
  // hold; disabled users do not count).
  const newHolders =
    grant.userId === null && grant.groupId === undefined
      ? 1
      : (await deps.db.value<number>(
          `SELECT COUNT(*) FROM users u
            WHERE u.status <> 'disabled'
              AND (u.id = @userId OR u.key IN (SELECT m.user_key FROM group_members m JOIN groups g ON g.key = m.group_key WHERE g.id = @groupId))
              AND NOT EXISTS (SELECT 1 FROM holdings h WHERE h.user_key = u.key AND h.service = @service AND h.profile = @profile)`,
          { userId: grant.userId, groupId: grant.groupId ?? null, service: grant.service, profile: grant.profile },
        ))!;
  if (newHolders > 0 && assigned + newHolders > quota.maxUsers) {
    return ruleRefusal(
      'QUOTA_EXCEEDED',
      article('QUOTA_EXCEEDED'),
      `Quota ${grant.service} ${grant.profile} atteint : ${assigned} sur ${quota.maxUsers}${newHolders > 1 ? `, ${newHolders} titulaires de plus` : ''}`,
    );
  }
  return null;
}

/**
 * Why a person of the partner may not have this e-mail (rules 8 and 7): a generic mailbox, or the
 * address of another user not disabled (compared as rule 7 does). `userId`: the user who has or
 * would have it, whom the comparison leaves out; null for a new person. The one check for every
 * path that gives a person an address: a habilitation granted (request or direct), a user created
 * or edited. Else the audit would flag at once what the Caf itself had just written.
 */
export async function addressRuleRefusal(deps: WorkflowDeps, partner: PartnerContext, email: string, userId: string | null): Promise<RequestRefusal | null> {
  const article = (rule: Parameters<typeof articleFor>[0]) => articleFor(rule, partner.terms.managementMode);
  if (isGenericMailbox(email, deps.settings)) return ruleRefusal('NON_PERSONAL_EMAIL', article('NON_PERSONAL_EMAIL'), `Adresse mél non nominative : ${email}`);
  const others = (
    await deps.db.all<{ id: string }>(`SELECT id FROM users WHERE partner_id = ? AND email_norm = ? AND status <> 'disabled' AND id <> ? ORDER BY id`, [
      partner.entry.partnerId,
      normaliseEmail(email),
      userId ?? '',
    ])
  ).map((row) => row.id);
  if (others.length > 0) return ruleRefusal('SHARED_EMAIL', article('SHARED_EMAIL'), `Adresse mél ${email} déjà celle de ${others.join(', ')}`);
  return null;
}

export function refused(refusal: RequestRefusal, hint: string): CafsupError {
  return new CafsupError('CONFLICT', `Refusé : ${refusal.message}. ${hint}`, { refusal });
}
