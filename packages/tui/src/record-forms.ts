import {
  MANAGEMENT_MODES,
  MANAGEMENT_MODE_LABELS,
  PARTNER_KINDS,
  PARTNER_KIND_LABELS,
  RECORD_FORM_LABELS as LABEL,
  USER_ROLES,
  USER_ROLE_LABELS,
  YES_NO_LABELS,
  CDAP_SERVICE,
  isTimestamp,
  isYearInRange,
  FIRST_YEAR,
  LAST_YEAR,
  describeContact,
  escalationText,
  quotaText,
  serviceDeskText,
  type Contact,
  type EscalationContact,
  type ServiceDesk,
  type Subscription,
} from '@cafsup/shared';
import type { Answers, Question } from './avenant-form.js';
import { frenchDate } from './format.js';
import { dateCheck } from './request-form.js';

/**
 * The fields of the records the Caf writes without a form (workflows.md §1: a user, a group, a
 * habilitation, a partner and its convention), declared once as data: a creation asks them, an
 * edit asks them with the current value offered. The SDK validates what comes out.
 */

export interface RecordField {
  /** The SDK's field. */
  key: string;
  label: string;
  /** How the answer becomes the field's value: text, a date, a list (commas or spaces), a « oui »/« non ». */
  type?: 'text' | 'date' | 'list' | 'boolean';
  choices?: { label: string; value: string }[];
  /** May be left empty on creation, and emptied (« - ») on an edit. */
  optional?: true;
  /** A creation's proposed answer. */
  initial?: string;
}

/** An edit's answer that empties an optional field. */
const EMPTY = '-';

const YES_NO = [
  { label: YES_NO_LABELS.o, value: 'o' },
  { label: YES_NO_LABELS.n, value: 'n' },
];
/** `first` leads: Entrée alone takes it. */
const choicesOf = <Code extends string>(codes: readonly Code[], labels: Record<Code, string>, first: Code) =>
  [first, ...codes.filter((code) => code !== first)].map((code) => ({ label: labels[code], value: code }));

export const USER_FIELDS: RecordField[] = [
  { key: 'name', label: LABEL.userName },
  { key: 'email', label: LABEL.email },
  { key: 'function', label: LABEL.function, optional: true },
  { key: 'role', label: LABEL.role, choices: choicesOf(USER_ROLES, USER_ROLE_LABELS, 'user') },
  { key: 'departement', label: LABEL.departement, optional: true },
  { key: 'missionEndAt', label: LABEL.missionEndAt, type: 'date', optional: true },
];

export const GROUP_FIELDS: RecordField[] = [
  { key: 'name', label: LABEL.groupName },
  { key: 'memberIds', label: LABEL.members, type: 'list', optional: true },
];

/** `holder` is a user's or a group's id: the dialog tells which from the partner's groups. */
export const HABILITATION_FIELDS: RecordField[] = [
  { key: 'holder', label: LABEL.holder },
  { key: 'service', label: LABEL.service, initial: 'CDAP' },
  { key: 'profile', label: LABEL.profile },
  { key: 'departement', label: LABEL.departement, optional: true },
  { key: 'endsAt', label: LABEL.endsAt, type: 'date', optional: true },
];

/** What `partners.edit` corrects (the id and the Caf stay). */
export const PARTNER_FIELDS: RecordField[] = [
  { key: 'name', label: LABEL.partnerName },
  { key: 'kind', label: LABEL.partnerKind, choices: choicesOf(PARTNER_KINDS, PARTNER_KIND_LABELS, 'commune') },
  { key: 'siret', label: LABEL.siret, optional: true },
  { key: 'departements', label: LABEL.departements, type: 'list', optional: true },
  { key: 'address', label: LABEL.address, optional: true },
];

/** The new partner's id and Caf, before the fields an edit corrects. */
export const NEW_PARTNER_FIELDS: RecordField[] = [{ key: 'id', label: LABEL.partnerId }, { key: 'cafCode', label: LABEL.cafCode }, ...PARTNER_FIELDS];

