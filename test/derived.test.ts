import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error the generator is a plain script shared with the benchmark
import { generate } from '../bench/generate.mjs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { openClient, refusalOf, type TestClient } from './support/client.js';
import { convention, dataset, habilitation, partner, user } from './support/fixture.js';
import { POSTGRES_URL, freshDatabase } from './support/postgres.js';

type Json = Record<string, unknown> & { partnerId?: string; id?: string };

describe('derived holder facts', () => {
  let whole: TestClient;
  let onePartnerAtATime: TestClient;

  beforeAll(async () => {
    whole = await openClient();
    onePartnerAtATime = await openClient();
    const file = join(whole.dir, 'generated.json');
    // More partners than the full-rebuild threshold, so the two stores take different paths.
    await generate(file, 240, { usersPerPartner: 20, habilitationsPerUser: 3, seed: 11 });
    await whole.client.dataset.import({ path: file });
    const document = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Json[]>;
    await onePartnerAtATime.client.dataset.import({ format: 'cafsup/dataset', version: 1, cafs: document.cafs });
    for (const partner of document.partners!) {
      const mine = (section: string) => document[section]!.filter((entity) => (entity.partnerId ?? entity.id) === partner.id);
      await onePartnerAtATime.client.dataset.import({
        format: 'cafsup/dataset',
        version: 1,
        partners: [partner],
        conventions: mine('conventions'),
        users: mine('users'),
        groups: mine('groups'),
        habilitations: mine('habilitations'),
        reviews: mine('reviews'),
      });
    }
  });
  afterAll(async () => {
    await whole.cleanup();
    await onePartnerAtATime.cleanup();
  });

  it('are the same whether rebuilt for the whole file or partner by partner', async () => {
    const asOf = '2026-11-22';
    const [a, b] = await Promise.all([whole.client.audit.run({ asOf }), onePartnerAtATime.client.audit.run({ asOf })]);
    expect(a.flags.length).toBeGreaterThan(100);
    expect(new Set(a.flags.map((flag) => flag.rule)).size).toBeGreaterThanOrEqual(10);
    expect(b).toEqual(a);
    expect(await onePartnerAtATime.client.quotas.usage({ asOf })).toEqual(await whole.client.quotas.usage({ asOf }));
  });

  it('follow actions: a revocation frees its place at once', async () => {
    const asOf = '2026-11-22';
    const partnerId = 'p00001';
    const grouped = new Set<string>();
    for await (const group of whole.client.groups.iterate({ partnerId })) group.memberIds.forEach((id) => grouped.add(id));
    const held: { id: string; userId: string; service: string; profile: string }[] = [];
    for await (const h of whole.client.habilitations.iterate({ partnerId })) {
      if (h.status !== 'revoked' && h.userId !== null && !grouped.has(h.userId))
        held.push({ id: h.id, userId: h.userId, service: h.service, profile: h.profile });
    }
    const target = held.find((h) => h.userId === 'u0000020')!;
    const before = (await whole.client.quotas.usage({ asOf, partnerId })).quotas.find((q) => q.profile === target.profile)!;
    const revoked = held.filter((h) => h.userId === target.userId && h.profile === target.profile).map((h) => h.id);
    await whole.client.habilitations.revoke(revoked, { reason: 'Retour au quota' });
    const after = (await whole.client.quotas.usage({ asOf, partnerId })).quotas.find((q) => q.profile === target.profile)!;
    expect(after.assigned).toBe(before.assigned - 1);
  });
});

const DERIVED_QUERIES = [
  `SELECT u.id, h.service, h.profile, h.partner_id, h.first_granted_ms, h.active_habilitations
     FROM holdings h JOIN users u ON u.key = h.user_key ORDER BY u.id, h.service, h.profile`,
  'SELECT id, holds_any, gets_active, multi_profiles FROM users ORDER BY id',
  'SELECT partner_id, service, profile, assigned, active FROM quota_holders ORDER BY partner_id, service, profile',
  'SELECT partner_id, service, profile, departement, held FROM held_combos ORDER BY partner_id, service, profile, departement',
];
/** Every derived fact forgotten: the tables emptied, the users' facts those of a user just inserted (schema.ts). */
const FORGET_DERIVED = [
  'DELETE FROM holdings',
  'DELETE FROM quota_holders',
  'DELETE FROM held_combos',
  'UPDATE users SET holds_any = 0, gets_active = 0, multi_profiles = NULL',
];

