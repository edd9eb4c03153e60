import { createClient } from '@cafsup/sdk';
import { App } from '../App.js';
import { renderApp } from './render-app.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The alerts screen of a large store at 80×24: how long from one `j` to the next frame, over
 * `presses` keystrokes (bench/interface.mjs bundles and runs this). A thousand: over 200, the
 * p99 is the second slowest press, and moved between 19 and 26 ms from run to run on one machine
 * and code (12 to 14 ms over 1,000).
 */
export async function measureKeystrokes(
  database: string,
  asOf: string,
  presses = 1000,
): Promise<{ rows: number; medianMs: number; p95Ms: number; p99Ms: number; loadMs: number }> {
  const client = createClient({ database, create: false });
  const app = renderApp(<App session={{ client, source: database, actor: null, canWrite: false, today: asOf }} initialAsOf={asOf} onExit={() => undefined} />);
  // The whole dashboard (its reviews due come last), so that none of its loads runs during the measure.
  await app.waitFor((frame) => /Revues inverses dues d’ici 30 jours ou en retard \([\d\u202f ]+\)/.test(frame), 120_000);
  const loading = performance.now();
  await app.press('a');
  const loaded = await app.waitFor((frame) => /Alertes \([\d\u202f ]+\) ·/.test(frame), 120_000);
  const loadMs = performance.now() - loading;
  const rows = Number(/Alertes \(([\d\u202f ]+)\)/.exec(loaded)![1]!.replace(/\D/g, ''));
  const samples: number[] = [];
  for (let press = 0; press < presses; press++) {
    const before = app.renderCount();
    const started = performance.now();
    app.type('j');
    // A timer, not setImmediate: Ink and React finish a frame on timers and would wait behind a busy loop.
    while (app.renderCount() === before) await new Promise((resolve) => setTimeout(resolve, 0));
    samples.push(performance.now() - started);
  }
  app.unmount();
  await client.close();
  const sorted = [...samples].sort((a, b) => a - b);
  return { rows, medianMs: median(samples), p95Ms: sorted[Math.floor(sorted.length * 0.95)]!, p99Ms: sorted[Math.floor(sorted.length * 0.99)]!, loadMs };
}
