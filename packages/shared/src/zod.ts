import { z } from 'zod';

// Zod's own messages (wrong type, missing field…) in French, like the rest of cafsup. Set here,
// where every schema of this package gets zod, rather than in the index: a bundle keeps only the
// modules it uses (package.json `sideEffects`), and whichever schema it keeps speaks French.
z.config(z.locales.fr());

export { z };
