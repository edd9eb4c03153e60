import type { Avenant } from './avenant.js';
import type { HabilitationStatus } from './habilitation.js';
import type { ContactRole, ManagementMode } from './terms.js';
import type { TraceAction } from './trace.js';
import type { UserRole, UserStatus } from './user.js';
import { escapeForTerminal } from './terminal.js';

// French words for the codes a supervisor reads (cli.md, "Conventions users of gh and kubectl
// expect"): text output shows these, `--json` keeps the codes, and option values accept either
// (`--severity critique`, `--status suspendue`) through `codeFromWord` over the same tables.
// The labels of management modes (terms.ts), convention states (convention.ts) and severities
// (flags/catalogue.ts) stay beside their codes; `codeFromWord` reads those tables the same way.

// ---------------------------------------------------------------------------------------------
// Plurals
// ---------------------------------------------------------------------------------------------

let pluralRules: Intl.PluralRules | undefined;
let numberFormat: Intl.NumberFormat | undefined;

/** A French plural of a phrase: each word takes an `s` unless it already ends in s, x or z. */
function regularPlural(phrase: string): string {
  return phrase.replace(/[\p{L}\u2019'-]+/gu, (word) => (/[sxz]$/i.test(word) ? word : `${word}s`));
}

/**
 * The form of `one` that agrees with `n` (French: 0 and 1 are singular, « 1,5 heure »),
 * `other` when the plural is not the regular one (« Caf » stays « Caf »).
 */
export function plural(n: number, one: string, other?: string): string {
  // A count, nearly every number agreed with, is singular at 0 and 1 (CLDR's French rule: integer
  // part 0 or 1), told without Intl: the first French Intl.PluralRules loads ICU's plural data,
  // ~1.5 ms of each command that counts (`cafsup partner ID`'s alerts). Any other number, as Intl says.
  let singular: boolean;
  if (Number.isSafeInteger(n)) singular = Math.abs(n) <= 1;
  else {
    pluralRules ??= new Intl.PluralRules('fr-FR');
    singular = pluralRules.select(n) === 'one';
  }
  return singular ? one : (other ?? regularPlural(one));
}

/** A number as a French reader writes it (narrow no-break space for thousands: « 12 345 »). */
export function frenchNumber(n: number): string {
  // Counts, nearly every number shown, are grouped here as Intl groups them: the first French
  // Intl.NumberFormat loads ICU's locale data, 30 to 90 ms of a command's run.
  if (Number.isSafeInteger(n) && n >= 0 && !Object.is(n, -0)) return String(n).replace(/\B(?=(\d{3})+$)/g, '\u202f');
  numberFormat ??= new Intl.NumberFormat('fr-FR');
  return numberFormat.format(n);
}

/** Items as a French sentence lists them: « 78 », « 78 et 13 », « 78, 13 et 40 » (or with « ou »). */
export function frenchList(items: readonly string[], conjunction: 'et' | 'ou' = 'et'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)!}`;
}

/** A number and the phrase agreeing with it: « 2 alertes élevées », « 1 partenaire », « 0 trace ». */
export function countOf(n: number, one: string, other?: string): string {
  return `${frenchNumber(n)} ${plural(n, one, other)}`;
}

// ---------------------------------------------------------------------------------------------
// Codes of the command line and the interface
// ---------------------------------------------------------------------------------------------

/** Users' roles in « Mon Compte Partenaire » (contrat annexe 1). */
export const USER_ROLE_LABELS: Record<UserRole, string> = {
  administrator: 'administrateur',
  deputy: 'suppléant',
  habilitation_manager: 'gestionnaire d’habilitations',
  user: 'utilisateur',
};

/** A user's status (masculine: « un utilisateur suspendu »). */
export const USER_STATUS_LABELS: Record<UserStatus, string> = { active: 'actif', suspended: 'suspendu', disabled: 'désactivé' };

/** A habilitation's status (feminine: « une habilitation suspendue »); revoked is the contract's « dévalidée ». */
export const HABILITATION_STATUS_LABELS: Record<HabilitationStatus, string> = { active: 'active', suspended: 'suspendue', revoked: 'dévalidée' };

/** Which sides signed an avenant: a draft (« projet ») until both did. */
export type AvenantSigning = 'draft' | 'signedByCaf' | 'signedByPartner' | 'signed';

/**
 * Here beside its words, not with the avenant's schemas: the interface's first frame says it
 * (format.ts), and would otherwise load zod and every schema before drawing (~25 ms).
 */
export function avenantSigning(avenant: Pick<Avenant, 'signedByCafAt' | 'signedByPartnerAt'>): AvenantSigning {
  if (avenant.signedByCafAt === null) return avenant.signedByPartnerAt === null ? 'draft' : 'signedByPartner';
  return avenant.signedByPartnerAt === null ? 'signedByCaf' : 'signed';
}

/** Which sides signed an avenant (`avenantSigning`); `absent`, an avenant an import leaves out. */
export const AVENANT_SIGNING_LABELS: Record<AvenantSigning | 'absent', string> = {
  draft: 'non signé',
  signedByCaf: 'signé par la Caf seule',
  signedByPartner: 'signé par le partenaire seul',
  signed: 'signé des deux parties',
  absent: 'supprimé',
};

/** Roles of the people a convention names (dataset.md, contacts). */
export const CONTACT_ROLE_LABELS: Record<ContactRole, string> = {
  administrator: 'administrateur',
  deputy: 'suppléant',
  habilitation_manager: 'gestionnaire d’habilitations',
  security_officer: 'responsable de la sécurité',
  privacy_officer: 'délégué à la protection des données',
  it_officer: 'responsable informatique',
  mcp_officer: 'correspondant MCP',
  service_desk: 'centre de services',
  escalation: 'escalade',
};

/** The side of a contract a contact or a signature belongs to. */
export const SIDE_LABELS: Record<'caf' | 'partner', string> = { caf: 'Caf', partner: 'partenaire' };

type ContactNamed = { side: keyof typeof SIDE_LABELS; role: ContactRole; order?: number | undefined };

/**
 * A convention's contact as a line of its sheet (`cafsup partner`, the interface's Synthèse tab),
 * ranked where `contacts` (all of the convention's) name others of its side and role:
 * conventions name two administrators or managers (« Partenaire · gestionnaire d’habilitations 2 :
 * Inès Perrin <ines.perrin@…> »), and a single one needs no number. Its name and e-mail are data,
 * escaped for the terminal.
 */
export function contactLine(contact: ContactNamed & { name: string; email: string }, contacts: readonly ContactNamed[]): string {
  const side = SIDE_LABELS[contact.side];
  const ranked = contact.order !== undefined && contacts.some((other) => other !== contact && other.side === contact.side && other.role === contact.role);
  const title = `${side.charAt(0).toUpperCase()}${side.slice(1)} · ${CONTACT_ROLE_LABELS[contact.role]}${ranked ? ` ${contact.order}` : ''}`;
  return `${title} : ${escapeForTerminal(contact.name)} <${escapeForTerminal(contact.email)}>`;
}

/** What each trace records, in the words of the trail. */
export const TRACE_ACTION_LABELS: Record<TraceAction, string> = {
  'habilitation.suspend': 'suspension d’habilitation',
  'habilitation.reinstate': 'réactivation d’habilitation',
  'habilitation.revoke': 'dévalidation d’habilitation',
  'user.suspend': 'suspension d’utilisateur',
  'user.reinstate': 'réactivation d’utilisateur',
  'user.forcePasswordReset': 'changement de mot de passe imposé',
  'partner.withdrawDelegation': 'retrait de délégation',
  'avenant.create': 'avenant enregistré',
  'avenant.sign': 'signature d’avenant',
  'review.record': 'revue inverse enregistrée',
  'dataset.import': 'import de données',
  'traces.purge': 'purge de conservation',
  'token.create': 'jeton créé',
  'token.revoke': 'jeton révoqué',
  'token.suspendOwner': 'titulaire de jetons suspendu',
  'token.reinstateOwner': 'titulaire de jetons rétabli',
  'auth.failure': 'authentification refusée',
  'request.add': 'formulaire reçu',
  'request.apply': 'formulaire appliqué',
  'request.refuse': 'formulaire refusé',
  'user.create': 'utilisateur créé',
  'user.edit': 'utilisateur corrigé',
  'user.setRole': 'rôle d’utilisateur changé',
  'user.disable': 'utilisateur désactivé',
  'group.create': 'groupe créé',
  'group.edit': 'groupe corrigé',
  'group.removeMember': 'retrait d’un membre de groupe',
  'habilitation.create': 'habilitation accordée',
  'convention.setContact': 'contact de la convention remplacé',
  'partner.create': 'partenaire enregistré',
  'partner.edit': 'partenaire corrigé',
  'convention.edit': 'convention corrigée',
  'question.add': 'question ou incident enregistré',
  'question.answer': 'réponse enregistrée',
  'notice.add': 'lettre de résiliation ou mise en demeure',
  'notice.remedy': 'manquements corrigés',
  'partner.closeOut': 'clôture après résiliation',
  'review.sheet': 'feuille de revue retournée',
  'traces.personExtract': 'extrait des traces d’une personne',
};

/**
 * The fields of the paper forms (contrat de services, annexe 3), in the forms' own words: the
 * prompts of `cafsup request add` and the interface's dialog ask them with these labels.
 */
export const REQUEST_FORM_LABELS = {
  role: 'Rôle',
  administratorName: 'Prénom et NOM de l’administrateur à habiliter',
  function: 'Fonction',
  phone: 'Numéro de téléphone (au moins un)',
  email: 'Adresse mél personnelle et individuelle',
  replaces: 'Cet administrateur remplace-t-il un administrateur existant ?',
  replacedName: 'Prénom et nom de l’administrateur à remplacer',
  replacedEmail: 'Adresse mél de l’administrateur à remplacer',
  personToHabilitate: 'Prénom et NOM de la personne à habiliter',
  functionToHabilitate: 'Fonction de la personne à habiliter (facultatif)',
  departement: 'Département (facultatif)',
  service: 'Service',
  profile: 'Profil (T1…T22)',
  temporary: 'S’agit-il d’une mission temporaire ?',
  endsAt: 'Date de fin de mission (AAAA-MM-JJ)',
  personName: 'Prénom NOM de la personne dont l’accès est à supprimer',
  personEmail: 'Adresse mél',
  personFunction: 'Fonction (facultatif)',
  anotherPerson: 'Une autre personne ?',
  lossOrTheft: 'Perte ou vol ?',
  departedAt: 'Date du départ, si connue (AAAA-MM-JJ, facultatif)',
  receivedAt: 'Formulaire reçu le (AAAA-MM-JJ)',
  signatory: 'Signataire pour le partenaire (facultatif)',
} as const;

/** The answers of a yes/no box of a form, « non » first (the forms' default). */
export const YES_NO_LABELS = { n: 'non', o: 'oui' } as const;

/**
 * The supervision workflows' steps (workflows.md) as a supervisor names them: the titles of the
 * interface's dialogs and the labels of their keys in the footers and `?`.
 */
export const WORKFLOW_STEP_LABELS = {
  requestAdd: 'enregistrer un formulaire reçu',
  requestApply: 'appliquer un formulaire reçu',
  requestRefuse: 'refuser un formulaire reçu',
  reviewSheet: 'enregistrer une revue (feuille retournée, CSV ou XLSX)',
  questionAdd: 'interroger le partenaire (contrat de services, art. 2.2.1)',
  questionAnswer: 'enregistrer la réponse du partenaire',
  breach: 'mettre en demeure (convention, art. 17.2)',
  unilateral: 'enregistrer une résiliation unilatérale (convention, art. 17.2)',
  remedy: 'enregistrer la correction des manquements',
  closeOut: 'clore : tout dévalider, désactiver les gestionnaires',
  personExtract: 'extrait des traces de la personne (contrat de services, art. 5.3.4)',
  incident: 'enregistrer un incident au centre de services (contrat de services, art. 3.2)',
  userCreate: 'créer un utilisateur',
  userEdit: 'modifier un utilisateur',
  groupCreate: 'créer un groupe (mode centralisé)',
  groupEdit: 'modifier un groupe (mode centralisé)',
  habilitationCreate: 'accorder une habilitation (mode centralisé, convention, art. 9.1)',
  partnerCreate: 'enregistrer un nouveau partenaire et sa convention signée',
  partnerEdit: 'corriger les informations du partenaire',
  conventionEdit: 'corriger la convention telle que signée',
} as const;

/**
 * The questions of the records the Caf writes without a form (workflows.md §1). An edit offers
 * the current value: Entrée keeps it, « - » empties a field that may be empty.
 */
export const RECORD_FORM_LABELS = {
  userName: 'Prénom et NOM',
  email: 'Adresse mél personnelle et individuelle',
  function: 'Fonction (facultatif)',
  role: 'Rôle',
  departement: 'Département (facultatif)',
  missionEndAt: 'Fin de mission temporaire (AAAA-MM-JJ, facultatif)',
  groupName: 'Nom du groupe',
  members: 'Membres (identifiants séparés par des virgules, facultatif)',
  whichGroup: 'Quel groupe ?',
  holder: 'Titulaire : identifiant d’un utilisateur ou d’un groupe du partenaire',
  service: 'Service',
  profile: 'Profil (T1…T22)',
  endsAt: 'Dernier jour d’une mission temporaire (AAAA-MM-JJ, facultatif)',
  partnerId: 'Identifiant du partenaire (minuscules, chiffres, tirets)',
  partnerName: 'Raison sociale',
  partnerKind: 'Type d’organisme',
  cafCode: 'Caf (numéro de département)',
  departements: 'Départements couverts (séparés par des virgules, facultatif)',
  siret: 'SIRET (facultatif)',
  address: 'Adresse (facultatif)',
  conventionNumber: 'Numéro de convention',
  signedAt: 'Signée le (AAAA-MM-JJ, facultatif)',
  effectiveAt: 'Prend effet le (AAAA-MM-JJ, facultatif)',
  managementMode: 'Gestion des habilitations',
  tacitRenewal: 'Renouvellement tacite ?',
  quotas: 'Quotas CDAP du bulletin d’adhésion (profil=places, ex. T1=3, T4=2 ; facultatif)',
  incidentText: 'Incident signalé au centre de services',
  openedAt: 'Ouvert le (horodatage, ex. 2026-11-20T16:30:00+01:00 ; vide : maintenant)',
  /** Beside an edit's question: what Entrée and « - » do. */
  keep: 'Entrée : inchangé',
  /** The first choice of an edit that does not know the current value (a `:` command). */
  unchanged: 'inchangé',
  clear: '« - » : vider',
} as const;

/** Roles of the server's tokens. */
export const TOKEN_ROLE_LABELS: Record<'supervisor' | 'auditor', string> = { supervisor: 'superviseur', auditor: 'auditeur' };

// ---------------------------------------------------------------------------------------------
// Option values: a code or its French word
// ---------------------------------------------------------------------------------------------

/**
 * Text as searches compare it: lower case, without accents, every apostrophe the keyboard's
 * (« Mérignac » finds « merignac », « l'habitat » finds « l’habitat »). The store's partner
 * search, the interface's filters and the words of option values.
 * (’ ‘ ʼ are written escaped, as in `regularPlural`: the commands' CommonJS bundle must stay
 * ASCII, packages/tui/build.mjs.)
 */
export function searchFold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2019\u2018\u02bc]/g, "'")
    .toLowerCase();
}

/** An option value's words as `codeFromWord` compares them: « Élevée » and « elevee » are one word. */
export function foldWord(text: string): string {
  return searchFold(text.trim());
}

/**
 * The code a command-line value names: the code itself, or its French label (case and accents
 * optional), with the masculine and feminine forms of a status both accepted. Null when none.
 */
export function codeFromWord<Code extends string>(labels: Readonly<Record<Code, string>>, value: string): Code | null {
  const wanted = foldWord(value);
  for (const [code, label] of Object.entries(labels) as [Code, string][]) {
    const folded = foldWord(label);
    if (foldWord(code) === wanted || folded === wanted || `${folded}e` === wanted || folded === `${wanted}e`) return code;
  }
  return null;
}

/** How a supervisor names each management mode (here, with no schema beside it: the interface's first frame formats without zod). */
export const MANAGEMENT_MODE_LABELS: Record<ManagementMode, string> = { delegated: 'délégué', centralised: 'centralisé' };
