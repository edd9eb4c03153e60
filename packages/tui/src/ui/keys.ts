import type { Key } from 'ink';

/** Every key binding of the interface, one place: the handlers and the `?` help read it. */
export interface Binding {
  keys: string;
  label: string;
  /** A key that changes data: an auditor (read-only) does not have it. */
  action?: true;
}

export const GLOBAL_BINDINGS: Binding[] = [
  { keys: '↑↓ jk PgUp PgDn g G', label: 'ligne, page, premier, dernier' },
  { keys: 'Entrée', label: 'ouvrir' },
  { keys: 'Échap / q', label: 'retour (q quitte depuis le tableau de bord)' },
  { keys: ':', label: 'commande : :partenaire amp, :alertes, :traces, :date 2026-01-01, :q' },
  { keys: '?', label: 'cette aide' },
  { keys: 'Ctrl-C', label: 'quitter tout de suite' },
];

export const SCREEN_BINDINGS = {
  dashboard: [
    { keys: 'p', label: 'partenaires' },
    { keys: 'a', label: 'alertes' },
    { keys: 't', label: 'traces' },
  ],
  partners: [
    { keys: '/', label: 'filtrer (nom, identifiant, Caf)' },
    { keys: 'o', label: 'changer le tri (nom, alertes, places)' },
    { keys: 'w', label: 'retirer la délégation au partenaire', action: true },
    { keys: 'a', label: 'nouvel avenant', action: true },
    { keys: 'v', label: 'enregistrer une revue', action: true },
  ],
  partner: [
    { keys: 'Tab ← → / 1-8', label: 'onglets' },
    { keys: 'f', label: 'suivi : escalade, questions, formulaires' },
    { keys: 'espace', label: 'sélectionner plusieurs lignes', action: true },
    { keys: 's', label: 'suspendre (habilitations, utilisateurs)', action: true },
    { keys: 'R', label: 'réactiver (habilitations, utilisateurs)', action: true },
    { keys: 'x', label: 'dévalider (habilitations)', action: true },
    { keys: 'p', label: 'forcer le changement de mot de passe (utilisateurs)', action: true },
    { keys: 'w', label: 'retirer la délégation', action: true },
    { keys: 'a', label: 'nouvel avenant', action: true },
    { keys: 'v', label: 'enregistrer une revue', action: true },
  ],
  alerts: [
    { keys: '/', label: 'filtrer (partenaire, règle, texte)' },
    { keys: 'Entrée', label: 'aller au partenaire et à la ligne concernée' },
  ],
  traces: [{ keys: '/', label: 'filtrer (partenaire, personne, action, motif)' }],
  workflows: [],
} satisfies Record<string, Binding[]>;

export type ScreenName = keyof typeof SCREEN_BINDINGS;

/** Keys that move a cursor in a list, as a step: ±1, ±page, or to an end. */
export function listMove(input: string, key: Key, page: number): number | 'first' | 'last' | null {
  if (key.upArrow || input === 'k') return -1;
  if (key.downArrow || input === 'j') return 1;
  if (key.pageUp) return -page;
  if (key.pageDown) return page;
  if (key.home || input === 'g') return 'first';
  if (key.end || input === 'G') return 'last';
  return null;
}
