import type { z } from 'zod';
import {
  DATASET_FORMAT,
  DATASET_VERSION,
  addDays,
  addMonths,
  seededRandom,
  type CalendarDate,
  type cafSchema,
  type conventionSchema,
  type escalationContactSchema,
  type groupSchema,
  type habilitationSchema,
  type partnerSchema,
  type PartnerKind,
  type reviewSchema,
  type userSchema,
} from '@cafsup/shared';

type CafInput = z.input<typeof cafSchema>;
type PartnerInput = z.input<typeof partnerSchema>;
type ConventionInput = z.input<typeof conventionSchema>;
type UserInput = z.input<typeof userSchema>;
type GroupInput = z.input<typeof groupSchema>;
type HabilitationInput = z.input<typeof habilitationSchema>;
type ReviewInput = z.input<typeof reviewSchema>;
type EscalationInput = z.input<typeof escalationContactSchema>;
type ContactInput = NonNullable<ConventionInput['contacts']>[number];

export type DemoDataset = {
  format: typeof DATASET_FORMAT;
  version: typeof DATASET_VERSION;
  cafs: CafInput[];
  partners: PartnerInput[];
  conventions: ConventionInput[];
  users: UserInput[];
  groups: GroupInput[];
  habilitations: HabilitationInput[];
  reviews: ReviewInput[];
};

const FIRST_NAMES = [
  'Camille',
  'Louis',
  'Inès',
  'Hugo',
  'Léa',
  'Nathan',
  'Chloé',
  'Yanis',
  'Manon',
  'Théo',
  'Sarah',
  'Lucas',
  'Jade',
  'Malik',
  'Emma',
  'Karim',
  'Zoé',
  'Paul',
  'Amina',
  'Julien',
  'Anaïs',
  'Bastien',
  'Lina',
  'Maël',
];
const LAST_NAMES = [
  'Martin',
  'Bernard',
  'Durand',
  'Lefèvre',
  'Moreau',
  'Garnier',
  'Faure',
  'Rousseau',
  'Blanchard',
  'Guérin',
  'Muller',
  'Henry',
  'Roussel',
  'Nicolas',
  'Perrin',
  'Morin',
  'Mathieu',
  'Clément',
  'Gauthier',
  'Dumont',
  'Lopez',
  'Fontaine',
  'Chevalier',
  'Robin',
];
const FUNCTIONS = [
  'Instructeur FSL',
  'Assistante sociale',
  'Conseillère ESF',
  'Agent d’accueil social',
  'Chargé de suivi RSA',
  'Travailleur social',
  'Agent instructeur',
  'Référente logement',
];

function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Invented people only: the seed documents name real officials, the demo must not. */
function person(index: number): { name: string; local: string } {
  const first = FIRST_NAMES[index % FIRST_NAMES.length]!;
  // Neighbours get different surnames; every (first, last) pair comes once per 576 people.
  const last = LAST_NAMES[(index * 7 + Math.floor(index / FIRST_NAMES.length)) % LAST_NAMES.length]!;
  const suffix = index >= FIRST_NAMES.length * LAST_NAMES.length ? String(Math.floor(index / (FIRST_NAMES.length * LAST_NAMES.length))) : '';
  return { name: `${first} ${last}`, local: `${slug(first)}.${slug(last)}${suffix}` };
}

