// What the national benchmark measures with: medians, child processes timed from spawn to exit,
// and the table it prints. Separate from national.mjs so the orchestration reads as a list of
// measures.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';

/** The CPU time every core of the machine has spent busy (user, nice, system, interrupts) since it started, in ms. */
export function machineBusyMs() {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

/** This process's CPU time (user and system, every thread) since `before` (a `process.cpuUsage()`), in ms. */
export function cpuMsSince(before) {
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The median of `runs` calls after one unmeasured call (caches, JIT, the page cache). */
export async function timeRuns(runs, fn) {
  await fn(0);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn(i + 1);
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/**
 * Runs a process to its end, `input` on its stdin: wall time from spawn to exit, the bytes it
 * wrote (kept only when `keep`, since `audit --json` at national scale writes tens of megabytes),
 * its stderr.
 * A non-zero exit is an error: a timing of a refusal would not be the operation's.
 */
export function runProcess(command, args, { env = process.env, keep = false, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.end(input);
    const chunks = [];
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      bytes += chunk.length;
      if (keep) chunks.push(chunk);
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${[command, ...args].join(' ')}: exit ${code ?? signal}: ${stderr.trim().slice(0, 500)}`));
      else resolve({ ms, bytes, stdout: keep ? Buffer.concat(chunks).toString('utf8') : '', stderr });
    });
  });
}

/** A child process that prints one JSON document: that document. */
export async function runJson(command, args, options) {
  const { stdout } = await runProcess(command, args, { ...options, keep: true });
  return JSON.parse(stdout);
}

const number = (value, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const ms = (value) => `${number(value, value < 100 ? 1 : 0)} ms`;
export const mb = (value) => `${number(value)} MB`;
export const perSecond = (value) => `${number(value)}/s`;

/**
 * One row of a table. `lowerIsBetter` rows (times, memory) have ratio cafsup ÷ floor; rates have
 * 1/(floor ÷ cafsup), read "cafsup does one request for every N of the floor's". A measure that
 * failed shows its error instead of a number, so a broken operation is reported, not hidden.
 */
export function row(measure, { cafsup, floor, format, target, met, rate = false, note = '' }) {
  if (cafsup instanceof Error)
    return `| ${measure} | **error**: ${cafsup.message.replaceAll('|', '\\|').replaceAll('\n', ' ')} | ${floor === undefined ? '—' : format(floor)} | — | ${target} |`;
  const ratio = floor === undefined || floor instanceof Error ? '—' : rate ? `1/${number(floor / cafsup, 1)}` : `${number(cafsup / floor, 1)}×`;
  const floorText = floor === undefined ? '—' : floor instanceof Error ? `error: ${floor.message}` : format(floor);
  return `| ${measure} | ${format(cafsup)}${note} | ${floorText} | ${ratio} | ${target}${met === undefined ? '' : met(cafsup) ? ' (met)' : ' (**missed**)'} |`;
}

/** The value of `fn`, or the error it threw: one failing measure must not stop the others. */
export async function attempt(fn) {
  try {
    return await fn();
  } catch (error) {
    process.stderr.write(`  failed: ${error.stack ?? error}\n`);
    return error instanceof Error ? error : new Error(String(error));
  }
}
