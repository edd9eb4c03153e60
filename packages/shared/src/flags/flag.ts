import { compareCodePoints } from '../compare.js';
import type { CalendarDate } from '../dates.js';
import type { ConventionStatus } from '../convention.js';
import type { ManagementMode } from '../terms.js';
import { SEVERITIES, articleFor, ruleDefinition, severityRank, type RuleName, type Severity } from './catalogue.js';

interface FlagBase<R extends RuleName> {
  rule: R;
  severity: Severity;
  partnerId: string;
}

interface FlagTail {
  article: string;
  message: string;
}

type KeyFields = {
  QUOTA_EXCEEDED: { service: string; profile: string; assigned: number; maxUsers: number; excessUserIds: string[] };
  PROFILE_NOT_SUBSCRIBED: { habilitationId: string };
  DEPARTEMENT_OUT_OF_SCOPE: { habilitationId: string; departement: string | null };
  /** A user whose mission ended, or a temporary habilitation past its `endsAt` (then `userId` is null for a group's). */
  MISSION_ENDED: { userId: string; missionEndAt: CalendarDate } | { userId: string | null; missionEndAt: CalendarDate; habilitationId: string };
  DORMANT_ACCOUNT: { userId: string; lastSeenAt: string; days: number };
  PASSWORD_STALE: { userId: string; days: number };
  SHARED_EMAIL: { email: string; userIds: string[] };
  NON_PERSONAL_EMAIL: { userId: string; email: string };
  MULTIPLE_PROFILES: { userId: string; service: string; profiles: string[] };
  CONVENTION_NOT_IN_FORCE: { status: ConventionStatus; heldCount: number };
  REVIEW_OVERDUE: { lastReviewAt: CalendarDate | null; dueAt: CalendarDate };
  NO_DEPUTY: Record<never, never>;
  ADMIN_NOT_DESIGNATED: { userId: string; email: string };
  SUSPENSION_STALE: { habilitationId: string; days: number };
  GRANTED_OUTSIDE_TERMS: { habilitationId: string };
  PROFILE_NOT_ELIGIBLE: { habilitationId: string; profile: string };
};

export type FlagOf<R extends RuleName> = FlagBase<R> & KeyFields[R] & FlagTail;
/** One finding of the audit: the rule, its severity, the partner, the rule's key fields, the article and a French message. */
export type Flag = { [R in RuleName]: FlagOf<R> }[RuleName];

/** Builds a flag with its fields in the documented order: rule, severity, partnerId, key fields, article, message. */
export function makeFlag<R extends RuleName>(rule: R, partnerId: string, keyFields: KeyFields[R], message: string): FlagOf<R> {
  const definition = ruleDefinition(rule);
  return {
    rule,
    severity: definition.severity,
    partnerId,
    ...keyFields,
    article: definition.article,
    message,
  };
}

/** The flag citing the article of its partner's effective management mode (rules.md, "Articles"). */
export function citedFor<F extends Flag>(flag: F, mode: ManagementMode): F {
  return mode === 'delegated' ? flag : { ...flag, article: articleFor(flag.rule, mode) };
}

const SORT_FIELDS = ['habilitationId', 'userId', 'service', 'profile', 'email'] as const;

function sortField(flag: Flag, field: (typeof SORT_FIELDS)[number]): string {
  const value = (flag as unknown as Record<string, unknown>)[field];
  // Sort keys are strings (rules.md, "Order of flags"); a number is compared as its digits.
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** The order of rules.md: severity, partnerId, rule number, then the key fields as strings. */
export function compareFlags(a: Flag, b: Flag): number {
  const bySeverity = severityRank(a.severity) - severityRank(b.severity);
  if (bySeverity !== 0) return bySeverity;
  const byPartner = compareCodePoints(a.partnerId, b.partnerId);
  if (byPartner !== 0) return byPartner;
  const byRule = ruleDefinition(a.rule).number - ruleDefinition(b.rule).number;
  if (byRule !== 0) return byRule;
  for (const field of SORT_FIELDS) {
    const byField = compareCodePoints(sortField(a, field), sortField(b, field));
    if (byField !== 0) return byField;
  }
  return 0;
}

export type SeveritySummary = Record<Severity, number>;

export function summarise(flags: readonly Flag[]): SeveritySummary {
  const summary = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as SeveritySummary;
  for (const flag of flags) summary[flag.severity] += 1;
  return summary;
}

/** The audit report of `audit.run` and `cafsup audit --json`. */
export interface AuditReport {
  asOf: CalendarDate;
  flags: Flag[];
  summary: SeveritySummary;
}

/**
 * What `audit.counts` answers: the number of flags per severity of each partner that has any,
 * in partner order — the counts of the full report, without building its flags.
 */
export interface AuditCounts {
  asOf: CalendarDate;
  partners: { partnerId: string; flags: SeveritySummary }[];
}