// Each Caf's desk and Caf-side ladder, as its seed contract gives them (contrat art. 3.2, 3.3);
// they are the defaults of the Caf's generated partners. People are invented, functions,
// mailboxes of services and switchboard numbers are the seeds'.
const YVELINES_DESK = { email: 'mcp-national@caf78.caf.fr', phone: null, hours: '8h30-17h00', answerWithinWorkingDays: null };
const YVELINES_LADDER: EscalationInput[] = [
  { order: 1, side: 'caf', name: 'Hélène Vasseur', function: 'Coordinatrice Mon Compte Partenaire', email: 'helene.vasseur@caf78.caf.fr', phone: null },
  { order: 2, side: 'caf', name: 'Olivier Brun', function: 'Responsable Secteur Mon Compte Partenaire', email: 'olivier.brun@caf78.caf.fr', phone: null },
];
const LANDES_DESK = { email: 'cdap-caf40@caf.fr', phone: null, days: 'du lundi au vendredi', hours: '8h00-17h00', answerWithinWorkingDays: 2 };
const VAL_DOISE_DESK = {
  email: 'cdap.cafcergy@caf.cnafmail.fr',
  phone: '01.34.26.45.11',
  days: 'du lundi au vendredi',
  hours: '9h-16h',
  answerWithinWorkingDays: null,
  escalateAfterDays: 30,
};
const VAL_DOISE_LADDER: EscalationInput[] = [
  {
    order: 1,
    side: 'caf',
    name: 'Rémi Castel',
    function: 'Conseiller offres de services dématérialisées',
    email: 'cdap.cafcergy@caf.cnafmail.fr',
    phone: '01.34.26.45.11',
  },
  { order: 2, side: 'caf', name: 'Sophie Marchand', function: 'Attachée de direction', email: 'cdap.cafcergy@caf.cnafmail.fr', phone: '01.30.73.68.99' },
];
const DOUBS_DESK = { email: 'portail-partenaires.cafdoubs@caf.fr', phone: null, hours: null, answerWithinWorkingDays: null };
const DOUBS_LADDER: EscalationInput[] = [
  { order: 1, side: 'caf', name: 'Claire Jacquot', function: 'Responsable informatique', email: 'claire.jacquot@cafdoubs.caf.fr', phone: '03.81.47.56.21' },
  { order: 2, side: 'caf', name: 'Mehdi Saïdi', function: 'Informaticien', email: 'mehdi.saidi@cafdoubs.cnafmail.fr', phone: '03.81.99.11.05' },
];

const CAFS: CafInput[] = [
  {
    code: '78',
    name: 'Caf des Yvelines',
    address: '7 rue des Étangs Gobert, CS 90100, 78011 Versailles Cedex',
    serviceDesk: YVELINES_DESK,
    escalation: YVELINES_LADDER,
  },
  // The Landes contract has no escalation procedure (seed 002: no art. 3.3).
  { code: '40', name: 'Caf des Landes', address: '207 rue Fontainebleau, 40023 Mont-de-Marsan Cedex', serviceDesk: LANDES_DESK, escalation: [] },
  { code: '95', name: 'Caf du Val d’Oise', address: '2 place de la Pergola, 95018 Cergy-Pontoise', serviceDesk: VAL_DOISE_DESK, escalation: VAL_DOISE_LADDER },
  { code: '25', name: 'Caf du Doubs', address: '3 rue Léon Blum, 25216 Montbéliard Cedex', serviceDesk: DOUBS_DESK, escalation: DOUBS_LADDER },
  { code: '13', name: 'Caf des Bouches-du-Rhône' },
  { code: '33', name: 'Caf de la Gironde' },
  { code: '59', name: 'Caf du Nord' },
  { code: '69', name: 'Caf du Rhône' },
];

const PLACES: Record<string, string[]> = {
  '78': ['Mantes-la-Jolie', 'Poissy', 'Trappes', 'Rambouillet', 'Les Mureaux', 'Sartrouville'],
  '40': ['Dax', 'Biscarrosse', 'Saint-Sever', 'Tarnos', 'Aire-sur-l’Adour'],
  '95': ['Sarcelles', 'Argenteuil', 'Pontoise', 'Garges-lès-Gonesse', 'Ermont'],
  '25': ['Besançon', 'Pontarlier', 'Audincourt', 'Valentigney', 'Morteau'],
  '13': ['Aubagne', 'Istres', 'Martigues', 'Salon-de-Provence', 'Vitrolles'],
  '33': ['Mérignac', 'Pessac', 'Libourne', 'Talence', 'Arcachon'],
  '59': ['Roubaix', 'Tourcoing', 'Dunkerque', 'Valenciennes', 'Douai'],
  '69': ['Villeurbanne', 'Vénissieux', 'Bron', 'Givors', 'Caluire-et-Cuire'],
};

