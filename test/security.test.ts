import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CafsupError, OPERATIONS, Store, WRITE_OPERATIONS, createClient, type CafsupClient } from '@cafsup/sdk';
import { seededRandom } from '@cafsup/shared';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { CAFSUP_BIN } from './support/cli.js';
import { ACTOR, caf, convention, dataset, partner, user } from './support/fixture.js';
import { FIXED_NOW, TestServer } from './support/server.js';

const AS_OF = '2026-11-22';
const SUPERVISOR_78 = { name: 'Camille Roux', email: 'camille.roux@caf78.fr' };
const SUPERVISOR_40 = { name: 'Louis Garnier', email: 'louis.garnier@caf40.fr' };
const AUDITOR = { name: 'Inès Perrin', email: 'ines.perrin@cnaf.fr' };

describe('cafsup serve: scopes, roles, hostile input, secrets', () => {
  const server = new TestServer();
  const tokens: Record<string, string> = {};
  let partnersByCaf: Map<string, string[]>;

  const snapshot = () =>
    server.withStore(async (store) => {
      let text = '';
      for await (const chunk of store.exportChunks()) text += chunk;
      return { data: text, traces: (await store.listTraces({ limit: 1000 })).items.filter((trace) => trace.action !== 'auth.failure').length };
    });

  beforeAll(async () => {
    await server.seed(buildDemoDataset({ partners: 24, today: AS_OF }), ACTOR);
    tokens.s78 = await server.token(SUPERVISOR_78, 'supervisor', ['78']);
    tokens.s40 = await server.token(SUPERVISOR_40, 'supervisor', ['40']);
    tokens.auditor = await server.token(AUDITOR, 'auditor', ['*']);
    await server.start({ authFailuresPerMinute: 5 });
    partnersByCaf = await server.withStore(async (store) => {
      const byCaf = new Map<string, string[]>();
      for (const partner of (await store.listPartners({ limit: 1000 })).items) byCaf.set(partner.cafCode, [...(byCaf.get(partner.cafCode) ?? []), partner.id]);
      return byCaf;
    });
  });
  afterAll(() => server.stop());

  async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(CafsupError);
      return { code: (error as CafsupError).code, message: (error as CafsupError).message };
    }
    throw new Error('expected a refusal');
  }

  /** Every operation that names a partner or one of its entities, with that partner's ids. */
  const probes: { operation: string; run(client: CafsupClient, partnerId: string): Promise<unknown> }[] = [
    { operation: 'partners.get', run: (c, p) => c.partners.get(p) },
    { operation: 'conventions.get', run: (c, p) => c.conventions.get(p) },
    { operation: 'users.list', run: (c, p) => c.users.list({ partnerId: p }) },
    { operation: 'users.get', run: (c, p) => c.users.get(`${p}-u001`) },
    { operation: 'habilitations.list', run: (c, p) => c.habilitations.list({ partnerId: p }) },
    { operation: 'habilitations.get', run: (c, p) => c.habilitations.get(`${p}-h0001`) },
    { operation: 'groups.list', run: (c, p) => c.groups.list({ partnerId: p }) },
    { operation: 'avenants.list', run: (c, p) => c.avenants.list(p) },
    { operation: 'reviews.list', run: (c, p) => c.reviews.list(p) },
    { operation: 'habilitations.suspend', run: (c, p) => c.habilitations.suspend([`${p}-h0001`], { reason: 'Essai hors périmètre' }) },
    { operation: 'habilitations.revoke', run: (c, p) => c.habilitations.revoke([`${p}-h0001`], { reason: 'Essai hors périmètre' }) },
    { operation: 'users.suspend', run: (c, p) => c.users.suspend([`${p}-u001`], { reason: 'Essai hors périmètre' }) },
    { operation: 'users.forcePasswordReset', run: (c, p) => c.users.forcePasswordReset({ partnerId: p }, { reason: 'Essai hors périmètre' }) },
    { operation: 'partners.withdrawDelegation', run: (c, p) => c.partners.withdrawDelegation(p, { reason: 'Essai hors périmètre' }) },
    { operation: 'avenants.create', run: (c, p) => c.avenants.create(p, { title: 'Essai', changes: [{ type: 'note', text: 'hors périmètre' }] }) },
    { operation: 'reviews.record', run: (c, p) => c.reviews.record(p, { completedAt: AS_OF, reviewer: 'Essai' }) },
  ];

  it('answers out of scope exactly as missing, and changes nothing (random actor × resource × operation)', async () => {
    // A seeded choice, so that a failure can be replayed.
    const random = seededRandom(78_40_95);
    const before = await snapshot();
    const actors = [
      { token: tokens.s78!, own: '78' },
      { token: tokens.s40!, own: '40' },
    ];
    const foreign = [...partnersByCaf.entries()].filter(([caf]) => caf !== '78' && caf !== '40').flatMap(([, ids]) => ids);
    for (let trial = 0; trial < 120; trial++) {
      const actor = actors[Math.floor(random() * actors.length)]!;
      const others = [...foreign, ...(partnersByCaf.get(actor.own === '78' ? '40' : '78') ?? [])];
      const partnerId = others[Math.floor(random() * others.length)]!;
      const probe = probes[Math.floor(random() * probes.length)]!;
      const client = server.client(actor.token);
      const outOfScope = await failure(probe.run(client, partnerId));
      const missing = await failure(probe.run(client, 'zz-absent'));
      expect(outOfScope.code, `${probe.operation} ${partnerId}`).toBe('NOT_FOUND');
      expect(missing.code).toBe('NOT_FOUND');
      expect(outOfScope.message.replaceAll(partnerId, 'ID')).toBe(missing.message.replaceAll('zz-absent', 'ID'));
      await client.close();
    }
    expect(await snapshot()).toEqual(before);
    // Within scope the same token sees and acts.
    const own = server.client(tokens.s78!);
    expect((await own.partners.get('amp')).id).toBe('amp');
    await own.close();
  });

  // A token's refusal named only the first id missing or out of scope (trial 25, L3); a call without a scope names them all.
  it('names every id missing or out of scope of a scoped action, as missing, and changes nothing', async () => {
    const before = await snapshot();
    const client = server.client(tokens.s40!);
    const foreign = await server.withStore(async (store) =>
      (await store.listHabilitations({ partnerId: partnersByCaf.get('78')![0]!, limit: 2 })).items.map((item) => item.id),
    );
    expect(foreign).toHaveLength(2);
    const refused = await client.habilitations.suspend([foreign[0]!, 'zz-absente', foreign[1]!, foreign[0]!], { reason: 'Contrôle de périmètre' }).then(
      () => null,
      (error: unknown) => error as CafsupError,
    );
    await client.close();
    expect([refused?.code, refused?.details.ids, refused?.details.kind]).toEqual(['NOT_FOUND', [foreign[0], 'zz-absente', foreign[1]], 'habilitation']);
    expect(refused?.message).toBe(`Habilitation introuvable : ${foreign[0]}, zz-absente, ${foreign[1]}.`);
    expect(await snapshot()).toEqual(before);
  });

  it('lists only the partners of the token’s Cafs, and audits only them', async () => {
    const client = server.client(tokens.s40!);
    const listed = (await client.partners.list({ limit: 1000 })).items;
    expect(new Set(listed.map((p) => p.cafCode))).toEqual(new Set(['40']));
    expect((await client.audit.run({ asOf: AS_OF })).flags.every((flag) => partnersByCaf.get('40')!.includes(flag.partnerId))).toBe(true);
    expect((await client.quotas.usage({ asOf: AS_OF })).quotas.every((quota) => partnersByCaf.get('40')!.includes(quota.partnerId))).toBe(true);
    const counts = (await client.audit.counts({ asOf: AS_OF })).partners;
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every((partner) => partnersByCaf.get('40')!.includes(partner.partnerId))).toBe(true);
    const outside = [...partnersByCaf].find(([caf]) => caf !== '40')![1][0]!;
    expect((await failure(client.audit.counts({ partnerId: outside, asOf: AS_OF }))).code).toBe('NOT_FOUND');
    const places = (await client.quotas.totals({ asOf: AS_OF })).partners;
    expect(places.length).toBeGreaterThan(0);
    expect(places.every((partner) => partnersByCaf.get('40')!.includes(partner.partnerId))).toBe(true);
    expect((await failure(client.quotas.totals({ partnerId: outside, asOf: AS_OF }))).code).toBe('NOT_FOUND');
    expect((await failure(client.dataset.export())).code).toBe('FORBIDDEN');
    await client.close();
  });

  it('lets an auditor read everything and write nothing, by any route', async () => {
    const before = await snapshot();
    const auditor = server.client(tokens.auditor!);
    expect((await auditor.partners.list({ limit: 1000 })).items.length).toBe(24);
    for (const probe of probes.filter((p) => WRITE_OPERATIONS.has(p.operation as never))) {
      expect((await failure(probe.run(auditor, 'amp'))).code, probe.operation).toBe('FORBIDDEN');
    }
    expect((await failure(auditor.habilitations.suspend(['amp-h0001'], { reason: 'Simulation', dryRun: true }))).code).toBe('FORBIDDEN');
    expect((await failure(auditor.avenants.sign('amp', 2, { side: 'partner', date: AS_OF }))).code).toBe('FORBIDDEN');
    expect((await failure(auditor.traces.purge({ dryRun: false }))).code).toBe('FORBIDDEN');
    expect((await failure(auditor.dataset.import({ format: 'cafsup/dataset', version: 1 }))).code).toBe('FORBIDDEN');
    // Raw requests to every write operation, bypassing the SDK.
    for (const operation of OPERATIONS.filter((name) => WRITE_OPERATIONS.has(name))) {
      const response = await server.post(`/v1/${operation}`, JSON.stringify({ ids: ['amp-h0001'], options: { reason: 'Contournement' } }), tokens.auditor!);
      expect(response.status, operation).toBe(403);
      expect(response.body.error.code).toBe('FORBIDDEN');
    }
    await auditor.close();
    expect(await snapshot()).toEqual(before);
  });

  /**
   * The raw answer to `request`, sent as it is on a new connection, read until the server closes
   * it (the connection is not ended first: Node drops an answer still to come to a client that did).
   */
  const raw = async (request: string) => {
    const url = new URL(server.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    socket.write(request);
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    const [head = '', body = ''] = text.split('\r\n\r\n');
    return { status: Number(head.split(' ')[1]), head, body: JSON.parse(body) as { error: { code: string; message: string } } };
  };

  it('answers a route asked with another method 405 with the methods it takes, and an unknown one 404, in origin or absolute form', async () => {
    const token = tokens.s78!;
    const wrong = await server.request('GET', '/v1/habilitations.suspend', undefined, token);
    expect([wrong.status, wrong.headers.allow, wrong.body.error.code]).toEqual([405, 'POST', 'NOT_FOUND']);
    expect(wrong.body.error.message).toBe('Méthode GET non prise en charge sur « /v1/habilitations.suspend » : POST attendu.');
    const exported = await server.post('/v1/dataset.export', '{}', token);
    expect([exported.status, exported.headers.allow]).toEqual([405, 'GET, HEAD']);
    const unknown = await server.request('GET', '/v1/habilitations.delete', undefined, token);
    expect([unknown.status, unknown.headers.allow, unknown.body.error.message]).toEqual([
      404,
      undefined,
      'Opération inconnue : GET « /v1/habilitations.delete ».',
    ]);
    // Read as a route's pattern, where `:x(` opens a parameter's regular expression: it was a 500.
    const pattern = await server.request('GET', '/v1/:x(', undefined, token);
    expect([pattern.status, pattern.body.error.message]).toEqual([404, 'Opération inconnue : GET « /v1/:x( ».']);
    // The path it names is quoted as any value a caller gave: read as the router reads it
    // (percent-decoded), cut, its controls escaped. 8,000 characters came back whole, « é » as
    // « %C3%A9 » (review 44). A control or U+202E sent unencoded is refused by Node (400).
    for (const [path, named] of [
      [`/v1/${'x'.repeat(8000)}`, `/v1/${'x'.repeat(36)}…`],
      ['/v1/partners.list%E2%80%AE', '/v1/partners.list\\u202e'],
      ['/v1/partners%0Alist', '/v1/partners\\x0alist'],
      ['/v1/d%C3%A9l%C3%A9gations.list', '/v1/délégations.list'],
      // Reserved characters stay encoded, as the router leaves them; « %25 » too (decodeURI made it « % »).
      ['/v1/partners%2Flist', '/v1/partners%2Flist'],
      ['/v1/%25zz', '/v1/%25zz'],
    ] as const) {
      const answer = await server.request('GET', path, undefined, token);
      expect([answer.status, answer.body.error.message], named).toEqual([404, `Opération inconnue : GET « ${named} ».`]);
    }
    // A route's path percent-encoded is that route: asked with another method, 405 as when written plain.
    const encoded = await server.request('GET', '/v1/habilitations%2Esuspend', undefined, token);
    expect([encoded.status, encoded.headers.allow]).toEqual([405, 'POST']);
    // A fragment, which the router drops as it does a query (fetch never sends one).
    const fragment = await raw(`GET /v1/habilitations.suspend#x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    expect([fragment.status, /\r\nallow: ([^\r]*)/i.exec(fragment.head)?.[1]]).toEqual([405, 'POST']);
    // In absolute form (RFC 9112 § 3.2.2, as a proxy may send it) as in origin form: it was 404
    // « Opération inconnue : GET http://… » (review 44).
    const { host } = new URL(server.baseUrl);
    const absolute = (path: string) =>
      raw(`GET http://${host}${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    const wrongAbsolute = await absolute('/v1/habilitations.suspend?limit=1');
    expect([wrongAbsolute.status, /\r\nallow: ([^\r]*)/i.exec(wrongAbsolute.head)?.[1], wrongAbsolute.body.error.message]).toEqual([
      405,
      'POST',
      'Méthode GET non prise en charge sur « /v1/habilitations.suspend » : POST attendu.',
    ]);
    const unknownAbsolute = await absolute('/v1/habilitations.delete');
    expect([unknownAbsolute.status, unknownAbsolute.body.error.message]).toEqual([404, 'Opération inconnue : GET « /v1/habilitations.delete ».']);
    // Without a token, nothing is said of the routes: the token is asked for first (review 21, L3).
    for (const path of ['/v1/habilitations.suspend', '/v1/habilitations.delete']) {
      const anonymous = await server.request('GET', path, undefined, null);
      expect([anonymous.status, anonymous.headers.allow, anonymous.body.error.code], path).toEqual([401, undefined, 'UNAUTHENTICATED']);
    }
  });

  // JSON writes Infinity as null: the server said « nombre attendu (reçu « null ») », locally « nombre trop grand » (trial 36, M4).
  it('refuses a number JSON cannot hold as the local transport does, and sends nothing', async () => {
    const before = await snapshot();
    const draft = { title: 'Quota', changes: [{ type: 'setQuota' as const, service: 'CDAP', profile: 'T1', maxUsers: Number.POSITIVE_INFINITY }] };
    const local = createClient({ database: server.database, actor: SUPERVISOR_78 });
    try {
      const refusals = await Promise.all(
        [local, server.client(tokens.s78!)].map((client) => client.avenants.create('amp', draft).catch((error: unknown) => error)),
      );
      expect(refusals.map((error) => [(error as CafsupError).code, (error as CafsupError).message])).toEqual([
        ['VALIDATION', 'Saisie invalide : draft.changes[0].maxUsers : nombre trop grand.'],
        ['VALIDATION', 'Saisie invalide : draft.changes[0].maxUsers : nombre trop grand.'],
      ]);
    } finally {
      await local.close();
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses malformed and hostile bodies with a 4xx, never a 5xx, and writes nothing', async () => {
    const before = await snapshot();
    const token = tokens.s78!;
    const hostile: [string, string][] = [
      ['/v1/habilitations.suspend', '{"ids": ["amp-h0001"], "options": {"reason": "Quota"'],
      ['/v1/habilitations.suspend', JSON.stringify({ ids: Array.from({ length: 200_000 }, (_, i) => `amp-h${i}`), options: { reason: 'Très gros lot' } })],
      ['/v1/habilitations.suspend', '{"__proto__": {"admin": true}, "ids": ["amp-h0001"], "options": {"reason": "Prototype"}}'],
      ['/v1/habilitations.suspend', '{"constructor": {"prototype": {"admin": true}}, "ids": ["amp-h0001"], "options": {"reason": "Prototype"}}'],
      ['/v1/habilitations.suspend', JSON.stringify({ ids: 'amp-h0001', options: { reason: 42 } })],
      ['/v1/habilitations.suspend', JSON.stringify({ ids: ['amp-h0001'], options: { reason: 'Champ en trop', admin: true } })],
      [
        '/v1/habilitations.suspend',
        JSON.stringify({ ids: ['amp-h0001'], options: { reason: 'Champ en trop' }, actor: { name: 'Usurpateur', email: 'x@y.fr' } }),
      ],
      ['/v1/partners.list', JSON.stringify({ limit: 'beaucoup' })],
      ['/v1/partners.list', '[1, 2, 3]'],
      ['/v1/partners.list', '"texte"'],
      ['/v1/partners.list', 'null'],
      ['/v1/partners.list', '{"a":'.repeat(5000)],
      [
        '/v1/avenants.create',
        JSON.stringify({ partnerId: 'amp', draft: { title: 'x', changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T99', maxUsers: -1 }] } }),
      ],
      ['/v1/n-existe-pas', '{}'],
      ['/v1/dataset.import', '{"format":'],
    ];
    for (const [path, body] of hostile) {
      const response = await server.post(path, body, token);
      expect(response.status, `${path} ${body.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${path} ${body.slice(0, 40)}`).toBeLessThan(500);
      expect(response.body.error.code).toMatch(/^(VALIDATION|NOT_FOUND|FORBIDDEN)$/);
      expect(JSON.stringify(response.body)).not.toMatch(/SELECT|INSERT|sqlite|\bat \w+ \(/i);
    }
    const poisoned = await server.post(
      '/v1/habilitations.suspend',
      '{"__proto__": {"admin": true}, "ids": ["amp-h0001"], "options": {"reason": "Prototype"}}',
      token,
    );
    expect([poisoned.status, poisoned.body.error.message]).toEqual([422, 'Corps de requête refusé : clé « __proto__ » ou « constructor » interdite.']);
    // In Latin-1, its « é » was read as U+FFFD and the reason stored so (trial 35).
    const latin1 = await server.post(
      '/v1/habilitations.suspend',
      Buffer.from('{"ids": ["amp-h0001"], "options": {"reason": "Quota d\u00e9pass\u00e9"}}', 'latin1'),
      token,
    );
    expect([latin1.status, latin1.body.error.message]).toEqual([
      422,
      'Corps de requête illisible : JSON invalide ligne 1, colonne 54 : caractère qui n’est pas de l’UTF-8 (fichier enregistré en Latin-1 ou Windows-1252 ?) : enregistrez-le en UTF-8.',
    ]);
    // A body that is not JSON is refused for its type, 415, whatever it holds (text/plain was read as a string).
    for (const type of ['text/plain', 'application/xml']) {
      const wrongType = await server.post('/v1/partners.list', '{}', token, { 'content-type': type });
      expect([wrongType.status, wrongType.body.error], type).toEqual([
        415,
        { code: 'VALIDATION', message: 'Type de contenu refusé : application/json attendu.', details: {} },
      ]);
    }
    // A body over the limit is 413, what clients and proxies read as « not again as it is », with the API's code and shape.
    const huge = await server.post('/v1/habilitations.suspend', JSON.stringify({ ids: ['amp-h0001'], options: { reason: 'x'.repeat(1 << 20) } }), token);
    expect([huge.status, huge.body.error]).toEqual([
      413,
      { code: 'VALIDATION', message: 'Corps de requête trop volumineux : 1\u202f048\u202f576 octets au plus.', details: {} },
    ]);
    expect(await snapshot()).toEqual(before);
  });

  // The server decodes no body: one said to be gzip was read as plain JSON, and taken (review 43a).
  it('refuses a body in a content coding 415, the import’s too, naming it cut and escaped, and writes nothing', async () => {
    const every = await server.token(SUPERVISOR_78, 'supervisor', ['*']);
    const before = await snapshot();
    const refused = (codings: string) => ({
      code: 'VALIDATION',
      message: `En-tête Content-Encoding : « ${codings} » non pris en charge ; envoyez le corps sans compression.`,
      details: {},
    });
    const suspension = JSON.stringify({ ids: ['amp-h0001'], options: { reason: 'Corps compressé' } });
    for (const [body, coding, named] of [
      [suspension, 'gzip', 'gzip'],
      [new Uint8Array(gzipSync(suspension)), 'gzip', 'gzip'],
      [suspension, 'br', 'br'],
      [suspension, 'identity, GZIP', 'GZIP'],
    ] as const) {
      const response = await server.post('/v1/habilitations.suspend', body, tokens.s78!, { 'content-encoding': coding });
      expect([response.status, response.body.error], coding).toEqual([415, refused(named)]);
    }
    // The import's body, spooled by its handler rather than parsed: refused before it is read.
    const data = JSON.stringify(buildDemoDataset({ partners: 3, today: AS_OF }));
    for (const body of [data, new Uint8Array(gzipSync(data))]) {
      const imported = await server.post('/v1/dataset.import?reason=Import%20compress%C3%A9', body, every, { 'content-encoding': 'gzip' });
      expect([imported.status, imported.body.error]).toEqual([415, refused('gzip')]);
    }
    // What it names is quoted as any value a caller gave: cut, read as UTF-8, its controls
    // escaped. 5,000 characters came back whole, « gzïp » as « gzÃ¯p », U+202E raw (review 44).
    const long = await server.post('/v1/habilitations.suspend', suspension, tokens.s78!, { 'content-encoding': `gzip, ${'x'.repeat(5000)}` });
    expect([long.status, long.body.error]).toEqual([415, refused(`gzip, ${'x'.repeat(34)}…`)]);
    for (const [coding, named] of [
      ['gzïp, brötli', 'gzïp, brötli'],
      ['gzip\u202e', 'gzip\\u202e'],
    ] as const) {
      // Through a socket: fetch sends a header's characters as Latin-1 bytes, a client in UTF-8 does not.
      const answer = await raw(
        `POST /v1/habilitations.suspend HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.s78!}\r\nContent-Type: application/json\r\nContent-Encoding: ${coding}\r\nContent-Length: ${Buffer.byteLength(suspension)}\r\nConnection: close\r\n\r\n${suspension}`,
      );
      expect([answer.status, answer.body.error], coding).toEqual([415, refused(named)]);
    }
    expect(await snapshot()).toEqual(before);
    // Identity is no coding: the body is read as it is.
    const plain = await server.post('/v1/partners.list', '{"limit":1}', tokens.s78!, { 'content-encoding': 'identity' });
    expect(plain.status).toBe(200);
  });

  it('answers a request Node cannot read (bad header, headers too large) or a path it cannot decode in French and the API’s shape, then goes on serving', async () => {
    const badHeader = await raw('POST /v1/partners.list HTTP/1.1\r\nHost: x\r\nMauvais en-tête : oui\r\nContent-Length: 2\r\n\r\n{}');
    expect([badHeader.status, badHeader.body.error.code]).toEqual([400, 'VALIDATION']);
    expect(badHeader.body.error.message).toBe('Requête HTTP mal formée (ligne de requête ou en-tête illisible) : rien n’a été lu ni écrit.');
    expect(badHeader.head).toMatch(/content-type: application\/json; charset=utf-8/i);
    // cafsup's answer, as every other: the HTTP transport takes no answer without it.
    expect(badHeader.head).toMatch(/\r\ncafsup-api: 1\r\n/i);
    const tooLarge = await raw(`GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Remplissage: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect([tooLarge.status, tooLarge.body.error.message]).toEqual([431, 'En-têtes HTTP trop volumineux : rien n’a été lu ni écrit.']);
    // A path the router cannot percent-decode, named as any value a caller gave: Fastify answered
    // « '/v1/x%zz' is not a valid url component », outside the API's shape, the path whole (found in session 45).
    const unreadable = (named: string) => ({
      code: 'VALIDATION',
      message: `Requête HTTP mal formée : chemin « ${named} » illisible (un « % » n’y est pas suivi du code UTF-8 d’un caractère) ; rien n’a été lu ni écrit.`,
      details: {},
    });
    for (const [path, named] of [
      ['/v1/partners%zz.list', '/v1/partners%zz.list'],
      ['/v1/d%C3l%C3%A9gations.list?limit=1', '/v1/d%C3l%C3%A9gations.list'],
      [`/v1/%zz${'x'.repeat(8000)}`, `/v1/%zz${'x'.repeat(33)}…`],
    ] as const) {
      const answer = await server.request('GET', path, undefined, tokens.s78!);
      expect([answer.status, answer.headers['cafsup-api'], answer.body.error], path.slice(0, 40)).toEqual([400, '1', unreadable(named)]);
    }
    expect((await server.post('/v1/partners.list', '{"limit":1}', tokens.s78!)).status).toBe(200);
  });

  // Fastify routes its other router failures to the same handler: none was a path unreadable.
  it('answers a router failure that is no unreadable path (a parameter too long) as a malformed request, not naming the path unreadable', async () => {
    const { buildServer } = await import('@cafsup/server');
    const app = await buildServer({ database: server.database, log: false });
    try {
      // No route of cafsup has a parameter: one added, as a later one might be.
      app.get('/essai/:id', async () => ({}));
      const answer = await app.inject({ method: 'GET', url: `/essai/${'x'.repeat(200)}` });
      expect([answer.statusCode, answer.json()]).toEqual([
        400,
        {
          error: {
            code: 'VALIDATION',
            message: 'Requête HTTP mal formée : refusée par le routeur (FST_ERR_MAX_PARAM_LENGTH) ; rien n’a été lu ni écrit.',
            details: {},
          },
        },
      ]);
    } finally {
      await app.close();
    }
  });

  // Held over 200 s with no answer: a body had no deadline (trial 37).
  it('answers 408 a request whose body stops coming, in French, and goes on serving', async () => {
    const idle = new TestServer();
    await idle.seed(buildDemoDataset({ partners: 2, today: '2026-11-22' }), ACTOR);
    const token = await idle.token(ACTOR, 'supervisor', ['*']);
    await idle.start({ bodyWithinMs: 300 });
    try {
      const url = new URL(idle.baseUrl);
      const socket = connect(Number(url.port), url.hostname);
      // Two bytes of the hundred announced, then nothing; the connection left open.
      socket.write(
        `POST /v1/partners.list HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{}`,
      );
      let text = '';
      for await (const chunk of socket) text += String(chunk);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      expect([Number(head.split(' ')[1]), JSON.parse(body)]).toEqual([
        408,
        { error: { code: 'VALIDATION', message: 'Requête HTTP non reçue en entier dans le délai : rien n’a été lu ni écrit.', details: {} } },
      ]);
      expect((await idle.post('/v1/partners.list', '{"limit":1}', token)).status).toBe(200);
    } finally {
      await idle.stop();
    }
  });

  it('takes a revocation and a suspended owner into account at the next request', async () => {
    const token = await server.token({ name: 'Agent Temporaire', email: 'temporaire@caf78.fr' }, 'supervisor', ['78']);
    const client = server.client(token);
    expect((await client.partners.get('amp')).id).toBe('amp');
    await server.withStore((store) => store.tokens.setOwnerSuspended('temporaire@caf78.fr', true, 'Départ du service', ACTOR));
    expect((await failure(client.partners.get('amp'))).code).toBe('UNAUTHENTICATED');
    await server.withStore((store) => store.tokens.setOwnerSuspended('temporaire@caf78.fr', false, 'Retour', ACTOR));
    expect((await client.partners.get('amp')).id).toBe('amp');
    const id = await server.withStore(async (store) => (await store.tokens.list()).find((t) => t.owner.email === 'temporaire@caf78.fr')!.id);
    expect((await client.partners.get('amp')).id).toBe('amp');
    await server.withStore((store) => store.tokens.revoke(id, 'Poste perdu', ACTOR));
    // Refused before its store job would run (an invalid input), the revoked token still hears 401, not 422.
    const invalid = await server.post('/v1/habilitations.suspend', '{"ids": []}', token);
    expect([invalid.status, invalid.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await failure(client.partners.get('amp'))).code).toBe('UNAUTHENTICATED');
    await client.close();
  });

  it('acts in the name of the token’s owner, whatever the client sends', async () => {
    const client = server.client(tokens.s78!);
    const done = await client.habilitations.suspend(['amp-h0004'], { reason: 'Vérification de périmètre' });
    const trace = (await client.traces.list({ partnerId: 'amp' })).items.find((item) => item.id === done.changed[0]!.traceId)!;
    expect(trace.actor).toEqual(SUPERVISOR_78);
    await client.close();
  });

  it('applies a retried write once (Idempotency-Key)', async () => {
    const body = JSON.stringify({ partnerId: 'amp', review: { completedAt: AS_OF, reviewer: 'Revue rejouée', proof: null } });
    const first = await server.post('/v1/reviews.record', body, tokens.s78!, { 'idempotency-key': 'cle-1' });
    const second = await server.post('/v1/reviews.record', body, tokens.s78!, { 'idempotency-key': 'cle-1' });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replay']).toBe('true');
    const reviews = await server.withStore(async (store) => (await store.listReviews('amp', {})).filter((review) => review.reviewer === 'Revue rejouée'));
    expect(reviews).toHaveLength(1);
  });

  it('limits failed authentications per address without ever locking out a valid token, and traces them once a minute', async () => {
    // A server of its own: the other tests' refused tokens must not count in its window.
    const guarded = new TestServer();
    await guarded.seed(buildDemoDataset({ partners: 4, today: AS_OF }), ACTOR);
    const valid = await guarded.token(ACTOR, 'supervisor', ['*']);
    await guarded.start({ authFailuresPerMinute: 5 });
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 5; attempt++) statuses.push((await guarded.post('/v1/partners.list', '{}', `cafsup_faux${attempt}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      const limited = await guarded.post('/v1/partners.list', '{}', 'cafsup_encore');
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // The same address with a valid token: answered, whatever the failures before it.
      expect((await guarded.post('/v1/partners.list', '{}', valid)).status).toBe(200);
      for (let attempt = 0; attempt < 20; attempt++) await guarded.post('/v1/partners.list', '{}', `cafsup_flot${attempt}`);
      // The clock is fixed: one minute never passes, so 26 failures leave one activity trace.
      const failures = await guarded.withStore(async (store) => (await store.listTraces({ action: 'auth.failure', limit: 100 })).items);
      expect(failures.map((trace) => [trace.kind, trace.reason, trace.details])).toEqual([
        ['activity', 'Jeton refusé depuis 127.0.0.1', { address: '127.0.0.1', failures: 1 }],
      ]);
      // Once their minute is over, the 25 after the first are traced, dated then, with no later
      // failure to trace them (trial 33, 3); the server asks every minute, and a second asking finds nothing.
      const minuteLater = new Date(FIXED_NOW.getTime() + 60_000);
      const later = await Store.open(guarded.database, { now: () => minuteLater });
      try {
        await later.tokens.traceFailuresDue();
        await later.tokens.traceFailuresDue();
        expect((await later.listTraces({ action: 'auth.failure', limit: 100 })).items.map((trace) => [trace.at, trace.details])).toEqual([
          [minuteLater.toISOString(), { address: '127.0.0.1', failures: 25 }],
          [FIXED_NOW.toISOString(), { address: '127.0.0.1', failures: 1 }],
        ]);
      } finally {
        await later.close();
      }
    } finally {
      await guarded.stop();
    }
  });

  it('never writes a token to the database file, the log, or a command line', async () => {
    const file = readFileSync(server.database);
    const wal = (() => {
      try {
        return readFileSync(`${server.database}-wal`);
      } catch {
        return Buffer.alloc(0);
      }
    })();
    const log = server.log.join('');
    expect(log).toContain('"url":"/v1/');
    for (const token of Object.values(tokens)) {
      expect(file.includes(token)).toBe(false);
      expect(wal.includes(token)).toBe(false);
      expect(log.includes(token)).toBe(false);
    }
    // `cafsup login` reads the token from stdin: it is in no process's arguments while it runs.
    const env = { ...process.env, CAFSUP_CONFIG_DIR: `${server.dir}/config` };
    execFileSync(process.execPath, [CAFSUP_BIN, 'config', 'profile', 'add', 'essai', '--url', server.baseUrl], { env });
    const login = spawn(process.execPath, [CAFSUP_BIN, 'login', '--profile', 'essai'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const commandLines = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    login.stdin.end(`${tokens.s78}\n`);
    const [code] = await once(login, 'exit');
    expect(code).toBe(0);
    expect(commandLines.includes(tokens.s78!)).toBe(false);
    const secrets = readFileSync(`${server.dir}/config/secrets/tokens.json`, 'utf8');
    expect(secrets).toContain(tokens.s78);
    expect(execFileSync('stat', ['-c', '%a', `${server.dir}/config/secrets/tokens.json`], { encoding: 'utf8' }).trim()).toBe('600');
    expect(execFileSync('stat', ['-c', '%a', `${server.dir}/config/secrets`], { encoding: 'utf8' }).trim()).toBe('700');
    expect(readFileSync(`${server.dir}/config/config.json`, 'utf8')).not.toContain(tokens.s78);
  });
});

// Trial 22 (F3): an import has no partner of its own; a token of some Cafs sees it through the
// changes it made to their partners, and only those.
describe('cafsup serve: an import as a token of some Cafs sees it', () => {
  const server = new TestServer();
  const tokens: Record<string, string> = {};
  const data = (status: string) =>
    dataset({
      cafs: [caf(), caf({ code: '40', name: 'Caf des Landes' })],
      partners: [partner('p78'), partner('p40', { cafCode: '40', departements: ['40'] })],
      conventions: [convention('p78'), convention('p40')],
      users: [user('p78-u1', 'p78', { status }), user('p40-u1', 'p40', { status })],
    });
  beforeAll(async () => {
    await server.seed(data('active'), ACTOR);
    tokens.every = await server.token(SUPERVISOR_78, 'supervisor', ['*']);
    tokens.s78 = await server.token(SUPERVISOR_78, 'supervisor', ['78']);
    await server.start();
  });
  afterAll(() => server.stop());

  it('lists an import in a scoped trail with the changes it made in scope only', async () => {
    const every = server.client(tokens.every!);
    const s78 = server.client(tokens.s78!);
    try {
      const result = await every.dataset.import(data('suspended'));
      expect(result.decisionChangesTotal).toBe(2);
      const inScope = {
        traceId: result.traceId,
        decisionChanges: [{ section: 'users', id: 'p78-u1', partnerId: 'p78', field: 'status', from: 'active', to: 'suspended' }],
      };
      for (const query of [{ userId: 'p78-u1' }, { partnerId: 'p78' }, {}]) {
        const [first] = (await s78.traces.list(query)).items;
        expect({ traceId: first!.id, decisionChanges: (first!.details as { decisionChanges: unknown }).decisionChanges }, JSON.stringify(query)).toEqual(
          inScope,
        );
      }
      expect(JSON.stringify((await s78.traces.list({ limit: 100 })).items)).not.toContain('p40');
      expect((await every.traces.list({ partnerId: 'p40' })).items[0]!.id).toBe(result.traceId);
    } finally {
      await every.close();
      await s78.close();
    }
  });
});
