import { z } from 'zod';
import { unknownKeysMessage } from './errors.js';

// Zod's own messages (wrong type, missing field…) in French, like the rest of cafsup. Set here,
// where every schema of this package gets zod, rather than in the index: a bundle keeps only the
// modules it uses (package.json `sideEffects`), and whichever schema it keeps speaks French.
// Two of them said in cafsup's own words: a missing field, whatever it should have been (zod:
// « Entrée invalide : chaîne de caractères attendu, indéfini reçu », « Option invalide … »), and
// a kind missing or that does not exist (zod: « Entrée invalide », without the kinds there are,
// e.g. an avenant's change `type`); and a value or key zod would quote in straight quotes.
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
    return undefined;
  },
});

export { z };
