import { z } from 'zod';

// Zod's own messages (wrong type, missing field…) in French, like the rest of cafsup. Set here,
// where every schema of this package gets zod, rather than in the index: a bundle keeps only the
// modules it uses (package.json `sideEffects`), and whichever schema it keeps speaks French.
// Two of them said in cafsup's own words: a missing field (zod: « Entrée invalide : chaîne de
// caractères attendu, indéfini reçu ») and a kind that does not exist (zod: « Entrée invalide »,
// without the kinds there are, e.g. an avenant's change `type`).
z.config({
  ...z.locales.fr(),
  customError: (issue) => {
    if (issue.code === 'invalid_type' && issue.input === undefined) return 'champ obligatoire';
    if (issue.code === 'invalid_union' && issue.note === 'No matching discriminator') {
      const kinds = (issue.inst as { _zod?: { propValues?: Record<string, Set<unknown>> } } | undefined)?._zod?.propValues?.[issue.discriminator ?? ''];
      if (kinds !== undefined) return `valeur inconnue (attendu : ${[...kinds].join(', ')})`;
    }
    return undefined;
  },
});

export { z };
