import { CONTACT_ROLES, MANAGEMENT_MODES, MANAGEMENT_MODE_LABELS, type AvenantChange } from '@cafsup/shared';

/**
 * The questions that build an avenant's typed changes, asked alike by the interface's dialog
 * and by `cafsup avenant add` (with @inquirer/prompts): data only, no way of asking.
 */
export interface Question {
  key: string;
  label: string;
  choices?: { label: string; value: string }[];
  optional?: boolean;
  initial?: string;
  /** A French sentence when the answer cannot be taken. */
  check?(value: string): string | null;
}

export type Answers = Record<string, string>;

const CHANGE_TYPES: { label: string; value: AvenantChange['type'] }[] = [
  { label: 'Fixer un quota (service, profil, maximum)', value: 'setQuota' },
  { label: 'Retirer un quota', value: 'removeQuota' },
  { label: 'Ajouter un service', value: 'addService' },
  { label: 'Retirer un service', value: 'removeService' },
  { label: 'Changer le mode de gestion', value: 'setManagementMode' },
  { label: 'Remplacer un contact', value: 'setContact' },
  { label: 'Note (modification rédigée)', value: 'note' },
];

const CHANGE_TYPE_KEY = /^change(\d+)\.type$/;
const MORE_KEY = /^more(\d+)$/;

/** The avenant's title, asked first by the interface's dialog and by `avenant add` without --title. */
export const AVENANT_TITLE_QUESTION: Question = { key: 'title', label: 'Titre de l’avenant' };

/** The first question of change n° index + 1: its type. */
export function changeTypeQuestion(index: number): Question {
  return { key: `change${index}.type`, label: `Modification n° ${index + 1}`, choices: CHANGE_TYPES };
}

function changeFields(index: number, type: string): Question[] {
  const key = (name: string) => `change${index}.${name}`;
  const service: Question = { key: key('service'), label: 'Service', initial: 'CDAP' };
  const profile: Question = { key: key('profile'), label: 'Profil (T1…T22)' };
  switch (type) {
    case 'setQuota':
      return [
        service,
        profile,
        { key: key('maxUsers'), label: 'Nombre maximal d’utilisateurs', check: (value) => (/^\d+$/.test(value) ? null : 'nombre entier attendu') },
        { key: key('departements'), label: 'Départements (séparés par des virgules, vide : tous)', optional: true },
      ];
    case 'removeQuota':
      return [service, profile];
    case 'addService':
    case 'removeService':
      return [service];
    case 'setManagementMode':
      return [{ key: key('mode'), label: 'Mode', choices: MANAGEMENT_MODES.map((mode) => ({ label: MANAGEMENT_MODE_LABELS[mode], value: mode })) }];
    case 'setContact':
      return [
        {
          key: key('side'),
          label: 'Côté',
          choices: [
            { label: 'partenaire', value: 'partner' },
            { label: 'Caf', value: 'caf' },
          ],
        },
        { key: key('role'), label: 'Rôle', choices: CONTACT_ROLES.map((role) => ({ label: role, value: role })) },
        { key: key('name'), label: 'Nom' },
        { key: key('email'), label: 'Mél' },
        { key: key('function'), label: 'Fonction', optional: true },
      ];
    default:
      return [{ key: key('text'), label: 'Texte de la modification' }];
  }
}

/**
 * The question a refused field of the avenant was the answer to, for a person who answered
 * questions (the interface): « Modification n° 1 — Nombre maximal d’utilisateurs » for
 * `changes[0].maxUsers` (review 26, 14: the form showed the path). `others`: the form's other
 * questions, named by their keys. A path no question asked is kept.
 */
export function questionAsked(path: string, answers: Answers, others: readonly Question[]): string {
  const other = [AVENANT_TITLE_QUESTION, ...others].find((question) => question.key === path);
  if (other !== undefined) return other.label;
  const change = /^changes\[(\d+)\](?:\.(?:contact\.)?(\w+))?/.exec(path);
  if (change === null) return path;
  const index = Number(change[1]);
  const heading = changeTypeQuestion(index).label;
  const field = changeFields(index, answers[`change${index}.type`] ?? '').find((question) => question.key === `change${index}.${change[2]}`);
  return field === undefined ? heading : `${heading} — ${field.label}`;
}

/**
 * The questions an answer opens: a type's fields and « another change? »; another type
 * question on « oui »; `afterChanges` once the supervisor says « non ».
 */
export function followChange(question: Question, value: string, afterChanges: Question[]): Question[] | null {
  const typeMatch = CHANGE_TYPE_KEY.exec(question.key);
  if (typeMatch !== null) {
    const index = Number(typeMatch[1]);
    return [
      ...changeFields(index, value),
      {
        key: `more${index}`,
        label: 'Ajouter une autre modification ?',
        choices: [
          { label: 'non', value: 'n' },
          { label: 'oui', value: 'o' },
        ],
      },
    ];
  }
  const moreMatch = MORE_KEY.exec(question.key);
  if (moreMatch !== null) return value === 'o' ? [changeTypeQuestion(Number(moreMatch[1]) + 1)] : afterChanges;
  return null;
}

function changeFrom(answers: Answers, index: number): AvenantChange {
  const get = (name: string) => answers[`change${index}.${name}`] ?? '';
  const type = get('type') as AvenantChange['type'];
  const departements = get('departements')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  switch (type) {
    case 'setQuota':
      return {
        type,
        service: get('service'),
        profile: get('profile'),
        maxUsers: Number(get('maxUsers')),
        ...(departements.length === 0 ? {} : { departements }),
      };
    case 'removeQuota':
      return { type, service: get('service'), profile: get('profile') };
    case 'addService':
      return { type, service: get('service'), quotas: [] };
    case 'removeService':
      return { type, service: get('service') };
    case 'setManagementMode':
      return { type, mode: get('mode') as 'delegated' };
    case 'setContact':
      return {
        type,
        contact: {
          side: get('side') as 'partner',
          role: get('role') as 'administrator',
          name: get('name'),
          email: get('email'),
          ...(get('function') === '' ? {} : { function: get('function') }),
        },
      };
    default:
      return { type: 'note', text: get('text') };
  }
}

/** The changes the answers describe, in the order they were given. */
export function changesFrom(answers: Answers): AvenantChange[] {
  const count = Object.keys(answers).filter((key) => CHANGE_TYPE_KEY.test(key)).length;
  return Array.from({ length: count }, (_, index) => changeFrom(answers, index));
}
