import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CafsupError, createClient, type CafsupClient } from '@cafsup/sdk';
import { readReturnedSheet, reviewKitCsv, reviewKitMarkdown } from '@cafsup/shared';
import { buildDemoDataset } from '../packages/tui/src/demo/demo-data.js';
import { workbook } from '../packages/tui/src/cli/xlsx.js';
import { CliSandbox } from './support/cli.js';
import { ACTOR } from './support/fixture.js';
import { FIXED_NOW } from './support/server.js';

const AS_OF = '2026-11-22';
const NOW = FIXED_NOW.toISOString();
const dirs: string[] = [];

async function demo(): Promise<CafsupClient> {
  const dir = mkdtempSync(join(tmpdir(), 'cafsup-workflows-'));
  dirs.push(dir);
  const client = createClient({ database: join(dir, 'demo.db'), actor: ACTOR, now: () => FIXED_NOW });
  await client.dataset.import(buildDemoDataset({ partners: 12, today: AS_OF }), { reason: 'Jeu de données du test' });
  return client;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<CafsupError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CafsupError);
    return error as CafsupError;
  }
  throw new Error('expected a refusal');
}

const T4_REQUEST = {
  kind: 'habilitation' as const,
  receivedAt: '2026-11-20',
  signatory: 'Le maire de Bavans',
  form: {
    name: 'Paule Valade',
    email: 'paule.valade@bavans.fr',
    function: 'Agent d’accueil',
    departement: '25',
    profile: 'T4',
    temporary: true,
    endsAt: '2027-03-31',
  },
};

