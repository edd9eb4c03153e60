import { z } from 'zod';
import { unknownKeysMessage } from './errors.js';
import { excerpt } from './terminal.js';

// Zod's own messages (wrong type, missing field…) in French, like the rest of cafsup. Set here,
// where every schema of this package gets zod, rather than in the index: a bundle keeps only the
// modules it uses (package.json `sideEffects`), and whichever schema it keeps speaks French.
// Those a user meets in a file or a request are said in cafsup's own words (zod's French names a
// type in the masculine, « chaîne de caractères reçu », and a bound as « >=0 »):
// - a missing field, whatever it should have been (zod: « Entrée invalide : chaîne de caractères
//   attendu, indéfini reçu », « Option invalide … »);
// - a kind missing or that does not exist (zod: « Entrée invalide », without the kinds there are,
//   e.g. an avenant's change `type`);
// - a value of the wrong type, with what was given (zod: « Entrée invalide : nombre attendu,
//   chaîne de caractères reçu », where the file held "3");
// - a number, text or list out of its bounds, with the bound in words (zod: « Trop petit :
//   nombre doit être >=0 »);
// - a value or key zod would quote in straight quotes.

/** A type zod expects, said as expected (« attendue » for a list, feminine). */
const EXPECTED: Readonly<Record<string, string>> = {
  string: 'texte attendu',
  number: 'nombre attendu',
  int: 'nombre entier attendu',
  boolean: 'true ou false attendu',
  array: 'liste attendue',
  object: 'objet attendu',
  record: 'objet attendu',
};

/** What was given instead, short enough for one line. */
function given(input: unknown): string {
  if (typeof input === 'string') return `le texte « ${excerpt(input)} »`;
  if (Array.isArray(input)) return 'une liste';
  if (typeof input === 'object' && input !== null) return 'un objet';
  if (typeof input === 'number') return Number.isFinite(input) ? `le nombre ${input}` : 'un nombre trop grand';
  return `« ${String(input)} »`;
}

/** What a bound counts, by what zod says it bounds. */
const COUNTED: Readonly<Record<string, [string, string]>> = {
  string: ['caractère', 'caractères'],
  array: ['élément', 'éléments'],
  set: ['élément', 'éléments'],
};

function bound(issue: { origin: string; inclusive?: boolean; input?: unknown }, limit: number | bigint | Date, least: boolean): string | undefined {
  if (limit instanceof Date) return undefined;
  const counted = COUNTED[issue.origin];
  if (counted !== undefined) {
    const many = Number(limit) > 1;
    // A text's length in characters, as the user counts them; a list's in elements.
    const length = typeof issue.input === 'string' ? [...issue.input].length : Array.isArray(issue.input) ? issue.input.length : undefined;
    return `${least ? 'au moins' : 'au plus'} ${limit} ${many ? `${counted[1]} attendus` : `${counted[0]} attendu`}${length === undefined ? '' : ` (reçu ${length})`}`;
  }
  if (issue.origin !== 'number' && issue.origin !== 'int' && issue.origin !== 'bigint') return undefined;
  // An integer's own bound, not the field's: « au plus 9007199254740991 » named a limit nobody set (trial 35).
  if (Math.abs(Number(limit)) === Number.MAX_SAFE_INTEGER) return `nombre ${least ? 'trop petit' : 'trop grand'} (reçu ${given(issue.input)})`;
  const words = issue.inclusive === false ? (least ? 'supérieur à' : 'inférieur à') : least ? 'au moins' : 'au plus';
  return `${words} ${limit} attendu (reçu ${given(issue.input)})`;
}

z.config({
  ...z.locales.fr(),
  customError: (issue) => {
    if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
      // The kinds: zod's own list where this version gives one, else the union's values.
      const kinds =
        'options' in issue && Array.isArray(issue.options) && issue.options.length > 0
          ? issue.options
          : (issue.inst as { _zod?: { propValues?: Record<string, Set<unknown>> } } | undefined)?._zod?.propValues?.[issue.discriminator];
      const given = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator];
      if (kinds !== undefined) return `${given === undefined ? 'champ obligatoire' : 'valeur inconnue'} (attendu : ${[...kinds].join(', ')})`;
    }
    if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union'))
      return 'champ obligatoire';
    // Zod quotes these "thus" and joins values with « | » (« une valeur parmi "active"|"suspended" »).
    if (issue.code === 'invalid_value' && issue.values.length > 1 && issue.values.every((value) => typeof value === 'string'))
      return `valeur inconnue (attendu : ${issue.values.join(', ')})`;
    if (issue.code === 'unrecognized_keys') return unknownKeysMessage(issue.keys);
    // JSON's 1e400 reads as Infinity: a number, too large for any field (trial 25: « nombre attendu (reçu un nombre trop grand) »).
    if (issue.code === 'invalid_type' && issue.expected === 'number' && typeof issue.input === 'number' && !Number.isFinite(issue.input))
      return 'nombre trop grand';
    if (issue.code === 'invalid_type' && EXPECTED[issue.expected] !== undefined) return `${EXPECTED[issue.expected]} (reçu ${given(issue.input)})`;
    if (issue.code === 'too_small') return bound(issue, issue.minimum, true);
    if (issue.code === 'too_big') return bound(issue, issue.maximum, false);
    return undefined;
  },
});

export { z };