/**
 * Runs `statements` on a store's database beside its client (idle meanwhile): each one's rows,
 * their values as text (PostgreSQL gives its BIGINTs so), the same on both engines.
 */
async function runOn(database: string, statements: readonly string[]): Promise<string[][][]> {
  const asText = (rows: unknown[]) => rows.map((row) => Object.values(row as Record<string, unknown>).map(String));
  if (!database.startsWith('postgres')) {
    const db = new Database(database);
    try {
      return statements.map((sql) => {
        const statement = db.prepare(sql);
        if (!statement.reader) return (statement.run(), []);
        return asText(statement.all());
      });
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const results = [];
    for (const sql of statements) results.push(asText((await client.query(sql)).rows));
    return results;
  } finally {
    await client.end();
  }
}

/**
 * The derived tables of a store, by entity ids (user keys differ from one import to another):
 * holdings, users' facts, quota holders, held combinations, in that order, each row as text.
 */
function derivedTables(database: string): Promise<string[][][]> {
  return runOn(database, DERIVED_QUERIES);
}

type Engine = 'SQLite' | 'PostgreSQL';

/** A client on a fresh store of this engine (a new SQLite file, or a new PostgreSQL database), `dataset` imported into it. */
async function openStore(engine: Engine, dataset?: Record<string, unknown>): Promise<TestClient> {
  const store = await openClient({ ...(dataset === undefined ? {} : { dataset }), ...(engine === 'PostgreSQL' ? { database: await freshDatabase() } : {}) });
  // Its tables made (at a client's first use), for `runOn`.
  if (dataset === undefined) await store.client.partners.list({});
  return store;
}

/**
 * The derived facts of `written`, as its writes left them, are what a full rebuild makes of the
 * same data: its export imported into `rebuilt` (a store of the same engine, which it replaces
 * entity by entity), after every fact of `rebuilt` was forgotten, so that its import computes
 * them all from nothing, as into a new store, and none is left from a previous comparison.
 */
async function expectFactsOfRebuild(written: TestClient, rebuilt: TestClient, step: string): Promise<void> {
  const data = await written.client.dataset.export();
  await runOn(rebuilt.database, FORGET_DERIVED);
  await rebuilt.client.dataset.import(data);
  expect(await derivedTables(written.database), `after « ${step} »`).toEqual(await derivedTables(rebuilt.database));
}

/**
 * The edge cases of the derived facts, on two centralised partners (groups are edited by the Caf
 * there): a group with a disabled and a suspended member, an empty group, one user (edge-u1)
 * holding (CDAP, T1) three ways (given directly, and through two groups), habilitations already
 * suspended and already revoked, a disabled user holding one directly, a user with nothing.
 */
function edgeDataset(): Record<string, unknown> {
  const subscriptions = [
    { service: 'CDAP', availableFrom: '2025-01-15', quotas: ['T1', 'T2', 'T4', 'T5', 'T6', 'T8', 'T9'].map((profile) => ({ profile, maxUsers: 10 })) },
  ];
  const suspended = { status: 'suspended', suspendedAt: '2026-09-01T09:00:00+02:00' };
  const revoked = { status: 'revoked', revokedAt: '2026-08-03T09:00:00+02:00' };
  return dataset({
    partners: [partner('edge'), partner('other')],
    conventions: ['edge', 'other'].map((id) => convention(id, { managementMode: 'centralised', subscriptions })),
    users: [
      user('edge-u1', 'edge'),
      user('edge-u2', 'edge', { status: 'disabled', disabledAt: '2026-10-01T09:00:00+02:00' }),
      user('edge-u3', 'edge', { status: 'suspended' }),
      user('edge-u4', 'edge'),
      user('edge-u5', 'edge'),
      user('edge-u6', 'edge'),
      user('other-u1', 'other'),
      user('other-u2', 'other', { status: 'suspended' }),
      user('other-u3', 'other'),
    ],
    groups: [
      { id: 'edge-g1', partnerId: 'edge', name: 'Instructeurs', memberIds: ['edge-u1', 'edge-u2', 'edge-u3'] },
      { id: 'edge-g2', partnerId: 'edge', name: 'Accueil', memberIds: ['edge-u1', 'edge-u4'] },
      { id: 'edge-g3', partnerId: 'edge', name: 'Renforts', memberIds: [] },
      { id: 'other-g1', partnerId: 'other', name: 'Instructeurs', memberIds: ['other-u1', 'other-u2'] },
    ],
    habilitations: [
      habilitation('edge-h01', 'edge', { userId: 'edge-u1' }),
      habilitation('edge-h02', 'edge', { groupId: 'edge-g1' }, { departement: '78', grantedAt: '2025-06-02T09:00:00+02:00' }),
      habilitation('edge-h03', 'edge', { groupId: 'edge-g2' }, { grantedAt: '2026-03-02T09:00:00+01:00' }),
      habilitation('edge-h04', 'edge', { userId: 'edge-u1' }, { profile: 'T2' }),
      habilitation('edge-h05', 'edge', { userId: 'edge-u5' }, suspended),
      habilitation('edge-h06', 'edge', { userId: 'edge-u5' }, revoked),
      habilitation('edge-h07', 'edge', { groupId: 'edge-g3' }),
      habilitation('edge-h08', 'edge', { groupId: 'edge-g1' }, { profile: 'T2', ...suspended }),
      habilitation('edge-h09', 'edge', { userId: 'edge-u2' }, { profile: 'T4' }),
      habilitation('edge-h10', 'edge', { userId: 'edge-u4' }, { profile: 'T5', departement: '78' }),
      habilitation('edge-h11', 'edge', { groupId: 'edge-g2' }, { profile: 'T6', ...revoked }),
      habilitation('edge-h12', 'edge', { userId: 'edge-u3' }, { profile: 'T8' }),
      habilitation('edge-h13', 'edge', { userId: 'edge-u4' }, { profile: 'T9' }),
      habilitation('other-h01', 'other', { userId: 'other-u1' }),
      habilitation('other-h02', 'other', { groupId: 'other-g1' }),
      habilitation('other-h03', 'other', { userId: 'other-u2' }, { profile: 'T2', ...suspended }),
      habilitation('other-h04', 'other', { userId: 'other-u3' }, { profile: 'T4' }),
      habilitation('other-h05', 'other', { userId: 'other-u3' }, { profile: 'T5' }),
      habilitation('other-h06', 'other', { groupId: 'other-g1' }, { profile: 'T6' }),
      habilitation('other-h07', 'other', { userId: 'other-u1' }, { profile: 'T8', ...revoked }),
      habilitation('other-h08', 'other', { userId: 'other-u3' }, { profile: 'T9' }),
    ],
  });
}

/** Some derived facts of a store, by value (as text, `derivedTables`), for CDAP. */
async function factsOf(database: string) {
  const [holdings, users, quotas, combos] = await derivedTables(database);
  return {
    /** [first granted (ms), active habilitations] of a user's holding of (CDAP, profile), or null when none. */
    holding: (userId: string, profile: string) => holdings!.find(([id, service, p]) => id === userId && service === 'CDAP' && p === profile)?.slice(4) ?? null,
    /** [holds any, gets active, several profiles] of a user. */
    user: (userId: string) => users!.find(([id]) => id === userId)!.slice(1),
    /** [assigned, active] holders of (partner, CDAP, profile), or null when none. */
    quota: (partnerId: string, profile: string) =>
      quotas!.find(([id, service, p]) => id === partnerId && service === 'CDAP' && p === profile)?.slice(3) ?? null,
    /** Held habilitations of (partner, CDAP, profile, département), by département ('' for none). */
    held: (partnerId: string, profile: string) =>
      Object.fromEntries(combos!.filter(([id, service, p]) => id === partnerId && service === 'CDAP' && p === profile).map((row) => [row[3], row[4]])),
  };
}

const ms = (at: string) => String(Date.parse(at));
const DEFAULT_GRANT = ms('2026-01-10T09:30:00+01:00');

// A write recomputes its partner's facts touching only the rows that differ (derived.ts): after
// writes that add, change and remove holders, they must be what a whole rebuild makes of the same data.
describe.each<Engine>(POSTGRES_URL === null ? ['SQLite'] : ['SQLite', 'PostgreSQL'])('derived facts after writes, over %s', (engine) => {
  it('equal a full rebuild of the same data', async () => {
    const written = await openStore(engine, buildDemoDataset({ partners: 6, today: '2026-11-22' }));
    const rebuilt = await openStore(engine);
    try {
      const { client } = written;
      const partnerId = 'amp';
      const active: string[] = [];
      const throughGroups: string[] = [];
      for await (const h of client.habilitations.iterate({ partnerId })) {
        if (h.status === 'active') (h.groupId === null ? active : throughGroups).push(h.id);
      }
      expect(active.length).toBeGreaterThan(10);
      // A habilitation's change recomputes its (service, profile) alone: through a group, each member's.
      expect(throughGroups.length).toBeGreaterThanOrEqual(1);
      // A few between active and suspended: their holders' facts and their pairs' counts changed
      // in place (derived.ts, `statusChange`), compared before any revocation recomputes the pairs.
      await client.habilitations.suspend(throughGroups, { reason: 'Contrôle du groupe' });
      await client.habilitations.suspend(active.slice(0, 6), { reason: 'Contrôle des droits' });
      await client.habilitations.reinstate(active.slice(0, 2), { reason: 'Contrôle terminé' });
      await expectFactsOfRebuild(written, rebuilt, 'suspensions and reinstatements');
      const [dissolved] = throughGroups;
      await client.habilitations.revoke([dissolved!], { reason: 'Groupe dissous' });
      await client.habilitations.revoke(active.slice(6, 10), { reason: 'Départ des agents' });
      // One action over more pairs than are recomputed one by one: their partners are, whole.
      const onePerPair = new Map<string, string>();
      for (const { id: other } of (await client.partners.list({})).items.filter((partner) => partner.id !== partnerId)) {
        for await (const h of client.habilitations.iterate({ partnerId: other, status: 'active' })) onePerPair.set(`${other} ${h.service} ${h.profile}`, h.id);
      }
      expect(onePerPair.size).toBeGreaterThan(8);
      await client.habilitations.suspend([...onePerPair.values()], { reason: 'Contrôle annuel' });
      // Compared before the users' actions below, which recompute the whole partner.
      await expectFactsOfRebuild(written, rebuilt, 'revocations and a suspension over many pairs');
      const users = (await client.users.list({ partnerId })).items.filter((user) => user.status === 'active');
      await client.users.suspend(
        users.slice(0, 2).map((user) => user.id),
        { reason: 'Comptes à vérifier' },
      );
      await client.users.revokeHabilitations([users[2]!.id], { reason: 'Mission terminée' });
      await expectFactsOfRebuild(written, rebuilt, 'actions on users');
    } finally {
      await written.cleanup();
      await rebuilt.cleanup();
    }
  });

  // Each step through the SDK, then the facts compared with a full rebuild, and some read by value.
  // Of the habilitations' steps, those of at most 8 changing between active and suspended change
  // the facts in place (`statusChange`); 9 over at most 8 pairs recompute the pairs; over more,
  // their partners. A user's status and a group's members recompute the partner.
  it('equal a full rebuild after each step over edge cases: groups disabled, suspended or empty members, a pair held three ways', async () => {
    const written = await openStore(engine, edgeDataset());
    const rebuilt = await openStore(engine);
    try {
      const { habilitations, users, groups } = written.client;
      await expectFactsOfRebuild(written, rebuilt, 'the import');
      const imported = await factsOf(written.database);
      // Held directly, through edge-g1 (granted first) and edge-g2: one holding, three active.
      expect(imported.holding('edge-u1', 'T1')).toEqual([ms('2025-06-02T09:00:00+02:00'), '3']);
      expect(imported.user('edge-u1')).toEqual(['1', '1', '{"CDAP":["T1","T2"]}']);
      // edge-u2, disabled, is not counted; edge-u3, a suspended user, and edge-u5, whose one is suspended: assigned, not active.
      expect(imported.quota('edge', 'T1')).toEqual(['4', '2']);
      expect(imported.holding('edge-u5', 'T1')).toEqual([DEFAULT_GRANT, '0']);
      expect(imported.user('edge-u5')).toEqual(['1', '0', 'null']);
      expect(imported.user('edge-u6')).toEqual(['0', '0', 'null']);
      // edge-h06, revoked, is not held; edge-h07 is, its group empty all the same.
      expect(imported.held('edge', 'T1')).toEqual({ '': '4', '78': '1' });

      const steps: [step: string, run: () => Promise<unknown>, check: (facts: Awaited<ReturnType<typeof factsOf>>) => void][] = [
        [
          'suspend edge-h01 (given directly)',
          () => habilitations.suspend(['edge-h01'], { reason: 'Contrôle des droits' }),
          (f) => expect(f.holding('edge-u1', 'T1')?.[1]).toBe('2'),
        ],
        [
          'suspend edge-h02 (through a group with a disabled and a suspended member)',
          () => habilitations.suspend(['edge-h02'], { reason: 'Contrôle du groupe' }),
          (f) => {
            expect(f.holding('edge-u1', 'T1')?.[1]).toBe('1');
            expect(f.holding('edge-u2', 'T1')?.[1]).toBe('0');
            expect(f.holding('edge-u3', 'T1')?.[1]).toBe('0');
            expect(f.quota('edge', 'T1')).toEqual(['4', '2']);
          },
        ],
        [
          'suspend edge-h03 (the third way)',
          () => habilitations.suspend(['edge-h03'], { reason: 'Contrôle du groupe' }),
          (f) => {
            expect(f.holding('edge-u1', 'T1')?.[1]).toBe('0');
            // Still active in (CDAP, T2).
            expect(f.user('edge-u1')[1]).toBe('1');
            expect(f.quota('edge', 'T1')).toEqual(['4', '0']);
          },
        ],
        [
          'reinstate edge-h02 and edge-h03, edge-h02 named twice',
          () => habilitations.reinstate(['edge-h02', 'edge-h03', 'edge-h02'], { reason: 'Contrôle terminé' }),
          (f) => expect(f.holding('edge-u1', 'T1')?.[1]).toBe('2'),
        ],
        [
          'reinstate edge-h01',
          () => habilitations.reinstate(['edge-h01'], { reason: 'Contrôle terminé' }),
          (f) => expect(f.holding('edge-u1', 'T1')).toEqual([ms('2025-06-02T09:00:00+02:00'), '3']),
        ],
        [
          'suspend 9 named across both partners: one twice, one suspended already',
          () =>
            habilitations.suspend(['edge-h04', 'other-h01', 'other-h04', 'other-h05', 'other-h08', 'edge-h10', 'edge-h13', 'edge-h05', 'edge-h04'], {
              reason: 'Contrôle croisé',
            }),
          (f) => {
            // All of other-u3's suspended: no longer active anywhere, still holding.
            expect(f.user('other-u3')).toEqual(['1', '0', '{"CDAP":["T4","T5","T9"]}']);
            expect(f.quota('edge', 'T2')).toEqual(['2', '0']);
          },
        ],
        ['a dry run, rolled back', () => habilitations.reinstate(['other-h04', 'other-h05'], { dryRun: true }), (f) => expect(f.user('other-u3')[1]).toBe('0')],
        [
          'a refused suspension (edge-h06 is revoked): nothing changes',
          async () => expect((await refusalOf(habilitations.suspend(['edge-h01', 'edge-h06'], { reason: 'Contrôle refusé' }))).code).toBe('CONFLICT'),
          (f) => expect(f.holding('edge-u1', 'T1')?.[1]).toBe('3'),
        ],
        [
          'reinstate 9 over 9 pairs of both partners (their partners recomputed)',
          () =>
            habilitations.reinstate(['edge-h05', 'edge-h08', 'edge-h10', 'edge-h13', 'other-h01', 'other-h03', 'other-h04', 'other-h05', 'other-h08'], {
              reason: 'Contrôle terminé',
            }),
          (f) => expect(f.user('other-u3')[1]).toBe('1'),
        ],
        [
          'suspend 9 over 6 pairs (the pairs recomputed), one held by a disabled user',
          () =>
            habilitations.suspend(['edge-h01', 'edge-h02', 'edge-h03', 'edge-h07', 'edge-h09', 'edge-h12', 'other-h06', 'other-h01', 'other-h04'], {
              reason: 'Contrôle des droits',
            }),
          (f) => expect(f.holding('edge-u1', 'T1')?.[1]).toBe('0'),
        ],
        [
          'reinstate 8 across both partners, named 9 times',
          () =>
            habilitations.reinstate(['edge-h01', 'edge-h02', 'edge-h03', 'edge-h07', 'edge-h09', 'other-h06', 'other-h01', 'other-h04', 'edge-h01'], {
              reason: 'Contrôle terminé',
            }),
          (f) => expect(f.holding('edge-u1', 'T1')?.[1]).toBe('3'),
        ],
        [
          'suspend users edge-u4 and other-u1',
          () => users.suspend(['edge-u4', 'other-u1'], { reason: 'Comptes à vérifier' }),
          // edge-u1 and edge-u5 (edge-h05 reinstated) are active holders; edge-u3 and edge-u4 suspended users.
          (f) => expect(f.quota('edge', 'T1')).toEqual(['4', '2']),
        ],
        [
          'reinstate users edge-u3, edge-u4 and other-u2',
          () => users.reinstate(['edge-u3', 'edge-u4', 'other-u2'], { reason: 'Comptes vérifiés' }),
          (f) => expect(f.quota('edge', 'T1')).toEqual(['4', '4']),
        ],
        [
          'suspend edge-h02 once its members changed status',
          () => habilitations.suspend(['edge-h02'], { reason: 'Contrôle du groupe' }),
          (f) => expect(f.quota('edge', 'T1')).toEqual(['4', '3']),
        ],
        [
          'edge-u6 into the empty group edge-g3',
          () => groups.edit('edge-g3', { memberIds: ['edge-u6'], reason: 'Renfort de l’accueil' }),
          (f) => {
            expect(f.user('edge-u6')).toEqual(['1', '1', 'null']);
            expect(f.quota('edge', 'T1')).toEqual(['5', '4']);
          },
        ],
        [
          'suspend edge-h07 (edge-g3 its one member now)',
          () => habilitations.suspend(['edge-h07'], { reason: 'Contrôle du groupe' }),
          (f) => {
            expect(f.user('edge-u6')).toEqual(['1', '0', 'null']);
            expect(f.quota('edge', 'T1')).toEqual(['5', '3']);
          },
        ],
        [
          'edge-g1 made edge-u2 (disabled) and edge-u6: edge-u1 and edge-u3 out',
          () => groups.edit('edge-g1', { memberIds: ['edge-u2', 'edge-u6'], reason: 'Réorganisation du service' }),
          (f) => {
            // edge-u1 holds (CDAP, T1) twice now, first granted edge-h01.
            expect(f.holding('edge-u1', 'T1')).toEqual([DEFAULT_GRANT, '2']);
            expect(f.holding('edge-u3', 'T1')).toBeNull();
            expect(f.user('edge-u6')).toEqual(['1', '1', '{"CDAP":["T1","T2"]}']);
          },
        ],
        [
          'reinstate edge-h02 and edge-h07',
          () => habilitations.reinstate(['edge-h02', 'edge-h07'], { reason: 'Contrôle terminé' }),
          (f) => expect(f.holding('edge-u6', 'T1')).toEqual([ms('2025-06-02T09:00:00+02:00'), '2']),
        ],
        ['edge-g2 emptied', () => groups.edit('edge-g2', { memberIds: [], reason: 'Service fermé' }), (f) => expect(f.holding('edge-u4', 'T1')).toBeNull()],
        [
          'suspend edge-h03 (its group empty) and other-h02',
          () => habilitations.suspend(['edge-h03', 'other-h02'], { reason: 'Contrôle croisé' }),
          (f) => expect(f.holding('other-u1', 'T1')?.[1]).toBe('1'),
        ],
        [
          'revoke edge-h02 (through edge-g1)',
          () => habilitations.revoke(['edge-h02'], { reason: 'Groupe dissous' }),
          (f) => {
            expect(f.holding('edge-u6', 'T1')).toEqual([DEFAULT_GRANT, '1']);
            expect(f.holding('edge-u2', 'T1')).toBeNull();
            expect(f.held('edge', 'T1')).toEqual({ '': '4' });
          },
        ],
        [
          'revoke 9 over 9 pairs of both partners',
          () =>
            habilitations.revoke(['edge-h01', 'edge-h09', 'edge-h10', 'edge-h13', 'other-h01', 'other-h03', 'other-h04', 'other-h05', 'other-h08'], {
              reason: 'Départ des agents',
            }),
          (f) => {
            expect(f.holding('edge-u1', 'T1')).toBeNull();
            expect(f.user('edge-u1')).toEqual(['1', '0', 'null']);
          },
        ],
        [
          'reinstate edge-h04 (what edge-u1 has left)',
          () => habilitations.reinstate(['edge-h04'], { reason: 'Contrôle terminé' }),
          (f) => expect(f.user('edge-u1')).toEqual(['1', '1', 'null']),
        ],
      ];
      for (const [step, run, check] of steps) {
        await run();
        await expectFactsOfRebuild(written, rebuilt, step);
        check(await factsOf(written.database));
      }
    } finally {
      await written.cleanup();
      await rebuilt.cleanup();
    }
  });

  // A back-office extract that corrects a partner's id gives its users, groups and habilitations
  // (same ids) to a partner of a new id. edge-u1 holds (CDAP, T1) directly and through two groups:
  // the new partner's holdings met the former's, an internal error on both engines (trial 32, D1).
  it('equal a full rebuild after an import gives a partner’s users, groups and habilitations to a partner of a new id', async () => {
    const written = await openStore(engine, edgeDataset());
    const rebuilt = await openStore(engine);
    try {
      const whole = edgeDataset() as Record<string, Record<string, unknown>[]>;
      const toNewId = (section: string) =>
        whole[section]!.filter((entity) => entity.partnerId === 'edge').map((entity) => ({ ...entity, partnerId: 'edge-2' }));
      await written.client.dataset.import({
        ...whole,
        partners: [{ ...whole.partners!.find((entity) => entity.id === 'edge'), id: 'edge-2' }],
        ...Object.fromEntries(['conventions', 'users', 'groups', 'habilitations'].map((section) => [section, toNewId(section)])),
        reviews: [],
      });
      await expectFactsOfRebuild(written, rebuilt, 'the move');
      const facts = await factsOf(written.database);
      // The partner left holds nothing any more; the new one all that it held (as after the import above).
      expect([facts.quota('edge', 'T1'), facts.quota('edge-2', 'T1')]).toEqual([null, ['4', '2']]);
      expect(facts.holding('edge-u1', 'T1')).toEqual([ms('2025-06-02T09:00:00+02:00'), '3']);
    } finally {
      await written.cleanup();
      await rebuilt.cleanup();
    }
  });
});

// From 20,000 users or habilitations on, an import drops their secondary indexes and builds them
// again at its end (import.ts; the users' on PostgreSQL only), before the facts when they are
// refreshed partner by partner and after them when rebuilt whole. Both paths, on both engines:
// the facts must be those of SQLite, and every index must be back.
describe.skipIf(POSTGRES_URL === null)('a large import, its indexes dropped and built again', () => {
  it.each([
    ['partner by partner (150 partners)', 150, 140],
    ['rebuilt whole (1,050 partners)', 1050, 20],
  ])('gives the same facts on both engines and keeps every index: %s', async (_label, partners, usersPerPartner) => {
    const sqlite = await openClient();
    const postgres = await openClient({ database: await freshDatabase() });
    try {
      const file = join(sqlite.dir, 'large.json');
      await generate(file, partners, { usersPerPartner, habilitationsPerUser: 1, seed: 3 });
      const [a, b] = await Promise.all([sqlite.client.dataset.import({ path: file }), postgres.client.dataset.import({ path: file })]);
      expect(a.counts.users).toBeGreaterThan(20_000);
      expect(a.counts.habilitations).toBeGreaterThan(20_000);
      expect(b.counts).toEqual(a.counts);
      // Read as text on both engines (derivedTables).
      expect(await derivedTables(postgres.database)).toEqual(await derivedTables(sqlite.database));
      const indexes = async (database: string): Promise<string[]> => {
        if (!database.startsWith('postgres')) {
          const db = new Database(database, { readonly: true });
          try {
            return db
              .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('users', 'habilitations') AND sql IS NOT NULL ORDER BY name")
              .all()
              .map((row) => (row as { name: string }).name);
          } finally {
            db.close();
          }
        }
        const client = new pg.Client({ connectionString: database });
        await client.connect();
        try {
          const { rows } = await client.query<{ name: string }>(
            "SELECT indexname AS name FROM pg_indexes WHERE tablename IN ('users', 'habilitations') AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY 1",
          );
          return rows.map((row) => row.name);
        } finally {
          await client.end();
        }
      };
      const expected = await indexes(sqlite.database);
      expect(expected).toContain('users_partner_email');
      expect(expected).toContain('habilitations_user');
      expect(await indexes(postgres.database)).toEqual(expected);
    } finally {
      await sqlite.cleanup();
      await postgres.cleanup();
    }
  });
});