describe('requests: the paper forms (workflows.md, section 1)', () => {
  it('applies a habilitation request on a centralised partner: user and habilitation created, endsAt kept, traced', async () => {
    const client = await demo();
    const added = await client.requests.add('bavans', T4_REQUEST);
    expect([added.request.number, added.request.status, added.request.kind]).toEqual([1, 'received', 'habilitation']);
    const preview = await client.requests.apply('bavans', 1, { dryRun: true });
    expect(preview.dryRun).toBe(true);
    expect((await client.requests.get('bavans', 1)).status).toBe('received');
    expect((await client.users.list({ partnerId: 'bavans' })).items).toHaveLength(3);

    const applied = await client.requests.apply('bavans', 1, { reason: 'Demande signée du maire, mission temporaire' });
    expect(applied.changes).toEqual({
      user: {
        id: 'bavans-u004',
        partnerId: 'bavans',
        name: 'Paule Valade',
        email: 'paule.valade@bavans.fr',
        function: 'Agent d’accueil',
        role: 'user',
        status: 'active',
        createdAt: NOW,
        lastLoginAt: null,
        passwordChangedAt: null,
        mustChangePassword: false,
        missionEndAt: null,
        disabledAt: null,
        departement: '25',
      },
      existingUser: null,
      habilitation: {
        id: 'bavans-h0005',
        partnerId: 'bavans',
        userId: 'bavans-u004',
        groupId: null,
        service: 'CDAP',
        profile: 'T4',
        departement: '25',
        status: 'active',
        grantedAt: NOW,
        suspendedAt: null,
        revokedAt: null,
        endsAt: '2027-03-31',
      },
    });
    expect(await client.habilitations.get('bavans-h0005')).toMatchObject({ userId: 'bavans-u004', endsAt: '2027-03-31', status: 'active' });
    const request = await client.requests.get('bavans', 1);
    expect([request.status, request.decisionReason]).toEqual(['applied', 'Demande signée du maire, mission temporaire']);
    const traces = (await client.traces.list({ partnerId: 'bavans' })).items;
    expect(traces.slice(0, 4).map((trace) => [trace.action, trace.targetId])).toEqual([
      ['request.apply', 'bavans#1'],
      ['habilitation.create', 'bavans-h0005'],
      ['user.create', 'bavans-u004'],
      ['request.add', 'bavans#1'],
    ]);
    expect(request.traceIds).toEqual(
      traces
        .slice(0, 4)
        .map((trace) => trace.id)
        .reverse(),
    );
    const usage = await client.quotas.usage({ partnerId: 'bavans', asOf: AS_OF });
    expect(usage.quotas.find((quota) => quota.profile === 'T4')).toMatchObject({ assigned: 2, maxUsers: 2, over: false });
  });

  it('refuses a request that would exceed the quota, naming rule 1 and the article of a centralised contract', async () => {
    const client = await demo();
    await client.requests.add('bavans', T4_REQUEST);
    await client.requests.apply('bavans', 1, { reason: 'Demande signée du maire' });
    await client.requests.add('bavans', { ...T4_REQUEST, form: { ...T4_REQUEST.form, name: 'Jean Denoix', email: 'jean.denoix@bavans.fr' } });
    const error = await refusal(client.requests.apply('bavans', 2, { reason: 'Demande signée du maire' }));
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toEqual({
      refusal: {
        rule: 'QUOTA_EXCEEDED',
        ruleNumber: 1,
        article: 'bulletin d’adhésion et convention, art. 9.1',
        message: 'Quota CDAP T4 atteint : 2 sur 2 (règle 1, quota dépassé ; bulletin d’adhésion et convention, art. 9.1)',
      },
    });
    expect((await client.users.list({ partnerId: 'bavans' })).items).toHaveLength(4);
    const refused = await client.requests.refuse('bavans', 2, { reason: 'Quota T4 atteint (2 sur 2) : demande refusée' });
    expect(refused.request.status).toBe('refused');
    expect((await client.requests.list('bavans', { status: 'refused' })).map((item) => item.number)).toEqual([2]);
  });

  it('refuses generic e-mails, profiles not subscribed or not eligible, and answers a delegated partner that its managers create it', async () => {
    const client = await demo();
    const cases = [
      [{ email: 'accueil@bavans.fr' }, 'NON_PERSONAL_EMAIL'],
      [{ profile: 'T13' }, 'PROFILE_NOT_SUBSCRIBED'],
      [{ profile: 'T19' }, 'PROFILE_NOT_ELIGIBLE'],
    ] as const;
    for (const [index, [change, rule]] of cases.entries()) {
      await client.requests.add('bavans', { ...T4_REQUEST, form: { ...T4_REQUEST.form, ...change } });
      expect(
        ((await refusal(client.requests.apply('bavans', index + 1, { reason: 'Demande du maire' }))).details as { refusal: { rule: string } }).refusal.rule,
      ).toBe(rule);
    }
    const agent = await client.users.get('bavans-u002');
    await client.requests.add('bavans', { ...T4_REQUEST, form: { ...T4_REQUEST.form, userId: 'bavans-u001', email: agent.email } });
    expect(
      ((await refusal(client.requests.apply('bavans', 4, { reason: 'Demande du maire' }))).details as { refusal: { rule: string; message: string } }).refusal,
    ).toMatchObject({
      rule: 'SHARED_EMAIL',
      message: `Adresse mél ${agent.email} déjà celle de bavans-u002 (règle 7, adresse mél partagée ; convention, art. 9.2 et formulaires de demande d’habilitation (adresse mél personnelle et individuelle))`,
    });
    await client.requests.add('amp', { ...T4_REQUEST, form: { ...T4_REQUEST.form, profile: 'T13', departement: '13' } });
    const delegated = await refusal(client.requests.apply('amp', 1, { reason: 'Demande de la Métropole' }));
    expect(delegated.details).toMatchObject({ refusal: { rule: 'DELEGATED_MODE', article: 'convention, art. 9.1' } });
    expect(delegated.message).toMatch(/^Refusé : Partenaire en mode délégué : .* la demande reste enregistrée\. [^.]/);
    // A temporary mission already over when the form is applied: nothing is created.
    await client.requests.add('bavans', { ...T4_REQUEST, form: { ...T4_REQUEST.form, endsAt: '2026-11-01' } });
    const lapsed = await refusal(client.requests.apply('bavans', 5, { reason: 'Demande du maire' }));
    expect([lapsed.code, lapsed.message]).toEqual(['VALIDATION', expect.stringContaining('Date de fin du 1er novembre 2026 déjà passée')]);
  });

  it('applies a deletion with « perte ou vol »: password change forced first, revoked, out of its groups, disabled, incident recorded', async () => {
    const client = await demo();
    const held = (await client.habilitations.list({ partnerId: 'amp', userId: 'amp-u031' })).items.filter(
      (h) => h.userId === 'amp-u031' && h.status !== 'revoked',
    );
    await client.requests.add('amp', {
      kind: 'deletion',
      receivedAt: '2026-11-21',
      form: { people: [{ name: 'Agent 31', email: (await client.users.get('amp-u031')).email }], lossOrTheft: true, departedAt: '2026-11-02' },
    });
    expect((await client.requests.get('amp', 1)).reportDelayDays).toBe(19);
    // A form naming another partner's account by its id is refused as it is recorded, nothing written.
    const elsewhere = await refusal(
      client.requests.add('bavans', {
        kind: 'deletion',
        form: { people: [{ name: 'Agent 31', email: 'agent31@amp.fr', userId: 'amp-u031' }], lossOrTheft: false },
      }),
    );
    expect([elsewhere.code, elsewhere.message]).toEqual(['NOT_FOUND', 'Utilisateur introuvable chez bavans : amp-u031.']);
    // A departure after the form's reception (a negative reporting delay) is refused too.
    const departedLater = await refusal(
      client.requests.add('bavans', {
        kind: 'deletion',
        receivedAt: '2026-11-20',
        form: { people: [{ name: 'Agent 4', email: 'agent4@bavans.fr' }], lossOrTheft: false, departedAt: '2026-11-21' },
      }),
    );
    expect([departedLater.code, departedLater.details.problems]).toEqual([
      'VALIDATION',
      [{ path: 'form.departedAt', message: 'postérieur à la réception (20 novembre 2026)' }],
    ]);
    expect(await client.requests.list('bavans')).toEqual([]);
    // Its dry run needs no reason (rules.md), shows the same changes, and writes nothing.
    const head = await client.traces.head();
    const preview = await client.requests.apply('amp', 1, { dryRun: true });
    expect(preview.changes).toMatchObject({ passwordReset: ['amp-u031'], revoked: held.map((h) => h.id) });
    expect(await client.traces.head()).toEqual(head);
    const applied = await client.requests.apply('amp', 1, { reason: 'Vol de l’ordinateur portable signalé' });
    expect(applied.changes).toEqual({
      passwordReset: ['amp-u031'],
      revoked: held.map((h) => h.id),
      disabled: [{ userId: 'amp-u031', groupIds: ['amp-g01'] }],
      incident: 1,
    });
    expect(await client.users.get('amp-u031')).toMatchObject({ status: 'disabled', disabledAt: NOW, mustChangePassword: true });
    expect((await client.groups.get('amp-g01')).memberIds).toEqual(['amp-u032', 'amp-u033']);
    for (const habilitation of held) expect((await client.habilitations.get(habilitation.id)).status).toBe('revoked');
    const [incident] = await client.questions.list('amp', { asOf: AS_OF });
    expect(incident).toMatchObject({ number: 1, kind: 'incident', openedAt: NOW, answer: null });
    const actions = (await client.traces.list({ partnerId: 'amp' })).items.map((trace) => trace.action).reverse();
    const expected = [
      'request.add',
      'user.forcePasswordReset',
      ...held.map(() => 'habilitation.revoke'),
      'group.removeMember',
      'user.disable',
      'question.add',
      'request.apply',
    ];
    expect(actions.slice(-expected.length)).toEqual(expected);
  });

  it('applies a designation: the partner-side contact replaced, the user given the role', async () => {
    const client = await demo();
    const deputy = await client.users.get('bavans-u002');
    await client.requests.add('bavans', {
      kind: 'designation',
      form: { role: 'deputy', name: deputy.name, function: 'Secrétaire de mairie', email: deputy.email, phone: '03 81 96 22 45', replaces: null },
    });
    await client.requests.apply('bavans', 1, { reason: 'Formulaire de désignation signé' });
    expect((await client.users.get('bavans-u002')).role).toBe('deputy');
    const contacts = (await client.conventions.get('bavans', { asOf: AS_OF })).terms.contacts.filter((contact) => contact.side === 'partner');
    expect(contacts.map((contact) => [contact.role, contact.email])).toContainEqual(['deputy', deputy.email]);
    const audit = await client.audit.run({ partnerId: 'bavans', asOf: AS_OF, rules: ['ADMIN_NOT_DESIGNATED'] });
    expect(audit.flags).toEqual([]);
  });

  it('adds an administrator a designation replaces nobody with, and updates one already named in place: the other contacts stay', async () => {
    const client = await demo();
    const administrators = async () =>
      (await client.conventions.get('saint-leu', { asOf: AS_OF })).terms.contacts
        .filter((contact) => contact.side === 'partner' && contact.role === 'administrator')
        .map((contact) => [contact.order, contact.name, contact.phone]);
    const [first, second] = await administrators();
    const form = { role: 'administrator' as const, function: 'DGA', phone: '01 00 00 00 00' };
    await client.requests.add('saint-leu', {
      kind: 'designation',
      form: { ...form, name: 'Bruno Neuf', email: 'bruno.neuf@saint-leu-la-foret.fr', replaces: null },
    });
    const added = await client.requests.apply('saint-leu', 1, { reason: 'Troisième administrateur désigné' });
    expect(added.changes).toMatchObject({ contact: { order: 3, name: 'Bruno Neuf' }, contactUpdated: false, removedContact: null });
    expect(await administrators()).toEqual([first, second, [3, 'Bruno Neuf', '01 00 00 00 00']]);
    // The form of someone already named, with new details: their entry, in its place.
    await client.requests.add('saint-leu', {
      kind: 'designation',
      form: { ...form, name: 'Bruno Neuf', email: 'BRUNO.neuf@saint-leu-la-foret.fr', phone: '01 99 99 99 99', replaces: null },
    });
    const updated = await client.requests.apply('saint-leu', 2, { reason: 'Nouveau numéro de téléphone' });
    expect(updated.changes).toMatchObject({ contact: { order: 3 }, contactUpdated: true, removedContact: null });
    expect(await administrators()).toEqual([first, second, [3, 'Bruno Neuf', '01 99 99 99 99']]);
  });

  // The replaced administrator kept the role when the form designated a deputy in their place: rule 13 fired at once (review 36).
  it('takes the manager’s role from the person a designation replaces, whatever role it gives the new one', async () => {
    const client = await demo();
    const replaced = (await client.users.list({ partnerId: 'saint-leu' })).items.find((user) => user.email === 'louis.henry@saint-leu-la-foret.fr')!;
    expect(replaced.role).toBe('administrator');
    await client.requests.add('saint-leu', {
      kind: 'designation',
      form: {
        role: 'deputy',
        name: 'Maël Lopez',
        function: 'RL',
        email: 'mael.lopez@saint-leu-la-foret.fr',
        phone: '01 30 40 22 00',
        replaces: { name: 'Louis Henry', email: 'louis.henry@saint-leu-la-foret.fr' },
      },
    });
    await client.requests.apply('saint-leu', 1, { reason: 'Remplacement de Louis Henry' });
    expect((await client.users.get(replaced.id)).role).toBe('user');
    const flagged = (await client.audit.run({ partnerId: 'saint-leu', asOf: AS_OF, rules: ['ADMIN_NOT_DESIGNATED'] })).flags;
    expect(flagged.map((flag) => (flag as { userId?: string }).userId)).not.toContain(replaced.id);
  });

  it('validates forms: every problem named by its path', async () => {
    const client = await demo();
    const error = await refusal(client.requests.add('bavans', { ...T4_REQUEST, form: { ...T4_REQUEST.form, endsAt: null, email: 'pas-un-mel' } }));
    expect(error.code).toBe('VALIDATION');
    expect((error.details as { problems: { path: string }[] }).problems.map((problem) => problem.path)).toEqual(['request.form.email', 'request.form.endsAt']);
  });
});

