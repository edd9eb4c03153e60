// Bundles the `cafsup` command so that it starts fast: a few files to load instead of hundreds.
// Twice (bin/cafsup.cjs says why): ES modules split in chunks, for the interface and help, and
// one CommonJS file with its code cache, for every other command. better-sqlite3 stays outside
// (a native addon), but for its JavaScript in the CommonJS file (sqliteBundledPlugin).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { builtinsDirectPlugin } from './builtins-direct.mjs';
import { keptOutputPlugin } from './ink-output.mjs';
import { narrowWidthPlugin } from './narrow-width.mjs';
import { zodFunctionsPlugin } from './zod-functions.mjs';
import { zodUnusedPlugin } from './zod-unused.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));
const commandsDir = join(root, 'src', 'cli', 'commands');

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Ink loads react-devtools-core only under DEV=true; it is not installed.
  // pg loads its optional native binding (pg-native) only when asked; it is not installed.
  external: ['better-sqlite3', 'react-devtools-core', 'pg-native'],
  // Some bundled dependencies are CommonJS and call require().
  banner: { js: "import { createRequire as __cafsupRequire } from 'node:module'; const require = __cafsupRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [
    {
      // zod's namespace carries every language's messages, half of its size: cafsup speaks
      // French (z.config in packages/shared/src/zod.ts), so its bundle keeps French only
      // (English, zod's default, is imported apart). ~10 ms less to load for each thread.
      name: 'zod-french-only',
      setup(plugin) {
        plugin.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (file) => ({
          contents: "export { default as fr } from './fr.js';",
          resolveDir: dirname(file.path),
        }));
      },
    },
    // z.compile and z.fromJSONSchema, which cafsup never calls: ~65 KB less for each data command to parse.
    zodUnusedPlugin,
    // zod's arrow functions written as `function` expressions, which Node 20 compiles faster
    // (zod-functions.mjs says how much). After the two above, which replace zod modules whole.
    zodFunctionsPlugin,
    // French text measured without Intl.Segmenter: the interface's first frame and its keystrokes
    // no longer run string-width's Unicode regular expressions on every accented word.
    narrowWidthPlugin,
    // Ink's frames reuse the previous frames' styled lines: a keystroke re-reads only what changed.
    keptOutputPlugin,
    // What a module imports of a built-in, read from it rather than through Node's ES module face
    // of it, which reads every export and loads what the built-in keeps for later (~3 ms a command).
    builtinsDirectPlugin,
    {
      // pg asks when loaded whether it runs in a Cloudflare Worker: where Node has no `navigator`
      // (Node 20), by reading the global `Response`, which makes Node load its whole fetch
      // implementation (~30 ms of every command on PostgreSQL). cafsup runs on Node only.
      name: 'pg-node-only',
      setup(plugin) {
        plugin.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (file) => {
          const probe = "if (typeof Response === 'function') {";
          const source = readFileSync(file.path, 'utf8');
          if (source.split(probe).length !== 2) throw new Error(`${file.path}: « ${probe} » not found once; see packages/tui/build.mjs.`);
          return { contents: source.replace(probe, 'if (false) {'), loader: 'js', resolveDir: dirname(file.path) };
        });
      },
    },
  ],
};

/**
 * The source of src/cli/commands/table.ts as the bundle has it: every command's declaration as
 * data, with a loader that imports only the module defining that command. Found by running the
 * command table once here and looking up which module exports each command object.
 */
