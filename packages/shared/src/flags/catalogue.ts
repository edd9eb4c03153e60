import type { ManagementMode } from '../terms.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_LABELS: Record<Severity, string> = {
  critical: 'critique',
  high: 'élevée',
  medium: 'moyenne',
  low: 'faible',
};

// The articles each rule enforces (rules.md, "Articles"). A centralised contract has no art. 2.2.1
// (seed 004, Bavans): there the bulletin d'adhésion and convention art. 9.1 carry the quotas,
// the profiles and the Caf's hold on habilitations.
const CONTRAT_2_2_1 = 'contrat de services, art. 2.2.1';
const BULLETIN = 'bulletin d’adhésion';
const CONVENTION_9_1 = 'convention, art. 9.1';
const CONVENTION_9_2 = 'convention, art. 9.2';
const QUOTA_DELEGATED = `${CONTRAT_2_2_1} et ${BULLETIN}`;
const QUOTA_CENTRALISED = `${BULLETIN} et ${CONVENTION_9_1}`;
const PERSONAL_EMAIL = `${CONVENTION_9_2} et formulaires de demande d’habilitation (adresse mél personnelle et individuelle)`;
const DESIGNATION_FORM = 'formulaire « désignation d’un administrateur »';

/**
 * The 16 rules of rules.md, in their numbered order, with severity, the article each enforces
 * and, where the delegated contract's article does not exist in a centralised one, the article
 * cited for a centralised partner.
 */
export const RULES = [
  { number: 1, rule: 'QUOTA_EXCEEDED', severity: 'critical', article: QUOTA_DELEGATED, centralisedArticle: QUOTA_CENTRALISED, label: 'Quota dépassé' },
  {
    number: 2,
    rule: 'PROFILE_NOT_SUBSCRIBED',
    severity: 'critical',
    article: QUOTA_DELEGATED,
    centralisedArticle: QUOTA_CENTRALISED,
    label: 'Profil non souscrit',
  },
  {
    number: 3,
    rule: 'DEPARTEMENT_OUT_OF_SCOPE',
    severity: 'high',
    article: QUOTA_DELEGATED,
    centralisedArticle: QUOTA_CENTRALISED,
    label: 'Département hors périmètre',
  },
  {
    number: 4,
    rule: 'MISSION_ENDED',
    severity: 'high',
    article: `${CONVENTION_9_2} et formulaire « demande individuelle d’habilitation » (mission temporaire, date de fin)`,
    label: 'Mission terminée',
  },
  { number: 5, rule: 'DORMANT_ACCOUNT', severity: 'medium', article: CONVENTION_9_2, label: 'Compte dormant' },
  { number: 6, rule: 'PASSWORD_STALE', severity: 'low', article: `${CONVENTION_9_2} et contrat de services, art. 5.2`, label: 'Mot de passe ancien' },
  { number: 7, rule: 'SHARED_EMAIL', severity: 'high', article: PERSONAL_EMAIL, label: 'Adresse mél partagée' },
  { number: 8, rule: 'NON_PERSONAL_EMAIL', severity: 'medium', article: PERSONAL_EMAIL, label: 'Adresse mél non nominative' },
  {
    number: 9,
    rule: 'MULTIPLE_PROFILES',
    severity: 'low',
    article: `${CONTRAT_2_2_1} (principe de moindre affectation)`,
    centralisedArticle: QUOTA_CENTRALISED,
    label: 'Plusieurs profils',
  },
  { number: 10, rule: 'CONVENTION_NOT_IN_FORCE', severity: 'critical', article: 'convention, art. 17', label: 'Convention non en vigueur' },
  { number: 11, rule: 'REVIEW_OVERDUE', severity: 'high', article: 'contrat de services, art. 2.2.2', label: 'Revue inverse en retard' },
  { number: 12, rule: 'NO_DEPUTY', severity: 'medium', article: 'contrat de services, art. 2.2.2 et annexe 1', label: 'Pas de suppléant' },
  {
    number: 13,
    rule: 'ADMIN_NOT_DESIGNATED',
    severity: 'medium',
    article: `contrat de services, art. 2.2.2, annexe 1 et ${DESIGNATION_FORM}`,
    label: 'Administrateur non désigné',
  },
  { number: 14, rule: 'SUSPENSION_STALE', severity: 'low', article: CONTRAT_2_2_1, centralisedArticle: CONVENTION_9_1, label: 'Suspension prolongée' },
  {
    number: 15,
    rule: 'GRANTED_OUTSIDE_TERMS',
    severity: 'high',
    article: 'contrat de services, art. 2.1 et annexe 2 (date de mise à disposition)',
    label: 'Habilitation hors des termes',
  },
  {
    number: 16,
    rule: 'PROFILE_NOT_ELIGIBLE',
    severity: 'high',
    article: `${BULLETIN}, art. 2 et ${CONTRAT_2_2_1}`,
    centralisedArticle: `${BULLETIN}, art. 2 et ${CONVENTION_9_1}`,
    label: 'Profil non destiné au partenaire',
  },
] as const satisfies readonly {
  number: number;
  rule: string;
  severity: Severity;
  article: string;
  centralisedArticle?: string;
  label: string;
}[];

export type RuleName = (typeof RULES)[number]['rule'];
export type RuleDefinition = (typeof RULES)[number];

export const RULE_NAMES = RULES.map<RuleName>((definition) => definition.rule);

const byName = new Map<string, RuleDefinition>(RULES.map((definition) => [definition.rule, definition]));

export function ruleDefinition(rule: RuleName): RuleDefinition {
  return byName.get(rule)!;
}

/** The article a flag cites for a partner whose effective management mode is `mode`. */
export function articleFor(rule: RuleName, mode: ManagementMode): string {
  const definition: { article: string; centralisedArticle?: string } = ruleDefinition(rule);
  return mode === 'centralised' ? (definition.centralisedArticle ?? definition.article) : definition.article;
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
