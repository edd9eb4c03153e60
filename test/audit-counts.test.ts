import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditCounts, AuditReport, SeveritySummary } from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
// @ts-expect-error the generator is a plain script shared with the benchmark
import { generate } from '../bench/generate.mjs';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { openClient, type TestClient } from './support/client.js';
import { POSTGRES_URL, freshDatabase } from './support/postgres.js';

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

async function expectCountsOfTheAudit(client: CafsupClient): Promise<void> {
  for (const asOf of DATES) {
    const report = await client.audit.run({ asOf });
    const counts = await client.audit.counts({ asOf });
    expect(counts.asOf).toBe(asOf);
    expect(counts.partners).toEqual(countsOf(report));
    // One partner's counts are the partner's share of them.
    for (const { partnerId, flags } of counts.partners.slice(0, 5)) {
      expect((await client.audit.counts({ partnerId, asOf })).partners).toEqual([{ partnerId, flags }]);
    }
  }
}

const ENGINES: ['SQLite' | 'PostgreSQL', () => Promise<string | undefined>][] = [
  ['SQLite', () => Promise.resolve(undefined)],
  ...(POSTGRES_URL === null ? [] : [['PostgreSQL', freshDatabase] as ['PostgreSQL', () => Promise<string>]]),
];

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
    await expectCountsOfTheAudit(demo.client);
  });

  it('equal the counts of the full audit on a generated dataset', async () => {
    expect((await generated.client.audit.run({ asOf: '2026-11-22' })).flags.length).toBeGreaterThan(500);
    await expectCountsOfTheAudit(generated.client);
  });
});
