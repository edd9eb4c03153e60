import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store, createClient } from '@cafsup/sdk';
import { ACTOR, convention, dataset, deputy, habilitation, partner, review, user } from './support/fixture.js';
import { openClient, refusalOf, type TestClient } from './support/client.js';

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
    expect(await test.client.traces.verify()).toMatchObject({ ok: true, checked: 7, firstBrokenId: null, problem: null, head: { id: 7 } });
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
    ['an altered trace with its content hash recomputed by hand', `UPDATE traces SET content_hash = '${'b'.repeat(64)}', reason = 'x' WHERE id = 3`, 3],
    // Erasing what a trace says is retention's right only once its time is over (6 years for a decision).
    [
      'a recent decision trace erased as retention would',
      `UPDATE traces SET erased = 1, reason = '', actor_name = '', actor_email = '', after = NULL, before = NULL WHERE id = 4`,
      4,
    ],
    ['a decision trace passed off as activity and erased', `UPDATE traces SET kind = 'activity', erased = 1, reason = '' WHERE id = 5`, 5],
    [
      'a truncated start with a forged purge anchor',
      `DELETE FROM traces WHERE id <= 2; INSERT OR REPLACE INTO meta (key, value) SELECT 'trace_anchor', json_object('firstId', 3, 'prevHash', prev_hash) FROM traces WHERE id = 3`,
      1,
    ],
    // The recorded head: removed, rolled back (the traces after it vouched for by nothing), or of another hash.
    ['a removed head', `DELETE FROM meta WHERE key = 'trace_head'`, 1],
    ['a head rolled back', `UPDATE meta SET value = (SELECT json_object('id', id, 'hash', hash) FROM traces WHERE id = 5) WHERE key = 'trace_head'`, 6],
    ['a head of another hash', `UPDATE meta SET value = json_object('id', 7, 'hash', '${'c'.repeat(64)}') WHERE key = 'trace_head'`, 7],
    [
      'no trace left, but a head of another hash',
      `DELETE FROM traces; UPDATE meta SET value = json_object('id', 0, 'hash', '${'c'.repeat(64)}') WHERE key = 'trace_head'`,
      1,
    ],
  ])('names the first broken trace after %s', async (_label, sql, firstBrokenId) => {
    tamper(sql);
    const result = await test.client.traces.verify();
    expect(result.ok).toBe(false);
    expect(result.firstBrokenId).toBe(firstBrokenId);
    // « N traces intègres avant elle »: those before the first broken one.
    expect(result.checked).toBe(firstBrokenId - 1);
  });

  it('keeps naming the break after later writes', async () => {
    tamper(`DELETE FROM traces WHERE id = 7`);
    await test.client.habilitations.reinstate(['h0'], { reason: 'Contrôle terminé' });
    expect(await test.client.traces.verify()).toMatchObject({ ok: false, firstBrokenId: 7 });
  });
});

