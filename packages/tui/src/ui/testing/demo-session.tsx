import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type CafsupClient } from '@cafsup/sdk';
import { buildDemoDataset } from '../../demo/demo-data.js';
import { App } from '../App.js';
import { renderApp, type RenderedApp } from './render-app.js';

export const TODAY = '2026-11-22';
export const ACTOR = { name: 'Camille Roux', email: 'camille.roux@caf78.fr' };
// 13:02 in Paris: the status bar's « données de HH:MM ».
const CLOCK = () => new Date(`${TODAY}T12:02:00Z`);

export interface Demo {
  /** The store the interface reads, to check what it wrote (or to write behind its back). */
  client: CafsupClient;
  app: RenderedApp;
  exitCodes: number[];
  close(): Promise<void>;
}

/**
 * The interface on 8 demo partners in a fresh store, its dashboard shown: `canWrite` false for
 * a read-only session, `wrap` to put a fake in front of the client (a slow server), `prepare`
 * to write more data before the interface opens; with `opened`, the session is given once it
 * resolves (the store still opening, as `cafsup` starts) and the dashboard is not waited for.
 */
export async function openDemo({
  canWrite = true,
  refreshEveryMs,
  wrap = (client) => client,
  prepare = () => Promise.resolve(),
  size,
  opened,
}: {
  canWrite?: boolean;
  refreshEveryMs?: number;
  wrap?: (client: CafsupClient) => CafsupClient;
  prepare?: (client: CafsupClient) => Promise<unknown>;
  size?: { columns: number; rows: number };
  opened?: Promise<void>;
} = {}): Promise<Demo> {
  const dir = mkdtempSync(join(tmpdir(), 'cafsup-ui-'));
  const now = new Date(`${TODAY}T10:00:00Z`);
  const client = createClient({ database: join(dir, 'ui.db'), actor: ACTOR, now: () => now });
  await client.dataset.import(buildDemoDataset({ partners: 8, today: TODAY }), { reason: 'Jeu de démonstration des tests' });
  await prepare(client);
  const exitCodes: number[] = [];
  const session = {
    client: wrap(client),
    source: 'ui.db',
    actor: ACTOR,
    canWrite,
    today: TODAY,
    clock: CLOCK,
    ...(refreshEveryMs === undefined ? {} : { refreshEveryMs }),
  };
  const app = renderApp(<App session={opened === undefined ? session : opened.then(() => session)} onExit={(code) => exitCodes.push(code)} />, size);
  // The whole dashboard: its reviews due come after the rest.
  if (opened === undefined) await app.waitFor((frame) => /Revues inverses dues d’ici 30 jours ou en retard \(\d+\)/.test(frame));
  return {
    client,
    app,
    exitCodes,
    async close() {
      app.unmount();
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
