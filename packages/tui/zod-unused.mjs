// Every data command parses zod before it starts (~290 KB of the bundle). Two parts of it are
// there only because zod's `z` namespace names them, and cafsup never calls them: z.compile (its
// ahead-of-time parser, with z.withParser) and z.fromJSONSchema, ~65 KB together. The bundle
// (build.mjs) keeps their names, and calling one says it was left out.
import { readFileSync } from 'node:fs';

/** Each left-out module, as a path inside zod's package, with the only zod module allowed to import it (its re-export). */
export const ZOD_UNUSED = [
  { module: 'v4/core/compile.js', importer: 'v4/core/index.js' },
  { module: 'v4/classic/from-json-schema.js', importer: 'v4/classic/external.js' },
];

const EXPORTED = /^export (?:const|class|function\*?|async function) (\w+)/;

/**
 * The module that stands for zod's `source`: the same exported names, each a function that throws
 * (a class, a constant or a symbol keeps a harmless value: zod's index re-exports them). Throws
 * when `source` exports in another way, so that an upgrade cannot silently change what is left out.
 */
export function leftOut(source, file) {
  const lines = source.split('\n').filter((line) => line.startsWith('export '));
  const names = lines.flatMap((line) => EXPORTED.exec(line)?.[1] ?? []);
  const others = lines.filter((line) => !EXPORTED.test(line));
  if (names.length === 0 || others.length > 0) throw new Error(`${file}: exports not all read (${others.join(' | ')}); see packages/tui/zod-unused.mjs.`);
  return names
    .map((name) => {
      if (/^[A-Z_]+$/.test(name)) return `export const ${name} = Symbol.for('zod: ${name}, left out of cafsup');`;
      if (/^[A-Z]/.test(name)) return `export class ${name} extends Error {}`;
      return `export function ${name}() { throw new Error('zod: ${name} is left out of cafsup’s bundle (packages/tui/zod-unused.mjs).'); }`;
    })
    .join('\n');
}

/** The esbuild plugin; it stops the build when another zod module starts importing a left-out one. */
export const zodUnusedPlugin = {
  name: 'zod-unused',
  setup(plugin) {
    for (const { module, importer } of ZOD_UNUSED) {
      const base = module.split('/').pop().replace('.', '\\.');
      const inZod = (path) => path.replaceAll('\\', '/').split('/node_modules/zod/').pop();
      plugin.onResolve({ filter: new RegExp(`[\\\\/]${base}$`) }, (args) => {
        if (!args.importer.replaceAll('\\', '/').includes('/node_modules/zod/')) return undefined;
        if (inZod(args.importer) !== importer) {
          return { errors: [{ text: `zod's ${inZod(args.importer)} imports ${module}, which cafsup's bundle leaves out; see packages/tui/zod-unused.mjs.` }] };
        }
        return undefined;
      });
      plugin.onLoad({ filter: new RegExp(`[\\\\/]zod[\\\\/]${module.replaceAll('/', '[\\\\/]').replace('.js', '\\.js')}$`) }, (file) => ({
        contents: leftOut(readFileSync(file.path, 'utf8'), file.path),
        loader: 'js',
      }));
    }
  },
};