describe('direct records by a supervisor (workflows.md, section 1)', () => {
  it('grants under a quota whose list of départements is empty, as the audit reads it (rule 3: only a list restricts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-workflows-'));
    dirs.push(dir);
    const client = createClient({ database: join(dir, 'demo.db'), actor: ACTOR, now: () => FIXED_NOW });
    const dataset = buildDemoDataset({ partners: 12, today: AS_OF });
    const bavans = dataset.conventions.find((convention) => convention.partnerId === 'bavans') as { subscriptions: { quotas: { profile: string }[] }[] };
    const t4 = bavans.subscriptions.flatMap((subscription) => subscription.quotas).find((quota) => quota.profile === 'T4');
    Object.assign(t4!, { departements: [], maxUsers: 10 });
    await client.dataset.import(dataset, { reason: 'Quota sans département' });
    const granted = await client.habilitations.create('bavans', { userId: 'bavans-u002', profile: 'T4', departement: '25', reason: 'Instruction RSA' });
    expect(granted.habilitation).toMatchObject({ profile: 'T4', departement: '25', status: 'active' });
    const flags = (await client.audit.run({ partnerId: 'bavans', asOf: AS_OF })).flags;
    expect(flags.filter((flag) => flag.rule === 'DEPARTEMENT_OUT_OF_SCOPE')).toEqual([]);
  });

  it('creates and edits users, groups and habilitations, the last two only when the Caf manages them, each write traced', async () => {
    const client = await demo();
    const lucie = await client.users.create('bavans', {
      name: 'Lucie Perrin',
      email: 'lucie.perrin@bavans.fr',
      departement: '25',
      reason: 'Agent recruté à l’accueil',
    });
    expect(lucie.user).toMatchObject({ id: 'bavans-u004', role: 'user', status: 'active', createdAt: NOW });
    const group = await client.groups.create('bavans', { name: 'Accueil', memberIds: ['bavans-u004', 'bavans-u002'], reason: 'Groupe de l’accueil' });
    expect(group.group).toEqual({ id: 'bavans-g01', partnerId: 'bavans', name: 'Accueil', memberIds: ['bavans-u004', 'bavans-u002'] });
    // An end already past is refused before anything is written; today is still ahead.
    const head = await client.traces.head();
    const lapsed = await refusal(client.habilitations.create('bavans', { userId: 'bavans-u004', profile: 'T1', endsAt: '2026-11-21', reason: 'Remplacement' }));
    expect([lapsed.code, lapsed.message]).toEqual(['VALIDATION', expect.stringContaining('Date de fin du 21 novembre 2026 déjà passée')]);
    expect(await client.traces.head()).toEqual(head);
    const granted = await client.habilitations.create('bavans', { groupId: 'bavans-g01', profile: 'T1', reason: 'Accueil social' });
    expect(granted.habilitation).toMatchObject({ id: 'bavans-h0005', groupId: 'bavans-g01', profile: 'T1', status: 'active' });
    // T1: 3 places; the agent already held one, the group adds Lucie only.
    expect((await client.quotas.usage({ partnerId: 'bavans', asOf: AS_OF })).quotas.find((quota) => quota.profile === 'T1')).toMatchObject({
      assigned: 2,
      maxUsers: 3,
    });
    const tooMany = await refusal(client.habilitations.create('bavans', { userId: 'bavans-u001', profile: 'T19', reason: 'Contrôle RSA' }));
    expect(tooMany.details).toMatchObject({
      refusal: { rule: 'PROFILE_NOT_ELIGIBLE', ruleNumber: 16, article: 'bulletin d’adhésion, art. 2 et convention, art. 9.1' },
    });
    // A group takes one place per member not yet holding the profile: T4 has 1 place left for 2 new holders.
    await client.groups.create('bavans', { name: 'Instruction', memberIds: ['bavans-u004', 'bavans-u001'], reason: 'Groupe de l’instruction' });
    const groupOverQuota = await refusal(client.habilitations.create('bavans', { groupId: 'bavans-g02', profile: 'T4', reason: 'Instruction RSA' }));
    expect(groupOverQuota.details).toMatchObject({
      refusal: {
        rule: 'QUOTA_EXCEEDED',
        message: 'Quota CDAP T4 atteint : 1 sur 2, 2 titulaires de plus (règle 1, quota dépassé ; bulletin d’adhésion et convention, art. 9.1)',
      },
    });
    // A member listed twice is refused, by the group's creation as by its edit: stored twice, one person counted as two members.
    for (const twice of [
      client.groups.create('bavans', { name: 'Doublon', memberIds: ['bavans-u002', 'bavans-u002'], reason: 'Groupe en double' }),
      client.groups.edit('bavans-g02', { memberIds: ['bavans-u001', 'bavans-u004', 'bavans-u001'], reason: 'Membres en double' }),
    ]) {
      const duplicate = await refusal(twice);
      expect([duplicate.code, duplicate.message]).toEqual(['VALIDATION', expect.stringContaining('membre en double : bavans-u0')]);
    }
    expect((await client.groups.get('bavans-g02')).memberIds).toEqual(['bavans-u004', 'bavans-u001']);
    const delegated = await refusal(client.groups.create('amp', { name: 'Renfort', reason: 'Groupe de renfort' }));
    expect([delegated.code, delegated.message.startsWith('Partenaire amp en mode délégué')]).toEqual(['CONFLICT', true]);
    await client.users.edit('bavans-u004', { function: 'Agent d’accueil social', reason: 'Fonction précisée' });
    await client.groups.edit('bavans-g01', { memberIds: ['bavans-u004'], reason: 'L’agent quitte l’accueil' });
    expect((await client.quotas.usage({ partnerId: 'bavans', asOf: AS_OF })).quotas.find((quota) => quota.profile === 'T1')).toMatchObject({ assigned: 2 });
    await client.partners.edit('bavans', { address: '2 rue des Fleurs, 25550 Bavans', reason: 'Adresse corrigée' });
    await client.conventions.edit('bavans', { number: 'GC 130 bis', reason: 'Numéro corrigé' });
    const traces = (await client.traces.list({ partnerId: 'bavans' })).items.slice(0, 8).reverse();
    expect(traces.map((trace) => [trace.action, trace.targetId, trace.before, trace.after])).toEqual([
      ['user.create', 'bavans-u004', null, lucie.user],
      ['group.create', 'bavans-g01', null, group.group],
      ['habilitation.create', 'bavans-h0005', null, granted.habilitation],
      ['group.create', 'bavans-g02', null, { id: 'bavans-g02', partnerId: 'bavans', name: 'Instruction', memberIds: ['bavans-u004', 'bavans-u001'] }],
      ['user.edit', 'bavans-u004', { function: null }, { function: 'Agent d’accueil social' }],
      ['group.edit', 'bavans-g01', { memberIds: ['bavans-u004', 'bavans-u002'] }, { memberIds: ['bavans-u004'] }],
      ['partner.edit', 'bavans', { address: '1 rue des Fleurs, 25550 Bavans' }, { address: '2 rue des Fleurs, 25550 Bavans' }],
      ['convention.edit', 'bavans', { number: 'GC 130' }, { number: 'GC 130 bis' }],
    ]);
  });
});

