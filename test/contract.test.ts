import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CafsupClient, CafsupError, HttpTransport, LocalTransport, OPERATIONS, type Operation, type Transport } from '@cafsup/sdk';
import { CODE_MAX, REVIEWER_MAX, reviewKitCsv } from '@cafsup/shared';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { workbook } from '../packages/tui/src/cli/xlsx.js';
import { ACTOR } from './support/fixture.js';
import { FIXED_NOW, TestServer } from './support/server.js';
import { POSTGRES_URL, freshDatabase } from './support/postgres.js';

const AS_OF = '2026-11-22';

interface Setup {
  client: CafsupClient;
  cleanup(): Promise<void>;
}

/** Every operation the suite calls, per combination: an operation of the table without a test fails the suite. */
const called: Record<Combination, Set<Operation>> = { local: new Set(), http: new Set(), 'PostgreSQL local': new Set(), 'HTTP over PostgreSQL': new Set() };
type Combination = 'local' | 'http' | 'PostgreSQL local' | 'HTTP over PostgreSQL';

function recording(inner: Transport, seen: Set<Operation>): Transport {
  return {
    call: (operation, input) => {
      seen.add(operation);
      return inner.call(operation, input);
    },
    exportStream: () => inner.exportStream(),
    info: () => inner.info(),
    whoami: () => inner.whoami(),
    close: () => inner.close(),
  };
}

/** The store in this process: a SQLite file, or a fresh PostgreSQL database of the run's cluster. */
async function localSetup(engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'cafsup-contract-'));
  const database = engine === 'postgres' ? await freshDatabase() : join(dir, 'local.db');
  const client = new CafsupClient(
    recording(new LocalTransport({ database, actor: ACTOR, now: () => FIXED_NOW }), called[engine === 'postgres' ? 'PostgreSQL local' : 'local']),
  );
  await client.dataset.import(buildDemoDataset({ partners: 12, today: AS_OF }), { reason: 'Jeu de données du test' });
  return {
    client,
    async cleanup() {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A real server on 127.0.0.1 over a SQLite file or a fresh PostgreSQL database. */
async function httpSetup(engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<Setup> {
  const server = new TestServer(engine === 'postgres' ? await freshDatabase() : undefined);
  await server.seed(buildDemoDataset({ partners: 12, today: AS_OF }), ACTOR);
  // The token's owner is the same person as the local actor: traces must read the same.
  const token = await server.token(ACTOR, 'supervisor', ['*']);
  await server.start();
  const client = new CafsupClient(
    recording(new HttpTransport({ baseUrl: server.baseUrl, token, retries: 0 }), called[engine === 'postgres' ? 'HTTP over PostgreSQL' : 'http']),
  );
  return {
    client,
    async cleanup() {
      await client.close();
      await server.stop();
    },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CafsupError);
    return (error as CafsupError).code;
  }
  throw new Error('expected a CafsupError');
}

/** Traces carry the time of writing, which the two stores share (a fixed clock) but not their ids. */
function withoutChain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, item) => (key === 'hash' || key === 'prevHash' ? undefined : item))) as T;
}

// The four combinations of operations.md: each engine in this process and behind a server.
// Without a PostgreSQL binary its two are skipped, and postgres.ts says so in the output.
const COMBINATIONS: [Combination, () => Promise<Setup>][] = [
  ['local', () => localSetup('sqlite')],
  ['http', () => httpSetup('sqlite')],
  ...(POSTGRES_URL === null
    ? []
    : ([
        ['PostgreSQL local', () => localSetup('postgres')],
        ['HTTP over PostgreSQL', () => httpSetup('postgres')],
      ] as [Combination, () => Promise<Setup>][])),
];

