import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '@cafsup/sdk';
import { ACTOR, convention, dataset, deputy, habilitation, partner, review, user } from './support/fixture.js';
import { openClient, type TestClient } from './support/client.js';

let test: TestClient;

beforeEach(async () => {
  test = await openClient({
    now: '2026-11-22T10:00:00Z',
    dataset: dataset({
      partners: [partner('p')],
      conventions: [convention('p')],
      users: [deputy('p'), ...Array.from({ length: 6 }, (_, i) => user(`u${i}`, 'p'))],
      habilitations: Array.from({ length: 6 }, (_, i) => habilitation(`h${i}`, 'p', { userId: `u${i}` })),
      reviews: [review('p')],
    }),
  });
  for (let i = 0; i < 6; i++) await test.client.habilitations.suspend([`h${i}`], { reason: `Contrôle numéro ${i}` });
});
afterEach(() => test.cleanup());

/** Alters the file behind the SDK's back, as an intruder with the file would. */
function tamper(sql: string): void {
  const db = new Database(test.database);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('traces.verify', () => {
  it('verifies an untouched chain', async () => {
    expect(await test.client.traces.verify()).toEqual({ ok: true, checked: 7, firstBrokenId: null });
  });

  it.each([
    ['an altered reason', `UPDATE traces SET reason = 'Autre motif' WHERE id = 4`, 4],
    ['an altered actor', `UPDATE traces SET actor_email = 'intrus@caf78.fr' WHERE id = 3`, 3],
    ['an altered state', `UPDATE traces SET after = '{"status":"active"}' WHERE id = 5`, 5],
    ['a removed trace', `DELETE FROM traces WHERE id = 3`, 3],
    ['a removed first trace', `DELETE FROM traces WHERE id = 1`, 1],
    ['removed newest traces', `DELETE FROM traces WHERE id >= 6`, 6],
    ['two swapped traces', `UPDATE traces SET id = -1 WHERE id = 4; UPDATE traces SET id = 4 WHERE id = 5; UPDATE traces SET id = 5 WHERE id = -1`, 4],
    ['a rehashed altered trace', `UPDATE traces SET reason = 'Autre motif', hash = '${'a'.repeat(64)}' WHERE id = 2`, 2],
  ])('names the first broken trace after %s', async (_label, sql, firstBrokenId) => {
    tamper(sql);
    const result = await test.client.traces.verify();
    expect(result.ok).toBe(false);
    expect(result.firstBrokenId).toBe(firstBrokenId);
  });

  it('keeps naming the break after later writes', async () => {
    tamper(`DELETE FROM traces WHERE id = 7`);
    await test.client.habilitations.reinstate(['h0'], { reason: 'Contrôle terminé' });
    expect(await test.client.traces.verify()).toMatchObject({ ok: false, firstBrokenId: 7 });
  });
});

describe('traces.list', () => {
  it('lists newest first with keyset pages and filters', async () => {
    const first = await test.client.traces.list({ limit: 3 });
    expect(first.items.map((trace) => trace.id)).toEqual([7, 6, 5]);
    const second = await test.client.traces.list({ limit: 3, cursor: first.nextCursor });
    expect(second.items.map((trace) => trace.id)).toEqual([4, 3, 2]);
    const all: number[] = [];
    for await (const trace of test.client.traces.iterate({ partnerId: 'p' })) all.push(trace.id);
    expect(all).toEqual([7, 6, 5, 4, 3, 2]);
    expect((await test.client.traces.list({ targetId: 'h2' })).items.map((trace) => trace.reason)).toEqual(['Contrôle numéro 2']);
    expect((await test.client.traces.list({ since: '2026-11-23' })).items).toEqual([]);
    expect((await test.client.traces.list({ since: '2026-11-22', until: '2026-11-22' })).items).toHaveLength(7);
  });
});

describe('traces.purge (contrat art. 5.3.2)', () => {
  it('removes traces older than six months and records of de-validation older than six years, keeping the chain valid', async () => {
    const later = createClient({ database: test.database, actor: ACTOR, now: () => new Date('2027-06-01T10:00:00Z') });
    try {
      await later.dataset.import(
        dataset({
          users: [user('old', 'p', { status: 'disabled', createdAt: '2019-01-01T10:00:00Z', lastLoginAt: '2020-01-01T10:00:00Z', passwordChangedAt: null })],
          habilitations: [
            habilitation('hold', 'p', { userId: 'old' }, { status: 'revoked', revokedAt: '2021-05-31T10:00:00Z' }),
            habilitation('hkeep', 'p', { userId: 'u0' }, { status: 'revoked', revokedAt: '2021-06-02T10:00:00Z' }),
          ],
        }),
      );
      const dry = await later.traces.purge({ asOf: '2027-06-01', dryRun: true });
      expect(dry).toEqual({
        dryRun: true,
        asOf: '2027-06-01',
        traceCutoff: '2026-12-01',
        recordCutoff: '2021-06-01',
        traces: { count: 7, firstId: 1, lastId: 7 },
        habilitations: { count: 1, ids: ['hold'] },
        // Its only habilitation goes too, so nothing keeps the disabled user.
        users: { count: 1, ids: ['old'] },
        traceId: null,
      });
      const done = await later.traces.purge({ asOf: '2027-06-01' });
      expect(done).toMatchObject({ dryRun: false, traces: { count: 7 }, habilitations: { count: 1 }, users: { count: 1, ids: ['old'] }, traceId: 9 });
      expect(await later.traces.verify()).toEqual({ ok: true, checked: 2, firstBrokenId: null });
      const purgeTrace = (await later.traces.list({ action: 'traces.purge' })).items[0]!;
      expect(purgeTrace.details).toMatchObject({ traces: { count: 7 }, habilitations: { count: 1 }, users: { count: 1 } });
      await expect(later.habilitations.get('hold')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await later.habilitations.reinstate(['h1'], { reason: 'Contrôle terminé' });
      expect(await later.traces.verify()).toEqual({ ok: true, checked: 3, firstBrokenId: null });
    } finally {
      await later.close();
    }
  });
});
