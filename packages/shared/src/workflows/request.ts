import { z } from '../zod.js';
import { lazySchema } from '../lazy.js';
import { withReason } from '../actions.js';
import type { CalendarDate } from '../dates.js';
import { calendarDateSchema, departementSchema, emailSchema, idSchema, normaliseEmail } from '../fields.js';
import { safeTextSchema } from '../text.js';
import { CDAP_SERVICE } from '../catalogue.js';
import { profileCodeSchema, serviceCodeSchema } from '../terms.js';
import { ruleDefinition, type RuleName } from '../flags/catalogue.js';
import { searchFold } from '../labels.js';

// The paper forms of the contrat de services, annexe 3 (seed 004, Bavans; seed 002 annexe 2.1,
// seed 003 annexe 3), as records: a form received by the Caf, numbered per partner, applied or
// refused with a reason (workflows.md, section 1).

export const REQUEST_KINDS = ['designation', 'habilitation', 'deletion'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** The forms' own titles (« Objet : … »). */
export const REQUEST_KIND_LABELS: Record<RequestKind, string> = {
  designation: 'désignation d’un administrateur',
  habilitation: 'demande individuelle d’habilitation',
  deletion: 'demande de suppression d’accès',
};

export const REQUEST_STATUSES = ['received', 'applied', 'refused'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export const REQUEST_STATUS_LABELS: Record<RequestStatus, string> = { received: 'reçue', applied: 'appliquée', refused: 'refusée' };

const nameSchema = lazySchema(() => safeTextSchema(200).trim().min(1, 'prénom et nom obligatoires'));
const functionSchema = lazySchema(() => safeTextSchema(200).trim());

/** « Désignation d'un administrateur »: who, how to reach them (at least one phone), whom they replace. */
export const designationFormSchema = lazySchema(() =>
  z.strictObject({
    role: z.enum(['administrator', 'deputy']),
    name: nameSchema,
    function: functionSchema.min(1, 'fonction obligatoire'),
    email: emailSchema,
    phone: safeTextSchema(40).trim().min(1, 'au moins un numéro de téléphone (fixe ou mobile)'),
    replaces: z.strictObject({ name: nameSchema, email: emailSchema }).nullable().default(null),
  }),
);
export type DesignationForm = z.output<typeof designationFormSchema>;

/** « Demande individuelle d'habilitation »: the person, the service and profile, a temporary mission and its end. */
export const habilitationFormSchema = lazySchema(() =>
  z
    .strictObject({
      name: nameSchema,
      email: emailSchema,
      function: functionSchema.nullable().default(null),
      departement: departementSchema.nullable().default(null),
      service: serviceCodeSchema.default(CDAP_SERVICE),
      profile: profileCodeSchema,
      temporary: z.boolean(),
      endsAt: calendarDateSchema.nullable().default(null),
      /** An existing user of the partner, when the person already has an account. */
      userId: idSchema.optional(),
    })
    .superRefine((form, context) => {
      // « S'agit-il d'une mission temporaire ? Si oui, précisez la date de fin de mission. »
      if (form.temporary && form.endsAt === null)
        context.addIssue({ code: 'custom', path: ['endsAt'], message: 'date de fin obligatoire pour une mission temporaire' });
      if (!form.temporary && form.endsAt !== null)
        context.addIssue({ code: 'custom', path: ['endsAt'], message: 'date de fin seulement pour une mission temporaire' });
    }),
);
export type HabilitationForm = z.output<typeof habilitationFormSchema>;

/** « Demande de suppression d'accès »: the people, and the box « perte ou vol ». */
export const deletionFormSchema = lazySchema(() =>
  z.strictObject({
    people: z
      .array(z.strictObject({ name: nameSchema, email: emailSchema, function: functionSchema.nullable().default(null), userId: idSchema.optional() }))
      .min(1, 'au moins une personne')
      .max(200, '200 personnes au plus'),
    lossOrTheft: z.boolean(),
    /** When the people left, if known: shows whether the partner reported it « sans délai » (form, convention art. 9.2). */
    departedAt: calendarDateSchema.optional(),
  }),
);
export type DeletionForm = z.output<typeof deletionFormSchema>;

const common = lazySchema(() => ({ receivedAt: calendarDateSchema.optional(), signatory: safeTextSchema(200).trim().min(1).optional() }));

/** A form as received: its kind and fields; the reason defaults to its reception. */
export const requestDraftSchema = lazySchema(() =>
  z.discriminatedUnion('kind', [
    withReason({ kind: z.literal('designation'), form: designationFormSchema, ...common }, { defaulted: true }),
    withReason({ kind: z.literal('habilitation'), form: habilitationFormSchema, ...common }, { defaulted: true }),
    withReason({ kind: z.literal('deletion'), form: deletionFormSchema, ...common }, { defaulted: true }),
  ]),
);
export type RequestDraft = z.input<typeof requestDraftSchema>;

export type RequestForm = DesignationForm | HabilitationForm | DeletionForm;

/** The people a form names: the designated administrator and the one replaced, the person asking for a habilitation, each person whose access is to be deleted. */
function formEntries(kind: RequestKind, form: RequestForm): readonly { email: string; userId?: string | undefined }[] {
  switch (kind) {
    case 'designation': {
      const designation = form as DesignationForm;
      return designation.replaces === null ? [designation] : [designation, designation.replaces];
    }
    case 'habilitation':
      return [form as HabilitationForm];
    case 'deletion':
      return (form as DeletionForm).people;
  }
}

/** Whether an entry of a form is this person, as applying the form finds them: by user id when the entry gives one, else by e-mail compared as rule 7 does. */
function isPerson(entry: { email: string; userId?: string | undefined }, person: { id: string; email: string }): boolean {
  return entry.userId !== undefined ? entry.userId === person.id : normaliseEmail(entry.email) === normaliseEmail(person.email);
}

/** Whether a form names this person (a person's extract gives the traces of the forms that do). */
export function formNamesPerson(kind: RequestKind, form: RequestForm, person: { id: string; email: string }): boolean {
  return formEntries(kind, form).some((entry) => isPerson(entry, person));
}

/**
 * Whether a form names someone besides this person: its traces then hold their names and
 * e-mails, which this person's extract must not hand over (RGPD art. 15.4).
 */
export function formNamesOthers(kind: RequestKind, form: RequestForm, person: { id: string; email: string }): boolean {
  return formEntries(kind, form).some((entry) => !isPerson(entry, person));
}

/**
 * A person's name as it is compared: case, accents, hyphens and spacing aside, and its words in
 * either order, French forms writing « ROUSSEL Louis » as often as « Louis Roussel » (review 36).
 */
function foldedName(name: string): string {
  return searchFold(name)
    .split(/[-\s]+/)
    .filter((word) => word !== '' && !CIVILITIES.has(word.replace(/\.$/, '')))
    .sort()
    .join(' ');
}

/** Titles a form may put before a name (« M. Louis Roussel »), which are no part of it. */
const CIVILITIES = new Set(['m', 'mme', 'mlle', 'monsieur', 'madame', 'mademoiselle']);

/**
 * Whether a form's person is this existing user by name: a form naming another person with the
 * user's e-mail would give the user what was asked for someone else (rule 7, SHARED_EMAIL).
 */
export function isSamePersonName(formName: string, userName: string): boolean {
  return foldedName(formName) === foldedName(userName);
}

/** Why applying a form was refused: the rule it would break and the article that rule enforces. */
export interface RequestRefusal {
  rule: RuleName | 'DELEGATED_MODE';
  ruleNumber: number | null;
  article: string;
  message: string;
}

/** One entry of the register. */
export interface RequestRecord {
  partnerId: string;
  number: number;
  kind: RequestKind;
  receivedAt: CalendarDate;
  signatory: string | null;
  form: RequestForm;
  status: RequestStatus;
  /** When it was applied or refused, and why. */
  decidedAt: string | null;
  decisionReason: string | null;
  /** The traces of what applying it changed (and of its reception first). */
  traceIds: number[];
  /** Deletion: calendar days between the departure and the reception (« sans délai », convention art. 9.2). */
  reportDelayDays: number | null;
}

/** A refusal naming its rule (rules.md) and the article the rule enforces for this partner. */
export function ruleRefusal(rule: RuleName, article: string, detail: string): RequestRefusal {
  const definition = ruleDefinition(rule);
  return { rule, ruleNumber: definition.number, article, message: `${detail} (règle ${definition.number}, ${definition.label.toLowerCase()} ; ${article})` };
}

/** In delegated mode the partner's managers create habilitations themselves (convention art. 9.1). Without a final full stop, as the rules' refusals: sentences end it. */
export const DELEGATED_HABILITATION_REFUSAL: RequestRefusal = {
  rule: 'DELEGATED_MODE',
  ruleNumber: null,
  article: 'convention, art. 9.1',
  message:
    'Partenaire en mode délégué : ses gestionnaires d’habilitations créent eux-mêmes l’habilitation (convention, art. 9.1) ; la demande reste enregistrée',
};
