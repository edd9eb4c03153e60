import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { OPERATIONS, operationSpec } from '@cafsup/sdk';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { ACTOR } from './support/fixture.js';
import { TestServer } from './support/server.js';

const AS_OF = '2026-11-22';
const NATIONAL = { name: 'Inès Perrin', email: 'ines.perrin@cnaf.fr' };

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(url, { headers });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The value of one sample of a Prometheus text exposition, or undefined when absent. */
function sample(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('deployment: probes, metrics, API document', () => {
  const server = new TestServer();
  let national = '';
  let local78 = '';

  beforeAll(async () => {
    await server.seed(buildDemoDataset({ partners: 6, today: AS_OF }), ACTOR);
    national = server.token(NATIONAL, 'supervisor', ['*']);
    local78 = server.token(ACTOR, 'supervisor', ['78']);
    await server.start();
  });
  afterAll(() => server.stop());

  it('answers /healthz and /readyz without a token', async () => {
    const health = await get(`${server.baseUrl}/healthz`);
    expect([health.status, JSON.parse(health.text)]).toEqual([200, { status: 'ok' }]);
    const ready = await get(`${server.baseUrl}/readyz`);
    const head = server.withStore((store) => store.traceHead().id);
    expect([ready.status, JSON.parse(ready.text)]).toEqual([200, { status: 'ready', schemaVersion: expect.any(Number), traceHead: head }]);
  });

  it('counts a request in /metrics, read locally without a token or with a token for every Caf, and refused otherwise', async () => {
    const client = server.client(local78);
    await client.partners.list({ limit: 5 });
    await client.close();
    const metrics = await get(`${server.baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(sample(metrics.text, 'cafsup_http_requests_total{operation="partners.list",status="200"}')).toBe(1);
    expect(sample(metrics.text, 'cafsup_http_request_duration_seconds_count{operation="partners.list"}')).toBe(1);
    expect(sample(metrics.text, 'cafsup_trace_head')).toBe(server.withStore((store) => store.traceHead().id));
    expect(sample(metrics.text, 'cafsup_store_ready')).toBe(1);
    expect(metrics.text).toContain('# TYPE cafsup_lock_waits_total counter');

    // Relayed by a proxy the server does not trust: not local, so a token is needed, and only a national supervisor's.
    const relayed = { 'x-forwarded-for': '203.0.113.7' };
    expect((await get(`${server.baseUrl}/metrics`, relayed)).status).toBe(401);
    expect((await get(`${server.baseUrl}/metrics`, { ...relayed, authorization: `Bearer ${local78}` })).status).toBe(403);
    const admin = await get(`${server.baseUrl}/metrics`, { ...relayed, authorization: `Bearer ${national}` });
    expect(admin.status).toBe(200);
    expect(sample(admin.text, 'cafsup_http_requests_total{operation="/metrics",status="403"}')).toBe(1);
  });

  it('logs each request with its operation, status, duration, token number and actor, never the token', async () => {
    const client = server.client(local78);
    await client.partners.get(server.withStore((store) => store.listPartners({ limit: 1 }, {}).items[0]!.id));
    await client.close();
    const lines = server.log.join('').split('\n').filter((line) => line.includes('"operation":"partners.get"'));
    const completed = lines.map((line) => JSON.parse(line) as Record<string, any>).find((line) => line.msg === 'request completed');
    expect(completed).toMatchObject({ operation: 'partners.get', actor: ACTOR.email, tokenId: expect.any(Number), res: { statusCode: 200 }, responseTime: expect.any(Number) });
    expect(server.log.join('')).not.toContain(local78);
  });

  it('serves an OpenAPI 3.1 document that a validator accepts, covering every operation, usable to call one', async () => {
    const response = await get(`${server.baseUrl}/openapi.json`);
    expect(response.status).toBe(200);
    const document = JSON.parse(response.text) as { openapi: string; paths: Record<string, Record<string, any>> };
    const validator = new Validator();
    const result = await validator.validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect([result.valid, validator.version]).toEqual([true, '3.1']);
    expect(OPERATIONS.filter((name) => document.paths[`/v1/${name}`] === undefined)).toEqual([]);
    for (const name of OPERATIONS) {
      const spec = operationSpec(name);
      expect(Object.keys(document.paths[`/v1/${name}`]!)).toEqual([spec.stream === 'out' ? 'get' : 'post']);
    }
    // Strict schemas: the document says an unknown field is refused, as the server does.
    const partnersGet = document.paths['/v1/partners.get']!.post;
    expect(partnersGet.requestBody.content['application/json'].schema).toMatchObject({ type: 'object', required: ['id'], additionalProperties: false });

    // A call built from the document alone: its path, method and the body its schema describes.
    const [path, item] = Object.entries(document.paths).find(([, entry]) => entry.post?.operationId === 'partnersList')!;
    expect(item.post.requestBody.content['application/json'].schema.properties).toHaveProperty('limit');
    const called = await server.post(path, JSON.stringify({ limit: 2 }), national);
    expect([called.status, called.body.items.length]).toEqual([200, 2]);
  });
});

describe('deployment: readiness of a server whose database file is gone', () => {
  const server = new TestServer();
  beforeAll(async () => {
    await server.seed(buildDemoDataset({ partners: 2, today: AS_OF }), ACTOR);
    await server.start();
  });
  afterAll(() => server.stop());

  it('answers /readyz 503 with Retry-After once the file is deleted, while /healthz still answers', async () => {
    expect((await get(`${server.baseUrl}/readyz`)).status).toBe(200);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${server.database}${suffix}`, { force: true });
    const ready = await get(`${server.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(ready.text)).toEqual({
      error: { code: 'UNAVAILABLE', message: 'Serveur pas prêt : le fichier de la base a disparu ou a été remplacé depuis le démarrage du serveur.', details: { retryAfterSeconds: 5 } },
    });
    expect((await get(`${server.baseUrl}/healthz`)).status).toBe(200);
    const metrics = await get(`${server.baseUrl}/metrics`);
    expect(sample(metrics.text, 'cafsup_store_ready')).toBe(0);
  });
});