async function commandTableSource() {
  const modules = readdirSync(commandsDir).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'table.ts' && file !== 'index.ts');
  const probe = join(root, 'dist', 'command-table-probe.mjs');
  await build({
    ...common,
    stdin: {
      contents: [
        "export { COMMAND_GROUPS } from './src/cli/commands/table.ts';",
        ...modules.map((file, index) => `export * as m${index} from './src/cli/commands/${file}';`),
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    outfile: probe,
    define: { 'process.env.NODE_ENV': '"production"', __CAFSUP_VERSION__: '""' },
  });
  const probed = await import(pathToFileURL(probe).href).finally(() => rmSync(probe));
  const groups = [];
  for (const { title, commands } of probed.COMMAND_GROUPS) {
    const declared = [];
    for (const { load, ...declaration } of commands) {
      const command = await load();
      const [where] = modules.flatMap((file, index) =>
        Object.entries(probed[`m${index}`])
          .filter(([, value]) => value === command)
          .map(([name]) => ({ file, name })),
      );
      if (where === undefined) throw new Error(`« ${declaration.name} » : no module of src/cli/commands exports this command by name.`);
      declared.push(`{ ...${JSON.stringify(declaration)}, load: () => import('./${where.file}').then((module) => module.${where.name}) }`);
    }
    groups.push(`{ title: ${JSON.stringify(title)}, commands: [${declared.join(', ')}] }`);
  }
  return `export const COMMAND_GROUPS = [${groups.join(', ')}];`;
}

const commandTable = await commandTableSource();

// The command table as data (above): help and the parser load no command's code.
const commandTablePlugin = {
  name: 'command-table',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]cli[\\/]commands[\\/]table\.ts$/ }, () => ({ contents: commandTable, loader: 'ts', resolveDir: commandsDir }));
  },
};

// What main.ts imports of the interface, in the CommonJS bundle: modules that say they are not
// there, on routes bin/cafsup.cjs never gives that bundle (route.ts).
const interfaceElsewherePlugin = {
  name: 'interface-elsewhere',
  setup(plugin) {
    plugin.onResolve({ filter: /^(\.\/ui\/(run|dashboard-data|read-only)\.js|@cafsup\/sdk\/warm)$/ }, (args) => ({
      path: args.path,
      namespace: 'interface-elsewhere',
    }));
    plugin.onLoad({ filter: /./, namespace: 'interface-elsewhere' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} : l’interface est dans dist/cafsup.mjs (bin/cafsup.cjs).`)});`,
      loader: 'js',
    }));
  },
};

// Chunk names carry a hash: clear the old ones so that dist holds one build (and the lazy libraries below).
rmSync(new URL('./dist/chunks', import.meta.url), { recursive: true, force: true });
rmSync(new URL('./dist/lazy', import.meta.url), { recursive: true, force: true });

// React's production build: its development build is several times larger and slower to start.
// `cafsup --version` reads the package's version from the bundle, not from a file at run time.
const define = {
  'process.env.NODE_ENV': '"production"',
  __CAFSUP_VERSION__: JSON.stringify(JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version),
};
// Less source to parse at every start.
const minified = { legalComments: 'none', minifyWhitespace: true, minifySyntax: true };

await build({
  ...common,
  entryPoints: { cafsup: 'src/main.ts' },
  // Chunks keep what only some commands need (prompts, conf) out of a plain command's start.
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  plugins: [...common.plugins, commandTablePlugin],
  define,
  ...minified,
});