const GENERATED_KINDS: { kind: PartnerKind; label: string; profiles: string[] }[] = [
  { kind: 'commune', label: 'Mairie de', profiles: ['T1', 'T4'] },
  { kind: 'ccas', label: 'CCAS de', profiles: ['T1', 'T2', 'T4'] },
  { kind: 'bailleur', label: 'Office public de l’habitat de', profiles: ['T10'] },
  { kind: 'hopital', label: 'Centre hospitalier de', profiles: ['T1'] },
  { kind: 'association', label: 'Association d’aide aux familles de', profiles: ['T2', 'T9'] },
  { kind: 'justice', label: 'Service pénitentiaire d’insertion et de probation de', profiles: ['T12'] },
];

/** Builds one partner's people, groups and habilitations, with helpers that keep ids and dates consistent. */
class PartnerBuilder {
  private userCount = 0;
  private habilitationCount = 0;
  private groupCount = 0;

  constructor(
    private readonly dataset: DemoDataset,
    readonly partnerId: string,
    readonly domain: string,
    readonly departement: string,
    private readonly today: CalendarDate,
    private readonly personOffset: number,
  ) {}

  /** A timestamp `daysAgo` days before today, at a working hour (UTC, so a Paris reader sees the morning). */
  at(daysAgo: number, hour = 8): string {
    return `${addDays(this.today, -daysAgo)}T${String(hour).padStart(2, '0')}:${String((daysAgo * 7) % 60).padStart(2, '0')}:00Z`;
  }

  user(fields: Partial<UserInput> & { createdDaysAgo?: number; lastLoginDaysAgo?: number | null; passwordDaysAgo?: number }): string {
    this.userCount += 1;
    const id = `${this.partnerId}-u${String(this.userCount).padStart(3, '0')}`;
    const who = person(this.personOffset + this.userCount);
    const { createdDaysAgo = 600, lastLoginDaysAgo = 3, passwordDaysAgo = 120, ...rest } = fields;
    // A disabled account was de-validated the day of its last sign-in (retention counts from it).
    const disabledAt = rest.status === 'disabled' ? this.at(Math.min(lastLoginDaysAgo ?? createdDaysAgo, createdDaysAgo), 17) : null;
    this.dataset.users.push({
      id,
      partnerId: this.partnerId,
      name: who.name,
      email: `${who.local}@${this.domain}`,
      function: FUNCTIONS[(this.personOffset + this.userCount) % FUNCTIONS.length]!,
      role: 'user',
      status: 'active',
      createdAt: this.at(createdDaysAgo, 9),
      lastLoginAt: lastLoginDaysAgo === null ? null : this.at(lastLoginDaysAgo, 7),
      passwordChangedAt: this.at(Math.min(passwordDaysAgo, createdDaysAgo), 10),
      mustChangePassword: false,
      missionEndAt: null,
      disabledAt,
      departement: this.departement,
      ...rest,
    });
    return id;
  }

  group(name: string, memberIds: string[]): string {
    this.groupCount += 1;
    const id = `${this.partnerId}-g${String(this.groupCount).padStart(2, '0')}`;
    this.dataset.groups.push({ id, partnerId: this.partnerId, name, memberIds });
    return id;
  }

  habilitation(
    holder: { userId: string } | { groupId: string },
    profile: string,
    options: {
      grantedDaysAgo?: number;
      /** An absolute grant instant, for a grant the contract dates (rule 15). */
      grantedAt?: string;
      departement?: string | null;
      status?: 'active' | 'suspended' | 'revoked';
      changedDaysAgo?: number;
      service?: string;
      endsAt?: CalendarDate;
    } = {},
  ): string {
    this.habilitationCount += 1;
    const id = `${this.partnerId}-h${String(this.habilitationCount).padStart(4, '0')}`;
    const status = options.status ?? 'active';
    const changedAt = this.at(options.changedDaysAgo ?? 10, 14);
    this.dataset.habilitations.push({
      id,
      partnerId: this.partnerId,
      ...holder,
      service: options.service ?? 'CDAP',
      profile,
      departement: options.departement === undefined ? this.departement : options.departement,
      status,
      grantedAt: options.grantedAt ?? this.at(options.grantedDaysAgo ?? 400, 9),
      suspendedAt: status === 'suspended' ? changedAt : null,
      revokedAt: status === 'revoked' ? changedAt : null,
      endsAt: options.endsAt ?? null,
    });
    return id;
  }
}

