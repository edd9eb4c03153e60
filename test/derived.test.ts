import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error the generator is a plain script shared with the benchmark
import { generate } from '../bench/generate.mjs';
import { openClient, type TestClient } from './support/client.js';

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
