import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  DEFAULT_AUDIT_SETTINGS,
  RULE_NAMES,
  jsonText,
  type AuditCounts,
  type AuditReport,
  type AuditRunInput,
  type QuotaTotals,
  type QuotaUsage,
  type SeveritySummary,
} from '@cafsup/shared';
import { Store, type CafsupClient } from '@cafsup/sdk';
import { PartnerCache, cacheBasis } from '../packages/sdk/dist/store/partner-cache.js';
// @ts-expect-error the generator is a plain script shared with the benchmark
import { generate } from '../bench/generate.mjs';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { openClient, type TestClient } from './support/client.js';
import { ENGINES } from './support/postgres.js';

/** The counts of a full report, as `audit.counts` answers them. */
function countsOf(report: AuditReport): AuditCounts['partners'] {
  const byPartner = new Map<string, SeveritySummary>();
  for (const flag of report.flags) {
    let summary = byPartner.get(flag.partnerId);
    if (summary === undefined) byPartner.set(flag.partnerId, (summary = { critical: 0, high: 0, medium: 0, low: 0 }));
    summary[flag.severity] += 1;
  }
  return [...byPartner].sort(([a], [b]) => (a < b ? -1 : 1)).map(([partnerId, flags]) => ({ partnerId, flags }));
}

// Days before, on and after the demo's and the generator's « today », so that every rule fires somewhere.
const DATES = ['2025-03-01', '2026-11-22', '2028-01-31'];

/**
 * Empties what the store keeps of each partner (partner-cache.ts), so that the next call
 * computes again: the only way to compare what is kept with what is computed on one database.
 */
