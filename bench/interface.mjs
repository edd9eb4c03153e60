// The interface's keystroke: the time from one keystroke to the next frame on the alerts list
// of the national store (100,000+ rows). Its first frame, with its floor, is in startup.mjs.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { keptOutputPlugin } from '../packages/tui/ink-output.mjs';
import { narrowWidthPlugin } from '../packages/tui/narrow-width.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

// The store `node bench/national.mjs` imports (5,000 partners by default).
const national = here('./out/national-5000.db');
if (!existsSync(national)) {
  console.log('Keystroke on 100,000 rows: run `pnpm bench` first (it builds bench/out/national-5000.db).');
} else {
  mkdirSync(here('./out'), { recursive: true });
  const entry = here('./out/keystroke/keystroke-bench.mjs');
  await build({
    entryPoints: [here('../packages/tui/src/ui/testing/keystroke-bench.tsx')],
    outdir: here('./out/keystroke'),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    jsx: 'automatic',
    external: ['better-sqlite3', 'react-devtools-core'],
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    logLevel: 'warning',
    nodePaths: [here('../packages/tui/node_modules')],
    // As in cafsup's bundle (packages/tui/build.mjs): French text measured without Intl.Segmenter,
    // Ink's styled lines kept from frame to frame.
    plugins: [narrowWidthPlugin, keptOutputPlugin],
  });
  const { measureKeystrokes } = await import(pathToFileURL(entry).href);
  const result = await measureKeystrokes(national, '2026-11-22');
  console.log(
    `Interface, one keystroke (j) on the alerts list of ${result.rows.toLocaleString('en')} rows at 80×24: median ${result.medianMs.toFixed(1)} ms, p95 ${result.p95Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms (list loaded in ${result.loadMs.toFixed(0)} ms); target ≤ 8 ms median, ≤ 16 ms p99`,
  );
}
