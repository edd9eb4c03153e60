import type { Key } from 'ink';
import { WORKFLOW_STEP_LABELS as STEP } from '@cafsup/shared';

/** Keys that are not text. */
export type KeyName = 'up' | 'down' | 'left' | 'right' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'return' | 'escape' | 'tab' | 'backspace' | 'delete';

/**
 * One keypress, as the dispatcher hands it to a screen: a named key, or text. A text field
 * may receive several characters at once (a paste); every other handler gets one.
 */
export interface KeyPress {
  name: KeyName | null;
  text: string;
  ctrl: boolean;
  shift: boolean;
}

const NAMED: [keyof Key, KeyName][] = [
  ['upArrow', 'up'],
  ['downArrow', 'down'],
  ['leftArrow', 'left'],
  ['rightArrow', 'right'],
  ['pageUp', 'pageUp'],
  ['pageDown', 'pageDown'],
  ['home', 'home'],
  ['end', 'end'],
  ['return', 'return'],
  ['escape', 'escape'],
  ['tab', 'tab'],
  ['backspace', 'backspace'],
  ['delete', 'delete'],
];

function character(text: string): KeyPress {
  if (text === '\r' || text === '\n') return { name: 'return', text: '', ctrl: false, shift: false };
  if (text === '\t') return { name: 'tab', text: '', ctrl: false, shift: false };
  // Terminals send DEL for Backspace; some send BS.
  if (text === '\u007f' || text === '\b') return { name: 'backspace', text: '', ctrl: false, shift: false };
  const code = text.codePointAt(0)!;
  if (code < 0x20) return { name: null, text: String.fromCharCode(code + 0x60), ctrl: true, shift: false };
  return { name: null, text, ctrl: false, shift: text !== text.toLowerCase() };
}

const ESCAPE: KeyPress = { name: 'escape', text: '', ctrl: false, shift: false };
const ESCAPED_IN_ONE_READ: readonly KeyName[] = ['return', 'tab', 'backspace', 'delete'];

/**
 * The keypresses of one input event of Ink. Ink already cuts escape sequences out of a stdin
 * chunk, but hands a run of plain characters over whole (pitfalls.md, second round: `jjjjj`,
 * `partenaire amp\r`): such a run is split here, one keypress per character, Enter included.
 */
export function keypressesOf(input: string, key: Key): KeyPress[] {
  const named = NAMED.find(([flag]) => key[flag] === true)?.[1] ?? null;
  // Échap then Entrée, Tab or Backspace in one read, which Ink parses as Alt and the key (arrows
  // keep their Alt: xterm sends it as a modifier too, and Échap then an arrow cannot be told apart).
  if (named !== null && key.meta && ESCAPED_IN_ONE_READ.includes(named)) return [ESCAPE, { name: named, text: '', ctrl: key.ctrl, shift: key.shift }];
  if (named !== null) return [{ name: named, text: '', ctrl: key.ctrl, shift: key.shift }];
  if (key.ctrl && input.length === 1) return [{ name: null, text: input, ctrl: true, shift: false }];
  // Échap then a letter in one read (a fast typist in tmux or over SSH) is what Ink parses as
  // Alt and the letter, the Échap dropped (review 42b: Échap then s on a detail lost both keys).
  // The interface has no Alt key: it is Échap, then the letter.
  if (key.meta && [...input].length === 1) return [ESCAPE, character(input)];
  return [...input].map(character);
}

/** True for a press that a text field takes as text. */
export function isText(press: KeyPress): boolean {
  return press.name === null && !press.ctrl && press.text !== '';
}

/** How a binding is triggered: a character, or a named key. */
type Trigger = KeyName | 'shiftTab' | (string & {});

/** A key binding: what triggers it, and how help and footers describe it. */
export interface Binding {
  /** As help shows the keys. */
  keys: string;
  label: string;
  /** The few words of the footer; a binding without one is only in the help. */
  footer?: string;
  on: readonly Trigger[];
  /** A key that changes data: a read-only session does not have it. */
  action?: true;
  /** The `:` command that does the same (`:appliquer`), shown beside the key in `?`. */
  command?: string;
}

