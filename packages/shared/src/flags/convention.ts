import { CONVENTION_STATUS_LABELS, conventionState, describeTermination, type Convention, type ConventionState } from '../convention.js';
import { longFrenchDate } from '../wording.js';
import { countOf } from '../labels.js';
import { addMonths, daysBetween, parisDay, type CalendarDate } from '../dates.js';
import { normaliseEmail } from '../fields.js';
import type { AuditSettings } from '../settings.js';
import { designatedPartnerEmails, type Terms } from '../terms.js';
import type { UserRole } from '../user.js';
import { makeFlag, type Flag, type FlagOf } from './flag.js';

/** What the convention rules need to know of one partner. */
export interface PartnerFacts {
  partnerId: string;
  convention: Convention;
  /** The convention's effective terms at `asOf` (see `effectiveTerms`). */
  terms: Terms;
  /** `completedAt` of its reviews. */
  reviewDates: readonly CalendarDate[];
  /** Held habilitations of the partner (rule 10). */
  heldCount: number;
  /** Whether an `active` user of the partner has the role `deputy` (rule 12). */
  hasActiveDeputy: boolean;
  /** Users not disabled with role administrator or deputy (rule 13). */
  managers: readonly { id: string; email: string; role: UserRole }[];
}

/** The latest review completed on or before `asOf`, or null. */
export function lastReviewAt(reviewDates: readonly CalendarDate[], asOf: CalendarDate): CalendarDate | null {
  let latest: CalendarDate | null = null;
  for (const date of reviewDates) if (date <= asOf && (latest === null || date > latest)) latest = date;
  return latest;
}

/** Rules 10–13: the flags about a partner's convention and its designated managers. */
export function conventionFlags(facts: PartnerFacts, asOf: CalendarDate, settings: AuditSettings): Flag[] {
  const { partnerId, convention } = facts;
  const state = conventionState(convention, asOf);
  if (!state.inForce) {
    if (facts.heldCount === 0) return [];
    const { status } = state;
    const held = facts.heldCount >= 2 ? `${facts.heldCount} habilitations restent actives ou suspendues` : '1 habilitation reste active ou suspendue';
    return [
      makeFlag(
        'CONVENTION_NOT_IN_FORCE',
        partnerId,
        { status, heldCount: facts.heldCount },
        `Convention ${convention.number} (${CONVENTION_STATUS_LABELS[status]}${status === 'terminated' ? ` le ${longFrenchDate(state.endsAt!)}${endedBy(convention, state)}` : ''}) alors que ${held}.`,
      ),
    ];
  }
  const flags: Flag[] = [];
  const { terms } = facts;
  if (terms.managementMode === 'delegated') {
    const lastReview = lastReviewAt(facts.reviewDates, asOf);
    const dueAt = addMonths(lastReview ?? state.periodStart!, settings.reviewPeriodMonths);
    if (dueAt < asOf) {
      flags.push(
        makeFlag(
          'REVIEW_OVERDUE',
          partnerId,
          { lastReviewAt: lastReview, dueAt },
          lastReview === null
            ? `Aucune revue inverse des habilitations ; la première était due le ${longFrenchDate(dueAt)}.`
            : `Revue inverse des habilitations en retard : la dernière date du ${longFrenchDate(lastReview)}, la suivante était due le ${longFrenchDate(dueAt)}.`,
        ),
      );
    }
    if (!facts.hasActiveDeputy) {
      flags.push(makeFlag('NO_DEPUTY', partnerId, {}, 'Aucun suppléant actif pour gérer les habilitations en mode délégué.'));
    }
  }
  const designated = designatedPartnerEmails(terms, ['administrator', 'deputy']);
  if (designated.size > 0) {
    for (const manager of facts.managers) {
      if (!designated.has(normaliseEmail(manager.email))) flags.push(adminNotDesignatedFlag(partnerId, manager));
    }
  }
  return flags;
}

/** Why a convention ended: its termination in full (rules.md: kind, dates, end), else its one year without tacit renewal. */
function endedBy(convention: Convention, state: ConventionState): string {
  if (convention.termination === null) return ', sans tacite reconduction';
  const termination = describeTermination(convention.termination, state);
  return ` ; ${termination.charAt(0).toLowerCase()}${termination.slice(1)}`;
}

function adminNotDesignatedFlag(partnerId: string, manager: { id: string; email: string; role: UserRole }): FlagOf<'ADMIN_NOT_DESIGNATED'> {
  const role = manager.role === 'deputy' ? 'suppléant' : 'administrateur';
  return makeFlag(
    'ADMIN_NOT_DESIGNATED',
    partnerId,
    { userId: manager.id, email: manager.email },
    `${manager.id} a le rôle ${role} mais son adresse ${manager.email.trim()} n’est pas celle d’un administrateur ou suppléant désigné au contrat.`,
  );
}

/** Rule 14: a habilitation suspended for `suspensionStaleDays` or more. */
export function suspensionStaleFlag(
  partnerId: string,
  habilitation: { id: string; suspendedAt: string | null },
  asOf: CalendarDate,
  settings: AuditSettings,
): FlagOf<'SUSPENSION_STALE'> | null {
  if (habilitation.suspendedAt === null) return null;
  const days = daysBetween(parisDay(habilitation.suspendedAt), asOf);
  if (days < settings.suspensionStaleDays) return null;
  return makeFlag(
    'SUSPENSION_STALE',
    partnerId,
    { habilitationId: habilitation.id, days },
    `Habilitation ${habilitation.id} suspendue depuis ${countOf(days, 'jour')} : la réactiver ou la dévalider.`,
  );
}