describe('the review campaign (contrat art. 2.2.2)', () => {
  it('lists due and overdue reviews; the kit rows are the held habilitations; the returned sheet is the proof', async () => {
    const client = await demo();
    const campaign = await client.reviews.campaign({ asOf: AS_OF, within: 30 });
    const overdue = (await client.audit.run({ asOf: AS_OF, rules: ['REVIEW_OVERDUE'] })).flags.map((flag) => flag.partnerId);
    expect(
      campaign.reviews
        .filter((review) => review.overdue)
        .map((review) => review.partnerId)
        .sort(),
    ).toEqual([...overdue].sort());
    expect(campaign.overdue).toBe(overdue.length);
    expect(campaign.reviews.find((review) => review.partnerId === 'macs')).toMatchObject({ overdue: true, lastReviewAt: '2025-08-22', dueAt: '2026-08-22' });

    const kit = await client.reviews.kit('amp', { asOf: AS_OF });
    const held: string[] = [];
    for await (const habilitation of client.habilitations.iterate({ partnerId: 'amp' })) if (habilitation.status !== 'revoked') held.push(habilitation.id);
    expect(kit.rows.map((row) => row.habilitationId)).toEqual(held);
    const csv = reviewKitCsv(kit);
    expect(csv.startsWith('\ufeffHabilitation;Personne;Mél;')).toBe(true);
    expect(csv.split('\r\n')).toHaveLength(held.length + 2);
    expect(reviewKitMarkdown(kit)).toContain('contrat de services, art. 2.2.2');

    // The administrator answers « non » for one row and « oui » for the others.
    const lines = csv.split('\r\n');
    const returned = lines
      .map((line, index) => (index === 0 || line === '' ? line : line.replace(/;;$/, index === 1 ? ';non;a quitté le service' : ';oui;')))
      .join('\r\n');
    expect(readReturnedSheet(returned).problems).toEqual([]);
    const outcome = await client.reviews.recordSheet('amp', {
      completedAt: '2026-11-20',
      reviewer: 'Responsable FSL',
      sheet: returned,
      fileName: 'revue-amp.csv',
    });
    expect(outcome.sha256).toBe(createHash('sha256').update(returned).digest('hex'));
    expect(outcome.revocations).toEqual([{ habilitationId: held[0], motive: 'a quitté le service' }]);
    expect(outcome.summary).toEqual({ rows: held.length, keep: held.length - 1, revoke: 1, undecided: [] });
    expect(outcome.nextDueAt).toBe('2027-11-20');
    expect((await client.reviews.list('amp')).at(-1)?.proof).toBe(`feuille de revue retournée (revue-amp.csv), SHA-256 ${outcome.sha256}`);
  });

  it('lists an overdue review whatever the window, notice period included; a review due before the convention ends, not one due after', async () => {
    const client = await demo();
    // saint-leu: overdue since 2019, under a mise en demeure that ends on 2026-12-17, within a 30-day window.
    await client.notices.add('saint-leu', { kind: 'breach', receivedAt: '2026-11-17', reason: 'Manquements persistants' });
    // justice-argenteuil: due on 2027-01-22, its convention ends on 2027-02-17 (unilateral notice).
    await client.notices.add('justice-argenteuil', {
      kind: 'unilateral',
      receivedAt: '2026-11-17',
      requestedEffectiveAt: '2027-02-15',
      reason: 'Fin du partenariat',
    });
    // association-biscarrosse: due on 2027-01-22, its convention ends first, on 2026-12-12.
    await client.notices.add('association-biscarrosse', { kind: 'breach', receivedAt: '2026-11-12', reason: 'Manquements persistants' });
    const listed = async (within: number) =>
      (await client.reviews.campaign({ asOf: AS_OF, within })).reviews
        .filter((review) => ['saint-leu', 'justice-argenteuil', 'association-biscarrosse'].includes(review.partnerId))
        .map((review) => [review.partnerId, review.dueAt, review.overdue]);
    // Widening the window never hides a partner: before the fix, 30 days hid saint-leu and 90 hid justice-argenteuil.
    expect(await listed(0)).toEqual([['saint-leu', '2019-05-14', true]]);
    expect(await listed(30)).toEqual([['saint-leu', '2019-05-14', true]]);
    expect(await listed(61)).toEqual([
      ['saint-leu', '2019-05-14', true],
      ['justice-argenteuil', '2027-01-22', false],
    ]);
    expect(await listed(90)).toEqual(await listed(366));
    expect(await listed(366)).toEqual([
      ['saint-leu', '2019-05-14', true],
      ['justice-argenteuil', '2027-01-22', false],
    ]);
    expect((await client.reviews.campaign({ asOf: AS_OF, within: 30 })).overdue).toBeGreaterThan(0);
  });

  it('orders partners due on the same day by code point, not by UTF-16 unit (rules.md)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-workflows-'));
    dirs.push(dir);
    const client = createClient({ database: join(dir, 'demo.db'), actor: ACTOR, now: () => FIXED_NOW });
    const dataset = buildDemoDataset({ partners: 4, today: AS_OF });
    // Three copies of macs (overdue, last review on 2025-08-22): same due date, so only the id orders them.
    const ids = ['\u{1F600}-emoji', '\uE000-pua', '\uFF5A-full'];
    for (const id of ids) {
      dataset.partners.push({ ...dataset.partners.find((partner) => partner.id === 'macs')!, id });
      dataset.conventions.push({ ...dataset.conventions.find((convention) => convention.partnerId === 'macs')!, partnerId: id });
      dataset.reviews.push({ ...dataset.reviews.find((review) => review.partnerId === 'macs')!, partnerId: id });
    }
    await client.dataset.import(dataset, { reason: 'Jeu de données du test' });
    const listed = (await client.reviews.campaign({ asOf: AS_OF, within: 30 })).reviews.filter((review) => ids.includes(review.partnerId));
    expect(listed.map((review) => [review.partnerId, review.dueAt])).toEqual([
      ['\uE000-pua', '2026-08-22'],
      ['\uFF5A-full', '2026-08-22'],
      ['\u{1F600}-emoji', '2026-08-22'],
    ]);
  });

  it('refuses a returned sheet that lists a habilitation twice, naming it and both lines, and writes nothing', async () => {
    const client = await demo();
    const sheet = '\ufeffHabilitation;À conserver (oui/non);Motif\r\nmacs-h0001;oui;\r\nmacs-h0002;oui;\r\nmacs-h0001;non;doublon\r\n';
    const before = { reviews: await client.reviews.list('macs'), traces: (await client.traces.list({ partnerId: 'macs' })).items };
    const error = await refusal(client.reviews.recordSheet('macs', { completedAt: '2026-11-20', reviewer: 'Malik Fontaine', sheet, fileName: 'revue.csv' }));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe('Feuille de revue illisible : sheet[4] : habilitation macs-h0001 en double (lignes 2 et 4).');
    expect(await client.reviews.list('macs')).toEqual(before.reviews);
    expect((await client.traces.list({ partnerId: 'macs' })).items).toEqual(before.traces);
    expect((await client.habilitations.get('macs-h0001')).status).toBe('active');
    // The same row copied is refused too: it would be counted twice.
    expect(readReturnedSheet('Habilitation;À conserver (oui/non)\nmacs-h0001;oui\nmacs-h0001;oui\n').problems).toEqual([
      { path: 'sheet[3]', message: 'habilitation macs-h0001 en double (lignes 2 et 3)' },
    ]);
  });
});

