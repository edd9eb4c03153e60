import { REQUEST_FORM_LABELS as LABEL, USER_ROLE_LABELS, YES_NO_LABELS, ACCEPTED_DATE, isAcceptedDate, type RequestKind } from '@cafsup/shared';
import type { Answers, Question } from './avenant-form.js';

/**
 * The questions of a paper form (workflows.md §1), asked alike by `cafsup request add` on a
 * terminal (with @inquirer/prompts) and by the interface's dialog: data only, no way of asking.
 * Yes/no boxes are choices « non »/« oui »; a « oui » opens the fields it asks for.
 */

const YES_NO = [
  { label: YES_NO_LABELS.n, value: 'n' },
  { label: YES_NO_LABELS.o, value: 'o' },
];

/** A French sentence when `value` is not a date cafsup takes (empty allowed for optional questions). */
export const dateCheck = (value: string) => (value === '' || isAcceptedDate(value) ? null : DATE_EXPECTED);
export const DATE_EXPECTED = `attendu : ${ACCEPTED_DATE}`;

function person(index: number): Question[] {
  return [
    { key: `people${index}.name`, label: LABEL.personName },
    { key: `people${index}.email`, label: LABEL.personEmail },
    { key: `people${index}.function`, label: LABEL.personFunction, optional: true },
    { key: `people${index}.more`, label: LABEL.anotherPerson, choices: YES_NO },
  ];
}

/** The first questions of a form of this kind; the others follow from the answers (`followRequestForm`). */
export function requestFormQuestions(kind: RequestKind): Question[] {
  switch (kind) {
    case 'designation':
      return [
        {
          key: 'role',
          label: LABEL.role,
          choices: (['administrator', 'deputy'] as const).map((role) => ({ label: USER_ROLE_LABELS[role], value: role })),
        },
        { key: 'name', label: LABEL.administratorName },
        { key: 'function', label: LABEL.function },
        { key: 'phone', label: LABEL.phone },
        { key: 'email', label: LABEL.email },
        { key: 'replaces', label: LABEL.replaces, choices: YES_NO },
      ];
    case 'habilitation':
      return [
        { key: 'name', label: LABEL.personToHabilitate },
        { key: 'function', label: LABEL.functionToHabilitate, optional: true },
        { key: 'email', label: LABEL.email },
        { key: 'departement', label: LABEL.departement, optional: true },
        { key: 'service', label: LABEL.service, initial: 'CDAP' },
        { key: 'profile', label: LABEL.profile },
        { key: 'temporary', label: LABEL.temporary, choices: YES_NO },
      ];
    case 'deletion':
      return [
        ...person(0),
        { key: 'lossOrTheft', label: LABEL.lossOrTheft, choices: YES_NO },
        { key: 'departedAt', label: LABEL.departedAt, optional: true, check: dateCheck },
      ];
  }
}

const MORE_PEOPLE = /^people(\d+)\.more$/;

/** The questions an answer opens: the replaced administrator, the mission's end, another person. */
export function followRequestForm(question: Question, value: string): Question[] {
  if (question.key === 'replaces' && value === 'o')
    return [
      { key: 'replaces.name', label: LABEL.replacedName },
      { key: 'replaces.email', label: LABEL.replacedEmail },
    ];
  if (question.key === 'temporary' && value === 'o') return [{ key: 'endsAt', label: LABEL.endsAt, check: dateCheck }];
  const more = MORE_PEOPLE.exec(question.key);
  if (more !== null && value === 'o') return person(Number(more[1]) + 1);
  return [];
}

/** The form's fields (workflows.md, « Form fields ») from the answers; the SDK validates them. */
export function requestFormFrom(kind: RequestKind, answers: Answers): Record<string, unknown> {
  const text = (key: string) => answers[key] ?? '';
  const orNull = (key: string) => (text(key) === '' ? null : text(key));
  switch (kind) {
    case 'designation':
      return {
        role: text('role'),
        name: text('name'),
        function: text('function'),
        phone: text('phone'),
        email: text('email'),
        replaces: text('replaces') === 'o' ? { name: text('replaces.name'), email: text('replaces.email') } : null,
      };
    case 'habilitation':
      return {
        name: text('name'),
        function: orNull('function'),
        email: text('email'),
        departement: orNull('departement'),
        service: text('service') || 'CDAP',
        profile: text('profile'),
        temporary: text('temporary') === 'o',
        endsAt: text('temporary') === 'o' ? text('endsAt') : null,
      };
    case 'deletion': {
      const count = Object.keys(answers).filter((key) => /^people\d+\.name$/.test(key)).length;
      return {
        people: Array.from({ length: count }, (_, index) => ({
          name: text(`people${index}.name`),
          email: text(`people${index}.email`),
          function: orNull(`people${index}.function`),
        })),
        lossOrTheft: text('lossOrTheft') === 'o',
        ...(text('departedAt') === '' ? {} : { departedAt: text('departedAt') }),
      };
    }
  }
}
