import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error the generator is a plain script shared with the benchmark
import { generate } from '../bench/generate.mjs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { openClient, type TestClient } from './support/client.js';
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

/** The derived tables of a store, by entity ids (user keys differ from one import to another). */
async function derivedRows(database: string): Promise<string> {
  const queries = [
    `SELECT u.id, h.service, h.profile, h.partner_id, h.first_granted_ms, h.active_habilitations
       FROM holdings h JOIN users u ON u.key = h.user_key ORDER BY u.id, h.service, h.profile`,
    'SELECT id, holds_any, gets_active, multi_profiles FROM users ORDER BY id',
    'SELECT partner_id, service, profile, assigned, active FROM quota_holders ORDER BY partner_id, service, profile',
    'SELECT partner_id, service, profile, departement, held FROM held_combos ORDER BY partner_id, service, profile, departement',
  ];
  if (!database.startsWith('postgres')) {
    const db = new Database(database, { readonly: true });
    try {
      return JSON.stringify(queries.map((sql) => db.prepare(sql).all()));
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const tables = [];
    for (const sql of queries) tables.push((await client.query(sql)).rows.map((row: Record<string, unknown>) => Object.values(row).map(String)));
    return JSON.stringify(tables);
  } finally {
    await client.end();
  }
}

// A write recomputes its partner's facts touching only the rows that differ (derived.ts): after
// writes that add, change and remove holders, they must be what a whole rebuild makes of the same data.
describe.each(POSTGRES_URL === null ? ['SQLite'] : ['SQLite', 'PostgreSQL'])('derived facts after writes, over %s', (engine) => {
  it('equal a full rebuild of the same data', async () => {
    const database = engine === 'PostgreSQL' ? await freshDatabase() : undefined;
    const written = await openClient({ dataset: buildDemoDataset({ partners: 6, today: '2026-11-22' }), ...(database === undefined ? {} : { database }) });
    const rebuilt = await openClient(engine === 'PostgreSQL' ? { database: await freshDatabase() } : {});
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
      await rebuilt.client.dataset.import(await client.dataset.export());
      expect(await derivedRows(written.database)).toBe(await derivedRows(rebuilt.database));
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
      await rebuilt.client.dataset.import(await client.dataset.export());
      expect(await derivedRows(written.database)).toBe(await derivedRows(rebuilt.database));
      const users = (await client.users.list({ partnerId })).items.filter((user) => user.status === 'active');
      await client.users.suspend(
        users.slice(0, 2).map((user) => user.id),
        { reason: 'Comptes à vérifier' },
      );
      await client.users.revokeHabilitations([users[2]!.id], { reason: 'Mission terminée' });

      await rebuilt.client.dataset.import(await client.dataset.export());
      const after = await derivedRows(written.database);
      expect(after).toBe(await derivedRows(rebuilt.database));
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
      // PostgreSQL's rows come as text values (derivedRows): SQLite's are made the same.
      const asText = (rows: string) =>
        (JSON.parse(rows) as unknown[][]).map((table) => table.map((row) => (Array.isArray(row) ? row : Object.values(row as object).map(String))));
      expect(asText(await derivedRows(postgres.database))).toEqual(asText(await derivedRows(sqlite.database)));
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