/** True when `press` triggers `binding`. */
export function triggers(press: KeyPress, binding: Binding): boolean {
  return binding.on.some((trigger) => {
    if (trigger === 'shiftTab') return press.name === 'tab' && press.shift;
    if (trigger === 'tab') return press.name === 'tab' && !press.shift;
    if (trigger.length > 1) return press.name === trigger;
    return press.name === null && !press.ctrl && press.text === trigger;
  });
}

/** The binding of `bindings` that `press` triggers, by its name; null when none does. */
export function commandOf<T extends Record<string, Binding>>(bindings: T, press: KeyPress, canWrite = true): keyof T | null {
  for (const [name, binding] of Object.entries(bindings)) {
    if ((canWrite || binding.action !== true) && triggers(press, binding)) return name;
  }
  return null;
}

/** The footer of a screen: the named bindings that have a footer, in order. */
export function footerOf<T extends Record<string, Binding>>(bindings: T, names: readonly (keyof T)[], canWrite: boolean): string {
  return names
    .map((name) => bindings[name]!)
    .filter((binding) => binding.footer !== undefined && (canWrite || binding.action !== true))
    .map((binding) => `${binding.keys} ${binding.footer}`)
    .join(' · ');
}

/** Movement in every list. */
export const LIST_BINDINGS = {
  up: { keys: '↑ k', label: 'ligne précédente', on: ['up', 'k'] },
  down: { keys: '↓ j', label: 'ligne suivante', on: ['down', 'j'] },
  pageUp: { keys: 'PgUp', label: 'page précédente', on: ['pageUp'] },
  pageDown: { keys: 'PgDn', label: 'page suivante', on: ['pageDown'] },
  first: { keys: 'g', label: 'première ligne', on: ['home', 'g'] },
  last: { keys: 'G', label: 'dernière ligne', on: ['end', 'G'] },
} satisfies Record<string, Binding>;

/** Selection in lists whose rows can be acted on. */
export const SELECTION_BINDINGS = {
  select: { keys: 'espace', label: 'sélectionner la ligne (plusieurs possibles)', footer: 'sélectionner', on: [' '], action: true },
  selectAll: { keys: '*', label: 'sélectionner toutes les lignes du filtre (ou aucune)', footer: 'tout', on: ['*'], action: true },
} satisfies Record<string, Binding>;

/** Keys of every screen, handled by the application when the screen does not use them. */
export const GLOBAL_BINDINGS = {
  help: { keys: '?', label: 'cette aide', footer: 'aide', on: ['?'] },
  command: {
    keys: ':',
    label: 'commande : :partenaire amp, :cherche martin, :suivi amp, :appliquer amp 1, :partenaire-nouveau, :alertes, :traces, :date 2026-01-01, :q',
    on: [':'],
  },
  reload: { keys: 'r', label: 'recharger les données', on: ['r'] },
  export: { keys: 'e', label: 'écrire la liste affichée (filtrée) en CSV ou XLSX', on: ['e'] },
  back: { keys: 'Échap / q', label: 'retour (q quitte depuis le tableau de bord)', on: ['escape', 'q'] },
  interrupt: { keys: 'Ctrl-C', label: 'quitter tout de suite', on: [] },
} satisfies Record<string, Binding>;

/** `/` in every list. */
const FILTER = (what: string): Binding => ({ keys: '/', label: `filtrer (${what})`, footer: 'filtrer', on: ['/'] });
const OPEN = (what: string): Binding => ({ keys: 'Entrée', label: what, footer: 'détail', on: ['return'] });

/**
 * The `:` command of each workflow step (`:formulaire amp`, `:appliquer amp 1`, `:extrait amp-u031`):
 * the command line understands them, says their arguments when one is missing, and `?` shows
 * them beside the step's key.
 */