async function forgetKept(database: string): Promise<void> {
  if (!database.startsWith('postgres')) {
    const db = new Database(database);
    db.exec('DELETE FROM partner_kept');
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  await client.query('DELETE FROM partner_kept');
  await client.end();
}

/** Takes the store's write turn from another connection, as a writer in another process would; the function gives it back. */
async function holdWriteTurn(database: string): Promise<() => Promise<void>> {
  if (!database.startsWith('postgres')) {
    const db = new Database(database);
    db.exec('BEGIN IMMEDIATE');
    return () => {
      db.exec('ROLLBACK');
      db.close();
      return Promise.resolve();
    };
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  await client.query('BEGIN');
  await client.query("SELECT value FROM meta WHERE key = 'trace_head' FOR UPDATE");
  return async () => {
    await client.query('ROLLBACK');
    await client.end();
  };
}

/** How many rows `partner_kept` keeps at `asOf`. */
async function keptRows(database: string, asOf: string): Promise<number> {
  const sql = 'SELECT COUNT(*) AS n FROM partner_kept WHERE as_of = $1';
  if (!database.startsWith('postgres')) {
    const db = new Database(database, { readonly: true });
    const { n } = db.prepare(sql.replace('$1', '?')).get(asOf) as { n: number };
    db.close();
    return n;
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  const { n } = (await client.query<{ n: string }>(sql, [asOf])).rows[0]!;
  await client.end();
  return Number(n);
}

/** Checks the counts and quota totals on each of DATES; says whether some quota was over on one (so that kept over quotas were compared with some). */
async function expectCountsOfTheAudit(client: CafsupClient): Promise<boolean> {
  let overSeen = false;
  for (const asOf of DATES) {
    // Counted first, so that the counts are computed, not read from what the report kept.
    const counts = await client.audit.counts({ asOf });
    const report = await client.audit.run({ asOf });
    expect(counts.asOf).toBe(asOf);
    expect(counts.partners).toEqual(countsOf(report));
    // One partner's counts are the partner's share of them (read from what was kept here).
    for (const { partnerId, flags } of counts.partners.slice(0, 5)) {
      expect((await client.audit.counts({ partnerId, asOf })).partners).toEqual([{ partnerId, flags }]);
    }
    const usage = await expectTotalsOfTheUsage(client, asOf);
    overSeen ||= usage.quotas.some((quota) => quota.over);
  }
  return overSeen;
}

/**
 * Each partner's totals and over quotas, asked first so that they are computed, then read back
 * as kept: what the whole usage sums to and holds. Gives the whole usage.
 */
async function expectTotalsOfTheUsage(client: CafsupClient, asOf: string): Promise<{ asOf: string; quotas: QuotaUsage[] }> {
  const totals = await client.quotas.totals({ asOf });
  const over = await client.quotas.usage({ asOf, over: true });
  const usage = await client.quotas.usage({ asOf });
  const byPartner = new Map<string, QuotaTotals>();
  for (const quota of usage.quotas) {
    const sums = byPartner.get(quota.partnerId) ?? { partnerId: quota.partnerId, assigned: 0, maxUsers: 0, overQuotas: 0 };
    sums.assigned += quota.assigned;
    sums.maxUsers += quota.maxUsers;
    if (quota.over) sums.overQuotas += 1;
    byPartner.set(quota.partnerId, sums);
  }
  expect(totals).toEqual({ asOf, partners: [...byPartner.values()].filter((sums) => sums.assigned + sums.maxUsers > 0) });
  expect(over).toEqual({ asOf, quotas: usage.quotas.filter((quota) => quota.over) });
  expect(await client.quotas.totals({ asOf })).toEqual(totals);
  for (const sums of totals.partners.slice(0, 3)) expect((await client.quotas.totals({ partnerId: sums.partnerId, asOf })).partners).toEqual([sums]);
  return usage;
}

/**
 * The report as text (`audit.runText`, what `cafsup audit --json` writes), asked first so that
 * it makes what is not kept yet, equals the JSON text of the report `audit.run` then builds.
 */
async function expectTextOfTheReport(client: CafsupClient, query: AuditRunInput): Promise<AuditReport> {
  const { asOf, summary, text } = await client.audit.runText(query);
  const report = await client.audit.run(query);
  expect(Buffer.concat(text).toString()).toBe(jsonText(report));
  expect({ asOf, summary }).toEqual({ asOf: report.asOf, summary: report.summary });
  return report;
}

describe.each(ENGINES)('audit.counts on %s', (_name, database) => {
  let demo: TestClient;
  let generated: TestClient;
  beforeAll(async () => {
    const demoDatabase = await database();
    demo = await openClient({
      ...(demoDatabase === undefined ? {} : { database: demoDatabase }),
      dataset: buildDemoDataset({ partners: 40, today: '2026-11-22' }),
    });
    const generatedDatabase = await database();
    generated = await openClient(generatedDatabase === undefined ? {} : { database: generatedDatabase });
    const file = join(generated.dir, 'generated.json');
    await generate(file, 120, { usersPerPartner: 20, habilitationsPerUser: 3, seed: 5 });
    await generated.client.dataset.import({ path: file });
  });
  afterAll(async () => {
    await demo.cleanup();
    await generated.cleanup();
  });

  it('equal the counts of the full audit on the demo data', async () => {
    const report = await demo.client.audit.run({ asOf: '2026-11-22' });
    expect(new Set(report.flags.map((flag) => flag.rule)).size).toBe(16);
    expect(await expectCountsOfTheAudit(demo.client)).toBe(true);
  });

  it('equal the counts of the full audit on a generated dataset', async () => {
    expect((await generated.client.audit.run({ asOf: '2026-11-22' })).flags.length).toBeGreaterThan(500);
    await expectCountsOfTheAudit(generated.client);
  });

  it('are kept per date, forgotten by each write for the partners it changes, and equal what is computed afresh', async () => {
    const { client, database } = generated;
    const asOf = '2026-11-22';
    await forgetKept(database);
    // The text of the report, nothing kept (computed then kept), then from what was kept, alone and narrowed.
    const before = await expectTextOfTheReport(client, { asOf });
    await expectTextOfTheReport(client, { asOf });
    await expectTextOfTheReport(client, { asOf, minSeverity: 'high' });
    const flagged = before.flags.find((flag) => flag.severity === 'low')!.partnerId;
    await expectTextOfTheReport(client, { asOf, partnerId: flagged });
    await expectTextOfTheReport(client, { asOf, partnerId: flagged, minSeverity: 'critical' });
    await expectTextOfTheReport(client, { asOf, rules: ['DORMANT_ACCOUNT'] });
    const quotasBefore = await expectTotalsOfTheUsage(client, asOf);
    // Read back: the same answers, now from what was kept.
    expect(await client.audit.run({ asOf })).toEqual(before);
    expect(await client.quotas.usage({ asOf })).toEqual(quotasBefore);

    // Writes on two partners: a dormant user suspended; a habilitation of a profile not subscribed revoked, with others.
    const dormant = before.flags.find((flag) => flag.rule === 'DORMANT_ACCOUNT');
    const unsubscribed = before.flags.find((flag) => flag.rule === 'PROFILE_NOT_SUBSCRIBED' && flag.partnerId !== dormant?.partnerId);
    if (dormant?.rule !== 'DORMANT_ACCOUNT' || unsubscribed?.rule !== 'PROFILE_NOT_SUBSCRIBED')
      throw new Error('the dataset lacks the flags this test changes');
    await client.users.suspend([dormant.userId], { reason: 'Compte dormant signalé' });
    const held = (await client.habilitations.list({ partnerId: unsubscribed.partnerId, status: 'active', limit: 100 })).items.map((h) => h.id);
    await client.habilitations.revoke([unsubscribed.habilitationId, ...held.slice(0, 40)], { reason: 'Profil non souscrit, retrait' });

    // Two partners computed again, the others from what was kept: the same text as the report.
    const after = await expectTextOfTheReport(client, { asOf });
    const quotasAfter = await expectTotalsOfTheUsage(client, asOf);
    const countsAfter = await client.audit.counts({ asOf });
    expect(after).not.toEqual(before);
    expect(quotasAfter).not.toEqual(quotasBefore);
    // The partner list's lines: kept in a long batch, computed in pages of 50, the same.
    const whole = async () => (await client.partners.list({ asOf, limit: 500 })).items;
    const paged = [];
    for (let page = await client.partners.list({ asOf, limit: 50 }); ; page = await client.partners.list({ asOf, limit: 50, cursor: page.nextCursor })) {
      paged.push(...page.items);
      if (page.nextCursor === null) break;
    }
    expect(await whole()).toEqual(paged);
    expect(await whole()).toEqual(paged);
    // Some rules only: the kept flags of those rules.
    const some = ['DORMANT_ACCOUNT', 'PROFILE_NOT_SUBSCRIBED'] as const;
    expect((await client.audit.run({ asOf, rules: [...some], minSeverity: 'medium' })).flags).toEqual(
      after.flags.filter((flag) => (some as readonly string[]).includes(flag.rule)),
    );
    // The same as everything computed afresh.
    await forgetKept(database);
    expect(await client.audit.counts({ asOf })).toEqual(countsAfter);
    expect(await expectTotalsOfTheUsage(client, asOf)).toEqual(quotasAfter);
    expect(await client.audit.run({ asOf })).toEqual(after);
    expect(countsAfter.partners).toEqual(countsOf(after));
    // Another date is computed for that date, not read from this one; every rule asked for
    // (computed, nothing kept yet) is the whole report (then kept).
    const every = await client.audit.run({ asOf: '2028-01-31', rules: RULE_NAMES });
    expect(every.flags).not.toEqual(after.flags);
    expect(await client.audit.run({ asOf: '2028-01-31' })).toEqual(every);
    // A write forgets its partner's line: a long batch reads the others as kept and computes that one again.
    expect(await whole()).toEqual(paged);
    const [user] = (await client.users.list({ partnerId: paged[1]!.id, limit: 1 })).items;
    await client.users.forcePasswordReset([user!.id], { reason: 'Contrôle des accès' });
    expect(await whole()).toEqual(paged);
    expect(await whole()).toEqual(paged);
  });

  it('keep nothing computed from a snapshot older than the last write', async () => {
    const { client, database } = generated;
    const asOf = '2026-11-22';
    const partnerId = (await client.audit.counts({ asOf })).partners[0]!.partnerId;
    const store = await Store.open(database);
    try {
      const cache = new PartnerCache(store.db, cacheBasis(DEFAULT_AUDIT_SETTINGS), () => store.today());
      const wrong = { critical: 99, high: 99, medium: 99, low: 99 };
      // What a slow reader computed before a write landed: refused, the write came after its snapshot.
      const head = await cache.head();
      const [user] = (await client.users.list({ partnerId, limit: 1 })).items;
      await client.users.forcePasswordReset([user!.id], { reason: 'Contrôle des accès' });
      await cache.keep(asOf, head, () => [{ partnerId, aspect: 'counts', value: wrong }]);
      expect((await client.audit.counts({ asOf, partnerId })).partners[0]?.flags).not.toEqual(wrong);
      // The same from the current snapshot is kept (and read back: only this test's fault shows it).
      await cache.keep(asOf, await cache.head(), () => [{ partnerId, aspect: 'counts', value: wrong }]);
      expect((await client.audit.counts({ asOf, partnerId })).partners[0]?.flags).toEqual(wrong);
      await forgetKept(database);
    } finally {
      await store.close();
    }
  });

  it('keep today’s rows when another date is asked, which is computed each time then', async () => {
    const { client, database } = demo;
    const today = '2026-11-22';
    await forgetKept(database);
    const counts = await client.audit.counts({ asOf: today });
    const kept = await keptRows(database, today);
    expect(kept).toBeGreaterThan(0);
    // A date in the past, twice: the same answer, computed, and today's rows still there.
    const past = await client.audit.counts({ asOf: '2026-06-30' });
    expect(await client.audit.counts({ asOf: '2026-06-30' })).toEqual(past);
    expect(past.partners).not.toEqual(counts.partners);
    expect(await keptRows(database, today)).toBe(kept);
    expect(await keptRows(database, '2026-06-30')).toBe(0);
    expect(await client.audit.counts({ asOf: today })).toEqual(counts);
    // Today's rows gone (a write, a new day), the other date is kept again.
    await forgetKept(database);
    expect(await client.audit.counts({ asOf: '2026-06-30' })).toEqual(past);
    expect(await keptRows(database, '2026-06-30')).toBeGreaterThan(0);
  });

  it('answer while another writer holds the store, and keep nothing then', async () => {
    const { client, database } = generated;
    const asOf = '2027-02-03';
    // Nothing kept of today (the client's clock), which another date's rows would not displace.
    await forgetKept(database);
    // Another process's write under way: SQLite's write lock, PostgreSQL's chain head.
    const release = await holdWriteTurn(database);
    let counts;
    try {
      counts = await client.audit.counts({ asOf });
    } finally {
      await release();
    }
    expect(counts.partners.length).toBeGreaterThan(0);
    expect(await keptRows(database, asOf)).toBe(0);
    // With the writer gone, the next call keeps what it computes.
    expect(await client.audit.counts({ asOf })).toEqual(counts);
    expect(await keptRows(database, asOf)).toBeGreaterThan(0);
  });
});