function partnerContacts(domain: string, administrator: UserInput, deputy: UserInput | undefined): ContactInput[] {
  const contacts: ContactInput[] = [
    { side: 'partner', role: 'administrator', order: 1, name: administrator.name, function: 'Administrateur MCP', email: administrator.email },
  ];
  if (deputy !== undefined) contacts.push({ side: 'partner', role: 'deputy', order: 1, name: deputy.name, function: 'Suppléant', email: deputy.email });
  contacts.push({ side: 'partner', role: 'security_officer', name: 'Responsable de la sécurité des systèmes d’information', email: `rssi@${domain}` });
  return contacts;
}

/** A designated manager of the contract's annexe 1, named as the user who holds the account. */
function designated(user: UserInput, role: ContactInput['role'], order: number): ContactInput {
  return { side: 'partner', role, order, name: user.name, function: user.function ?? null, email: user.email };
}

/** A partner-side rung of the escalation ladder (contrat art. 3.3), the same person as the account. */
function rung(user: UserInput, order: number, phone: string | null = null): EscalationInput {
  return { order, side: 'partner', name: user.name, function: user.function ?? null, email: user.email, phone };
}

function lastUser(dataset: DemoDataset, id: string): UserInput {
  return dataset.users.find((user) => user.id === id)!;
}

/**
 * Métropole d'Aix-Marseille-Provence, convention 2023/M/2907 (seeds 000 and 001): delegated,
 * 20 × T13 for 13/83/84 restated by avenant 1, which also moved the service desk and the
 * security mailbox to caf78.caf.fr; 23 holders, so the last three granted are over quota (two
 * of them through a group), one habilitation outside the three départements; a draft avenant
 * for RSA instruction (T4, « services instructeurs »).
 */
