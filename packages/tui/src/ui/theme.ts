import type { Severity } from '@cafsup/shared';

/**
 * Colours as meanings, one place: every colour has a word or a symbol beside it, so that
 * NO_COLOR and monochrome terminals lose nothing (tui.md).
 */
export const theme = {
  accent: 'cyan',
  muted: 'gray',
  danger: 'red',
  warning: 'yellow',
  info: 'blue',
  success: 'green',
  selection: 'cyan',
} as const;

export const SEVERITY_COLOUR: Record<Severity, string> = { critical: 'red', high: 'yellow', medium: 'blue', low: 'gray' };

/** A symbol per severity, readable without colour. */
export const SEVERITY_SYMBOL: Record<Severity, string> = { critical: '!!', high: '! ', medium: '~ ', low: '. ' };

export const HABILITATION_STATUS_LABEL: Record<string, string> = { active: 'active', suspended: 'suspendue', revoked: 'dévalidée' };

export const USER_STATUS_LABEL: Record<string, string> = { active: 'actif', suspended: 'suspendu', disabled: 'désactivé' };

export const ROLE_LABEL: Record<string, string> = {
  administrator: 'administrateur',
  deputy: 'suppléant',
  habilitation_manager: 'gestionnaire',
  user: 'utilisateur',
  security_officer: 'sécurité (RSSI)',
  privacy_officer: 'données personnelles (DPO)',
  it_officer: 'informatique',
  mcp_officer: 'référent MCP',
  service_desk: 'centre de services',
  escalation: 'escalade',
};
