export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_LABELS: Record<Severity, string> = {
  critical: 'critique',
  high: 'élevée',
  medium: 'moyenne',
  low: 'faible',
};

const CONTRAT_2_2_1 = 'contrat de services, art. 2.2.1';
const CONVENTION_9_2 = 'convention, art. 9.2';
const CONVENTION_9_2_FORMS = 'convention, art. 9.2 et formulaires de demande d’habilitation';

/** The 14 rules of rules.md, in their numbered order, with severity and the article each enforces. */
export const RULES = [
  { number: 1, rule: 'QUOTA_EXCEEDED', severity: 'critical', article: CONTRAT_2_2_1, label: 'Quota dépassé' },
  { number: 2, rule: 'PROFILE_NOT_SUBSCRIBED', severity: 'critical', article: `${CONTRAT_2_2_1} et bulletin d’adhésion`, label: 'Profil non souscrit' },
  { number: 3, rule: 'DEPARTEMENT_OUT_OF_SCOPE', severity: 'high', article: `${CONTRAT_2_2_1} et bulletin d’adhésion`, label: 'Département hors périmètre' },
  { number: 4, rule: 'MISSION_ENDED', severity: 'high', article: CONVENTION_9_2, label: 'Mission terminée' },
  { number: 5, rule: 'DORMANT_ACCOUNT', severity: 'medium', article: CONVENTION_9_2, label: 'Compte dormant' },
  { number: 6, rule: 'PASSWORD_STALE', severity: 'low', article: CONVENTION_9_2_FORMS, label: 'Mot de passe ancien' },
  { number: 7, rule: 'SHARED_EMAIL', severity: 'high', article: CONVENTION_9_2_FORMS, label: 'Adresse mél partagée' },
  { number: 8, rule: 'NON_PERSONAL_EMAIL', severity: 'medium', article: CONVENTION_9_2_FORMS, label: 'Adresse mél non nominative' },
  { number: 9, rule: 'MULTIPLE_PROFILES', severity: 'low', article: CONVENTION_9_2, label: 'Plusieurs profils' },
  { number: 10, rule: 'CONVENTION_NOT_IN_FORCE', severity: 'critical', article: 'convention, art. 17', label: 'Convention non en vigueur' },
  { number: 11, rule: 'REVIEW_OVERDUE', severity: 'high', article: 'contrat de services, art. 2.2.2', label: 'Revue inverse en retard' },
  { number: 12, rule: 'NO_DEPUTY', severity: 'medium', article: `${CONTRAT_2_2_1} et annexe 1`, label: 'Pas de suppléant' },
  { number: 13, rule: 'ADMIN_NOT_DESIGNATED', severity: 'medium', article: `${CONTRAT_2_2_1} et annexe 1`, label: 'Administrateur non désigné' },
  { number: 14, rule: 'SUSPENSION_STALE', severity: 'low', article: CONTRAT_2_2_1, label: 'Suspension prolongée' },
] as const satisfies readonly { number: number; rule: string; severity: Severity; article: string; label: string }[];

export type RuleName = (typeof RULES)[number]['rule'];
export type RuleDefinition = (typeof RULES)[number];

export const RULE_NAMES = RULES.map((definition) => definition.rule) as RuleName[];

const byName = new Map<string, RuleDefinition>(RULES.map((definition) => [definition.rule, definition]));

export function ruleDefinition(rule: RuleName): RuleDefinition {
  return byName.get(rule)!;
}

export function isRuleName(value: string): value is RuleName {
  return byName.has(value);
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** True when `severity` is at least as grave as `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}