function aixMarseille(dataset: DemoDataset, today: CalendarDate): void {
  dataset.partners.push({
    id: 'amp',
    name: 'Métropole d’Aix-Marseille-Provence',
    siret: '20005480700017',
    kind: 'epci',
    cafCode: '78',
    departements: ['13', '83', '84'],
    address: 'Le Pharo, 58 boulevard Charles Livon, 13007 Marseille',
    missions: ['fsl'],
  });
  const amp = new PartnerBuilder(dataset, 'amp', 'ampmetropole.fr', '13', today, 0);
  const administrator = lastUser(dataset, amp.user({ role: 'administrator', function: 'Responsable FSL', createdDaysAgo: 1000 }));
  const deputy = lastUser(dataset, amp.user({ role: 'deputy', function: 'Directeur Cohésion Sociale', createdDaysAgo: 1000 }));
  amp.user({ role: 'habilitation_manager', createdDaysAgo: 900 });
  for (let index = 0; index < 7; index++) amp.user({ createdDaysAgo: 700 - index * 20 });
  const holders: string[] = [];
  for (let index = 0; index < 21; index++) holders.push(amp.user({ createdDaysAgo: 650 - index * 10, departement: ['13', '83', '84'][index % 3]! }));
  holders.forEach((userId, index) => {
    const departement = index === 1 ? '06' : ['13', '83', '84'][index % 3]!;
    amp.habilitation({ userId }, 'T13', { grantedDaysAgo: 640 - index * 10, departement, ...(index === 4 ? { status: 'suspended', changedDaysAgo: 12 } : {}) });
  });
  const lateComers = [amp.user({ createdDaysAgo: 40 }), amp.user({ createdDaysAgo: 30 })];
  const group = amp.group('Instructeurs FSL — renfort', [holders[20]!, ...lateComers]);
  amp.habilitation({ groupId: group }, 'T13', { grantedDaysAgo: 25, departement: '13' });
  const shared = [amp.user({ createdDaysAgo: 300 }), amp.user({ createdDaysAgo: 290 })];
  for (const userId of shared) lastUser(dataset, userId).email = 'fsl.instruction@ampmetropole.fr';
  amp.user({ status: 'disabled', createdDaysAgo: 800, lastLoginDaysAgo: 400 });
  const ssi = (email: string): ContactInput => ({ side: 'caf', role: 'security_officer', name: 'Sécurité des systèmes d’information de la Caf', email });
  dataset.conventions.push({
    partnerId: 'amp',
    number: '2023/M/2907',
    signedAt: '2023-03-21',
    managementMode: 'delegated',
    tacitRenewal: true,
    // Seed 000, art. 3.2 and annexe 1: the desk before avenant 1; art. 4: office hours.
    serviceDesk: { email: 'moncomptepartenairenational@cafyvelines.cnafmail.fr', phone: null, hours: '8h30-17h00', answerWithinWorkingDays: null },
    // Art. 3.3: the Caf's two rungs, then the partner's, its administrator and deputy.
    escalation: [...YVELINES_LADDER, rung(administrator, 1), rung(deputy, 2)],
    subscriptions: [{ service: 'CDAP', availableFrom: '2023-03-21', quotas: [{ profile: 'T13', maxUsers: 20, departements: ['13', '83', '84'] }] }],
    contacts: [
      designated(administrator, 'administrator', 1),
      designated(deputy, 'deputy', 1),
      designated(administrator, 'habilitation_manager', 1),
      designated(deputy, 'habilitation_manager', 2),
      ssi('ssi.cafyvelines@caf.cnafmail.fr'),
    ],
    avenants: [
      {
        number: 1,
        title: 'Avenant 1 : nouvelles adresses du centre de services et de la sécurité',
        signedByCafAt: '2025-01-08',
        signedByPartnerAt: '2025-01-15',
        changes: [
          { type: 'setServiceDesk', serviceDesk: YVELINES_DESK },
          { type: 'setContact', contact: ssi('ssi@caf78.caf.fr') },
          { type: 'setQuota', service: 'CDAP', profile: 'T13', maxUsers: 20, departements: ['13', '83', '84'] },
        ],
      },
      {
        number: 2,
        title: 'Avenant 2 : accès des instructeurs RSA (projet)',
        signedByCafAt: addDays(today, -5),
        signedByPartnerAt: null,
        changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T4', maxUsers: 5, departements: ['13'] }],
      },
    ],
  });
  dataset.reviews.push({
    partnerId: 'amp',
    completedAt: addMonths(today, -5),
    reviewer: 'Responsable FSL de la Métropole',
    proof: 'courrier de revue annuelle',
  });
}

/**
 * CC Maremne Adour Côte-Sud (seed 002): delegated, two administrators named in annexe 1 and no
 * deputy, the Caf's desk by e-mail only with an answer in two working days and no escalation
 * procedure; a generic mailbox, a review overdue.
 */
function maremne(dataset: DemoDataset, today: CalendarDate): void {
  dataset.partners.push({
    id: 'macs',
    name: 'Communauté de communes Maremne Adour Côte-Sud',
    kind: 'epci',
    cafCode: '40',
    departements: ['40'],
    address: 'Allée des Camélias, 40230 Saint-Vincent-de-Tyrosse',
  });
  const macs = new PartnerBuilder(dataset, 'macs', 'cc-macs.org', '40', today, 60);
  const administrator = macs.user({ role: 'administrator', function: 'Chef de service Petite enfance', createdDaysAgo: 1500 });
  const instructors = [macs.user({}), macs.user({}), macs.user({ lastLoginDaysAgo: 130 })];
  const generic = macs.user({ function: 'Accueil du pôle social' });
  lastUser(dataset, generic).email = 'accueil@cc-macs.org';
  const second = macs.user({ role: 'administrator', function: 'Responsable SSAD et GDV', createdDaysAgo: 1500 });
  for (const userId of instructors) macs.habilitation({ userId }, 'T1');
  macs.habilitation({ userId: instructors[0]! }, 'T4');
  macs.habilitation({ userId: generic }, 'T1');
  macs.habilitation({ userId: administrator }, 'T4');
  dataset.conventions.push({
    partnerId: 'macs',
    number: '2019/40/037',
    signedAt: '2019-09-16',
    managementMode: 'delegated',
    serviceDesk: LANDES_DESK,
    escalation: [],
    subscriptions: [
      {
        service: 'CDAP',
        availableFrom: '2019-09-16',
        quotas: [
          { profile: 'T1', maxUsers: 6 },
          { profile: 'T4', maxUsers: 4 },
        ],
      },
    ],
    contacts: [
      designated(lastUser(dataset, administrator), 'administrator', 1),
      designated(lastUser(dataset, second), 'administrator', 2),
      { side: 'partner', role: 'privacy_officer', name: 'Référent Informatique et Libertés', email: 'referent.cil@cc-macs.org' },
    ],
  });
  dataset.reviews.push({ partnerId: 'macs', completedAt: addMonths(today, -15), reviewer: 'Directrice du pôle social', proof: null });
}

