import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import type { PlainField } from './plain.js';
import { ACCEPTED_DATE, FIRST_YEAR, LAST_YEAR, isAcceptedDate, isTimestamp, isYearInRange } from './dates.js';
import { hasUnsafeCharacter } from './terminal.js';
import { INVISIBLE_CHARACTER, refusingUnsafeCharacters, safeTextSchema } from './text.js';
import { DOCUMENT_PATH } from './errors.js';

// Field schemas every entity reuses, with the French wording a supervisor reads in a refusal.

const ID_MAX = 200;

export const idSchema = lazySchema(() =>
  refusingUnsafeCharacters(
    z.string().trim().min(1, 'identifiant vide').max(ID_MAX, `identifiant trop long : ${ID_MAX} caractères au plus`),
    'caractère de contrôle interdit dans un identifiant',
  ),
);

/** An id in a plain input (plain.ts): accepted without zod when the schema keeps it as it is, already trimmed. */
export const idField: PlainField<typeof idSchema> = {
  schema: idSchema,
  accepts: (value) => typeof value === 'string' && value !== '' && value.length <= ID_MAX && value.trim() === value && !hasUnsafeCharacter(value),
};

/** A letter or a digit of a created id (`newIdSchema`); escaped, as the bundle must stay ASCII. */
const ID_LETTER = 'A-Za-z0-9\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u00FF\\u0152\\u0153\\u0178';
const NEW_ID = new RegExp(`^[${ID_LETTER}][${ID_LETTER}._-]*$`, 'u');

/**
 * The id of a record a supervisor creates (a user, a group, a habilitation, a partner): letters
 * (French accents included, composed or not), digits, « - », « _ » and « . », a letter or a digit first,
 * so that it can be named afterwards on a command line, which splits a list of ids at commas and
 * takes « -x » for an option (trials 24 and 25: « a,b », a zero-width space that made two ids
 * look the same, a full-width comma). Ids a dataset brings are taken as they are.
 */
export const newIdSchema = lazySchema(() =>
  idSchema
    // Composed, as a keyboard types it: « é » decomposed made a second id that looked the same (trial 25).
    .overwrite((id) => id.normalize('NFC'))
    // ASCII letters and digits, and the accented letters of Latin-1 and « œ », composed: a Cyrillic
    // « а », a full-width « Ａ », a ligature « ﬁ », a Latin « ɡ » or « ı », or an invisible mark
    // (U+034F, a variation selector) made an id that looked like another (reviews 25, 26).
    .refine(
      (id) => NEW_ID.test(id),
      'lettres (accents français compris), chiffres, « - », « _ » ou « . » seulement, une lettre ou un chiffre en premier (la ligne de commande doit pouvoir le nommer)',
    ),
);

export const calendarDateSchema = lazySchema(() => z.string().refine(isAcceptedDate, `date invalide (attendu ${ACCEPTED_DATE})`));

/** A date in a plain input (plain.ts): the schema's own test. */
export const calendarDateField: PlainField<typeof calendarDateSchema> = {
  schema: calendarDateSchema,
  accepts: (value) => typeof value === 'string' && isAcceptedDate(value),
};

export const timestampSchema = lazySchema(() =>
  z
    .string()
    .refine(
      (value) => isTimestamp(value) && isYearInRange(value),
      `horodatage invalide (attendu ISO-8601 avec fuseau entre ${FIRST_YEAR} et ${LAST_YEAR}, ex. 2026-03-05T23:30:00Z)`,
    ),
);

const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * The longest address mail systems carry (RFC 5321: a path of 256 octets, angle brackets
 * included) and its longest part before the @, in octets of UTF-8 (RFC 6531): an import took one
 * of 3,000 characters, which no message could reach and every list then printed whole.
 */
const EMAIL_MAX = 254;
const EMAIL_LOCAL_MAX = 64;

/** The octets of `text` in UTF-8: an accented letter is two, a surrogate pair four. */
function utf8Length(text: string): number {
  let octets = text.length;
  for (let at = 0; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    if (unit >= 0xd800 && unit <= 0xdfff) octets += 1;
    else if (unit >= 0x800) octets += 2;
    else if (unit >= 0x80) octets += 1;
  }
  return octets;
}

/** Whether a trimmed address is longer than mail systems carry (the lengths above). */
function emailTooLong(address: string): boolean {
  const at = address.indexOf('@');
  return utf8Length(address) > EMAIL_MAX || utf8Length(at === -1 ? address : address.slice(0, at)) > EMAIL_LOCAL_MAX;
}

/** An address as mail systems take it: no space, one @, a dotted domain, the lengths above, and nothing refused in stored text (ESC, half a surrogate pair). */
export function isEmail(value: string): boolean {
  const address = value.trim();
  return !emailTooLong(address) && EMAIL_PATTERN.test(address) && !hasUnsafeCharacter(value) && !INVISIBLE_CHARACTER.test(address);
}

/** Why `isEmail` refused `refused`, in the words every refusal of an address uses. */
export function emailRefusal(refused: string): string {
  const invisible = INVISIBLE_CHARACTER.exec(refused);
  if (invisible !== null)
    return `adresse mél invalide : elle contient un caractère invisible (U+${invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
  return emailTooLong(refused.trim())
    ? `adresse mél trop longue : ${EMAIL_MAX} octets au plus, dont ${EMAIL_LOCAL_MAX} avant l’@ (une lettre accentuée en compte deux)`
    : 'adresse mél invalide';
}

// Trimmed: an address pasted with a space around it was stored with it (« Jean Test < jean@caf78.fr > »).
export const emailSchema = lazySchema(() =>
  z
    .string()
    .trim()
    .refine(isEmail, { error: (issue) => emailRefusal(String(issue.input)) }),
);

/** Trimmed, lower-case form under which two addresses count as the same (rule 7). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** SIRET: 14 digits whose Luhn sum is a multiple of 10. */
export function isValidSiret(value: string): boolean {
  if (!/^\d{14}$/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let digit = value.charCodeAt(13 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export const siretSchema = lazySchema(() => z.string().refine(isValidSiret, 'SIRET invalide (14 chiffres, clé de Luhn)'));

/** The real département codes (dataset.md): 01–19, 2A, 2B, 21–95, 971–976; « 20 » and « 999 » are not. */
const DEPARTEMENT_CODE = /^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-6])$/;

export function isDepartementCode(value: string): boolean {
  return DEPARTEMENT_CODE.test(value);
}

export const departementSchema = lazySchema(() => z.string().refine(isDepartementCode, 'code de département invalide (01–19, 2A, 2B, 21–95, 971–976)'));

/** A free-text field of the dataset (names, functions, titles, addresses): at most 2,000 characters, no control or bidi character. */
export const textSchema = lazySchema(() => safeTextSchema());
/** A free-text field that may not be empty. */
export const requiredTextSchema = lazySchema(() => safeTextSchema().min(1, 'texte vide'));

/** Path of a zod issue in the JSON-path style of dataset.md: `users[12].email`. */
export function formatPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? DOCUMENT_PATH : out;
}