describe('from a breach to termination (convention art. 17.2)', () => {
  it('a mise en demeure: deadline received + 1 month, status « mise en demeure », ended by a timely remedy', async () => {
    const client = await demo();
    const notice = await client.notices.add('amp', {
      kind: 'breach',
      sentAt: '2026-10-30',
      receivedAt: '2026-11-02',
      reason: 'Quota T13 dépassé malgré la question du 1er octobre',
    });
    expect(notice.termination).toEqual({ kind: 'breach', noticeReceivedAt: '2026-11-02' });
    expect([notice.state.status, notice.state.terminationEffectiveAt]).toEqual(['notice', '2026-12-02']);
    expect(notice.failings.map((failing) => [failing.rule, failing.article])).toEqual([
      ['QUOTA_EXCEEDED', 'contrat de services, art. 2.2.1 et bulletin d’adhésion'],
      ['DEPARTEMENT_OUT_OF_SCOPE', 'contrat de services, art. 2.2.1 et bulletin d’adhésion'],
      ['SHARED_EMAIL', 'convention, art. 9.2 et formulaires de demande d’habilitation (adresse mél personnelle et individuelle)'],
    ]);
    expect((await client.conventions.get('amp', { asOf: '2026-12-02' })).state.status).toBe('terminated');
    const ladder = await client.partners.ladder('amp', { asOf: AS_OF });
    expect([ladder.next, ladder.note]).toEqual([null, 'Mise en demeure en cours : sans correction, résiliation de plein droit le 2 décembre 2026.']);
    const remedied = await client.notices.remedy('amp', { date: '2026-11-20', reason: 'Habilitations excédentaires dévalidées par le partenaire' });
    expect(remedied.state.status).toBe('active');
    expect((await client.conventions.get('amp', { asOf: '2026-12-02' })).state.status).toBe('active');
  });

  it('a back-dated mise en demeure lists the failings open at the letter’s date, within the convention’s life only', async () => {
    const client = await demo();
    // Today macs has an account dormant since July 2026: not a failing of a letter of January.
    const today = await client.notices.add('macs', { kind: 'breach', receivedAt: AS_OF, reason: 'Manquements graves', dryRun: true });
    expect(today.failings.map((failing) => failing.rule)).toContain('DORMANT_ACCOUNT');
    const letter = await client.notices.add('macs', { kind: 'breach', sentAt: '2024-01-29', receivedAt: '2024-01-31', reason: 'Manquements graves' });
    const audit = await client.audit.run({ partnerId: 'macs', asOf: '2024-01-29' });
    expect(letter.failings).toEqual(audit.flags.map(({ rule, severity, article, message }) => ({ rule, severity, article, message })));
    expect(letter.failings.map((failing) => failing.rule)).not.toContain('DORMANT_ACCOUNT');
    expect(JSON.stringify(letter.failings)).not.toContain('2026');
    // Before the convention took effect, a letter would end what had not begun: refused, nothing written.
    const other = await demo();
    const head = await other.traces.head();
    const early = await refusal(other.notices.add('macs', { kind: 'breach', receivedAt: '2019-01-31', reason: 'Manquements graves' }));
    expect([early.code, early.message]).toEqual(['VALIDATION', expect.stringContaining('n’était pas en vigueur ce jour-là')]);
    expect(await other.traces.head()).toEqual(head);
  });

  it('a close-out on the effective date leaves nothing held and ends the ladder', async () => {
    const client = await demo();
    const early = await refusal(client.partners.closeOut('amp', { reason: 'Clôture de la convention' }));
    expect(early.code).toBe('CONFLICT');
    await client.notices.add('amp', {
      kind: 'unilateral',
      receivedAt: '2026-08-01',
      requestedEffectiveAt: '2026-09-01',
      reason: 'Résiliation demandée par la Métropole',
    });
    expect((await client.conventions.get('amp', { asOf: AS_OF })).state).toMatchObject({ status: 'terminated', endsAt: '2026-11-01' });
    expect((await client.partners.ladder('amp', { asOf: AS_OF })).next).toBe('closeOut');
    // Its dry run needs no reason (rules.md) and writes nothing.
    const before = await client.traces.head();
    expect((await client.partners.closeOut('amp', { dryRun: true })).disabled).toEqual(['amp-u001', 'amp-u002', 'amp-u003']);
    expect(await client.traces.head()).toEqual(before);
    const done = await client.partners.closeOut('amp', { reason: 'Clôture à la date d’effet de la résiliation' });
    expect(done.disabled).toEqual(['amp-u001', 'amp-u002', 'amp-u003']);
    expect((await client.users.get('amp-u003')).role).toBe('habilitation_manager');
    const stillHeld = [];
    for await (const habilitation of client.habilitations.iterate({ partnerId: 'amp' })) if (habilitation.status !== 'revoked') stillHeld.push(habilitation.id);
    expect(stillHeld).toEqual([]);
    expect((await client.quotas.usage({ partnerId: 'amp', asOf: AS_OF })).quotas).toEqual([]);
    const ladder = await client.partners.ladder('amp', { asOf: AS_OF });
    expect([ladder.offered, ladder.next]).toEqual([false, null]);
    // Its steps are « sans objet » now: withdrawing the delegation is refused, nothing written.
    const ended = await client.traces.head();
    const withdrawal = await refusal(client.partners.withdrawDelegation('amp', { reason: 'Manquements après la résiliation' }));
    expect([withdrawal.code, withdrawal.message]).toEqual(['CONFLICT', expect.stringContaining('retirer la délégation est sans objet')]);
    expect(await client.traces.head()).toEqual(ended);
    // Done once: again, with nothing held nor managed since, it changes nothing and leaves no trace.
    const head = await client.traces.head();
    const again = await refusal(client.partners.closeOut('amp', { reason: 'Clôture répétée par erreur' }));
    expect([again.code, again.message]).toEqual(['CONFLICT', expect.stringContaining(`Clôture déjà faite pour amp (trace n° ${done.traceId})`)]);
    expect(await client.traces.head()).toEqual(head);
  });

  it('proposes asking first, with the article of the contract', async () => {
    const client = await demo();
    const ladder = await client.partners.ladder('amp', { asOf: AS_OF });
    expect(ladder.next).toBe('ask');
    expect(ladder.steps.map((step) => [step.step, step.status, step.article])).toEqual([
      ['ask', 'proposed', 'contrat de services, art. 2.2.1'],
      ['suspend', 'later', 'contrat de services, art. 2.2.1'],
      ['forcePasswordReset', 'later', 'contrat de services, art. 2.2.1 et convention, art. 9.2'],
      ['withdrawDelegation', 'later', 'contrat de services, art. 2.2.1'],
      ['noticeOfBreach', 'later', 'convention, art. 17.2'],
      ['closeOut', 'not_applicable', 'convention, art. 17.2'],
    ]);
    // An answer due before the question is asked is refused, nothing recorded.
    const dueBefore = await refusal(client.questions.add('amp', { text: 'Question ?', dueAt: '2020-01-01' }));
    expect([dueBefore.code, dueBefore.details.problems]).toEqual(['VALIDATION', [{ path: 'dueAt', message: 'antérieure à la question (22 novembre 2026)' }]]);
    // Nor is one opened tomorrow (trial 36): a question is recorded once asked.
    const opensTomorrow = await refusal(client.questions.add('amp', { kind: 'incident', text: 'Panne', openedAt: '2026-11-23T10:00:00+01:00' }));
    expect([opensTomorrow.message, opensTomorrow.details.problems]).toEqual([
      'Une question ne peut pas être ouverte le 23 novembre 2026, dans le futur.',
      [{ path: 'openedAt', message: 'date dans le futur' }],
    ]);
    expect(await client.questions.list('amp', { asOf: AS_OF })).toEqual([]);
    await client.questions.add('amp', { text: 'Pourquoi 23 titulaires du profil T13 pour 20 places ?', flags: ['QUOTA_EXCEEDED'], dueAt: '2026-12-07' });
    // Its answer is received after it is asked, and not in the future (review 36).
    for (const [answeredAt, said] of [
      ['2026-11-23T09:00:00+01:00', 'Une réponse ne peut pas être reçue le 23 novembre 2026, dans le futur.'],
      ['2026-11-01T09:00:00+01:00', 'Une réponse ne peut pas être reçue le 1er novembre 2026, avant la question (22 novembre 2026).'],
    ]) {
      expect((await refusal(client.questions.answer('amp', 1, { text: 'Trois départs', answeredAt }))).message).toBe(said);
    }
    expect((await client.partners.ladder('amp', { asOf: AS_OF })).next).toBe('suspend');
  });

  it('counts an incident’s answer time in working days of the contract’s desk (Landes: two)', async () => {
    const client = await demo();
    await client.questions.add('macs', { kind: 'incident', text: 'Connexion impossible', openedAt: '2026-04-30T15:00:00+02:00' });
    const [incident] = await client.questions.list('macs', { asOf: '2026-05-06' });
    expect(incident!.clock).toMatchObject({ openedOn: '2026-04-30', answerDueAt: '2026-05-05', overdue: true, escalationFrom: '2026-05-06' });
  });
});