/**
 * Mairie de Saint-Leu-la-Forêt, convention n° 144 (seed 003): signed before the council's
 * deliberation of 26 June 2018 that cites it, the contrat de service signed after it, which
 * dates the Cdap service (annexe 2); two administrators in annexe 1, one replaced without the
 * annexe 3 form; the Val d'Oise desk by phone and e-mail, escalation after a month without
 * an answer, both sides; a grant before the service opened, a T2 habilitation the bulletin never
 * opened, a long suspension, no review.
 */
function saintLeu(dataset: DemoDataset, today: CalendarDate): void {
  dataset.partners.push({
    id: 'saint-leu',
    name: 'Mairie de Saint-Leu-la-Forêt',
    kind: 'commune',
    cafCode: '95',
    departements: ['95'],
    address: '52 rue du Général Leclerc, 95320 Saint-Leu-la-Forêt',
  });
  const leu = new PartnerBuilder(dataset, 'saint-leu', 'saint-leu-la-foret.fr', '95', today, 90);
  const formerAdministrator = leu.user({
    role: 'administrator',
    status: 'disabled',
    createdDaysAgo: 2500,
    lastLoginDaysAgo: 700,
    function: 'Directeur général adjoint des services',
  });
  leu.user({ role: 'administrator', createdDaysAgo: 500, function: 'Directeur général adjoint des services' });
  leu.user({ role: 'deputy', createdDaysAgo: 2400, passwordDaysAgo: 2400 });
  const social = [leu.user({}), leu.user({ lastLoginDaysAgo: 200 }), leu.user({})];
  for (const userId of social) leu.habilitation({ userId }, 'T1');
  leu.habilitation({ userId: social[2]! }, 'T2');
  leu.habilitation({ userId: social[0]! }, 'T1', { status: 'suspended', changedDaysAgo: 45, departement: '95' });
  const second = lastUser(dataset, leu.user({ role: 'administrator', createdDaysAgo: 2500, function: 'Adjoint administratif' }));
  // Granted between the convention and the contrat de service that opened the Cdap service.
  leu.habilitation({ userId: second.id }, 'T1', { grantedAt: '2018-07-02T09:30:00+02:00' });
  const former = lastUser(dataset, formerAdministrator);
  dataset.conventions.push({
    partnerId: 'saint-leu',
    number: '144',
    signedAt: '2018-05-14',
    managementMode: 'delegated',
    serviceDesk: VAL_DOISE_DESK,
    escalation: [...VAL_DOISE_LADDER, rung(former, 1, '01.30.40.22.71'), rung(second, 2, '01.30.40.22.04')],
    subscriptions: [{ service: 'CDAP', availableFrom: '2018-07-10', quotas: [{ profile: 'T1', maxUsers: 5 }] }],
    contacts: [
      { ...designated(former, 'administrator', 1), phone: '01.30.40.22.71' },
      { ...designated(second, 'administrator', 2), phone: '01.30.40.22.04' },
      {
        side: 'partner',
        role: 'security_officer',
        name: 'Responsable sécurité (direction des systèmes d’information)',
        email: 'dsi@saint-leu-la-foret.fr',
        phone: '01.30.40.22.37',
      },
    ],
  });
}

