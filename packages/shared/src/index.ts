import { z } from 'zod';

// Zod's own messages (wrong type, missing field…) in French, like the rest of cafsup.
z.config(z.locales.fr());

export * from './errors.js';
export * from './compare.js';
export * from './dates.js';
export * from './catalogue.js';
export * from './fields.js';
export * from './text.js';
export * from './parse.js';
export * from './random.js';
export * from './caf.js';
export * from './partner.js';
export * from './terms.js';
export * from './avenant.js';
export * from './convention.js';
export * from './user.js';
export * from './habilitation.js';
export * from './dataset.js';
export * from './settings.js';
export * from './trace.js';
export * from './actions.js';
export * from './flags/catalogue.js';
export * from './flags/flag.js';
export * from './flags/quota.js';
export * from './flags/people.js';
export * from './flags/convention.js';
export * from './queries.js';
export * from './labels.js';