describe('a person’s traces (contrat art. 5.3.4)', () => {
  it('includes the traces of their habilitations, through their groups too, and records the request', async () => {
    const client = await demo();
    const [groupHabilitation] = (await client.habilitations.list({ partnerId: 'amp', userId: 'amp-u031' })).items.filter((h) => h.groupId === 'amp-g01');
    await client.habilitations.suspend([groupHabilitation!.id], { reason: 'Quota T13 dépassé' });
    const result = await client.traces.forPerson({ userId: 'amp-u031', requestedBy: 'Agent 31', through: 'Responsable FSL' });
    expect(result.extract.traces.map((trace) => [trace.action, trace.targetId])).toEqual([['habilitation.suspend', groupHabilitation!.id]]);
    expect(result.extract.rights.find((right) => right.id === groupHabilitation!.id)).toMatchObject({ via: 'group', status: 'suspended' });
    expect(result.markdown).toContain('# Extrait des traces de');
    const recorded = (await client.traces.list({ userId: 'amp-u031' })).items[0]!;
    expect([recorded.action, (recorded.after as { sha256: string }).sha256]).toEqual(['traces.personExtract', result.sha256]);
  });

  it('follows their membership over time: the group’s past and their own removal stay theirs, another member’s removal is not', async () => {
    const client = await demo();
    const [groupHabilitation] = (await client.habilitations.list({ partnerId: 'amp', userId: 'amp-u032' })).items.filter((h) => h.groupId === 'amp-g01');
    const id = groupHabilitation!.id;
    await client.habilitations.suspend([id], { reason: 'Quota T13 dépassé' });
    const { email } = await client.users.get('amp-u032');
    await client.requests.add('amp', { kind: 'deletion', form: { people: [{ name: 'Agent 32', email, userId: 'amp-u032' }], lossOrTheft: false } });
    await client.requests.apply('amp', 1, { reason: 'Départ de l’agent' });
    // Made once she had left: not hers.
    await client.habilitations.reinstate([id], { reason: 'Quota T13 revu' });
    const extractOf = async (userId: string) =>
      (await client.traces.forPerson({ userId, requestedBy: 'Agent', dryRun: true })).extract.traces.map((trace) => [
        trace.action,
        trace.targetId,
        trace.before,
      ]);
    const removal = ['group.removeMember', 'amp-g01', { memberId: 'amp-u032' }];
    const hers = await extractOf('amp-u032');
    expect(hers).toEqual(expect.arrayContaining([['habilitation.suspend', id, expect.anything()], removal]));
    expect(hers.filter(([action]) => action === 'habilitation.reinstate')).toEqual([]);
    const others = await extractOf('amp-u033');
    expect(others.filter(([action]) => action === 'group.removeMember')).toEqual([]);
    expect(others.filter(([, target]) => target === id).map(([action]) => action)).toEqual(['habilitation.suspend', 'habilitation.reinstate']);
    // `traces --user` selects the same way (the extract adds the form's traces).
    const trail = (await client.traces.list({ userId: 'amp-u032' })).items.map((trace) => [trace.action, trace.targetId]).reverse();
    expect(trail).toEqual([
      ['habilitation.suspend', id],
      ['group.removeMember', 'amp-g01'],
      ['user.disable', 'amp-u032'],
    ]);
  });

  // `group edit --member` is the CLI's way of removing a member: its trace was in every remaining member's extract (review 36).
  it('gives an edit of a group’s members to the members it added or removed, not to those it left in place', async () => {
    const client = await demo();
    const group = await client.groups.create('bavans', { name: 'Accueil social', memberIds: ['bavans-u002', 'bavans-u003'], reason: 'Groupe de l’accueil' });
    const edit = await client.groups.edit(group.group.id, { memberIds: ['bavans-u003'], reason: 'Départ d’Inès' });
    const traceIdsOf = async (userId: string) => (await client.traces.list({ userId })).items.map((trace) => trace.id);
    expect(await traceIdsOf('bavans-u002')).toContain(edit.traceId);
    expect(await traceIdsOf('bavans-u003')).not.toContain(edit.traceId);
    expect(await traceIdsOf('bavans-u003')).toContain(group.traceId);
    // Their extracts give those traces with their own membership only: the other member is hers (RGPD art. 15.4).
    const masked = 'seule l’appartenance de la personne au groupe est reprise : les autres membres sont les leurs';
    const groupTraces = async (userId: string) =>
      (await client.traces.forPerson({ userId, requestedBy: 'Agent', dryRun: true })).extract.traces
        .filter((trace) => trace.targetType === 'group')
        .map((trace) => [trace.id, trace.before, trace.after, trace.details, trace.hash]);
    const named = (memberIds: string[]) => ({ id: group.group.id, partnerId: 'bavans', name: 'Accueil social', memberIds });
    expect(await groupTraces('bavans-u002')).toEqual([
      [group.traceId, null, named(['bavans-u002']), { masked }, null],
      [edit.traceId, { memberIds: ['bavans-u002'] }, { memberIds: [] }, { masked }, null],
    ]);
    expect(await groupTraces('bavans-u003')).toEqual([[group.traceId, null, named(['bavans-u003']), { masked }, null]]);
  });

  it('includes the traces of the forms that name them, by e-mail or id, and not what the form did to others', async () => {
    const client = await demo();
    // One by e-mail (as written, in capitals), one by id: a deletion with « perte ou vol ».
    const email = (await client.users.get('amp-u031')).email.toUpperCase();
    await client.requests.add('amp', {
      kind: 'deletion',
      form: {
        people: [
          { name: 'Agent 31', email },
          { name: 'Agent 32', email: 'agent32@amp.fr', userId: 'amp-u032' },
        ],
        lossOrTheft: true,
      },
    });
    await client.requests.apply('amp', 1, { reason: 'Vol de l’ordinateur portable signalé' });
    let chainedSeen = 0;
    const extractOf = async (userId: string) => {
      const { extract } = await client.traces.forPerson({ userId, requestedBy: 'Agent', dryRun: true });
      // The form names the other one too: its traces come without their content (RGPD art. 15.4).
      const other = await client.users.get(userId === 'amp-u031' ? 'amp-u032' : 'amp-u031');
      if (userId !== 'amp-u033') {
        expect(JSON.stringify(extract).toLowerCase()).not.toContain(other.email.toLowerCase());
        expect(extract.traces.find((trace) => trace.action === 'request.add')).toMatchObject({
          after: null,
          details: { masked: 'contenu non repris : le formulaire nomme aussi d’autres personnes' },
          hash: null,
          prevHash: null,
        });
        // Nor do its neighbours give its hashes: the next trace's previous hash is its own.
        const maskedIds = extract.traces.filter((trace) => (trace.details as { masked?: string } | null)?.masked !== undefined).map((trace) => trace.id);
        const hidden = (await client.traces.list({ limit: 500 })).items
          .filter((trace) => maskedIds.includes(trace.id))
          .flatMap((trace) => [trace.hash, trace.prevHash]);
        expect(hidden.length).toBeGreaterThan(0);
        expect(extract.traces.flatMap((trace) => [trace.hash, trace.prevHash]).filter((hash) => hash !== null && hidden.includes(hash))).toEqual([]);
        // Nor does any trace shown after it without a gap: its hash is computed from the masked
        // one's and its own content, shown, and would confirm a guess at the form (trial 24).
        const listed = new Set(extract.traces.map((trace) => trace.id));
        const chainedToMasked = extract.traces.filter((trace) => {
          let id = trace.id;
          while (listed.has(id) && !maskedIds.includes(id)) id -= 1;
          return maskedIds.includes(id) && !maskedIds.includes(trace.id);
        });
        chainedSeen += chainedToMasked.length;
        expect(chainedToMasked.map((trace) => [trace.id, trace.hash, trace.prevHash])).toEqual(chainedToMasked.map((trace) => [trace.id, null, null]));
      }
      return extract.traces.map((trace) => [trace.action, trace.targetId]);
    };
    for (const [userId, other] of [
      ['amp-u031', 'amp-u032'],
      ['amp-u032', 'amp-u031'],
    ]) {
      const traces = await extractOf(userId!);
      expect(traces, userId).toEqual(
        expect.arrayContaining([
          ['request.add', 'amp#1'],
          ['question.add', 'amp#Q1'],
          ['request.apply', 'amp#1'],
          ['user.disable', userId],
        ]),
      );
      expect(traces.filter(([, target]) => target === other)).toEqual([]);
      // Oldest first.
      expect(traces[0]).toEqual(['request.add', 'amp#1']);
    }
    expect(chainedSeen).toBeGreaterThan(0);
    // A person the form does not name gets none of its traces.
    expect((await extractOf('amp-u033')).filter(([action]) => action!.startsWith('request.') || action === 'question.add')).toEqual([]);
  });
});

