import { z } from './zod.js';
import { lazySchema } from './lazy.js';

// Free text is data a partner or a supervisor controls, and it ends up on terminals and in
// spreadsheets (rules.md, "Inputs that are refused"). Two walls: stored text refuses control and
// bidi characters, and every terminal output escapes them anyway (a file edited behind cafsup's
// back, a value imported before this rule existed).

/**
 * Beyond C0: DEL, C1 (0x9B is a one-byte CSI), the bidi marks, embeddings, overrides and
 * isolates, and the line and paragraph separators some terminals break lines on.
 */
const BEYOND_C0 = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
/** C0 (tab, newline included) and the rest. */
const UNSAFE = new RegExp(`[\\u0000-\\u001f${BEYOND_C0}]`, 'u');
const UNSAFE_GLOBAL = new RegExp(UNSAFE.source, 'gu');
/** What JSON.stringify leaves raw (it escapes C0 itself), for JSON printed to a terminal. */
export const UNSAFE_IN_JSON = new RegExp(`[${BEYOND_C0}]`, 'gu');
/** Characters that take no place on screen: a reason of five of them says nothing. */
// (U+034F, the combining grapheme joiner, stands apart: inside a class it would join its neighbour.)
const INVISIBLE = /(?:[\s\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]|\u034f)/gu;

export const TEXT_MAX = 2000;
export const REASON_MAX = 1000;

/** True when the text holds a character refused in stored text. */
export function hasUnsafeCharacter(text: string): boolean {
  return UNSAFE.test(text);
}

/** Number of characters that show, ignoring spaces and zero-width characters. */
export function visibleLength(text: string): number {
  return [...text.replace(INVISIBLE, '')].length;
}

const UNSAFE_MESSAGE = 'caractère de contrôle ou de direction du texte interdit';

/** A free-text field: at most `max` characters, no control or bidi character. */
export function safeTextSchema(max: number = TEXT_MAX) {
  return z
    .string()
    .max(max, `texte trop long : ${max} caractères au plus`)
    .refine((text) => !hasUnsafeCharacter(text), UNSAFE_MESSAGE);
}

/** A reason (rules.md, "Actions"): trimmed, at least 5 visible characters, 1,000 at most. */
export const reasonSchema = lazySchema(() =>
  z
    .string({ error: 'motif obligatoire' })
    .trim()
    .max(REASON_MAX, `motif trop long : ${REASON_MAX} caractères au plus`)
    .refine((text) => !hasUnsafeCharacter(text), UNSAFE_MESSAGE)
    .refine((text) => visibleLength(text) >= 5, 'motif trop court : au moins 5 caractères visibles'),
);

/**
 * Text from data made harmless for a terminal: every control or bidi character becomes a
 * visible escape (`\x1b`, `\u202e`), so ESC, OSC 52 (clipboard) or a reversed line cannot act.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE_GLOBAL, (character) => {
    const code = character.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
