// Bundles the `cafsup` command into one file so that a plain command starts fast: one module
// to load instead of hundreds. better-sqlite3 stays outside (a native addon).
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

// Chunk names carry a hash: clear the old ones so that dist holds one build.
rmSync(new URL('./dist/chunks', import.meta.url), { recursive: true, force: true });

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
  // The command table as data (above): help and the parser load no command's code.
  plugins: [
    ...common.plugins,
    {
      name: 'command-table',
      setup(plugin) {
        plugin.onLoad({ filter: /[\\/]cli[\\/]commands[\\/]table\.ts$/ }, () => ({ contents: commandTable, loader: 'ts', resolveDir: commandsDir }));
      },
    },
  ],
  define,
  ...minified,
});

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
