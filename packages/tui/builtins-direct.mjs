// Node's ES module face of a built-in module reads every one of its exports when it is first
// imported, and so loads what the built-in keeps for later: `import { existsSync } from
// 'node:fs'` loads fs's promises and streams, node:util its MIME parser… ~3 ms of every command
// on Node 20, which a CommonJS require() never pays. The bundle (build.mjs) takes what each
// module imports of a built-in from the built-in itself (process.getBuiltinModule, Node >=
// 20.16), reading only the names that module uses.
import { builtinModules } from 'node:module';

const BUILTIN = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * A module standing for the built-in `name` as seen by one importer: its default export is the
 * built-in, each other export one of its properties, read by a call esbuild drops when that
 * importer does not use the name (so no lazy property is read that the code does not ask for).
 */
export function directBuiltin(name) {
  const builtin = process.getBuiltinModule(name);
  if (builtin === undefined) throw new Error(`${name}: not a built-in module of this Node; see packages/tui/builtins-direct.mjs.`);
  const names = Object.keys(builtin).filter((key) => key !== 'default' && IDENTIFIER.test(key));
  return [
    `const builtin = process.getBuiltinModule(${JSON.stringify(name)});`,
    'export default builtin;',
    ...names.map((key) => `export const ${key} = /* @__PURE__ */ (() => builtin.${key})();`),
  ].join('\n');
}

/**
 * The esbuild plugin. Each importing module gets its own copy of the standing module (a path per
 * importer): shared, it would be a chunk of its own, a file more for every command to load.
 */
export const builtinsDirectPlugin = {
  name: 'builtins-direct',
  setup(plugin) {
    plugin.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (args.kind !== 'import-statement' || !BUILTIN.has(args.path)) return undefined;
      const name = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      return { path: `${name}?from=${args.importer}`, namespace: 'builtin-direct', sideEffects: false };
    });
    plugin.onLoad({ filter: /./, namespace: 'builtin-direct' }, (args) => ({ contents: directBuiltin(args.path.split('?')[0]), loader: 'js' }));
  },
};
