// `cafsup`'s start-up as a user's shell sees it, each measure beside its floor in the same run
// (the machine is shared: only the ratio to a floor measured alongside means something).
// Plain commands run on the demo data, beside `node -e 0`, the floor of any Node program here;
// the interface's first frame (pseudo-terminal, 80×24) beside a bundled Ink « hello », the floor
// of any Ink program, then its dashboard's first data and the whole dashboard (its reviews due). Medians of RUNS runs, the cases interleaved so that a burst of load on
// the machine weighs on every case alike.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { INTERFACE_MARKERS, frameTimes } from './pty.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const RUNS = Number(process.env.RUNS ?? 15);
const bin = here('../packages/tui/bin/cafsup.cjs');
const hello = here('./out/ink-hello/ink-hello.mjs');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

mkdirSync(here('./out'), { recursive: true });
await build({
  entryPoints: [here('./ink-hello.mjs')],
  outdir: here('./out/ink-hello'),
  outExtension: { '.js': '.mjs' },
  // As in cafsup: Ink's devtools (not installed) stay in a chunk that is never loaded.
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['react-devtools-core'],
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  define: { 'process.env.NODE_ENV': '"production"' },
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  nodePaths: [here('../packages/tui/node_modules')],
});

const dir = mkdtempSync(join(tmpdir(), 'cafsup-startup-'));
// Ink draws only the last frame when CI is set: neither program may see it.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'CI' && !name.startsWith('CI_')));
Object.assign(env, { CAFSUP_DB: join(dir, 'demo.db'), CAFSUP_CONFIG_DIR: join(dir, 'config'), CAFSUP_ACTOR: 'Banc d’essai <banc@caf.invalid>' });

/** Milliseconds until `node ARGS…` exits, its output discarded. */
function exited(args) {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${args.join(' ')} : ${result.stderr}`);
  return performance.now() - started;
}

const NODE = 'node -e 0';
const HELLO = 'Ink hello, first frame';
// The names a measure gives, how they are timed, and for each its floor and target (issue 14).
const cases = [
  [[NODE], () => [exited(['-e', '0'])]],
  [['cafsup --help'], () => [exited([bin, '--help'])], NODE, 'target ≤ 150 ms'],
  [['cafsup --version'], () => [exited([bin, '--version'])], NODE],
  [['cafsup audit --help'], () => [exited([bin, 'audit', '--help'])], NODE],
  [['cafsup completion bash'], () => [exited([bin, 'completion', 'bash'])], NODE],
  [['cafsup partners --json'], () => [exited([bin, 'partners', '--json'])], NODE, 'target: floor + a little'],
  [['cafsup audit --json'], () => [exited([bin, 'audit', '--json'])], NODE],
  [['cafsup quotas --json'], () => [exited([bin, 'quotas', '--json'])], NODE],
  [[HELLO], () => frameTimes([hello], env, ['Bonjour, Ink'])],
  [
    ['cafsup interface, first frame', 'cafsup interface, dashboard data', 'cafsup interface, whole dashboard'],
    () => frameTimes([bin], env, INTERFACE_MARKERS),
    HELLO,
    'target ≤ floor + 50 ms',
  ],
];

try {
  spawnSync(process.execPath, [bin, 'demo'], { env, stdio: 'ignore' });
  const times = new Map(cases.flatMap(([names]) => names.map((name) => [name, []])));
  for (let round = 0; round < RUNS; round++) {
    for (const [names, measure] of cases) (await measure()).forEach((ms, index) => times.get(names[index]).push(ms));
  }
  const medians = new Map([...times].map(([name, values]) => [name, median(values)]));
  console.log(`Start-up on the demo data (${RUNS} runs each, median in ms; node ${process.version})`);
  console.log(`  ${'measure'.padEnd(34)} ${'median'.padStart(6)} ${'min'.padStart(5)} ${'max'.padStart(5)}   floor`);
  for (const [names, , floor, target] of cases) {
    for (const [index, name] of names.entries()) {
      const values = times.get(name);
      const [value, low, high] = [medians.get(name), Math.min(...values), Math.max(...values)].map((ms) => ms.toFixed(0));
      const versus =
        floor === undefined
          ? ''
          : `${floor} ${medians.get(floor).toFixed(0)}: ×${(medians.get(name) / medians.get(floor)).toFixed(2)}, +${(medians.get(name) - medians.get(floor)).toFixed(0)} ms`;
      // The target is the first frame's; the data's lines say how long after it they come.
      console.log(
        `  ${name.padEnd(34)} ${value.padStart(6)} ${low.padStart(5)} ${high.padStart(5)}   ${versus}${target === undefined || index > 0 ? '' : `; ${target}`}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
