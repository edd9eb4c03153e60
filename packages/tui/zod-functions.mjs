// Every data command compiles zod before it starts, and zod is written with arrow functions (~830
// of them). Node 20's V8 (11.3) compiles a module's arrow functions at about two and a half times
// the cost of `function` expressions of the same size (a module of 2,000 small functions: 54 ms
// as arrows, 20 as functions), and zod's chunk was the slowest of the bundle to compile: 16–18 ms
// in one run, against 5–6 for the store's chunk of the same size, and 11 once its arrows are
// `function` expressions, written so by esbuild. That is right only where no arrow reads what an
// arrow takes from around it and a function does not: `this` and `arguments` (esbuild passes them
// in through a variable of the enclosing function, which is wrong in a class field, a default
// parameter or a derived constructor before `super()`: Ink's `this` came out undefined when the
// whole bundle was written so), `new.target` and `super`. So only zod's modules, and of those only
// the ones where no arrow reads any of them: the others keep their arrows, as do zod's upgrades
// that start reading them.
import { readFileSync } from 'node:fs';
import { transform } from 'esbuild';

const ZOD_MODULE = /[\\/]node_modules[\\/]zod[\\/]v4[\\/].*\.js$/;
/** Read by a module's source anywhere (comments too: a module is then only left as it is). */
const READS_AROUND = /\b(?:new\.target|super|arguments)\b/;
/** What esbuild names the `this` or `arguments` of an enclosing function that an arrow reads. */
const CAPTURED = /\b_(?:this|arguments)\d*\b/;

/** zod's module `source` with its arrow functions written as `function` expressions, or `source` itself where that could change what it does. */
export async function withFunctions(source) {
  if (READS_AROUND.test(source)) return source;
  const { code } = await transform(source, { loader: 'js', format: 'esm', target: 'node20', supported: { arrow: false } });
  return CAPTURED.test(code) ? source : code;
}

/** The esbuild plugin. Registered after the plugins that replace a zod module whole (build.mjs), whose text it then leaves alone. */
export const zodFunctionsPlugin = {
  name: 'zod-functions',
  setup(plugin) {
    plugin.onLoad({ filter: ZOD_MODULE }, async (file) => ({ contents: await withFunctions(readFileSync(file.path, 'utf8')), loader: 'js' }));
  },
};
