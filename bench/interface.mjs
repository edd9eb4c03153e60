// The interface's two figures: cold start to the first full frame on the demo data (the
// bundled binary in a pseudo-terminal, median of RUNS), and the time from one keystroke to
// the next frame on the alerts list of the national store (100,000+ rows).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const RUNS = Number(process.env.RUNS ?? 11);
const bin = here('../packages/tui/bin/cafsup.mjs');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Milliseconds from spawning `cafsup` in a pty until the dashboard shows its data. */
function firstFrame(env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('script', ['-qfec', `'${process.execPath}' '${bin}'`, '/dev/null'], {
      env: { ...env, COLUMNS: '80', LINES: '24' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let seen = '';
    let elapsed = null;
    child.stdout.on('data', (chunk) => {
      seen += chunk.toString('utf8');
      if (elapsed === null && seen.includes('Quotas dépassés')) {
        elapsed = performance.now() - started;
        child.stdin.write('q');
      }
    });
    child.on('exit', () => (elapsed === null ? reject(new Error(`pas de premier écran :\n${seen}`)) : resolve(elapsed)));
    setTimeout(() => child.kill('SIGKILL'), 30_000);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'cafsup-interface-'));
try {
  const env = { ...process.env, CAFSUP_DB: join(dir, 'demo.db'), CAFSUP_CONFIG_DIR: join(dir, 'config'), CAFSUP_ACTOR: 'Banc d’essai <banc@caf.invalid>' };
  spawnSync(process.execPath, [bin, 'demo'], { env, stdio: 'inherit' });
  const starts = [];
  for (let run = 0; run < RUNS; run++) starts.push(await firstFrame(env));
  console.log(
    `Interface, cold start to the first full frame (demo data, ${RUNS} runs): median ${median(starts).toFixed(0)} ms (min ${Math.min(...starts).toFixed(0)}, max ${Math.max(...starts).toFixed(0)}); target ≤ 150 ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const national = here('./out/national.db');
if (!existsSync(national)) {
  console.log('Keystroke on 100,000 rows: run `pnpm bench` first (it builds bench/out/national.db).');
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
  });
  const { measureKeystrokes } = await import(pathToFileURL(entry).href);
  const result = await measureKeystrokes(national, '2026-11-22');
  console.log(
    `Interface, one keystroke (j) on the alerts list of ${result.rows.toLocaleString('en')} rows at 80×24: median ${result.medianMs.toFixed(1)} ms, p95 ${result.p95Ms.toFixed(1)} ms (list loaded in ${result.loadMs.toFixed(0)} ms); target ≤ 16 ms`,
  );
}