describe.each(COMBINATIONS)('the SDK contract over %s', (name, setup) => {
  let client: CafsupClient;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ client, cleanup } = await setup());
  });
  afterAll(() => cleanup());

  // Last of this transport's tests (vitest runs them in order): the table is the list of what must be tested.
  afterAll(() => {
    expect(OPERATIONS.filter((operation) => !called[name].has(operation))).toEqual([]);
  });

  it('reads: partners, conventions, quotas, audit, users, groups, habilitations, avenants, reviews', async () => {
    const page = await client.partners.list({ limit: 5 });
    expect(page.items).toHaveLength(5);
    const rest = await client.partners.list({ limit: 50, cursor: page.nextCursor });
    expect([...page.items, ...rest.items].map((p) => p.id)).toEqual((await client.partners.list({ limit: 50 })).items.map((p) => p.id));
    const all: string[] = [];
    for await (const partner of client.partners.iterate({ limit: 3 })) all.push(partner.id);
    expect(all).toHaveLength(12);
    // `all`, by pages of 3 as by the largest: the same partners, in the same order, as `iterate`.
    expect((await client.partners.all({ limit: 3 })).map((partner) => partner.id)).toEqual(all);
    expect((await client.partners.all()).map((partner) => partner.id)).toEqual(all);
    expect((await client.habilitations.all({ partnerId: 'amp', limit: 7 })).map((h) => h.id)).toEqual(
      (await client.habilitations.list({ partnerId: 'amp', limit: 1000 })).items.map((h) => h.id),
    );
    expect((await client.partners.get('amp', { asOf: AS_OF })).convention.number).toBe('2023/M/2907');
    expect((await client.conventions.get('amp', { asOf: AS_OF })).terms.managementMode).toBe('delegated');
    const usage = await client.quotas.usage({ partnerId: 'amp', asOf: AS_OF });
    expect(usage.quotas).toEqual([
      {
        partnerId: 'amp',
        conventionNumber: '2023/M/2907',
        service: 'CDAP',
        profile: 'T13',
        maxUsers: 20,
        departements: ['13', '83', '84'],
        assigned: 23,
        active: 22,
        over: true,
      },
    ]);
    expect(await client.quotas.totals({ partnerId: 'amp', asOf: AS_OF })).toEqual({
      asOf: AS_OF,
      partners: [{ partnerId: 'amp', assigned: 23, maxUsers: 20, overQuotas: 1 }],
    });
    // Over quotas only (from each partner's kept places): the over quotas of the whole usage.
    const whole = await client.quotas.usage({ asOf: AS_OF });
    expect(whole.quotas.some((quota) => !quota.over)).toBe(true);
    expect(await client.quotas.usage({ asOf: AS_OF, over: true })).toEqual({ ...whole, quotas: whole.quotas.filter((quota) => quota.over) });
    const report = await client.audit.run({ partnerId: 'amp', asOf: AS_OF });
    expect(report.flags.map((flag) => flag.rule)).toEqual(['QUOTA_EXCEEDED', 'DEPARTEMENT_OUT_OF_SCOPE', 'SHARED_EMAIL']);
    expect(await client.audit.counts({ partnerId: 'amp', asOf: AS_OF })).toEqual({
      asOf: AS_OF,
      partners: [{ partnerId: 'amp', flags: { critical: 1, high: 2, medium: 0, low: 0 } }],
    });
    expect((await client.users.list({ partnerId: 'amp', limit: 100 })).items).toHaveLength(36);
    expect((await client.users.get('amp-u001')).role).toBe('administrator');
    expect((await client.groups.get('amp-g01')).memberIds).toEqual(['amp-u031', 'amp-u032', 'amp-u033']);
    expect((await client.groups.list({ partnerId: 'amp' })).items).toHaveLength(1);
    expect((await client.habilitations.list({ partnerId: 'amp', status: 'suspended' })).items.map((h) => h.id)).toEqual(['amp-h0005']);
    expect((await client.habilitations.get('amp-h0002')).departement).toBe('06');
    expect((await client.avenants.list('amp', { asOf: AS_OF })).map((a) => [a.number, a.applies])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(await client.reviews.list('amp')).toHaveLength(1);
    expect((await client.dataset.summary()).partners).toBe(12);
    // Over HTTP the token's creation is traced too.
    expect(await client.traces.verify()).toMatchObject({ ok: true, firstBrokenId: null });
  });

  it('answers errors with the same codes', async () => {
    expect(await codeOf(client.partners.get('nulle-part'))).toBe('NOT_FOUND');
    expect(await codeOf(client.habilitations.suspend(['amp-h0001'], { reason: 'non' }))).toBe('VALIDATION');
    expect(await codeOf(client.habilitations.reinstate(['amp-h0001'], { reason: 'Rien à réactiver' }))).toBe('CONFLICT');
    expect(await codeOf(client.habilitations.suspend(['amp-h0001', 'h-absente'], { reason: 'Lot avec un intrus' }))).toBe('NOT_FOUND');
    expect(await codeOf(client.reviews.record('amp', { completedAt: '2030-01-01', reviewer: 'Futur' }))).toBe('VALIDATION');
    expect((await client.habilitations.get('amp-h0001')).status).toBe('active');
    // Half a surrogate pair, which UTF-8 cannot hold: PostgreSQL stored the name, then refused every
    // read of the partner's document. Refused on every engine, nothing written, reads unharmed.
    const partnerBefore = await client.partners.get('amp');
    expect(await codeOf(client.partners.edit('amp', { name: 'Métropole \ud800', reason: 'Nom corrompu' }))).toBe('VALIDATION');
    const dataset = (await client.dataset.export()) as { partners: { name: string }[] };
    dataset.partners[0]!.name = 'Partenaire \udc00';
    expect(await codeOf(client.dataset.import(dataset, { reason: 'Import corrompu' }))).toBe('VALIDATION');
    // Codes and reviewers longer than PostgreSQL's index entries hold, which SQLite stored (trial 38).
    const longCodes = (await client.dataset.export()) as { habilitations: { service: string }[]; reviews: { reviewer: string }[] };
    longCodes.habilitations[0]!.service = 'S'.repeat(CODE_MAX + 1);
    longCodes.reviews[0]!.reviewer = '漢'.repeat(REVIEWER_MAX + 1);
    const refused = await client.dataset.import(longCodes, { reason: 'Import trop long' }).catch((error: unknown) => error as CafsupError);
    expect((refused as CafsupError).details.problems).toEqual([
      { path: 'habilitations[0].service', message: `code de service trop long : ${CODE_MAX} caractères au plus` },
      { path: 'reviews[0].reviewer', message: `texte trop long : ${REVIEWER_MAX} caractères au plus` },
    ]);
    expect(await codeOf(client.partners.list({ cafCode: '1\u00003' }))).toBe('VALIDATION');
    // A forged cursor, of another list's kind or one PostgreSQL cannot compare (a NUL in text, a
    // number past its integers or with a fraction): refused alike, where PostgreSQL failed (trial 38).
    const cursor = (key: unknown) => Buffer.from(JSON.stringify([key]), 'utf8').toString('base64url');
    for (const key of ['\u0000', 1, ['amp']]) expect(await codeOf(client.partners.list({ cursor: cursor(key) }))).toBe('VALIDATION');
    for (const key of [1e20, 1.5, 0, '1']) expect(await codeOf(client.traces.list({ cursor: cursor(key) }))).toBe('VALIDATION');
    expect(await codeOf(client.habilitations.list({ partnerId: 'amp', cursor: cursor(7) }))).toBe('VALIDATION');
    expect(await client.partners.get('amp')).toEqual(partnerBefore);
    expect((await client.partners.list({ limit: 1000 })).items).toHaveLength(12);
  });

  it('acts: dry run, action with its trace, no-op, avenant, signature, review, password reset, delegation', async () => {
    const preview = await client.habilitations.suspend(['amp-h0003'], { reason: 'Département à vérifier', dryRun: true });
    expect(preview).toMatchObject({ dryRun: true, changed: [{ id: 'amp-h0003', traceId: null }] });
    expect((await client.habilitations.get('amp-h0003')).status).toBe('active');
    const done = await client.habilitations.suspend(['amp-h0003'], { reason: 'Département à vérifier' });
    expect(done.changed[0]).toMatchObject({ id: 'amp-h0003', before: { status: 'active' }, after: { status: 'suspended' } });
    const again = await client.habilitations.suspend(['amp-h0003'], { reason: 'Département à vérifier' });
    expect(again.changed).toEqual([]);
    const traces = await client.traces.list({ partnerId: 'amp' });
    expect(withoutChain(traces.items[0])).toMatchObject({
      id: done.changed[0]!.traceId,
      action: 'habilitation.suspend',
      actor: ACTOR,
      reason: 'Département à vérifier',
    });
    const avenant = await client.avenants.create('amp', {
      title: 'Avenant 3 : T13 porté à 25',
      changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T13', maxUsers: 25, departements: ['13', '83', '84'] }],
    });
    expect(avenant.avenant.number).toBe(3);
    await client.avenants.sign('amp', 3, { side: 'caf', date: AS_OF });
    await client.avenants.sign('amp', 3, { side: 'partner', date: AS_OF });
    expect((await client.quotas.usage({ partnerId: 'amp', asOf: AS_OF })).quotas[0]).toMatchObject({ maxUsers: 25, over: false });
    expect((await client.reviews.record('amp', { completedAt: AS_OF, reviewer: 'Dominique Martin', proof: 'courrier' })).review.completedAt).toBe(AS_OF);
    // The longest reviewer, of characters of three bytes each: PostgreSQL holds it in its index
    // beside the partner id, where 2,000 of them failed (trial 38); one more is refused.
    const longest = '漢'.repeat(REVIEWER_MAX);
    expect((await client.reviews.record('amp', { completedAt: '2026-01-05', reviewer: longest })).review.reviewer).toBe(longest);
    expect(await codeOf(client.reviews.record('amp', { completedAt: '2026-01-06', reviewer: `${longest}漢` }))).toBe('VALIDATION');
    expect((await client.users.forcePasswordReset({ partnerId: 'bavans' }, { reason: 'Fuite de mots de passe' })).changed.length).toBeGreaterThan(0);
    expect((await client.users.suspend(['amp-u010'], { reason: 'Compte à vérifier' })).changed[0]).toMatchObject({ after: { status: 'suspended' } });
    expect((await client.users.reinstate(['amp-u010'], { reason: 'Vérification faite' })).changed[0]).toMatchObject({ after: { status: 'active' } });
    expect((await client.habilitations.reinstate(['amp-h0003'], { reason: 'Département vérifié' })).changed[0]).toMatchObject({ after: { status: 'active' } });
    expect((await client.habilitations.revoke(['amp-h0002'], { reason: 'Hors des départements du quota' })).changed[0]).toMatchObject({
      after: { status: 'revoked' },
    });
    const direct = (await client.habilitations.list({ partnerId: 'amp', userId: 'amp-u004' })).items.filter(
      (h) => h.userId === 'amp-u004' && h.status !== 'revoked',
    );
    const departed = await client.users.revokeHabilitations(['amp-u004'], { reason: 'Départ de l’agent' });
    expect(departed.changed.map((change) => change.id)).toEqual(direct.map((h) => h.id));
    expect(await codeOf(client.habilitations.revoke(['amp-h0002'], { reason: 'Deux fois de suite' }))).toBe('CONFLICT');
    const purge = await client.traces.purge({ asOf: AS_OF, dryRun: true });
    expect(purge.dryRun).toBe(true);
    const withdrawn = await client.partners.withdrawDelegation('macs', { reason: 'Manquements répétés' });
    expect(withdrawn.avenant.changes).toEqual([{ type: 'setManagementMode', mode: 'centralised' }]);
    const verification = await client.traces.verify();
    expect(verification.ok).toBe(true);
    const head = await client.traces.head();
    expect(head).toEqual(verification.head);
    expect(await client.traces.hashes([head.id, 999_999])).toEqual([{ id: head.id, hash: head.hash }]);
    // Through a signed head, or only after it: here the last trace alone.
    const [before] = await client.traces.hashes([head.id - 1]);
    const checkpoint = { ...head, ...before! };
    expect(await client.traces.verify({ checkpoint })).toEqual(verification);
    expect(await client.traces.verify({ checkpoint, onlyAfter: true })).toEqual({ ok: true, checked: 1, firstBrokenId: null, head, problem: null });
    expect(await client.traces.verify({ checkpoint: { ...checkpoint, hash: '0'.repeat(64) }, onlyAfter: true })).toMatchObject({
      ok: false,
      firstBrokenId: head.id - 1,
    });
    expect(await codeOf(client.traces.verify({ onlyAfter: true }))).toBe('VALIDATION');
  });

  it('exports a dataset that imports back, streamed or whole', async () => {
    const exported = await client.dataset.export();
    let streamed = '';
    for await (const chunk of client.dataset.exportStream()) streamed += chunk;
    expect(JSON.parse(streamed)).toEqual(exported);
    const outcome = await client.dataset.import(exported, { reason: 'Réimport à l’identique', dryRun: true });
    expect(outcome.counts.partners).toBe(12);
    expect(await codeOf(client.dataset.import('{"format":"cafsup/dataset","version":1,"partners":[{"id":1}]}'))).toBe('VALIDATION');
  });

  it('runs the supervision workflows: forms, direct records, campaign, questions, notices, close-out, ladder, a person’s traces', async () => {
    const form = {
      name: 'Paule Valade',
      email: 'paule.valade@bavans.fr',
      function: null,
      departement: '25',
      profile: 'T4',
      temporary: true,
      endsAt: '2027-03-31',
    };
    expect((await client.requests.add('bavans', { kind: 'habilitation', receivedAt: '2026-11-20', form })).request.number).toBe(1);
    expect((await client.requests.apply('bavans', 1, { dryRun: true })).dryRun).toBe(true);
    expect((await client.requests.apply('bavans', 1, { reason: 'Demande signée du maire' })).request.status).toBe('applied');
    await client.requests.add('bavans', { kind: 'habilitation', form: { ...form, name: 'Jean Denoix', email: 'jean.denoix@bavans.fr' } });
    expect(await codeOf(client.requests.apply('bavans', 2, { reason: 'Demande signée du maire' }))).toBe('CONFLICT');
    expect((await client.requests.refuse('bavans', 2, { reason: 'Quota T4 atteint' })).request.status).toBe('refused');
    expect((await client.requests.list('bavans')).map((request) => request.status)).toEqual(['applied', 'refused']);
    // The person the first form named (by e-mail) finds its traces in their extract, the second's not.
    const paule = (await client.users.list({ partnerId: 'bavans' })).items.find((user) => user.email === form.email)!;
    const extract = (await client.traces.forPerson({ userId: paule.id, requestedBy: form.name, dryRun: true })).extract;
    expect(extract.traces.filter((trace) => trace.targetType === 'request').map((trace) => [trace.action, trace.targetId])).toEqual([
      ['request.add', 'bavans#1'],
      ['request.apply', 'bavans#1'],
    ]);
    // A form that names only them comes whole.
    expect(extract.traces.find((trace) => trace.action === 'request.add')!.after).toMatchObject({ form: { email: form.email } });
    expect((await client.requests.get('bavans', 1)).form).toMatchObject({ endsAt: '2027-03-31' });
    const created = await client.users.create('bavans', { name: 'Lucie Perrin', email: 'lucie.perrin@bavans.fr', reason: 'Agent recruté' });
    const group = await client.groups.create('bavans', { name: 'Accueil', memberIds: [created.user.id], reason: 'Groupe de l’accueil' });
    expect((await client.habilitations.create('bavans', { groupId: group.group.id, profile: 'T1', reason: 'Accueil social' })).habilitation.groupId).toBe(
      group.group.id,
    );

    expect((await client.users.edit(created.user.id, { function: 'Accueil social', reason: 'Fonction précisée' })).user.function).toBe('Accueil social');
    expect((await client.groups.edit(group.group.id, { name: 'Accueil social', reason: 'Nom précisé' })).group.name).toBe('Accueil social');
    // Members are a set: the same ones in another order change nothing.
    // An address pasted with spaces around it is kept without them.
    const second = await client.users.create('bavans', { name: 'Marc Perrin', email: ' marc.perrin@bavans.fr ', reason: 'Agent recruté' });
    expect(second.user.email).toBe('marc.perrin@bavans.fr');
    // An id with a comma, a space, an invisible character or a dash first could not be named afterwards on a command line (trials 24, 25).
    for (const id of ['bavans-u9,u10', 'bavans u9', 'bavans\u200bu9', '-bavans-u9']) {
      await expect(client.users.create('bavans', { id, name: 'Marc Perrin', email: 'marc.p@bavans.fr', reason: 'Agent recruté' })).rejects.toMatchObject({
        code: 'VALIDATION',
        details: { problems: [{ message: expect.stringMatching(/^lettres \(accents français compris\), chiffres, « - », « _ » ou « \. » seulement/) }] },
      });
    }
    const pair = await client.groups.create('bavans', { name: 'Binôme', memberIds: [created.user.id, second.user.id], reason: 'Binôme de l’accueil' });
    const reordered = await client.groups.edit(pair.group.id, { memberIds: [second.user.id, created.user.id], reason: 'Membres vérifiés' });
    expect([reordered.traceId, reordered.changes]).toEqual([null, { before: {}, after: {} }]);
    const newPartner = { id: 'mairie-exemple', name: 'Mairie d’Exemple', kind: 'commune' as const, cafCode: '25', departements: ['25'] };
    const newConvention = {
      partnerId: 'mairie-exemple',
      number: 'GC 200',
      signedAt: '2026-01-15',
      managementMode: 'centralised' as const,
      subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T1', maxUsers: 2 }] }],
    };
    expect((await client.partners.create({ partner: newPartner, convention: newConvention, reason: 'Convention signée' })).convention.number).toBe('GC 200');
    // An edit answers what it changes; a field given as it already is changes nothing.
    const correction = { address: '1 place de la Mairie', name: 'Mairie d’Exemple', reason: 'Adresse reçue' };
    const edited = await client.partners.edit('mairie-exemple', correction);
    expect([edited.partner.address, edited.changes]).toEqual([
      '1 place de la Mairie',
      { before: { address: null }, after: { address: '1 place de la Mairie' } },
    ]);
    // Given again, nothing changes: nothing written, no trace (rules.md).
    const head = await client.traces.head();
    const again = await client.partners.edit('mairie-exemple', correction);
    expect([again.traceId, again.changes]).toEqual([null, { before: {}, after: {} }]);
    expect(await client.traces.head()).toEqual(head);
    expect(
      (await client.conventions.edit('mairie-exemple', { effectiveAt: '2026-02-01', reason: 'Date d’effet de la convention' })).convention.effectiveAt,
    ).toBe('2026-02-01');
    const campaign = await client.reviews.campaign({ asOf: AS_OF, within: 30 });
    expect(campaign.overdue).toBe(campaign.reviews.filter((review) => review.overdue).length);
    const kit = await client.reviews.kit('amp', { asOf: AS_OF });
    const sheet = reviewKitCsv(kit).replaceAll(';;\r\n', ';oui;\r\n');
    const recorded = await client.reviews.recordSheet('amp', { completedAt: AS_OF, reviewer: 'Responsable FSL', sheet });
    expect([recorded.revocations, recorded.summary.keep]).toEqual([[], kit.rows.length]);
    // The same sheet returned as a workbook: the digest kept is the one of its bytes.
    const rows = sheet
      .replace(/^\ufeff/, '')
      .split('\r\n')
      .filter((line) => line !== '')
      .map((line) => line.split(';'));
    const bytes = await workbook([{ name: 'Revue inverse', rows }]);
    const fromWorkbook = await client.reviews.recordSheet('amp', {
      completedAt: AS_OF,
      reviewer: 'Responsable FSL (classeur)',
      workbook: Buffer.from(bytes).toString('base64'),
      fileName: 'revue.xlsx',
      dryRun: true,
    });
    expect([fromWorkbook.sha256, fromWorkbook.summary]).toEqual([createHash('sha256').update(bytes).digest('hex'), recorded.summary]);

    const question = await client.questions.add('amp', { text: 'Pourquoi 23 titulaires T13 ?', flags: ['QUOTA_EXCEEDED'], dueAt: '2026-12-07' });
    expect((await client.questions.answer('amp', question.question.number, { text: 'Trois départs à saisir' })).question.answer).toBe('Trois départs à saisir');
    expect((await client.questions.list('amp', { asOf: AS_OF })).map((item) => item.clock.answered)).toEqual([true]);
    expect((await client.partners.ladder('amp', { asOf: AS_OF })).offered).toBe(true);

    expect(
      (await client.notices.add('macs', { kind: 'breach', receivedAt: '2026-11-10', reason: 'Revue inverse non faite' })).state.terminationEffectiveAt,
    ).toBe('2026-12-10');
    expect((await client.notices.remedy('macs', { date: '2026-11-20', reason: 'Revue faite et transmise' })).state.status).toBe('active');
    await client.notices.add('saint-leu', { kind: 'unilateral', receivedAt: '2026-08-01', reason: 'Résiliation demandée par la commune' });
    expect((await client.partners.closeOut('saint-leu', { reason: 'Clôture à la date d’effet' })).endsAt).toBe('2026-11-01');

    const person = await client.traces.forPerson({ userId: 'amp-u031', requestedBy: 'Agent 31', through: 'Responsable FSL' });
    expect(person.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the same answers every way', () => {
  it('gives byte-identical reads on the same data, locally and over HTTP, on SQLite and PostgreSQL', async () => {
    const setups = await Promise.all(COMBINATIONS.map(([, setup]) => setup()));
    const [local, ...others] = setups;
    try {
      for (const read of [
        (c: CafsupClient) => c.audit.run({ asOf: AS_OF }),
        (c: CafsupClient) => c.audit.counts({ asOf: AS_OF }),
        (c: CafsupClient) => c.quotas.usage({ asOf: AS_OF }),
        (c: CafsupClient) => c.quotas.totals({ asOf: AS_OF }),
        (c: CafsupClient) => c.partners.list({ limit: 100, asOf: AS_OF }),
        (c: CafsupClient) => c.partners.get('saint-leu', { asOf: AS_OF }),
        (c: CafsupClient) => c.habilitations.list({ partnerId: 'amp', limit: 100 }),
      ]) {
        const expected = JSON.stringify(await read(local!.client));
        for (const other of others) expect(JSON.stringify(await read(other.client))).toBe(expected);
      }
    } finally {
      for (const setup of setups) await setup.cleanup();
    }
  });
});
