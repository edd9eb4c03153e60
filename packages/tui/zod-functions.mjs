// Every data command compiles zod before it starts, and zod is written with arrow functions (~750
// of them). Node 20's V8 (11.3) compiles a module's arrow functions at about two and a half times
// the cost of `function` expressions of the same size (a module of 2,000 small functions: 54 ms
// as arrows, 20 as functions), and zod's chunk was the slowest of the bundle to compile: 21–25 ms
// against 5–6 for the store's chunk of the same size. Written with `function` by esbuild, it takes
// 14–15 ms: ~8 ms less for every command. Only zod's own modules: esbuild writes an arrow that
// uses `this` or `arguments` as a function reading them from its enclosing function, which is
// right in a function or a method, but it leaves them undeclared in a class field's initializer
// (Ink's `this` came out undefined when the whole bundle was written so) and cannot keep `super`.
// zod has neither; an upgrade of zod that has either stops the build.
import { readFileSync } from 'node:fs';
import { transform } from 'esbuild';

const ZOD_MODULE = /[\\/]node_modules[\\/]zod[\\/]v4[\\/].*\.js$/;
const SUPER_READ = /\bsuper\s*(?:\.|\[)/;
/** What esbuild names the `this` or `arguments` an arrow read, once per enclosing function. */
const CAPTURED = /\b_(?:this|arguments)\d*\b/g;

/** zod's module `source` with every arrow function written as a function; throws where that would be wrong. */
export async function withFunctions(source, file) {
  const refuse = (what) => new Error(`${file}: ${what}, which esbuild cannot keep in an arrow written as a function; see packages/tui/zod-functions.mjs.`);
  if (SUPER_READ.test(source)) throw refuse('reads `super`');
  const { code } = await transform(source, { loader: 'js', format: 'esm', target: 'node20', supported: { arrow: false } });
  for (const [name] of code.matchAll(CAPTURED)) {
    if (!new RegExp(`\\b${name} = (?:this|arguments)\\b`).test(code))
      throw refuse(`has an arrow reading \`${name.replace(/^_|\d+$/g, '')}\` where no function encloses it (a class field)`);
  }
  return code;
}

/** The esbuild plugin. Registered after the plugins that replace a zod module whole (build.mjs), whose text it then leaves alone. */
export const zodFunctionsPlugin = {
  name: 'zod-functions',
  setup(plugin) {
    plugin.onLoad({ filter: ZOD_MODULE }, async (file) => ({ contents: await withFunctions(readFileSync(file.path, 'utf8'), file.path), loader: 'js' }));
  },
};
