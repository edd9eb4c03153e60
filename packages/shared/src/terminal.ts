// The characters that must never act on a terminal, and the escape that shows them instead. Kept
// apart from text.ts's schemas so the command line's error printer can quote what was typed
// without loading zod (test/startup.test.ts keeps a refusal as light as `--help`).

/**
 * Beyond C0: DEL, C1 (0x9B is a one-byte CSI), the bidi marks, embeddings, overrides and
 * isolates, and the line and paragraph separators some terminals break lines on.
 */
const BEYOND_C0 = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
/** C0 (tab, newline included) and the rest. */
const CONTROLS = `\\u0000-\\u001f${BEYOND_C0}`;
/**
 * Half of a UTF-16 surrogate pair standing alone (in `u` mode a whole pair is one code point,
 * outside this range): JavaScript strings can hold one, UTF-8 cannot. Both engines stored it
 * as U+FFFD, and PostgreSQL's JSON refused a document holding one, every read of it failing.
 */
const SURROGATES = '\\ud800-\\udfff';
const CONTROL = new RegExp(`[${CONTROLS}]`, 'u');
const LONE_SURROGATE = new RegExp(`[${SURROGATES}]`, 'u');
const UNSAFE_GLOBAL = new RegExp(`[${CONTROLS}${SURROGATES}]`, 'gu');
/** What JSON.stringify leaves raw (it escapes C0 itself), for JSON printed to a terminal. */
const UNSAFE_IN_JSON = new RegExp(`[${BEYOND_C0}]`, 'gu');

/** JSON text with every character a terminal would act on written as `\uXXXX`: the same value, harmless to print. */
export function jsonSafe(text: string): string {
  return text.replace(UNSAFE_IN_JSON, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A value as the commands' `--json` prints it: indented by two spaces, terminal-safe, one
 * line feed after. The store keeps a partner's flags in this form (audit.ts), so that a whole
 * report goes out without being built.
 */
export function jsonText(value: unknown): string {
  return `${jsonSafe(JSON.stringify(value, null, 2))}\n`;
}

/** True when the text holds a control or bidi character (refused in stored text). */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

/** True when the text holds half of a surrogate pair alone (refused in stored text). */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** True when the text holds a character refused in stored text: a control or bidi character, or half a surrogate pair. */
export function hasUnsafeCharacter(text: string): boolean {
  return CONTROL.test(text) || LONE_SURROGATE.test(text);
}

/**
 * Text from data made harmless for a terminal: every control or bidi character becomes a
 * visible escape (`\x1b`, `\u202e`), so ESC, OSC 52 (clipboard) or a reversed line cannot act;
 * so does half a surrogate pair (`\ud800`), which a terminal would show as nothing.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE_GLOBAL, (character) => {
    const code = character.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * At most `most` characters of a text someone gave, to quote it in a message, with « … » when it
 * was longer. Cut by characters, not UTF-16 units: a cut through an emoji would print half of it.
 */
export function excerpt(text: string, most = 40): string {
  const characters = [...text];
  return characters.length > most ? `${characters.slice(0, most).join('')}…` : text;
}

/** A text someone gave, quoted in a message: in « », cut (`excerpt`), its controls and bidi marks escaped. */
export function quoted(text: string): string {
  return `« ${escapeForTerminal(excerpt(text))} »`;
}