// Review 22 (M2): an import's changes are filed beside the chain (`import_changes`), which makes
// them an import's place in a person's trail; its trace keeps their digest.
describe('an import’s changes, checked against its trace', () => {
  it.each([
    ['one removed', (trace: number) => `DELETE FROM import_changes WHERE trace_id = ${trace} AND position = 1`, 'faits : 3 ; en base : 2'],
    ['one rewritten', (trace: number) => `UPDATE import_changes SET id = 'h9' WHERE trace_id = ${trace} AND position = 2`, 'faits : 3 ; en base : 3'],
    [
      'one added',
      (trace: number) =>
        `INSERT INTO import_changes (trace_id, position, section, id, partner_id, change) SELECT trace_id, 3, section, 'h5', partner_id, change FROM import_changes WHERE trace_id = ${trace} AND position = 0`,
      'faits : 3 ; en base : 4',
    ],
  ])('names the import when %s', async (_case, sql, counts) => {
    // h0–h2 were suspended: the file gives them back as active.
    const result = await test.client.dataset.import(
      dataset({ partners: [], habilitations: Array.from({ length: 3 }, (_, i) => habilitation(`h${i}`, 'p', { userId: `u${i}` })) }),
    );
    expect([result.traceId, result.decisionChangesTotal]).toEqual([8, 3]);
    expect(await test.client.traces.verify()).toMatchObject({ ok: true, checked: 8 });
    tamper(sql(result.traceId!));
    expect(await test.client.traces.verify()).toEqual({
      ok: false,
      checked: 7,
      firstBrokenId: 8,
      head: expect.objectContaining({ id: 8 }),
      problem: `trace n° 8 : changements de l’import supprimés, ajoutés ou modifiés (${counts})`,
    });
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

describe('traces.purge (contrat art. 5.3.2, rules.md "Retention")', () => {
  /** A store on the same file at another date, for what retention sees later. */
  const at = (iso: string) => createClient({ database: test.database, actor: ACTOR, now: () => new Date(iso) });

  it('erases activity traces after six months, keeps decisions six years and while what they concern is held, and the chain verifies', async () => {
    // Trace 8: an activity trace (a refused token) of 2026-11-22.
    const server = await Store.open(test.database, { now: () => new Date('2026-11-22T10:00:00Z') });
    await server.tokens.recordFailure('203.0.113.9', 'cafsup_abcdefgh', 10);
    await server.close();
    await test.client.habilitations.revoke(['h5'], { reason: 'Départ de l’agent' }); // trace 9
    const later = at('2027-06-01T10:00:00Z');
    try {
      await later.dataset.import(
        dataset({
          users: [user('old', 'p', { status: 'disabled', createdAt: '2019-01-01T10:00:00Z', lastLoginAt: '2020-01-01T10:00:00Z', passwordChangedAt: null })],
          habilitations: [
            habilitation('hold', 'p', { userId: 'old' }, { status: 'revoked', revokedAt: '2021-05-31T10:00:00Z' }),
            habilitation('hkeep', 'p', { userId: 'u0' }, { status: 'revoked', revokedAt: '2021-06-02T10:00:00Z' }),
          ],
        }),
      ); // trace 10
      await later.habilitations.revoke(['h4'], { reason: 'Départ de l’agent' }); // trace 11
      const dry = await later.traces.purge({ asOf: '2027-06-01', dryRun: true });
      expect(dry).toEqual({
        dryRun: true,
        asOf: '2027-06-01',
        traceCutoff: '2026-12-01',
        recordCutoff: '2021-06-01',
        traces: { count: 1, activity: 1, decision: 0, firstId: 8, lastId: 8 },
        habilitations: { count: 1, ids: ['hold'] },
        // Its only habilitation goes too, so nothing keeps the disabled user; it has no disabledAt.
        users: { count: 1, ids: ['old'], byLatestActivity: ['old'] },
        traceId: null,
      });
      const done = await later.traces.purge({ asOf: '2027-06-01' });
      expect(done).toEqual({ ...dry, dryRun: false, traceId: 12 });
      expect(await later.traces.verify()).toMatchObject({ ok: true, checked: 12, head: { id: 12 } });
      expect((await later.traces.list({ limit: 100 })).items.map((trace) => trace.id)).toEqual([12, 11, 10, 9, 7, 6, 5, 4, 3, 2, 1]);
      await expect(later.habilitations.get('hold')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await later.close();
    }
    // Six years and more after 2026-11-22: the import's trace goes, and so do the traces about h5
    // (revoked that day); h4 was revoked on 2027-06-01, so its traces stay until 2033-06.
    const much = at('2032-12-02T10:00:00Z');
    try {
      const report = await much.traces.purge({ asOf: '2032-12-02', dryRun: true });
      expect(report.recordCutoff).toBe('2026-12-02');
      expect(report.traces).toEqual({ count: 3, activity: 0, decision: 3, firstId: 1, lastId: 9 });
      await much.traces.purge({ asOf: '2032-12-02' });
      expect((await much.traces.list({ limit: 100 })).items.map((trace) => trace.id)).toEqual([13, 12, 11, 10, 6, 5, 4, 3, 2]);
      expect(await much.traces.verify()).toMatchObject({ ok: true, checked: 13 });
    } finally {
      await much.close();
    }
  });

  it('erases what an import changed with the import’s trace', async () => {
    // u0 was active: an import suspends them (trace 8), a change filed under its trace.
    await test.client.dataset.import(dataset({ partners: [], users: [user('u0', 'p', { status: 'suspended' })] }));
    const filed = () => {
      const db = new Database(test.database, { readonly: true });
      try {
        return db.prepare('SELECT COUNT(*) FROM import_changes WHERE trace_id = 8').pluck().get();
      } finally {
        db.close();
      }
    };
    expect([filed(), (await test.client.traces.list({ userId: 'u0' })).items[0]!.id]).toEqual([1, 8]);
    const much = at('2032-12-02T10:00:00Z');
    try {
      await much.traces.purge({ asOf: '2032-12-02' });
      expect(filed()).toBe(0);
    } finally {
      await much.close();
    }
  });

  it('refuses a date after today, and counts the same rows in the dry run as in the purge', async () => {
    const refusal = await refusalOf(test.client.traces.purge({ asOf: '2099-01-01' }));
    expect([refusal.code, refusal.details.problems]).toEqual(['VALIDATION', [{ path: 'asOf', message: 'postérieure à aujourd’hui (22 novembre 2026)' }]]);
    expect((await test.client.traces.list({ limit: 100 })).items).toHaveLength(7);
    expect(await test.client.traces.verify()).toMatchObject({ ok: true, checked: 7 });
    // Nothing old enough to erase: nothing written, no trace, as the dry run says.
    const nothing = await test.client.traces.purge({ reason: 'Conservation appliquée' });
    expect([nothing.dryRun, nothing.traceId, nothing.traces.count, nothing.habilitations.count, nothing.users.count]).toEqual([false, null, 0, 0, 0]);
    expect((await test.client.traces.list({ limit: 100 })).items).toHaveLength(7);
  });
});
