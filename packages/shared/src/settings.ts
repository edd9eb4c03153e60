/** Thresholds of the audit rules (rules.md), settings with these defaults. */
export interface AuditSettings {
  dormantDays: number;
  passwordMaxAgeDays: number;
  suspensionStaleDays: number;
  reviewPeriodMonths: number;
  genericMailboxes: readonly string[];
}

export const DEFAULT_AUDIT_SETTINGS: AuditSettings = Object.freeze({
  dormantDays: 90,
  passwordMaxAgeDays: 365,
  suspensionStaleDays: 30,
  reviewPeriodMonths: 12,
  genericMailboxes: Object.freeze([
    'accueil',
    'admin',
    'administration',
    'ccas',
    'contact',
    'direction',
    'info',
    'mairie',
    'secretariat',
    'service',
    'social',
    'standard',
  ]),
});