// What bin/cafsup.cjs reads first to choose a bundle (route.ts): one small CommonJS file, as the
// bin. The modules it reads beside route.ts name `import.meta.url`, which esbuild leaves empty in
// CommonJS: the plain commands' bundle below defines it, this file keeps none of that code.
await build({
  ...common,
  format: 'cjs',
  banner: {},
  entryPoints: { route: 'src/route.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  define: { ...define, 'import.meta.url': 'undefined' },
  ...minified,
});
// Written by the builds before the bin was CommonJS: an update built in place would keep it.
rmSync(new URL('./dist/route.mjs', import.meta.url), { force: true });

// The libraries only some plain commands load, each a CommonJS file of its own beside the one
// below: in it, the code cache's fixed part (every function's outline, read at every start)
// grew with their ~2.4 MB, which `cafsup partner ID` never runs. Each holds its own dependencies
// (conf's and Fastify's both hold ajv, which no command loads twice), and shares no state with
// cafsup's code.
const LAZY_LIBRARIES = {
  undici: '../sdk', // the HTTP transport (CAFSUP_URL)
  pg: '../sdk', // PostgreSQL
  fastify: '../server', // `cafsup serve`
  'prom-client': '../server',
  '@inquirer/prompts': '.', // questions on a terminal
  conf: '.', // `cafsup config set`, tokens saved
};
const lazyLibraryFile = (name) => `./lazy/${name.replace('/', '+')}.cjs`;
await build({
  ...common,
  format: 'cjs',
  banner: {},
  entryPoints: Object.entries(LAZY_LIBRARIES).map(([name, from]) => ({
    in: createRequire(join(root, from, 'package.json')).resolve(name),
    out: lazyLibraryFile(name).slice(2, -4),
  })),
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  define,
  ...minified,
});
// In the plain commands' bundle, each library stands as a module that takes it from its file.
// Not the file itself as an external import: esbuild keeps an external import() as one, which a
// script compiled by node:vm cannot run, and reads a default export as `module.exports` (Node's
// way, for a package of type module), the object around what an ES module's `default` is (conf).
const lazyLibrariesPlugin = {
  name: 'lazy-libraries',
  setup(plugin) {
    plugin.onResolve({ filter: /^[@a-z]/ }, (args) => (Object.hasOwn(LAZY_LIBRARIES, args.path) ? { path: args.path, namespace: 'lazy-library' } : undefined));
    plugin.onResolve({ filter: /^\.\/lazy\// }, (args) => ({ path: args.path, external: true }));
    plugin.onLoad({ filter: /./, namespace: 'lazy-library' }, (args) => {
      const file = JSON.stringify(lazyLibraryFile(args.path));
      return { contents: `export * from ${file};\nexport { default } from ${file};`, loader: 'js', resolveDir: root };
    });
  },
};

// A built-in imported when needed (readline, at the first question), in the plain commands'
// bundle: by require(), for the same reason.
const builtinsRequiredPlugin = {
  name: 'builtins-required',
  setup(plugin) {
    plugin.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'builtin-required' } : undefined));
    plugin.onLoad({ filter: /./, namespace: 'builtin-required' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// The store's driver, in the plain commands' bundle: better-sqlite3's JavaScript (~25 KB) read
// from the bundle and its code cache rather than loaded by Node from its ~15 files, each found,
// read and compiled at every start (~8 ms of `cafsup partner ID`). Where its compiled addon is
// not where its install puts it, the installed package is loaded as before, so that its own
// search for the addon (the `bindings` package, left out of the bundle) still runs.
const sqliteBundledPlugin = {
  name: 'sqlite-bundled',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]sdk[\\/]dist[\\/]store[\\/]connection\.js$/ }, (file) => {
      const loaded = "driver = { Database: requireCjs('better-sqlite3'), addon: existsSync(found) ? found : undefined };";
      const source = readFileSync(file.path, 'utf8');
      if (source.split(loaded).length !== 2) throw new Error(`${file.path}: « ${loaded} » not found once; see packages/tui/build.mjs.`);
      const bundled =
        "driver = existsSync(found) ? { Database: require('better-sqlite3'), addon: found } : { Database: requireCjs('better-sqlite3'), addon: undefined };";
      return { contents: source.replace(loaded, bundled), loader: 'js', resolveDir: dirname(file.path) };
    });
  },
};

