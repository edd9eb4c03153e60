// Bundles the `cafsup` command into one file so that a plain command starts fast: one module
// to load instead of hundreds. better-sqlite3 stays outside (a native addon).
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Chunk names carry a hash: clear the old ones so that dist holds one build.
rmSync(new URL('./dist/chunks', import.meta.url), { recursive: true, force: true });

await build({
  absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
  // The workers (the store's of `cafsup serve`, the import's reader) are entries of their own:
  // workers/file.ts finds them beside the chunks.
  entryPoints: {
    cafsup: 'src/main.ts',
    'store-worker': '../sdk/dist/workers/store-worker.js',
    'dataset-reader': '../sdk/dist/workers/dataset-reader.js',
  },
  // Chunks keep what only some commands need (prompts, conf) out of a plain command's start.
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Ink loads react-devtools-core only under DEV=true; it is not installed.
  // pg loads its optional native binding (pg-native) only when asked; it is not installed.
  external: ['better-sqlite3', 'react-devtools-core', 'pg-native'],
  // Some bundled dependencies are CommonJS and call require().
  banner: { js: "import { createRequire as __cafsupRequire } from 'node:module'; const require = __cafsupRequire(import.meta.url);" },
  // React's production build: its development build is several times larger and slower to start.
  // `cafsup --version` reads the package's version from the bundle, not from a file at run time.
  define: {
    'process.env.NODE_ENV': '"production"',
    __CAFSUP_VERSION__: JSON.stringify(JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version),
  },
  legalComments: 'none',
  // Less source to parse at every start.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