export const WORKFLOW_COMMANDS = {
  requestAdd: { verb: 'formulaire', argument: 'ID [designation|habilitation|deletion]' },
  requestApply: { verb: 'appliquer', argument: 'ID N' },
  requestRefuse: { verb: 'refuser', argument: 'ID N' },
  review: { verb: 'revue', argument: 'ID' },
  questionAdd: { verb: 'question', argument: 'ID' },
  questionAnswer: { verb: 'reponse', argument: 'ID N' },
  breach: { verb: 'demeure', argument: 'ID' },
  unilateral: { verb: 'resiliation', argument: 'ID' },
  remedy: { verb: 'correction', argument: 'ID' },
  closeOut: { verb: 'cloture', argument: 'ID' },
  personExtract: { verb: 'extrait', argument: 'UTILISATEUR' },
  incident: { verb: 'incident', argument: 'ID' },
  userCreate: { verb: 'utilisateur-nouveau', argument: 'ID' },
  userEdit: { verb: 'utilisateur-modifier', argument: 'UTILISATEUR' },
  groupCreate: { verb: 'groupe-nouveau', argument: 'ID' },
  groupEdit: { verb: 'groupe-modifier', argument: 'GROUPE' },
  habilitationCreate: { verb: 'habilitation-nouvelle', argument: 'ID' },
  partnerCreate: { verb: 'partenaire-nouveau', argument: '' },
  partnerEdit: { verb: 'partenaire-modifier', argument: 'ID' },
  conventionEdit: { verb: 'convention-modifier', argument: 'ID' },
} as const;
export type WorkflowStep = keyof typeof WORKFLOW_COMMANDS;

const STEP_LABEL: Record<WorkflowStep, string> = { ...STEP, review: STEP.reviewSheet };

/** A workflow step's key, with its `:` command beside it in `?`. */
function workflowStep(key: string, step: WorkflowStep, footer: string, where = ''): Binding {
  return { keys: key, label: `${STEP_LABEL[step]}${where}`, footer, on: [key], action: true, command: `:${WORKFLOW_COMMANDS[step].verb}` };
}

const PARTNER_ACTIONS = {
  withdraw: { keys: 'w', label: 'retirer la délégation au partenaire', footer: 'retirer la délégation', on: ['w'], action: true },
  avenant: { keys: 'a', label: 'nouvel avenant', footer: 'avenant', on: ['a'], action: true },
  review: { keys: 'v', label: 'enregistrer une revue', footer: 'revue', on: ['v'], action: true },
} satisfies Record<string, Binding>;

const ROW_ACTIONS = {
  suspend: { keys: 's', label: 'suspendre (habilitations, utilisateurs)', footer: 'suspendre', on: ['s'], action: true },
  reinstate: { keys: 'R', label: 'réactiver (habilitations, utilisateurs)', footer: 'réactiver', on: ['R'], action: true },
  revoke: { keys: 'x', label: 'dévalider (habilitations)', footer: 'dévalider', on: ['x'], action: true },
  password: { keys: 'p', label: 'forcer le changement de mot de passe (utilisateurs)', footer: 'mot de passe', on: ['p'], action: true },
} satisfies Record<string, Binding>;

