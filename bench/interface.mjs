// The interface on the national store: its first frames as a person sees them (`cafsup` in a
// pseudo-terminal, as startup.mjs does on the demo data, with its floor), and the time from one
// keystroke to the next frame on the alerts list (100,000+ rows).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { keptOutputPlugin } from '../packages/tui/ink-output.mjs';
import { narrowWidthPlugin } from '../packages/tui/narrow-width.mjs';
import { INTERFACE_MARKERS, frameTimes } from './pty.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

// The store `node bench/national.mjs` imports (5,000 partners by default).
const national = here('./out/national-5000.db');
if (!existsSync(national)) {
  console.log('Keystroke on 100,000 rows: run `pnpm bench` first (it builds bench/out/national-5000.db).');
} else {
  // On a copy: the interface keeps the day's flag counts in the file it opens, and the first
  // opening of a store (nothing kept for the day) is measured apart from the next ones.
  const RUNS = Number(process.env.RUNS ?? 7);
  const dir = mkdtempSync(join(tmpdir(), 'cafsup-interface-'));
  try {
    copyFileSync(national, join(dir, 'national.db'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'CI' && !name.startsWith('CI_')));
    Object.assign(env, { CAFSUP_DB: join(dir, 'national.db'), CAFSUP_CONFIG_DIR: join(dir, 'config'), CAFSUP_ACTOR: 'Banc d’essai <banc@caf.invalid>' });
    const runs = [];
    for (let run = 0; run < RUNS; run++) runs.push(await frameTimes([here('../packages/tui/bin/cafsup.cjs')], env, INTERFACE_MARKERS));
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const [first, ...next] = runs;
    const line = (values) => `first frame ${values[0].toFixed(0)} ms, dashboard data ${values[1].toFixed(0)} ms, whole dashboard ${values[2].toFixed(0)} ms`;
    console.log(`Interface on the national store, first opening: ${line(first)}`);
    console.log(
      `Interface on the national store, next openings (median of ${next.length}): ${line([0, 1, 2].map((index) => median(next.map((values) => values[index]))))}; target: first frame ≤ 1 s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
