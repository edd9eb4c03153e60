import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CafsupError } from '@cafsup/shared';

/**
 * Where a worker's code is (`store-worker`, `dataset-reader`): beside this module once compiled
 * (sdk/dist), beside the bundle of the `cafsup` command (tui/dist), or in sdk/dist when this
 * module runs from its source (the tests). The first that exists.
 */
export function workerFile(name: string): URL {
  const candidates = [`./${name}.js`, `../${name}.mjs`, `./${name}.mjs`, `../../dist/workers/${name}.js`].map((path) => new URL(path, import.meta.url));
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (found === undefined) throw new CafsupError('INTERNAL', 'Fichier du processus de la base introuvable : reconstruisez cafsup (pnpm build).');
  return found;
}
