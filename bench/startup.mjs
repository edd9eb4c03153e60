// Wall time of plain `cafsup` commands on the demo data, as a user's shell sees them: the
// median of RUNS runs of each, beside `node -e 0`, the floor of any Node program here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.RUNS ?? 15);
const bin = fileURLToPath(new URL('../packages/tui/bin/cafsup.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cafsup-startup-'));
const env = { ...process.env, CAFSUP_DB: join(dir, 'demo.db'), CAFSUP_CONFIG_DIR: join(dir, 'config') };

function run(args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0 && args[0] !== '-e') throw new Error(`${args.join(' ')}: ${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

try {
  run([bin, 'demo']);
  const cases = [
    ['node -e 0', ['-e', '0']],
    ['cafsup --help', [bin, '--help']],
    ['cafsup partners --json', [bin, 'partners', '--json']],
    ['cafsup audit --json', [bin, 'audit', '--json']],
    ['cafsup quotas --json', [bin, 'quotas', '--json']],
  ];
  const times = new Map(cases.map(([name]) => [name, []]));
  // Interleaved, so that a burst of load on the machine weighs on every case alike.
  for (let round = 0; round < RUNS; round++) for (const [name, args] of cases) times.get(name).push(run(args));
  console.log(`Startup on the demo data (${RUNS} runs each, median; NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'})`);
  for (const [name, values] of times)
    console.log(
      `  ${name.padEnd(24)} ${median(values).toFixed(0).padStart(5)} ms   (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)})`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
