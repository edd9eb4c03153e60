import type { HabilitationStatus } from './habilitation.js';
import type { ContactRole } from './terms.js';
import type { TraceAction } from './trace.js';
import type { UserRole, UserStatus } from './user.js';

// French words for the codes of the data model, one place for the interface and the commands.
// (The labels of management modes and convention states live beside their types, in terms.ts and
// convention.ts.)

// --- People, habilitations, contacts (used by the interface) -------------------------------------

export const USER_ROLE_LABELS: Record<UserRole, string> = {
  administrator: 'administrateur',
  deputy: 'suppléant',
  habilitation_manager: 'gestionnaire des habilitations',
  user: 'utilisateur',
};

export const USER_STATUS_LABELS: Record<UserStatus, string> = { active: 'actif', suspended: 'suspendu', disabled: 'désactivé' };

export const HABILITATION_STATUS_LABELS: Record<HabilitationStatus, string> = { active: 'active', suspended: 'suspendue', revoked: 'dévalidée' };

export const CONTACT_ROLE_LABELS: Record<ContactRole, string> = {
  administrator: 'administrateur',
  deputy: 'suppléant',
  habilitation_manager: 'gestionnaire des habilitations',
  security_officer: 'sécurité (RSSI)',
  privacy_officer: 'données personnelles (DPO)',
  it_officer: 'informatique',
  mcp_officer: 'référent MCP',
  service_desk: 'centre de services',
  escalation: 'escalade',
};

// --- The audit trail (used by the interface) -----------------------------------------------------

export const TRACE_ACTION_LABELS: Record<TraceAction, string> = {
  'habilitation.suspend': 'suspension d’habilitation',
  'habilitation.reinstate': 'réactivation d’habilitation',
  'habilitation.revoke': 'dévalidation d’habilitation',
  'user.suspend': 'suspension d’utilisateur',
  'user.reinstate': 'réactivation d’utilisateur',
  'user.forcePasswordReset': 'changement de mot de passe imposé',
  'partner.withdrawDelegation': 'retrait de la délégation',
  'avenant.create': 'nouvel avenant',
  'avenant.sign': 'signature d’avenant',
  'review.record': 'revue inverse enregistrée',
  'dataset.import': 'import du jeu de données',
  'traces.purge': 'purge des traces',
  'token.create': 'création de jeton',
  'token.revoke': 'révocation de jeton',
  'token.suspendOwner': 'suspension du titulaire de jeton',
  'token.reinstateOwner': 'réactivation du titulaire de jeton',
  'auth.failure': 'échec d’authentification',
};

// --- Plurals (used by the interface) -------------------------------------------------------------

let plurals: Intl.PluralRules | undefined;
let numbers: Intl.NumberFormat | undefined;

/**
 * The number and its noun agreeing: « 0 habilitation », « 1 habilitation », « 3 habilitations »
 * (French puts 0 and 1 in the singular); `pluralForm` when adding an s is not the plural.
 */
export function plural(count: number, singular: string, pluralForm: string = `${singular}s`): string {
  plurals ??= new Intl.PluralRules('fr-FR');
  numbers ??= new Intl.NumberFormat('fr-FR');
  return `${numbers.format(count)} ${plurals.select(count) === 'one' ? singular : pluralForm}`;
}