/** What `conventions.edit` corrects among the fields a supervisor types (subscriptions and contacts: the CLI's --file). */
export const CONVENTION_FIELDS: RecordField[] = [
  { key: 'number', label: LABEL.conventionNumber },
  { key: 'signedAt', label: LABEL.signedAt, type: 'date', optional: true },
  { key: 'effectiveAt', label: LABEL.effectiveAt, type: 'date', optional: true },
  { key: 'managementMode', label: LABEL.managementMode, choices: choicesOf(MANAGEMENT_MODES, MANAGEMENT_MODE_LABELS, 'delegated') },
  { key: 'tacitRenewal', label: LABEL.tacitRenewal, type: 'boolean', choices: YES_NO },
];

/** The questions of a new record. */
export function createQuestions(fields: RecordField[], prefix = ''): Question[] {
  return fields.map((field) => ({
    key: `${prefix}${field.key}`,
    label: field.label,
    ...(field.choices === undefined ? {} : { choices: field.choices }),
    ...(field.optional === true ? { optional: true } : {}),
    ...(field.initial === undefined ? {} : { initial: field.initial }),
    ...(field.type === 'date' ? { check: dateCheck } : {}),
  }));
}

/** The record being edited as the SDK gives it (a user, a group, a partner, a convention): its fields' values are read by key. */
export type CurrentValues = object;

