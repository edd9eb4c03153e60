import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type CafsupClient } from '@cafsup/sdk';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { ACTOR } from './support/fixture.js';
import { POSTGRES_URL, freshDatabase } from './support/postgres.js';
import { FIXED_NOW, TestServer } from './support/server.js';

const AS_OF = '2026-11-22';
const ENGINES = POSTGRES_URL === null ? ['SQLite'] : ['SQLite', 'PostgreSQL'];

// A server gives the text of a read again while the trail's head has not moved
// (workers/answers.ts). What it must never do is give it after a write it did not make itself:
// another server process or the command line writes to the same database.
describe.each(ENGINES)('answers kept by a server over %s', (engine) => {
  let server: TestServer;
  let everyCaf: CafsupClient;
  let caf78: CafsupClient;

  /** The reads a server keeps, as the server answers them and as a local client computes them now. */
  const reads = (client: CafsupClient) =>
    Promise.all([
      client.partners.list({ limit: 50, asOf: AS_OF }),
      client.partners.get('amp', { asOf: AS_OF }),
      client.conventions.get('amp', { asOf: AS_OF }),
      client.quotas.usage({ partnerId: 'amp', asOf: AS_OF }),
      client.audit.run({ asOf: AS_OF }),
      client.audit.counts({ asOf: AS_OF }),
    ]).then((answers) => JSON.stringify(answers));
  const computedNow = async () => {
    const local = createClient({ database: server.database, actor: ACTOR, now: () => FIXED_NOW });
    try {
      return await reads(local);
    } finally {
      await local.close();
    }
  };

  beforeAll(async () => {
    server = new TestServer(engine === 'PostgreSQL' ? await freshDatabase() : undefined);
    await server.seed(buildDemoDataset({ partners: 24, today: AS_OF }), ACTOR);
    const tokens = [
      await server.token({ name: 'Camille Roux', email: 'camille.roux@caf78.fr' }, 'supervisor', ['*']),
      await server.token({ name: 'Louis Garnier', email: 'louis.garnier@caf78.fr' }, 'supervisor', ['78']),
    ];
    await server.start();
    [everyCaf, caf78] = tokens.map((token) => server.client(token)) as [CafsupClient, CafsupClient];
  });
  afterAll(async () => {
    await Promise.all([everyCaf.close(), caf78.close()]);
    await server.stop();
  });

  it('follows a write made beside the server, and answers each caller within its Cafs', async () => {
    const before = await reads(everyCaf);
    expect(await reads(everyCaf)).toBe(before);
    expect(before).toBe(await computedNow());

    // Written through another connection, as the command line or another server would.
    const local = createClient({ database: server.database, actor: ACTOR, now: () => FIXED_NOW });
    await local.partners.edit('amp', { name: 'Agglomération renommée hors du serveur', reason: 'Nom officiel modifié' });
    await local.habilitations.suspend(['amp-h0004'], { reason: 'Contrôle des quotas' });
    await local.close();

    const after = await reads(everyCaf);
    expect(after).not.toBe(before);
    expect(after).toContain('Agglomération renommée hors du serveur');
    expect(after).toBe(await computedNow());

    // The same page for a token of one Caf: its own partners, not the page kept for every Caf.
    const everyPage = await everyCaf.partners.list({ limit: 50, asOf: AS_OF });
    const page78 = await caf78.partners.list({ limit: 50, asOf: AS_OF });
    expect(page78.items.length).toBeGreaterThan(0);
    expect(page78.items.every((partner) => partner.cafCode === '78')).toBe(true);
    expect(page78.items.length).toBeLessThan(everyPage.items.length);
  });

  // The requests that arrive together share one read of their tokens and the head
  // (workers/token-reads.ts): each must still hear its own token's answer, and none may ride a
  // read sent before a write it follows was acknowledged.
  it('answers requests that arrive together each after its own token, never older than a write acknowledged before it', async () => {
    const lostToken = await server.token({ name: 'Poste perdu', email: 'poste.perdu@caf78.fr' }, 'supervisor', ['*']);
    const lost = server.client(lostToken);
    await server.withStore(async (store) => {
      const { id } = (await store.tokens.list()).find((token) => token.owner.email === 'poste.perdu@caf78.fr')!;
      await store.tokens.revoke(id, 'Poste perdu', ACTOR);
    });
    const together = await Promise.allSettled([
      ...Array.from({ length: 8 }, () => everyCaf.partners.list({ limit: 50, asOf: AS_OF })),
      ...Array.from({ length: 8 }, () => caf78.partners.list({ limit: 50, asOf: AS_OF })),
      ...Array.from({ length: 8 }, () => lost.partners.list({ limit: 50, asOf: AS_OF })),
    ]);
    await lost.close();
    const pages = together.map((settled) => (settled.status === 'fulfilled' ? settled.value.items.map((partner) => partner.cafCode) : settled.reason.code));
    expect(new Set(pages.slice(0, 8).flat()).size).toBeGreaterThan(1);
    expect(pages.slice(8, 16).every((cafs) => cafs.length > 0 && cafs.every((caf: string) => caf === '78'))).toBe(true);
    expect(pages.slice(16)).toEqual(Array(8).fill('UNAUTHENTICATED'));

    // Reads never stop meanwhile, so one is always on its way to the database when a write lands.
    let reading = true;
    const background = (async () => {
      while (reading) await Promise.all(Array.from({ length: 4 }, () => everyCaf.partners.get('amp', { asOf: AS_OF })));
    })();
    const local = createClient({ database: server.database, actor: ACTOR, now: () => FIXED_NOW });
    try {
      for (let round = 1; round <= 15; round++) {
        const name = `Métropole renommée, tour ${round}`;
        await local.partners.edit('amp', { name, reason: 'Nom officiel modifié' });
        const seen = await Promise.all(Array.from({ length: 4 }, () => everyCaf.partners.get('amp', { asOf: AS_OF })));
        expect(seen.map((partner) => partner.name)).toEqual(Array(4).fill(name));
      }
    } finally {
      reading = false;
      await background;
      await local.close();
    }
  });
});