/**
 * Mairie de Bavans, convention GC 130 (seed 004): centralised, signed after the council's
 * deliberation of 6 July 2017; the Caf's desk by e-mail only and its two Caf-side rungs, none on
 * the partner's side; T1 and T4 from annexe 2 and T19, which the bulletin's table lists although
 * the bulletin reserves it to départements; a temporary mission (request form) that has ended.
 */
function bavans(dataset: DemoDataset, today: CalendarDate): void {
  dataset.partners.push({
    id: 'bavans',
    name: 'Mairie de Bavans',
    siret: '21250048200014',
    kind: 'commune',
    cafCode: '25',
    departements: ['25'],
    address: '1 rue des Fleurs, 25550 Bavans',
  });
  const bav = new PartnerBuilder(dataset, 'bavans', 'bavans.fr', '25', today, 120);
  const administrator = bav.user({ role: 'administrator', createdDaysAgo: 3000 });
  const agent = bav.user({});
  const missionEnd = addDays(today, -12);
  const temporary = bav.user({ createdDaysAgo: 200, missionEndAt: missionEnd, function: 'Agent en mission temporaire' });
  bav.habilitation({ userId: agent }, 'T1');
  bav.habilitation({ userId: temporary }, 'T4', { grantedDaysAgo: 190, endsAt: missionEnd });
  bav.habilitation({ userId: agent }, 'T4', { status: 'revoked', changedDaysAgo: 300 });
  bav.habilitation({ userId: administrator }, 'T19', { grantedDaysAgo: 150 });
  dataset.conventions.push({
    partnerId: 'bavans',
    number: 'GC 130',
    signedAt: '2017-07-20',
    managementMode: 'centralised',
    serviceDesk: DOUBS_DESK,
    escalation: DOUBS_LADDER,
    subscriptions: [
      {
        service: 'CDAP',
        availableFrom: '2017-07-20',
        quotas: [
          { profile: 'T1', maxUsers: 3 },
          { profile: 'T4', maxUsers: 2 },
          { profile: 'T19', maxUsers: 1 },
        ],
      },
    ],
    contacts: [designated(lastUser(dataset, administrator), 'administrator', 1)],
  });
}

const GENERATED_CAFS = CAFS.map((caf) => caf.code);