/** The keys of each screen: the handlers, the footers and `?` read them here. */
export const SCREEN_BINDINGS = {
  dashboard: {
    partners: { keys: 'p', label: 'partenaires', footer: 'partenaires', on: ['p'] },
    alerts: { keys: 'a', label: 'alertes', footer: 'alertes', on: ['a'] },
    traces: { keys: 't', label: 'traces', footer: 'traces', on: ['t'] },
  },
  partners: {
    open: { keys: 'Entrée', label: 'ouvrir la fiche du partenaire', footer: 'ouvrir', on: ['return'] },
    filter: FILTER('nom, identifiant, Caf, convention'),
    sort: { keys: 'o', label: 'changer le tri (nom, alertes, places)', footer: 'trier', on: ['o'] },
    partnerCreate: workflowStep('n', 'partnerCreate', 'nouveau'),
    ...PARTNER_ACTIONS,
  },
  partner: {
    nextTab: { keys: 'Tab →', label: 'onglet suivant', footer: 'onglets', on: ['tab', 'right'] },
    previousTab: { keys: 'Maj-Tab ←', label: 'onglet précédent', on: ['shiftTab', 'left'] },
    tab: { keys: '1-8', label: 'aller à l’onglet n°', on: ['1', '2', '3', '4', '5', '6', '7', '8'] },
    open: OPEN('détail de la ligne (personne, groupe, alerte, trace)'),
    filter: FILTER('les lignes de l’onglet'),
    ...SELECTION_BINDINGS,
    ...ROW_ACTIONS,
    // `e` stays free for the exports of the current view (tui.md).
    excess: { keys: 'E', label: 'suspendre les titulaires en excédent du quota (onglet Quotas)', footer: 'suspendre l’excédent', on: ['E'], action: true },
    dormant: { keys: 'D', label: 'suspendre tous les comptes dormants du partenaire', footer: 'dormants', on: ['D'], action: true },
    workflows: { keys: 'f', label: 'suivi : escalade, questions, formulaires, mise en demeure', footer: 'suivi', on: ['f'] },
    personExtract: workflowStep('T', 'personExtract', 'extrait', ' (onglet Utilisateurs)'),
    // The records the Caf writes without a form (workflows.md §1).
    userCreate: workflowStep('n', 'userCreate', 'nouvel utilisateur', ' (onglet Utilisateurs)'),
    userEdit: workflowStep('m', 'userEdit', 'modifier', ' sous le curseur (onglet Utilisateurs)'),
    habilitationCreate: workflowStep('h', 'habilitationCreate', 'accorder', ' (onglet Utilisateurs : à la personne sous le curseur)'),
    groupCreate: workflowStep('N', 'groupCreate', 'nouveau groupe'),
    groupEdit: workflowStep('M', 'groupEdit', 'modifier un groupe'),
    partnerEdit: workflowStep('i', 'partnerEdit', 'informations'),
    conventionEdit: workflowStep('c', 'conventionEdit', 'convention'),
    ...PARTNER_ACTIONS,
  },
  alerts: {
    open: OPEN('détail de l’alerte (message entier, article)'),
    go: { keys: '→', label: 'aller au partenaire et à la ligne concernée (Entrée depuis le détail)', footer: 'aller à la ligne', on: ['right'] },
    filter: FILTER('partenaire, règle, texte'),
    ...SELECTION_BINDINGS,
    suspend: { keys: 's', label: 'suspendre l’habilitation ou l’utilisateur de l’alerte', footer: 'suspendre', on: ['s'], action: true },
    revoke: { keys: 'x', label: 'dévalider l’habilitation de l’alerte', footer: 'dévalider', on: ['x'], action: true },
    password: { keys: 'p', label: 'forcer le changement de mot de passe de l’utilisateur de l’alerte', footer: 'mot de passe', on: ['p'], action: true },
  },
  traces: {
    open: OPEN('détail de la trace (avant, après)'),
    filter: FILTER('partenaire, personne, action, motif'),
  },
  search: {
    open: { keys: 'Entrée', label: 'aller au partenaire et à la ligne trouvée', footer: 'aller', on: ['return'] },
    filter: FILTER('les résultats'),
  },
  workflows: {
    requestAdd: workflowStep('d', 'requestAdd', 'formulaire'),
    requestApply: workflowStep('a', 'requestApply', 'appliquer'),
    requestRefuse: workflowStep('n', 'requestRefuse', 'refuser'),
    review: workflowStep('v', 'review', 'revue'),
    questionAdd: workflowStep('i', 'questionAdd', 'interroger'),
    incident: workflowStep('I', 'incident', 'incident'),
    questionAnswer: workflowStep('c', 'questionAnswer', 'réponse'),
    breach: workflowStep('m', 'breach', 'mise en demeure'),
    unilateral: workflowStep('u', 'unilateral', 'résiliation'),
    remedy: workflowStep('l', 'remedy', 'correction'),
    closeOut: workflowStep('C', 'closeOut', 'clore'),
  },
} satisfies Record<string, Record<string, Binding>>;

export type ScreenName = keyof typeof SCREEN_BINDINGS;

/** A list move, as a step: ±1, ±page, or to an end; null when the press is not a move. */
export function listMove(press: KeyPress, page: number): number | 'first' | 'last' | null {
  switch (commandOf(LIST_BINDINGS, press)) {
    case 'up':
      return -1;
    case 'down':
      return 1;
    case 'pageUp':
      return -page;
    case 'pageDown':
      return page;
    case 'first':
      return 'first';
    case 'last':
      return 'last';
    default:
      return null;
  }
}
