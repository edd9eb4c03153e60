import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CafsupError } from '@cafsup/sdk';
import { ACTOR, convention, dataset, deputy, habilitation, partner, review, user } from './support/fixture.js';
import { openClient, refusalOf, type TestClient } from './support/client.js';

const NOW = '2026-11-22T10:00:00.000Z';
let test: TestClient;

const base = () =>
  dataset({
    partners: [partner('p')],
    conventions: [convention('p', { subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T1', maxUsers: 1 }] }] })],
    users: [deputy('p'), user('u1', 'p'), user('u2', 'p'), user('gone', 'p', { status: 'disabled' })],
    habilitations: [
      habilitation('h1', 'p', { userId: 'u1' }),
      habilitation('h2', 'p', { userId: 'u2' }),
      habilitation('h3', 'p', { userId: 'u2' }, { status: 'suspended', suspendedAt: '2026-11-01T10:00:00Z' }),
      habilitation('h4', 'p', { userId: 'u1' }, { status: 'revoked', revokedAt: '2026-11-01T10:00:00Z' }),
    ],
    reviews: [review('p')],
  });

beforeEach(async () => {
  test = await openClient({ now: NOW, dataset: base() });
});
afterEach(() => test.cleanup());

function countTraces(): number {
  const db = new Database(test.database, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM traces').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('habilitation actions', () => {
  it('suspends with a trace per changed habilitation and reports the no-ops', async () => {
    const result = await test.client.habilitations.suspend(['h1', 'h3', 'h1'], { reason: '  Quota T1 dépassé ' });
    expect(result).toEqual({
      dryRun: false,
      changed: [
        {
          id: 'h1',
          before: { status: 'active', suspendedAt: null, revokedAt: null },
          after: { status: 'suspended', suspendedAt: NOW, revokedAt: null },
          traceId: 2,
        },
      ],
      unchanged: [{ id: 'h3', reason: 'déjà suspendue' }],
    });
    const traces = await test.client.traces.list({ partnerId: 'p' });
    expect(
      traces.items.map(({ id, at, actor, action, targetType, targetId, partnerId, reason, before, after }) => ({
        id,
        at,
        actor,
        action,
        targetType,
        targetId,
        partnerId,
        reason,
        before,
        after,
      })),
    ).toEqual([
      {
        id: 2,
        at: NOW,
        actor: ACTOR,
        action: 'habilitation.suspend',
        targetType: 'habilitation',
        targetId: 'h1',
        partnerId: 'p',
        reason: 'Quota T1 dépassé',
        before: result.changed[0]!.before,
        after: result.changed[0]!.after,
      },
    ]);
    expect(await test.client.habilitations.get('h1')).toMatchObject({ status: 'suspended', suspendedAt: NOW });
  });

  it('writes nothing on a dry run but says exactly what would change', async () => {
    const before = countTraces();
    const dry = await test.client.habilitations.revoke(['h1', 'h3'], { reason: 'Départ de l’agent', dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.changed.map((c) => [c.id, c.after.status, c.traceId])).toEqual([
      ['h1', 'revoked', null],
      ['h3', 'revoked', null],
    ]);
    expect((await test.client.habilitations.get('h1')).status).toBe('active');
    expect(countTraces()).toBe(before);
  });

  it('refuses the whole batch when one habilitation cannot change, and names it', async () => {
    const error = await refusalOf(test.client.habilitations.suspend(['h1', 'h4'], { reason: 'Contrôle annuel' }));
    expect(error).toBeInstanceOf(CafsupError);
    expect(error.code).toBe('CONFLICT');
    expect(error.details.ids).toEqual(['h4']);
    expect((await test.client.habilitations.get('h1')).status).toBe('active');
    expect(countTraces()).toBe(1);
  });

  it('refuses unknown ids as NOT_FOUND and a reason shorter than 5 characters as VALIDATION', async () => {
    expect((await refusalOf(test.client.habilitations.suspend(['h1', 'nope'], { reason: 'Contrôle annuel' }))).details.ids).toEqual(['nope']);
    const short = await refusalOf(test.client.habilitations.suspend(['h1'], { reason: ' abc  ' }));
    expect([short.code, short.details.problems]).toEqual([
      'VALIDATION',
      [{ path: 'options.reason', message: 'motif trop court : au moins 5 caractères visibles' }],
    ]);
    const missing = await refusalOf(test.client.habilitations.suspend(['h1'], {}));
    expect(missing.code).toBe('VALIDATION');
    expect(countTraces()).toBe(1);
  });

  it('reinstates only suspended habilitations and revokes anything not yet revoked', async () => {
    expect((await refusalOf(test.client.habilitations.reinstate(['h1'], { reason: 'Erreur de saisie' }))).code).toBe('CONFLICT');
    const reinstated = await test.client.habilitations.reinstate(['h3'], { reason: 'Erreur de saisie' });
    expect(reinstated.changed[0]!.after).toEqual({ status: 'active', suspendedAt: null, revokedAt: null });
    const revoked = await test.client.habilitations.revoke(['h2'], { reason: 'Fin de mission' });
    expect(revoked.changed[0]!.after).toEqual({ status: 'revoked', suspendedAt: null, revokedAt: NOW });
    expect((await refusalOf(test.client.habilitations.revoke(['h2'], { reason: 'Fin de mission' }))).code).toBe('CONFLICT');
  });

  it('keeps quota usage in step: suspension keeps the place, revocation frees it', async () => {
    const usage = async () => (await test.client.quotas.usage({ asOf: '2026-11-22' })).quotas[0]!;
    expect(await usage()).toMatchObject({ assigned: 2, active: 2, over: true });
    await test.client.habilitations.suspend(['h1'], { reason: 'Quota T1 dépassé' });
    expect(await usage()).toMatchObject({ assigned: 2, active: 1, over: true });
    await test.client.habilitations.revoke(['h1'], { reason: 'Quota T1 dépassé' });
    expect(await usage()).toMatchObject({ assigned: 1, active: 1, over: false });
  });
});

describe('user actions', () => {
  it('suspends and reinstates users, never a disabled one', async () => {
    const suspended = await test.client.users.suspend(['u1'], { reason: 'Compte partagé signalé' });
    expect(suspended.changed[0]).toMatchObject({ before: { status: 'active' }, after: { status: 'suspended' } });
    expect((await test.client.users.suspend(['u1'], { reason: 'Compte partagé signalé' })).unchanged).toEqual([{ id: 'u1', reason: 'déjà suspendu' }]);
    expect((await refusalOf(test.client.users.suspend(['gone'], { reason: 'Compte partagé signalé' }))).code).toBe('CONFLICT');
    expect((await test.client.users.reinstate(['u1'], { reason: 'Vérification faite' })).changed[0]!.after.status).toBe('active');
    expect((await test.client.quotas.usage({ asOf: '2026-11-22' })).quotas[0]).toMatchObject({ assigned: 2, active: 2 });
  });

  it('forces a password change for listed users or a whole partner, leaving disabled users aside', async () => {
    const some = await test.client.users.forcePasswordReset(['u1'], { reason: 'Compte partagé signalé' });
    expect(some.changed.map((c) => [c.id, c.after.mustChangePassword])).toEqual([['u1', true]]);
    const all = await test.client.users.forcePasswordReset({ partnerId: 'p' }, { reason: 'Fuite de mots de passe' });
    expect(all.changed.map((c) => c.id)).toEqual(['p-deputy', 'u2']);
    expect(all.unchanged).toEqual([{ id: 'u1', reason: 'changement de mot de passe déjà demandé' }]);
    expect((await refusalOf(test.client.users.forcePasswordReset(['gone'], { reason: 'Fuite de mots de passe' }))).code).toBe('CONFLICT');
  });
});

describe('delegation, avenants and reviews', () => {
  it('withdraws the delegation at once and drafts the avenant that records it', async () => {
    const result = await test.client.partners.withdrawDelegation('p', { reason: 'Manquements répétés' });
    expect(result.changed).toEqual([
      {
        id: 'p',
        before: { managementMode: 'delegated', delegationWithdrawnAt: null },
        after: { managementMode: 'centralised', delegationWithdrawnAt: '2026-11-22' },
        traceId: 2,
      },
    ]);
    expect(result.avenant).toMatchObject({
      number: 1,
      signedByCafAt: null,
      signedByPartnerAt: null,
      changes: [{ type: 'setManagementMode', mode: 'centralised' }],
      traceId: 3,
    });
    const detail = await test.client.partners.get('p', { asOf: '2026-11-22' });
    expect([detail.terms.managementMode, detail.convention.delegationWithdrawnAt]).toEqual(['centralised', '2026-11-22']);
    expect((await test.client.avenants.list('p')).map((a) => [a.number, a.signed, a.applies])).toEqual([[1, false, false]]);
    expect((await refusalOf(test.client.partners.withdrawDelegation('p', { reason: 'Manquements répétés' }))).code).toBe('CONFLICT');
    expect((await test.client.audit.run({ asOf: '2026-11-22', rules: ['NO_DEPUTY', 'REVIEW_OVERDUE'] })).flags).toEqual([]);
  });

  it('refuses a second withdrawal, even once an avenant gave the delegation back: the recorded date stays, no second draft', async () => {
    // Delegation given back the next day by a signed avenant, then withdrawn today.
    const back = await test.client.avenants.create('p', {
      title: 'Retour à la gestion déléguée',
      effectiveAt: '2026-11-23',
      signedByCafAt: '2026-11-22',
      signedByPartnerAt: '2026-11-22',
      changes: [{ type: 'setManagementMode', mode: 'delegated' }],
    });
    expect(back.avenant.number).toBe(1);
    await test.client.partners.withdrawDelegation('p', { reason: 'Manquements répétés' });
    const modeOn = async (asOf: string) => {
      const detail = await test.client.partners.get('p', { asOf });
      return [detail.terms.managementMode, detail.convention.delegationWithdrawnAt];
    };
    expect([await modeOn('2026-11-22'), await modeOn('2026-11-23')]).toEqual([
      ['centralised', '2026-11-22'],
      ['delegated', '2026-11-22'],
    ]);
    // The next day, delegated again: a second withdrawal would move the recorded date.
    const tomorrow = await openClient({ now: '2026-11-23T10:00:00.000Z', database: test.database });
    try {
      const traces = countTraces();
      const refused = await refusalOf(tomorrow.client.partners.withdrawDelegation('p', { reason: 'Manquements encore' }));
      expect([refused.code, refused.message]).toEqual([
        'CONFLICT',
        'Un retrait de la délégation de p est déjà enregistré, le 22 novembre 2026 : un second retrait remplacerait cette date, rien n’a été modifié. Pour reprendre la gestion, faites signer un avenant de gestion centralisée (cafsup avenant add p).',
      ]);
      expect(countTraces()).toBe(traces);
    } finally {
      await tomorrow.cleanup();
    }
    // The past reads as it did, and the withdrawal's draft is the only one.
    expect([await modeOn('2026-11-22'), await modeOn('2026-11-23')]).toEqual([
      ['centralised', '2026-11-22'],
      ['delegated', '2026-11-22'],
    ]);
    expect((await test.client.avenants.list('p')).map((a) => [a.number, a.signed])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('numbers avenants, signs each side, and applies them once both signed', async () => {
    const created = await test.client.avenants.create('p', {
      title: 'Avenant 1 : T1 porté à 3',
      changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: 3 }],
    });
    expect([created.avenant.number, created.traceId]).toEqual([1, 2]);
    await test.client.avenants.sign('p', 1, { side: 'caf', date: '2026-11-22' });
    expect((await test.client.quotas.usage({ asOf: '2026-11-22' })).quotas[0]!.maxUsers).toBe(1);
    const signed = await test.client.avenants.sign('p', 1, { side: 'partner', date: '2026-11-22' });
    expect(signed.avenant).toMatchObject({ signedByCafAt: '2026-11-22', signedByPartnerAt: '2026-11-22' });
    expect((await test.client.quotas.usage({ asOf: '2026-11-21' })).quotas[0]!.maxUsers).toBe(1);
    expect((await test.client.quotas.usage({ asOf: '2026-11-22' })).quotas[0]).toMatchObject({ maxUsers: 3, over: false });
    expect((await refusalOf(test.client.avenants.sign('p', 1, { side: 'caf', date: '2026-11-21' }))).code).toBe('CONFLICT');
    expect((await refusalOf(test.client.avenants.sign('p', 9, { side: 'caf', date: '2026-11-22' }))).code).toBe('NOT_FOUND');
    const next = await test.client.avenants.create('p', { title: 'Avenant 2', changes: [{ type: 'note', text: 'Nouvelle adresse' }] });
    expect(next.avenant.number).toBe(2);
    // Signed before it existed, or on a day to come (which could then never be corrected): refused, nothing signed.
    const early = await refusalOf(test.client.avenants.sign('p', 2, { side: 'caf', date: '2026-11-21' }));
    expect([early.code, early.details.problems]).toEqual([
      'VALIDATION',
      [{ path: 'date', message: 'antérieure à la création de l’avenant (22 novembre 2026)' }],
    ]);
    const later = await refusalOf(test.client.avenants.sign('p', 2, { side: 'partner', date: '2026-11-23' }));
    expect([later.code, later.message]).toEqual([
      'VALIDATION',
      'Date de signature du 23 novembre 2026, dans le futur : une signature s’enregistre une fois faite.',
    ]);
    const atCreation = await refusalOf(
      test.client.avenants.create('p', { title: 'Avenant 3', changes: [{ type: 'note', text: 'x' }], signedByCafAt: '2026-11-23' }),
    );
    expect(atCreation.details.problems).toEqual([{ path: 'signedByCafAt', message: 'date dans le futur' }]);
    expect((await test.client.avenants.list('p')).map((avenant) => [avenant.number, avenant.signedByCafAt, avenant.signedByPartnerAt])).toEqual([
      [1, '2026-11-22', '2026-11-22'],
      [2, null, null],
    ]);
  });

  it('refuses changes that do not parse, naming the field', async () => {
    const error = await refusalOf(
      test.client.avenants.create('p', { title: 'Mauvais', changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T3', maxUsers: -1 }] } as never),
    );
    expect(error.code).toBe('VALIDATION');
    expect(error.details.problems!.map((problem) => problem.path)).toEqual(['draft.changes[0].maxUsers', 'draft.changes[0].profile']);
    expect((await refusalOf(test.client.avenants.create('p', { title: 'Vide', changes: [{ type: 'grow' }] } as never))).code).toBe('VALIDATION');
  });

  it('records reviews, never in the future, and they clear REVIEW_OVERDUE', async () => {
    expect((await refusalOf(test.client.reviews.record('p', { completedAt: '2026-11-23', reviewer: 'Dominique Martin' }))).code).toBe('VALIDATION');
    const recorded = await test.client.reviews.record('p', { completedAt: '2026-11-22', reviewer: 'Dominique Martin', proof: 'courrier du 22/11/2026' });
    expect(recorded.review).toEqual({ partnerId: 'p', completedAt: '2026-11-22', reviewer: 'Dominique Martin', proof: 'courrier du 22/11/2026' });
    expect((await test.client.reviews.list('p')).map((r) => r.completedAt)).toEqual(['2026-06-30', '2026-11-22']);
  });
});

describe('who acts', () => {
  it('refuses every write without an actor', async () => {
    const { createClient } = await import('@cafsup/sdk');
    const anonymous = createClient({ database: test.database });
    try {
      const error = await refusalOf(anonymous.habilitations.suspend(['h1'], { reason: 'Contrôle annuel' }));
      expect([error.code, error.details.problems]).toEqual(['VALIDATION', [{ path: 'actor', message: 'personne qui agit manquante' }]]);
      expect((await anonymous.partners.list()).items.map((p) => p.id)).toEqual(['p']);
    } finally {
      await anonymous.close();
    }
  });
});
