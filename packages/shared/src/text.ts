import { hasControlCharacter, hasLoneSurrogate } from './terminal.js';
import { z } from './zod.js';
import { lazySchema } from './lazy.js';

// Free text is data a partner or a supervisor controls, and it ends up on terminals and in
// spreadsheets (rules.md, "Inputs that are refused"). Two walls: stored text refuses control and
// bidi characters (below), and every terminal output escapes them anyway (terminal.ts).

/**
 * A character that shows nothing: a format character (U+200B, U+00AD, U+FEFF…) or one Unicode
 * says to ignore (U+034F, variation selectors, Hangul fillers). In an e-mail address it makes
 * one that looks like another (fields.ts).
 */
export const INVISIBLE_CHARACTER = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/** Characters that take no place on screen: a reason of five of them says nothing. */
const INVISIBLE = /[\s\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

export const TEXT_MAX = 2000;
export const REASON_MAX = 1000;

/** Number of characters that show, ignoring spaces and zero-width characters. */
export function visibleLength(text: string): number {
  return [...text.replace(INVISIBLE, '')].length;
}

const UNSAFE_MESSAGE = 'caractère de contrôle ou de direction du texte interdit';
/** Half of a surrogate pair alone: what a broken conversion or a truncated emoji leaves. */
export const LONE_SURROGATE_MESSAGE = 'caractère incomplet (moitié de paire UTF-16 seule) interdit';

/**
 * What stored text refuses (terminal.ts's `hasUnsafeCharacter`), each kind in its own words:
 * a control or bidi character (`controlMessage`), half of a surrogate pair.
 */
export function refusingUnsafeCharacters(schema: z.ZodString, controlMessage: string = UNSAFE_MESSAGE): z.ZodString {
  return schema.refine((text) => !hasControlCharacter(text), controlMessage).refine((text) => !hasLoneSurrogate(text), LONE_SURROGATE_MESSAGE);
}

/** A free-text field: at most `max` characters, no control or bidi character, no half of a surrogate pair. */
export function safeTextSchema(max: number = TEXT_MAX) {
  return refusingUnsafeCharacters(z.string().max(max, `texte trop long : ${max} caractères au plus`));
}

/**
 * The longest name of a review's reviewer, in characters. PostgreSQL keeps a review unique by its
 * partner, date and reviewer, in one index entry of 2,704 bytes at most: 200 characters (UTF-16
 * units, as zod counts them: 600 bytes of UTF-8 at most) fit beside the longest partner id (as
 * many). With 2,000 allowed, PostgreSQL failed to store a review that SQLite stored (trial 38).
 */
export const REVIEWER_MAX = 200;
/** Who made a review, as an action or a returned review sheet names them. */
export const reviewerSchema = lazySchema(() => safeTextSchema(REVIEWER_MAX).trim().min(1, 'nom de la personne qui a fait la revue obligatoire'));

/** A reason (rules.md, "Actions"): trimmed, at least 5 visible characters, 1,000 at most. */
export const reasonSchema = lazySchema(() =>
  refusingUnsafeCharacters(z.string({ error: 'motif obligatoire' }).trim().max(REASON_MAX, `motif trop long : ${REASON_MAX} caractères au plus`)).refine(
    (text) => visibleLength(text) >= 5,
    'motif trop court : au moins 5 caractères visibles',
  ),
);

/**
 * A whole number as a person types it, in digits, or NaN: Number() took « 1e3 » for 1000, and
 * « 0x10 », « 1.0 » or « 5 » with spaces, as numbers (trial 35: `avenant sign amp 1e3`). The
 * CLI's arguments and options, and the interface's `:` commands, read numbers through it.
 */
export function digitsOf(text: string): number {
  return /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
}