/** One generated partner: mostly in order, with the faults a real portfolio shows now and then. */
function generatedPartner(dataset: DemoDataset, today: CalendarDate, index: number, random: () => number): void {
  // Each (Caf, place, round) comes once, so names and ids never repeat whatever the scale.
  const cafCode = GENERATED_CAFS[index % GENERATED_CAFS.length]!;
  const places = PLACES[cafCode]!;
  const turn = Math.floor(index / GENERATED_CAFS.length);
  const place = places[turn % places.length]!;
  const round = Math.floor(turn / places.length);
  const kind = GENERATED_KINDS[Math.floor(random() * GENERATED_KINDS.length)]!;
  // « de » before a vowel is « d’ » (« Association d’aide aux familles d’Istres »), and joins the
  // article of a place (« Mairie des Mureaux », « du Pecq »).
  const ofPlace = kind.label.endsWith(' de')
    ? place
        .replace(/^Les /, 'des ')
        .replace(/^Le /, 'du ')
        .replace(/^(?=[AEIOUY\u00c9])/, 'd\u2019')
        .replace(/^(?![dD]\u2019|des |du )/, 'de ')
    : place;
  const name = `${kind.label.replace(/ de$/, '')} ${ofPlace}${round > 0 ? ` (${round + 1})` : ''}`;
  const id = `${slug(kind.kind)}-${slug(place)}${round > 0 ? `-${round + 1}` : ''}`;
  dataset.partners.push({ id, name, kind: kind.kind, cafCode, departements: [cafCode] });

  const domain = `${slug(place)}.fr`;
  const builder = new PartnerBuilder(dataset, id, domain, cafCode, today, 150 + index * 37);
  const centralised = random() < 0.2;
  const administrator = builder.user({ role: 'administrator', createdDaysAgo: 900 + Math.floor(random() * 900) });
  const deputy = random() < 0.85 ? builder.user({ role: 'deputy', createdDaysAgo: 800 }) : undefined;
  const staff = 3 + Math.floor(random() * 25);
  const risky = random() < 0.35;
  // Quotas fit the staff, a little short for the risky partners (so some go over).
  const quotas = kind.profiles.map((profile) => ({
    profile,
    maxUsers: Math.max(1, Math.ceil(staff / kind.profiles.length) + (risky ? -2 : 1) + Math.floor(random() * 3)),
  }));
  for (let person = 0; person < staff; person++) {
    const lastLoginDaysAgo = risky && random() < 0.15 ? 91 + Math.floor(random() * 300) : Math.floor(random() * 60);
    const userId = builder.user({
      createdDaysAgo: 100 + Math.floor(random() * 1500),
      lastLoginDaysAgo,
      passwordDaysAgo: risky && random() < 0.2 ? 366 + Math.floor(random() * 400) : Math.floor(random() * 300),
      ...(risky && random() < 0.1 ? { missionEndAt: addDays(today, -1 - Math.floor(random() * 90)) } : {}),
      ...(random() < 0.04 ? { status: 'disabled' as const } : {}),
    });
    const quota = quotas[person % quotas.length]!;
    const status = risky && random() < 0.1 ? 'suspended' : random() < 0.05 ? 'revoked' : 'active';
    builder.habilitation({ userId }, quota.profile, {
      grantedDaysAgo: 50 + Math.floor(random() * 1000),
      status,
      changedDaysAgo: 5 + Math.floor(random() * 60),
    });
    if (risky && random() < 0.15) builder.habilitation({ userId }, kind.profiles.includes('T4') ? 'T5' : 'T4', { grantedDaysAgo: 40 });
  }
  const signedAt = addDays(today, -400 - Math.floor(random() * 2500));
  // Nothing is granted before the convention opened the service (rule 15 belongs to Saint-Leu).
  for (const habilitation of dataset.habilitations) {
    if (habilitation.partnerId === id && habilitation.grantedAt < signedAt) habilitation.grantedAt = `${signedAt}T09:00:00Z`;
  }
  const lifecycle = index % 11 === 5 ? 'terminated' : index % 13 === 6 ? 'draft' : 'active';
  dataset.conventions.push({
    partnerId: id,
    number: `${signedAt.slice(0, 4)}/${cafCode}/${String(100 + index).padStart(4, '0')}`,
    signedAt: lifecycle === 'draft' ? null : signedAt,
    managementMode: centralised ? 'centralised' : 'delegated',
    termination: lifecycle === 'terminated' ? { kind: 'unilateral', noticeReceivedAt: addMonths(today, -5) } : null,
    subscriptions: [{ service: 'CDAP', availableFrom: signedAt, quotas }],
    contacts: partnerContacts(domain, lastUser(dataset, administrator), deputy === undefined ? undefined : lastUser(dataset, deputy)),
  });
  if (!centralised) {
    const monthsAgo = risky ? 13 + Math.floor(random() * 10) : 1 + Math.floor(random() * 10);
    const completedAt = addMonths(today, -monthsAgo);
    if (completedAt >= signedAt) dataset.reviews.push({ partnerId: id, completedAt, reviewer: `Direction de ${name}`, proof: null });
  }
}

/**
 * The demo portfolio: the four partners of the seed documents, then `partners − 4` generated
 * ones, deterministic for a given `today`, with dates set relative to it so that every one of
 * the 16 rules fires somewhere whatever the day.
 */
export function buildDemoDataset({ partners, today }: { partners: number; today: CalendarDate }): DemoDataset {
  const dataset: DemoDataset = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    cafs: CAFS,
    partners: [],
    conventions: [],
    users: [],
    groups: [],
    habilitations: [],
    reviews: [],
  };
  aixMarseille(dataset, today);
  maremne(dataset, today);
  saintLeu(dataset, today);
  bavans(dataset, today);
  const random = seededRandom(20_230_321);
  for (let index = 4; index < partners; index++) generatedPartner(dataset, today, index, random);
  return dataset;
}