describe('the workflow commands (workflows.md, « Commands »)', () => {
  const sandbox = new CliSandbox();
  const env = { env: { CAFSUP_ACTOR: `${ACTOR.name} <${ACTOR.email}>` } };
  beforeAll(() => {
    expect(sandbox.run(['demo', '--as-of', AS_OF]).status).toBe(0);
  });
  afterAll(() => sandbox.cleanup());

  it('records and applies a form read from stdin; the refusal names the rule and exits 4', () => {
    const form = JSON.stringify(T4_REQUEST.form);
    expect(
      sandbox.run(['request', 'add', 'bavans', '--kind', 'habilitation', '--received', '2026-11-20', '--file', '-', '--yes'], { ...env, input: form }).stdout,
    ).toBe('Demande n° 1 enregistrée (trace n° 2). Pour l’appliquer : cafsup request apply bavans 1 --reason « … »\n');
    const applied = sandbox.run(['request', 'apply', 'bavans', '1', '--reason', 'Demande signée du maire', '--yes'], env);
    expect(applied.status).toBe(0);
    expect(applied.stdout.split('\n').slice(0, 3)).toEqual([
      'Appliqué :',
      '  utilisateur créé : bavans-u004 Paule Valade <paule.valade@bavans.fr>',
      '  habilitation accordée : bavans-h0005 CDAP T4, département 25, jusqu’au 31/03/2027 (mission temporaire)',
    ]);
    sandbox.run(['request', 'add', 'bavans', '--kind', 'habilitation', '--file', '-', '--yes'], {
      ...env,
      input: form.replaceAll('paule.valade', 'jean.denoix'),
    });
    const refused = sandbox.run(['request', 'apply', 'bavans', '2', '--reason', 'Demande signée du maire', '--yes'], env);
    expect([refused.status, refused.stderr.trim()]).toEqual([
      4,
      'Refusé : Quota CDAP T4 atteint : 2 sur 2 (règle 1, quota dépassé ; bulletin d’adhésion et convention, art. 9.1). Rien n’a été créé ; pour répondre au partenaire : cafsup request refuse bavans 2 --reason « … ».',
    ]);
    // The answer the message suggests: previewed with its reason, then recorded.
    const preview = sandbox.run(['request', 'refuse', 'bavans', '2', '--reason', 'Quota T4 atteint (règle 1)', '--dry-run'], env);
    expect([preview.status, preview.stdout.split('\n')[0]]).toEqual([0, 'Refuserait la demande n° 2 : Quota T4 atteint (règle 1).']);
    const answered = sandbox.run(['request', 'refuse', 'bavans', '2', '--reason', 'Quota T4 atteint (règle 1)', '--yes'], env);
    expect([answered.status, answered.stdout.trim()]).toEqual([0, expect.stringMatching(/^Demande n° 2 refusée \(trace n° \d+\)\.$/)]);
    expect(sandbox.run(['request', 'add', 'bavans', '--kind', 'deletion'], env).status).toBe(2);
  });

  it('lists the campaign for cron (exit 1 when one is overdue) and takes the returned sheet back with its « non » revoked', () => {
    const due = sandbox.run(['review', 'due', '--as-of', AS_OF, '--json'], env);
    expect(due.status).toBe(1);
    expect(JSON.parse(due.stdout).overdue).toBeGreaterThan(0);
    const file = join(sandbox.dir, 'revue-amp.csv');
    expect(sandbox.run(['review', 'kit', 'amp', '--as-of', AS_OF, '--csv', file], env).status).toBe(0);
    const lines = readFileSync(file, 'utf8').split('\r\n');
    const first = lines[1]!.split(';')[0]!;
    lines[1] = lines[1]!.replace(/;;$/, ';non;départ en retraite');
    writeFileSync(file, lines.join('\r\n'));
    const recorded = sandbox.run(['review', 'add', 'amp', '--date', AS_OF, '--reviewer', 'Responsable FSL', '--proof-file', file, '--yes', '--json'], env);
    expect(recorded.status, recorded.stderr).toBe(0);
    const outcome = JSON.parse(recorded.stdout);
    expect(outcome.sha256).toBe(createHash('sha256').update(lines.join('\r\n')).digest('hex'));
    expect(outcome.revoked.changed.map((change: { id: string }) => change.id)).toEqual([first]);
    expect(sandbox.json(['habilitations', 'amp', '--status', 'revoked']).habilitations.map((h: { id: string }) => h.id)).toContain(first);
  });

  it('takes the returned sheet back as XLSX, the file’s digest kept, and refuses a file that is neither (exit 5)', async () => {
    const kit = join(sandbox.dir, 'revue-macs.csv');
    expect(sandbox.run(['review', 'kit', 'macs', '--as-of', AS_OF, '--csv', kit], env).status).toBe(0);
    const rows = readFileSync(kit, 'utf8')
      .replace(/^\ufeff/, '')
      .split('\r\n')
      .filter((line) => line !== '')
      .map((line) => line.split(';'));
    const keep = rows[0]!.indexOf('À conserver (oui/non)');
    const first = rows[1]![0]!;
    rows[1]![keep] = 'non';
    const file = join(sandbox.dir, 'revue-macs.xlsx');
    writeFileSync(file, await workbook([{ name: 'Revue inverse', rows }]));
    const recorded = sandbox.run(['review', 'add', 'macs', '--date', AS_OF, '--reviewer', 'DGS', '--proof-file', file, '--yes', '--json'], env);
    expect(recorded.status, recorded.stderr).toBe(0);
    expect(JSON.parse(recorded.stdout).revoked.changed.map((change: { id: string }) => change.id)).toEqual([first]);
    const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
    const review = sandbox.json(['review', 'list', 'macs']).reviews.find((row: { completedAt: string }) => row.completedAt === AS_OF);
    // The digest kept is the one of the workbook's bytes, as anyone can recompute it from the file.
    expect(review.proof).toBe(`feuille de revue retournée (revue-macs.xlsx), SHA-256 ${digest}`);

    const pdf = join(sandbox.dir, 'revue-macs.pdf');
    writeFileSync(pdf, Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a, 0xe2, 0xe3, 0xcf, 0xd3]));
    const refused = sandbox.run(['review', 'add', 'macs', '--date', AS_OF, '--reviewer', 'DGS', '--proof-file', pdf, '--yes'], env);
    expect(refused.status).toBe(5);
    expect(refused.stderr.trim()).toBe(
      `Feuille de revue ${pdf} : ni un classeur XLSX ni un texte en UTF-8 (un PDF, une image, un CSV en Windows-1252 ?). Attendu : la feuille de « cafsup review kit » enregistrée en CSV (UTF-8) ou en XLSX.`,
    );
  });

  it('proposes the ladder’s next step and gives a person’s extract', () => {
    expect(sandbox.run(['ladder', 'amp', '--as-of', AS_OF], env).stdout.split('\n')[0]).toBe(
      'Prochaine étape : interroger le partenaire sur la pertinence des habilitations (contrat de services, art. 2.2.1) — cafsup question add',
    );
    const extract = sandbox.run(['traces', 'person', 'amp-u031', '--requested-by', 'Agent 31', '--through', 'Responsable FSL', '--yes'], env);
    expect(extract.status, extract.stderr).toBe(0);
    expect(extract.stdout.split('\n')[0]).toMatch(/^# Extrait des traces de /);
    expect(extract.stdout).toMatch(/SHA-256 de l’extrait : [0-9a-f]{64} \(demande enregistrée, trace n° \d+\)/);
  });

  it('refuses a returned sheet that answers « oui » and « non » for one habilitation (exit 5), nothing written', () => {
    const file = join(sandbox.dir, 'revue-doublon.csv');
    writeFileSync(file, '\ufeffHabilitation;À conserver (oui/non);Motif\r\njustice-pontarlier-h0001;oui;\r\njustice-pontarlier-h0001;non;doublon\r\n');
    const reviews = sandbox.json(['review', 'list', 'justice-pontarlier']).reviews;
    const refused = sandbox.run(['review', 'add', 'justice-pontarlier', '--date', AS_OF, '--reviewer', 'Chloé Clément', '--proof-file', file, '--yes'], env);
    expect([refused.status, refused.stdout, refused.stderr.trim()]).toEqual([
      5,
      '',
      'Feuille de revue illisible : sheet[3] : habilitation justice-pontarlier-h0001 en double (lignes 2 et 3).',
    ]);
    expect(sandbox.json(['review', 'list', 'justice-pontarlier']).reviews).toEqual(reviews);
    expect(sandbox.json(['habilitations', 'justice-pontarlier', '--status', 'revoked']).habilitations).toEqual([]);
  });

  it('shows in the dry run which habilitations the sheet’s « non » rows would revoke, as `revoke --dry-run` lists them', () => {
    const file = join(sandbox.dir, 'revue-pontarlier.csv');
    const [first, second, third] = ['justice-pontarlier-h0001', 'justice-pontarlier-h0002', 'justice-pontarlier-h0003'];
    writeFileSync(file, `\ufeffHabilitation;À conserver (oui/non);Motif\r\n${first};oui;\r\n${second};non;départ en retraite\r\n${third};non;\r\n`);
    const args = ['review', 'add', 'justice-pontarlier', '--date', AS_OF, '--reviewer', 'Chloé Clément', '--proof-file', file, '--dry-run'];
    const preview = sandbox.run(args, env);
    expect(preview.status, preview.stderr).toBe(0);
    const revoked = (id: string) =>
      expect.stringMatching(new RegExp(`^  ${id} : statut active → dévalidée, dévalidation — → \\d\\d/\\d\\d/\\d{4} \\d\\d:\\d\\d$`));
    expect(preview.stdout.trim().split('\n').slice(1)).toEqual([
      '  3 lignes : 1 à conserver, 2 à dévalider, 0 sans réponse.',
      '  Prochaine revue due le 22/11/2027.',
      '2 habilitations à dévalider selon la feuille (« non ») :',
      revoked(second),
      revoked(third),
      `  motif du partenaire pour ${second} : départ en retraite`,
      '(simulation : rien n’a été modifié)',
    ]);
    const json = sandbox.json(args, env);
    expect([json.dryRun, json.revoked.dryRun, json.revoked.changed.map((change: { id: string }) => change.id)]).toEqual([true, true, [second, third]]);
    expect(sandbox.json(['habilitations', 'justice-pontarlier', '--status', 'revoked']).habilitations).toEqual([]);
  });

  it('lists for cron an overdue review whose convention ends within the window (notice period), exit 1', () => {
    // saint-leu's review is overdue since 2019; its mise en demeure ends the convention on 2026-12-17.
    const notice = sandbox.run(
      ['notice', 'add', 'saint-leu', '--kind', 'breach', '--received', '2026-11-17', '--reason', 'Manquements persistants', '--yes'],
      env,
    );
    expect(notice.status, notice.stderr).toBe(0);
    for (const within of ['0', '30', '366']) {
      const due = sandbox.run(['review', 'due', '--as-of', AS_OF, '--caf', '95', '--within', within], env);
      expect([due.status, due.stdout.split('\n')[1]]).toEqual([
        1,
        'saint-leu\t\t14/05/2019\tretard 2\u202f749 jours\tJulien Mathieu <julien.mathieu@saint-leu-la-foret.fr>',
      ]);
    }
  });
});