// The plain commands again, as one CommonJS file that bin/cafsup.cjs compiles with V8's code
// cache (bin/cafsup.cjs says why). Without the interface, which stays in the bundle above: the
// routes that may open it run from there (route.ts).
await build({
  ...common,
  format: 'cjs',
  entryPoints: { cafsup: 'src/main.ts' },
  outfile: 'dist/cafsup.cjs',
  // `require` is CommonJS's own; `import.meta.url` (the store's addon, the workers' files) is this file's.
  // Strict first: a statement before esbuild's "use strict" made it no directive (the code ran sloppy).
  banner: { js: "'use strict'; const __cafsupModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  external: [...common.external.filter((name) => name !== 'better-sqlite3'), 'bindings'],
  plugins: [builtinsRequiredPlugin, ...common.plugins, commandTablePlugin, interfaceElsewherePlugin, lazyLibrariesPlugin, sqliteBundledPlugin],
  define: { ...define, 'import.meta.url': '__cafsupModuleUrl' },
  ...minified,
  metafile: true,
}).then(({ metafile }) => {
  const left = Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((record) => record.kind === 'dynamic-import').map((record) => record.path),
  );
  if (left.length > 0) throw new Error(`dist/cafsup.cjs: import() of ${left.join(', ')} left, which bin/cafsup.cjs cannot run: see the plugins above.`);
});
// bin/cafsup.cjs reads this bundle as Latin-1, into a one-byte string at once (as UTF-8, a single
// character past ASCII made Node decode the whole file into a two-byte string: 14-25 ms for the
// 3.6 MB it was). esbuild writes the strings escaped, not what a regular expression holds.
const bundled = readFileSync(new URL('./dist/cafsup.cjs', import.meta.url));
const wide = bundled.findIndex((byte) => byte > 0x7f);
if (wide !== -1) {
  const around = bundled.subarray(Math.max(0, wide - 60), wide + 20).toString('utf8');
  throw new Error(`dist/cafsup.cjs: a character past ASCII at byte ${wide} (« ${around} »): write it escaped (\\u…) in the source.`);
}
// Its first line names this build by its content: the code cache made from another build of the
// same length would be taken by V8, which checks only the source's length (bin/cafsup.cjs).
writeFileSync(
  new URL('./dist/cafsup.cjs', import.meta.url),
  Buffer.concat([Buffer.from(`// cafsup build ${createHash('sha256').update(bundled).digest('hex')}\n`), bundled]),
);

// The workers (the store's of `cafsup serve` and of the interface, the import's reader) are
// built apart from the command: a thread loads its own copy of every module whatever the files,
// so sharing chunks with the command saves a worker nothing, while each module the command
// shared with a worker was a chunk boundary more, a file more for a command to load (~0.4 ms
// each on Node 20): `cafsup partner ID` loaded 33 files, 31 now, and a worker 6 instead of 20.
// Split among themselves, so that PostgreSQL's driver stays out of a worker (it runs SQLite
// only). Their chunks share dist/chunks with the command's (a chunk's name is its content's
// hash: the two builds never write one name with two contents); workers/file.ts finds the
// workers' own files in dist.
await build({
  ...common,
  entryPoints: { 'store-worker': '../sdk/dist/workers/store-worker.js', 'dataset-reader': '../sdk/dist/workers/dataset-reader.js' },
  // No module of a worker awaits at its top level (the build fails if one does): ended as it
  // starts, such a worker can abort the whole process on Node 20 (store-worker.ts says why).
  supported: { 'top-level-await': false },
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  define,
  ...minified,
});

// The code cache of the plain commands' bundle (bin/cafsup.cjs), made here from the commands a
// supervisor runs most, on the demo's data: each run adds what it compiled to what the last one
// kept. Not from the demo's creation, whose import code a reading command never runs (it would
// be read back at every start). In a folder of its own: no setting, store or token of the
// person building is read or written.
const warmUp = mkdtempSync(join(tmpdir(), 'cafsup-build-'));
try {
  // Nor NODE_OPTIONS: V8 flags in it would make a cache that the commands' runs never take.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CAFSUP_') && name !== 'NODE_OPTIONS'));
  Object.assign(env, { CAFSUP_DB: join(warmUp, 'demo.db'), CAFSUP_CONFIG_DIR: join(warmUp, 'config') });
  const cafsup = (args, extra = {}) => {
    const run = spawnSync(process.execPath, [join(root, 'bin', 'cafsup.cjs'), ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`cafsup ${args.join(' ')} (code cache): ${run.status}\n${run.stderr}`);
  };
  cafsup(['demo']);
  rmSync(join(root, 'dist', 'cafsup.cjs.cache'), { force: true });
  for (const args of [
    ['partner', 'amp'],
    ['audit', 'amp'],
    ['partners', '--json'],
    ['quotas', '--over'],
    ['audit', '--json'],
  ]) {
    cafsup(args, { CAFSUP_CODE_CACHE: 'write' });
  }
} finally {
  rmSync(warmUp, { recursive: true, force: true });
}