/** A current value as the answer that keeps it; undefined when empty. */
function asAnswer(current: CurrentValues | undefined, key: string): string | undefined {
  const value: unknown = current === undefined ? undefined : (current as Record<string, unknown>)[key];
  if (typeof value === 'boolean') return value ? 'o' : 'n';
  if (Array.isArray(value)) return value.join(', ') || undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The questions of an edit: every one may be left as it is; without `current` (a `:` command), empty keeps it. */
export function editQuestions(fields: RecordField[], current: CurrentValues | undefined): Question[] {
  return fields.map((field) => {
    const now = asAnswer(current, field.key);
    const hint = field.optional === true ? `${LABEL.keep} ; ${LABEL.clear}` : LABEL.keep;
    return {
      key: field.key,
      label: `${field.label} (${hint})`,
      optional: true,
      ...(field.choices === undefined
        ? { ...(now === undefined ? {} : { initial: now }) }
        : // The current value first, or « inchangé » when it is not known: Entrée keeps it.
          {
            choices:
              now === undefined
                ? [{ label: LABEL.unchanged, value: '' }, ...field.choices]
                : [...field.choices].sort((a, b) => Number(b.value === now) - Number(a.value === now)),
          }),
      ...(field.type === 'date' ? { check: (value: string) => (value === EMPTY ? null : dateCheck(value)) } : {}),
    };
  });
}

/** A field's value as the SDK takes it. */
export type FieldValue = string | string[] | boolean | null;

function valueOf(field: RecordField, answer: string): FieldValue {
  switch (field.type) {
    case 'list':
      return answer.split(/[\s,]+/).filter((item) => item !== '');
    case 'boolean':
      return answer === 'o';
    default:
      return answer;
  }
}

/** A new record's fields from the answers; an empty optional answer is left out. */
export function recordFrom(fields: RecordField[], answers: Answers, prefix = ''): Record<string, FieldValue> {
  return Object.fromEntries(
    fields.flatMap((field) => {
      const answer = answers[`${prefix}${field.key}`] ?? '';
      return answer === '' ? [] : [[field.key, valueOf(field, answer)]];
    }),
  );
}

/** An edit's changes: the answers that differ from the current values, « - » emptying an optional field. */
export function changesFrom(fields: RecordField[], answers: Answers, current: CurrentValues | undefined): Record<string, FieldValue> {
  return Object.fromEntries(
    fields.flatMap((field) => {
      const answer = answers[field.key] ?? '';
      if (answer === '' || answer === asAnswer(current, field.key)) return [];
      if (answer === EMPTY && field.optional === true) return [[field.key, field.type === 'list' ? [] : null]];
      return [[field.key, valueOf(field, answer)]];
    }),
  );
}

/** An incident's opening time: a timestamp with its zone, or empty for now. */
export const timestampCheck = (value: string) =>
  value === '' || (isTimestamp(value) && isYearInRange(value))
    ? null
    : `horodatage attendu entre ${FIRST_YEAR} et ${LAST_YEAR}, par exemple 2026-11-20T16:30:00+01:00`;

const QUOTA = /^([a-z0-9]+)=(\d+)$/i;
const quotaItems = (value: string) => value.split(/[\s,;]+/).filter((item) => item !== '');

/**
 * A new convention's CDAP quotas, « T1=3, T4=2 », as its bulletin d'adhésion lists them; other
 * services and per-département quotas come by avenant or the CLI's --file.
 */
export const QUOTAS_QUESTION: Question = {
  key: 'convention.quotas',
  label: LABEL.quotas,
  optional: true,
  check: (value) => {
    const wrong = quotaItems(value).find((item) => !QUOTA.test(item));
    return wrong === undefined ? null : `« ${wrong} » : profil=places attendu, par exemple T1=3`;
  },
};

/** The subscriptions of `QUOTAS_QUESTION`'s answer: none when empty. */
export function subscriptionsFrom(answer: string | undefined): { service: string; quotas: { profile: string; maxUsers: number }[] }[] {
  const quotas = quotaItems(answer ?? '').map((item) => {
    const [, profile, places] = QUOTA.exec(item)!;
    return { profile: profile!.toUpperCase(), maxUsers: Number(places) };
  });
  return quotas.length === 0 ? [] : [{ service: CDAP_SERVICE, quotas }];
}

/** A field's value as a supervisor reads it: its French word, a date as 22/11/2026, « (vide) ». */
function shownValue(field: RecordField | undefined, value: unknown): string {
  if (value === null || value === undefined) return '(vide)';
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(', ') || '(aucun)';
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  if (typeof value !== 'string') return JSON.stringify(value);
  const choice = field?.choices?.find((candidate) => candidate.value === value);
  if (choice !== undefined) return choice.label;
  return field?.type === 'date' ? frenchDate(value) : value;
}

/** A convention's services and their quotas: « CDAP depuis le 21/03/2023 : T13 × 20 (départements 13, 83, 84) ». */
function subscriptionsText(subscriptions: readonly Subscription[]): string {
  if (subscriptions.length === 0) return '(aucun)';
  return subscriptions
    .map(
      (subscription) =>
        `${subscription.service}${subscription.availableFrom === null ? '' : ` depuis le ${frenchDate(subscription.availableFrom)}`} : ${subscription.quotas.map(quotaText).join(', ') || 'sans quota'}`,
    )
    .join(' ; ');
}

/** Fields an edit may change that its form does not ask (a convention's subscriptions, contacts, desk and ladder, from a file): their label, and how their value reads. */
const UNASKED_FIELDS: Record<string, { label: string; shown: (value: never) => string }> = {
  subscriptions: { label: 'Services et quotas', shown: subscriptionsText },
  contacts: { label: 'Contacts', shown: (contacts: readonly Contact[]) => (contacts.length === 0 ? '(aucun)' : contacts.map(describeContact).join(' ; ')) },
  // A convention without its own desk or ladder takes the Caf's (effectiveTerms).
  serviceDesk: {
    label: 'Centre de services',
    shown: (desk: ServiceDesk | null) => (desk === null ? 'celui de la Caf (la convention n’en précise pas)' : serviceDeskText(desk)),
  },
  escalation: {
    label: 'Procédure d’escalade',
    shown: (ladder: EscalationContact[] | null) => (ladder === null ? 'celle de la Caf (la convention n’en précise pas)' : escalationText(ladder)),
  },
};

/**
 * What an edit changes (the SDK's `changes`), one line per field, « Rôle : utilisateur →
 * gestionnaire d’habilitations »: the interface's dialogs and the CLI say it alike.
 */
export function changeLines(fields: readonly RecordField[], changes: { before: Record<string, unknown>; after: Record<string, unknown> }): string[] {
  return Object.keys(changes.after).map((key) => {
    const unasked = UNASKED_FIELDS[key];
    if (unasked !== undefined) return `${unasked.label} : ${unasked.shown(changes.before[key] as never)} → ${unasked.shown(changes.after[key] as never)}`;
    const field = fields.find((candidate) => candidate.key === key);
    const label = field === undefined ? key : field.label.replace(/ \(.*\)$/, '');
    return `${label} : ${shownValue(field, changes.before[key])} → ${shownValue(field, changes.after[key])}`;
  });
}