describe('forms and direct records that would name the wrong person (workflows.md, section 1; rules 7 and 8)', () => {
  const sandbox = new CliSandbox();
  const env = { env: { CAFSUP_ACTOR: `${ACTOR.name} <${ACTOR.email}>` } };
  beforeAll(() => {
    expect(sandbox.run(['demo', '--as-of', AS_OF]).status).toBe(0);
  });
  afterAll(() => sandbox.cleanup());

  type Contact = { role: string; order?: number; name: string; email: string };
  const contacts = () =>
    sandbox
      .json<{ convention: { contacts: (Contact & { side: string })[] } }>(['partner', 'saint-leu'])
      .convention.contacts.filter((contact) => contact.side === 'partner' && contact.role === 'administrator')
      .map(({ role, order, name }) => [role, order, name]);
  const head = () => sandbox.json<{ head: { id: number } }>(['traces', 'verify']).head.id;
  const designation = (replaces: { name: string; email: string }) =>
    JSON.stringify({
      role: 'administrator',
      name: 'Anaïs Robin',
      function: 'DGS',
      email: 'anais.robin@saint-leu-la-foret.fr',
      phone: '01 00 00 00 00',
      replaces,
    });

  it('replaces only the administrator a designation names, says who leaves and who comes, and refuses one naming nobody: exit 5, nothing written', () => {
    expect(contacts()).toEqual([
      ['administrator', 1, 'Julien Mathieu'],
      ['administrator', 2, 'Louis Henry'],
    ]);
    const add = (form: string) =>
      sandbox.run(['request', 'add', 'saint-leu', '--kind', 'designation', '--received', '2026-11-20', '--form', form, '--yes'], env);
    // Nobody of that address among the partner's administrators and deputies: refused before anything is written.
    expect(add(designation({ name: 'Paul Nemo', email: 'paul.nemo@saint-leu-la-foret.fr' })).status).toBe(0);
    const before = head();
    const unknown = sandbox.run(['request', 'apply', 'saint-leu', '1', '--reason', 'Remplacement de Paul Nemo', '--yes'], env);
    expect([unknown.status, unknown.stderr.split('\n')[0]]).toEqual([
      5,
      'Demande n° 1 : Paul Nemo <paul.nemo@saint-leu-la-foret.fr>, à remplacer, n’est ni administrateur ni suppléant désigné par la convention de saint-leu (désignés : Julien Mathieu <julien.mathieu@saint-leu-la-foret.fr>, Louis Henry <louis.henry@saint-leu-la-foret.fr>). Rien n’a été modifié.',
    ]);
    expect(head()).toBe(before);
    expect(sandbox.json<{ status: string }>(['request', 'show', 'saint-leu', '1']).status).toBe('received');
    expect(contacts()).toEqual([
      ['administrator', 1, 'Julien Mathieu'],
      ['administrator', 2, 'Louis Henry'],
    ]);

    // The address compared as rule 7 does (case aside): Louis Henry leaves, Julien Mathieu stays.
    expect(add(designation({ name: 'Louis Henry', email: 'LOUIS.Henry@saint-leu-la-foret.fr' })).status).toBe(0);
    const said = [
      '  contact administrateur 2 du partenaire retiré : Louis Henry <louis.henry@saint-leu-la-foret.fr>',
      '  contact administrateur 2 du partenaire ajouté : Anaïs Robin <anais.robin@saint-leu-la-foret.fr>',
    ];
    const preview = sandbox.run(['request', 'apply', 'saint-leu', '2', '--reason', 'Remplacement de Louis Henry', '--dry-run'], env);
    expect([preview.status, preview.stdout.split('\n').slice(0, 3)]).toEqual([0, ['Appliquerait :', ...said]]);
    const applied = sandbox.run(['request', 'apply', 'saint-leu', '2', '--reason', 'Remplacement de Louis Henry', '--yes'], env);
    expect([applied.status, applied.stdout.split('\n').slice(0, 3)]).toEqual([0, ['Appliqué :', ...said]]);
    expect(contacts()).toEqual([
      ['administrator', 1, 'Julien Mathieu'],
      ['administrator', 2, 'Anaïs Robin'],
    ]);
  });

  it('refuses a habilitation request for another person with an existing user’s e-mail (rule 7, as `habilitation add` words it), and says the account when it is the same person', () => {
    const form = (name: string) =>
      JSON.stringify({
        name,
        email: 'LOUIS.roussel@bavans.fr',
        function: 'Agent',
        departement: '25',
        service: 'CDAP',
        profile: 'T4',
        temporary: false,
        endsAt: null,
      });
    const add = (name: string) =>
      sandbox.run(['request', 'add', 'bavans', '--kind', 'habilitation', '--received', '2026-11-20', '--form', form(name), '--yes'], env).status;
    const held = () => sandbox.json<{ habilitations: { id: string }[] }>(['habilitations', 'bavans']).habilitations.length;
    expect(add('Autre Personne')).toBe(0);
    const [before, count] = [head(), held()];
    const refused = sandbox.run(['request', 'apply', 'bavans', '1', '--reason', 'Demande reçue signée', '--yes'], env);
    expect([refused.status, refused.stderr.trim()]).toEqual([
      4,
      'Refusé : Adresse mél LOUIS.roussel@bavans.fr déjà celle de bavans-u001 (règle 7, adresse mél partagée ; convention, art. 9.2 et formulaires de demande d’habilitation (adresse mél personnelle et individuelle)). Rien n’a été créé ; pour répondre au partenaire : cafsup request refuse bavans 1 --reason « … ».',
    ]);
    expect([head(), held()]).toEqual([before, count]);
    // The same person, in other letters, in the order of French forms (NOM Prénom) and with a title (review 36):
    // the habilitation goes to their account, and the output says which.
    expect(add('M. ROUSSEL Louis')).toBe(0);
    const applied = sandbox.run(['request', 'apply', 'bavans', '2', '--reason', 'Demande reçue signée', '--yes'], env);
    expect([applied.status, applied.stdout.split('\n').slice(0, 3)]).toEqual([
      0,
      [
        'Appliqué :',
        '  compte existant : bavans-u001 Louis Roussel (aucun utilisateur créé, l’habilitation lui est accordée)',
        expect.stringMatching(/^ {2}habilitation accordée : bavans-h\d{4} CDAP T4, département 25$/),
      ],
    ]);
  });

  it('refuses `user add` with a shared or a generic e-mail as a request would (rules 7 and 8): exit 4, nothing written', () => {
    const users = () => sandbox.json<{ users: { id: string }[] }>(['users', 'bavans']).users.map((user) => user.id);
    const [before, ids] = [head(), users()];
    const add = (name: string, email: string) =>
      sandbox.run(['user', 'add', 'bavans', '--name', name, '--email', email, '--reason', 'Création directe', '--yes'], env);
    const shared = add('Dup', 'LOUIS.roussel@bavans.fr');
    expect([shared.status, shared.stderr.trim()]).toEqual([
      4,
      'Refusé : Adresse mél LOUIS.roussel@bavans.fr déjà celle de bavans-u001 (règle 7, adresse mél partagée ; convention, art. 9.2 et formulaires de demande d’habilitation (adresse mél personnelle et individuelle)). Rien n’a été créé.',
    ]);
    const generic = add('Dup2', 'accueil@bavans.fr');
    expect([generic.status, generic.stderr.trim()]).toEqual([
      4,
      'Refusé : Adresse mél non nominative : accueil@bavans.fr (règle 8, adresse mél non nominative ; convention, art. 9.2 et formulaires de demande d’habilitation (adresse mél personnelle et individuelle)). Rien n’a été créé.',
    ]);
    expect([head(), users()]).toEqual([before, ids]);
    // An edit giving an existing user another's address is refused alike.
    const edited = sandbox.run(['user', 'edit', 'bavans-u002', '--email', 'louis.roussel@bavans.fr', '--reason', 'Correction de l’adresse', '--yes'], env);
    expect([edited.status, edited.stderr.trim()]).toEqual([
      4,
      'Refusé : Adresse mél louis.roussel@bavans.fr déjà celle de bavans-u001 (règle 7, adresse mél partagée ; convention, art. 9.2 et formulaires de demande d’habilitation (adresse mél personnelle et individuelle)). Rien n’a été modifié.',
    ]);
    expect(head()).toBe(before);
  });
});
