import { compareCodePoints } from '../compare.js';
import type { CalendarDate } from '../dates.js';
import type { ConventionStatus } from '../convention.js';
import { SEVERITIES, ruleDefinition, severityRank, type RuleName, type Severity } from './catalogue.js';

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
  DEPARTEMENT_OUT_OF_SCOPE: { habilitationId: string; departement: string };
  MISSION_ENDED: { userId: string; missionEndAt: CalendarDate };
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
  } as FlagOf<R>;
}

const SORT_FIELDS = ['habilitationId', 'userId', 'service', 'profile', 'email'] as const;

function sortField(flag: Flag, field: (typeof SORT_FIELDS)[number]): string {
  const value = (flag as unknown as Record<string, unknown>)[field];
  return value === undefined || value === null ? '' : String(value);
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
