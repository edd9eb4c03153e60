import { afterEach, describe, expect, it } from 'vitest';
import { convention, dataset, deputy, habilitation, partner, review, user } from './support/fixture.js';
import { openClient, type TestClient } from './support/client.js';

const ASOF = '2026-11-22';
let opened: TestClient[] = [];
afterEach(async () => {
  await Promise.all(opened.map((entry) => entry.cleanup()));
  opened = [];
});

type Json = Record<string, unknown>;

/** One quiet partner "p" (deputy, recent review, quota T1 × 5) plus what the test adds. */
function quiet(parts: { conventions?: Json[]; users?: Json[]; groups?: Json[]; habilitations?: Json[]; reviews?: Json[]; partners?: Json[] } = {}) {
  return dataset({
    partners: parts.partners ?? [partner('p')],
    conventions: parts.conventions ?? [convention('p')],
    users: [...(parts.partners === undefined ? [deputy('p')] : []), ...(parts.users ?? [])],
    groups: parts.groups ?? [],
    habilitations: parts.habilitations ?? [],
    reviews: parts.reviews ?? [review('p')],
  });
}

async function flagsOf(data: Json, query: Json = {}): Promise<Json[]> {
  const test = await openClient({ dataset: data });
  opened.push(test);
  const report = await test.client.audit.run({ asOf: ASOF, ...query });
  return report.flags.map(({ article: _article, message: _message, severity: _severity, ...rest }) => rest);
}

async function quotasOf(data: Json) {
  const test = await openClient({ dataset: data });
  opened.push(test);
  return (await test.client.quotas.usage({ asOf: ASOF })).quotas;
}

const t1 = (max: number, departements?: string[]) => [
  { service: 'CDAP', availableFrom: null, quotas: [{ profile: 'T1', maxUsers: max, ...(departements ? { departements } : {}) }] },
];

describe('rule 1 QUOTA_EXCEEDED and quota usage', () => {
  const holders = {
    conventions: [convention('p', { subscriptions: t1(2) })],
    users: [
      user('u1', 'p'),
      user('u2', 'p'),
      user('u3', 'p', { status: 'suspended' }),
      user('u4', 'p'),
      user('u5', 'p', { status: 'disabled' }),
      user('u6', 'p'),
    ],
    groups: [{ id: 'g1', partnerId: 'p', name: 'Instructeurs', memberIds: ['u4', 'u5'] }],
    habilitations: [
      habilitation('h1', 'p', { userId: 'u1' }, { grantedAt: '2026-01-01T10:00:00+01:00' }),
      habilitation('h2', 'p', { userId: 'u2' }, { grantedAt: '2026-02-01T10:00:00+01:00', status: 'suspended', suspendedAt: '2026-11-20T10:00:00+01:00' }),
      habilitation('h3', 'p', { userId: 'u3' }, { grantedAt: '2026-03-01T10:00:00+01:00' }),
      habilitation('h4', 'p', { groupId: 'g1' }, { grantedAt: '2026-03-01T10:00:00+01:00' }),
      habilitation('h5', 'p', { userId: 'u4' }, { grantedAt: '2025-12-01T10:00:00+01:00', status: 'revoked', revokedAt: '2026-01-01T10:00:00+01:00' }),
      habilitation('h6', 'p', { userId: 'u5' }, { grantedAt: '2025-01-01T10:00:00+01:00' }),
      habilitation('h7', 'p', { userId: 'u6' }, { grantedAt: '2026-02-28T23:30:00Z' }),
    ],
  };

  it('counts holders directly and through groups; suspension keeps the place, revocation and disabled users do not', async () => {
    expect(await quotasOf(quiet(holders))).toEqual([
      { partnerId: 'p', conventionNumber: 'C-p', service: 'CDAP', profile: 'T1', maxUsers: 2, departements: null, assigned: 5, active: 3, over: true },
    ]);
  });

  it('names as excess the holders granted last, by instant then user id', async () => {
    // u1 Jan, u2 Feb, u6 28 Feb 23:30Z (1 Mar in Paris but earlier than u3/u4 at 09:00Z), u3 and u4 1 Mar 09:00Z.
    expect(await flagsOf(quiet(holders), { rules: ['QUOTA_EXCEEDED'] })).toEqual([
      { rule: 'QUOTA_EXCEEDED', partnerId: 'p', service: 'CDAP', profile: 'T1', assigned: 5, maxUsers: 2, excessUserIds: ['u6', 'u3', 'u4'] },
    ]);
  });

  it('does not fire when the quota is exactly used', async () => {
    const data = quiet({
      conventions: [convention('p', { subscriptions: t1(2) })],
      users: [user('u1', 'p'), user('u2', 'p')],
      habilitations: [habilitation('h1', 'p', { userId: 'u1' }), habilitation('h2', 'p', { userId: 'u2' }), habilitation('h3', 'p', { userId: 'u2' })],
    });
    expect(await flagsOf(data, { rules: ['QUOTA_EXCEEDED'] })).toEqual([]);
    expect((await quotasOf(data))[0]).toMatchObject({ assigned: 2, active: 2, over: false });
  });

  it('follows a quota raised by an avenant only once both sides signed', async () => {
    const base = {
      users: [user('u1', 'p'), user('u2', 'p')],
      habilitations: [habilitation('h1', 'p', { userId: 'u1' }), habilitation('h2', 'p', { userId: 'u2' })],
    };
    const raise = (signedByPartnerAt: string | null) =>
      convention('p', {
        subscriptions: t1(1),
        avenants: [
          {
            number: 1,
            title: 'T1 à 2',
            signedByCafAt: '2026-11-01',
            signedByPartnerAt,
            changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: 2 }],
          },
        ],
      });
    expect((await quotasOf(quiet({ ...base, conventions: [raise(null)] })))[0]).toMatchObject({ maxUsers: 1, over: true });
    expect((await quotasOf(quiet({ ...base, conventions: [raise('2026-11-23')] })))[0]).toMatchObject({ maxUsers: 1, over: true });
    expect((await quotasOf(quiet({ ...base, conventions: [raise('2026-11-22')] })))[0]).toMatchObject({ maxUsers: 2, over: false });
  });

  it('lists no quota for a partner whose convention is not in force', async () => {
    expect(await quotasOf(quiet({ conventions: [convention('p', { signedAt: null })] }))).toEqual([]);
  });
});

describe('rules 2 and 3: profile and département scope', () => {
  const data = quiet({
    conventions: [
      convention('p', {
        subscriptions: [
          {
            service: 'CDAP',
            quotas: [
              { profile: 'T1', maxUsers: 5, departements: ['13', '83'] },
              { profile: 'T2', maxUsers: 0 },
              { profile: 'T4', maxUsers: 5 },
            ],
          },
        ],
      }),
    ],
    users: [user('u1', 'p')],
    habilitations: [
      habilitation('h1', 'p', { userId: 'u1' }, { departement: '84' }),
      habilitation('h2', 'p', { userId: 'u1' }, { departement: '13' }),
      habilitation('h3', 'p', { userId: 'u1' }),
      habilitation('h4', 'p', { userId: 'u1' }, { profile: 'T2' }),
      habilitation('h5', 'p', { userId: 'u1' }, { profile: 'T5', status: 'suspended', suspendedAt: '2026-11-20T10:00:00Z' }),
      habilitation('h6', 'p', { userId: 'u1' }, { profile: 'T6', status: 'revoked', revokedAt: '2026-11-20T10:00:00Z' }),
      habilitation('h7', 'p', { userId: 'u1' }, { profile: 'T4', departement: '84' }),
      habilitation('h8', 'p', { userId: 'u1' }, { profile: 'T2' }),
    ],
  });

  it('flags held habilitations outside the bulletin or its départements, one without département reaching them all', async () => {
    expect(await flagsOf(data, { rules: ['PROFILE_NOT_SUBSCRIBED', 'DEPARTEMENT_OUT_OF_SCOPE'] })).toEqual([
      { rule: 'PROFILE_NOT_SUBSCRIBED', partnerId: 'p', habilitationId: 'h4' },
      { rule: 'PROFILE_NOT_SUBSCRIBED', partnerId: 'p', habilitationId: 'h5' },
      { rule: 'PROFILE_NOT_SUBSCRIBED', partnerId: 'p', habilitationId: 'h8' },
      { rule: 'DEPARTEMENT_OUT_OF_SCOPE', partnerId: 'p', habilitationId: 'h1', departement: '84' },
      { rule: 'DEPARTEMENT_OUT_OF_SCOPE', partnerId: 'p', habilitationId: 'h3', departement: null },
    ]);
  });
});

describe('rule 4 MISSION_ENDED', () => {
  it('fires the day after the mission end, for users holding something directly or through a group', async () => {
    const data = quiet({
      users: [
        user('u1', 'p', { missionEndAt: '2026-11-21' }),
        user('u2', 'p', { missionEndAt: '2026-11-22' }),
        user('u3', 'p', { missionEndAt: '2026-01-01', status: 'disabled' }),
        user('u4', 'p', { missionEndAt: '2026-01-01' }),
        user('u5', 'p', { missionEndAt: '2026-01-01', status: 'suspended' }),
        user('u6', 'p', { missionEndAt: '2026-01-01' }),
      ],
      groups: [{ id: 'g1', partnerId: 'p', name: 'G', memberIds: ['u5'] }],
      habilitations: [
        habilitation('h1', 'p', { userId: 'u1' }),
        habilitation('h2', 'p', { userId: 'u2' }),
        habilitation('h3', 'p', { userId: 'u3' }),
        habilitation('h5', 'p', { groupId: 'g1' }, { status: 'suspended', suspendedAt: '2026-11-20T10:00:00Z' }),
        habilitation('h6', 'p', { userId: 'u6' }, { status: 'revoked', revokedAt: '2026-11-20T10:00:00Z' }),
      ],
    });
    expect(await flagsOf(data, { rules: ['MISSION_ENDED'] })).toEqual([
      { rule: 'MISSION_ENDED', partnerId: 'p', userId: 'u1', missionEndAt: '2026-11-21' },
      { rule: 'MISSION_ENDED', partnerId: 'p', userId: 'u5', missionEndAt: '2026-01-01' },
    ]);
  });
});

describe('rule 4 MISSION_ENDED for a temporary habilitation', () => {
  it('fires the day after its endsAt, whatever its holder, with a null userId for a group', async () => {
    const data = quiet({
      users: [user('u1', 'p'), user('u2', 'p', { status: 'disabled' }), user('u3', 'p', { missionEndAt: '2026-11-01' })],
      groups: [{ id: 'g1', partnerId: 'p', name: 'G', memberIds: ['u1'] }],
      habilitations: [
        habilitation('h1', 'p', { userId: 'u1' }, { endsAt: '2026-11-21' }),
        habilitation('h2', 'p', { userId: 'u1' }, { endsAt: '2026-11-22' }),
        habilitation('h3', 'p', { userId: 'u2' }, { endsAt: '2026-01-01', status: 'suspended', suspendedAt: '2026-11-20T10:00:00Z' }),
        habilitation('h4', 'p', { groupId: 'g1' }, { endsAt: '2026-01-01' }),
        habilitation('h5', 'p', { userId: 'u1' }, { endsAt: '2026-01-01', status: 'revoked', revokedAt: '2026-01-02T10:00:00Z' }),
        habilitation('h6', 'p', { userId: 'u3' }, { endsAt: '2026-10-15' }),
      ],
    });
    const test = await openClient({ dataset: data });
    opened.push(test);
    const report = await test.client.audit.run({ asOf: ASOF, rules: ['MISSION_ENDED'] });
    expect(report.flags.map(({ severity: _s, article: _a, ...rest }) => rest)).toEqual([
      {
        rule: 'MISSION_ENDED',
        partnerId: 'p',
        userId: 'u3',
        missionEndAt: '2026-11-01',
        message: 'Mission terminée le 1er novembre 2026 : u3 garde des habilitations.',
      },
      {
        rule: 'MISSION_ENDED',
        partnerId: 'p',
        userId: 'u1',
        missionEndAt: '2026-11-21',
        habilitationId: 'h1',
        message: 'Mission temporaire terminée le 21 novembre 2026 : l’habilitation h1 (u1) n’a pas été retirée.',
      },
      {
        rule: 'MISSION_ENDED',
        partnerId: 'p',
        userId: 'u2',
        missionEndAt: '2026-01-01',
        habilitationId: 'h3',
        message: 'Mission temporaire terminée le 1er janvier 2026 : l’habilitation h3 (u2) n’a pas été retirée.',
      },
      {
        rule: 'MISSION_ENDED',
        partnerId: 'p',
        userId: null,
        missionEndAt: '2026-01-01',
        habilitationId: 'h4',
        message: 'Mission temporaire terminée le 1er janvier 2026 : l’habilitation h4 (le groupe g1) n’a pas été retirée.',
      },
      {
        rule: 'MISSION_ENDED',
        partnerId: 'p',
        userId: 'u3',
        missionEndAt: '2026-10-15',
        habilitationId: 'h6',
        message: 'Mission temporaire terminée le 15 octobre 2026 : l’habilitation h6 (u3) n’a pas été retirée.',
      },
    ]);
    expect(report.flags[0]!.article).toBe('convention, art. 9.2 et formulaire « demande individuelle d’habilitation » (mission temporaire, date de fin)');
  });
});

describe('rule 5 DORMANT_ACCOUNT', () => {
  it('fires at exactly 90 days, read as Paris calendar days', async () => {
    const data = quiet({
      users: [
        user('u90', 'p', { lastLoginAt: '2026-08-24T08:00:00+02:00' }),
        user('u89', 'p', { lastLoginAt: '2026-08-25T08:00:00+02:00' }),
        // 23:30 UTC on 24 August is 25 August in Paris: 89 days, no flag.
        user('late', 'p', { lastLoginAt: '2026-08-24T23:30:00Z' }),
        user('never', 'p', { lastLoginAt: null, createdAt: '2026-01-05T10:00:00+01:00' }),
        user('onlySuspended', 'p', { lastLoginAt: '2025-01-01T10:00:00Z' }),
        user('suspendedUser', 'p', { lastLoginAt: '2025-01-01T10:00:00Z', status: 'suspended' }),
        user('viaGroup', 'p', { lastLoginAt: '2025-01-01T10:00:00Z' }),
      ],
      groups: [{ id: 'g1', partnerId: 'p', name: 'G', memberIds: ['viaGroup'] }],
      habilitations: ['u90', 'u89', 'late', 'never', 'suspendedUser']
        .map((id) => habilitation(`h-${id}`, 'p', { userId: id }))
        .concat([
          habilitation('h-s', 'p', { userId: 'onlySuspended' }, { status: 'suspended', suspendedAt: '2026-11-20T10:00:00Z' }),
          habilitation('h-g', 'p', { groupId: 'g1' }),
        ]),
    });
    expect(await flagsOf(data, { rules: ['DORMANT_ACCOUNT'] })).toEqual([
      { rule: 'DORMANT_ACCOUNT', partnerId: 'p', userId: 'never', lastSeenAt: '2026-01-05T10:00:00+01:00', days: 321 },
      { rule: 'DORMANT_ACCOUNT', partnerId: 'p', userId: 'u90', lastSeenAt: '2026-08-24T08:00:00+02:00', days: 90 },
      { rule: 'DORMANT_ACCOUNT', partnerId: 'p', userId: 'viaGroup', lastSeenAt: '2025-01-01T10:00:00Z', days: 690 },
    ]);
  });
});

describe('rule 6 PASSWORD_STALE', () => {
  it('fires at exactly 365 days for active users not already asked to change it', async () => {
    const data = quiet({
      users: [
        user('u365', 'p', { passwordChangedAt: '2025-11-22T09:00:00+01:00' }),
        user('u364', 'p', { passwordChangedAt: '2025-11-23T09:00:00+01:00' }),
        user('asked', 'p', { passwordChangedAt: '2024-01-01T09:00:00+01:00', mustChangePassword: true }),
        user('suspended', 'p', { passwordChangedAt: '2024-01-01T09:00:00+01:00', status: 'suspended' }),
        user('fromCreation', 'p', { passwordChangedAt: null, createdAt: '2025-11-21T23:30:00Z' }),
      ],
    });
    // Created at 23:30 UTC on 21 November 2025, that is 22 November in Paris: 365 days.
    expect(await flagsOf(data, { rules: ['PASSWORD_STALE'] })).toEqual([
      { rule: 'PASSWORD_STALE', partnerId: 'p', userId: 'fromCreation', days: 365 },
      { rule: 'PASSWORD_STALE', partnerId: 'p', userId: 'u365', days: 365 },
    ]);
    const older = quiet({ users: [user('fromCreation', 'p', { passwordChangedAt: null, createdAt: '2025-11-21T22:30:00Z' })] });
    expect(await flagsOf(older, { rules: ['PASSWORD_STALE'] })).toEqual([{ rule: 'PASSWORD_STALE', partnerId: 'p', userId: 'fromCreation', days: 366 }]);
  });
});

describe('rules 7 and 8: shared and non-personal addresses', () => {
  it('groups addresses trimmed and case-insensitive within a partner, disabled users aside', async () => {
    const data = quiet({
      partners: [partner('p'), partner('q')],
      conventions: [convention('p'), convention('q', { managementMode: 'centralised' })],
      users: [
        user('u2', 'p', { email: ' Agent@Mairie.fr' }),
        user('u1', 'p', { email: 'agent@mairie.fr ' }),
        user('u3', 'p', { email: 'AGENT@mairie.fr', status: 'disabled' }),
        user('u4', 'q', { email: 'agent@mairie.fr' }),
        user('u5', 'p', { email: 'solo@mairie.fr' }),
        user('u6', 'p', { email: 'solo@mairie.fr', status: 'disabled' }),
        user('u7', 'p', { email: 'Accueil+CCAS@mairie.fr' }),
        user('u8', 'p', { email: 'accueil.jean@mairie.fr' }),
        user('u9', 'p', { email: 'mairie@mairie.fr', status: 'disabled' }),
        user('u10', 'p', { email: 'mairie@mairie.fr', status: 'suspended' }),
      ],
    });
    expect(await flagsOf(data, { rules: ['SHARED_EMAIL', 'NON_PERSONAL_EMAIL'] })).toEqual([
      { rule: 'SHARED_EMAIL', partnerId: 'p', email: 'agent@mairie.fr', userIds: ['u1', 'u2'] },
      { rule: 'NON_PERSONAL_EMAIL', partnerId: 'p', userId: 'u10', email: 'mairie@mairie.fr' },
      { rule: 'NON_PERSONAL_EMAIL', partnerId: 'p', userId: 'u7', email: 'Accueil+CCAS@mairie.fr' },
    ]);
  });
});

describe('rule 9 MULTIPLE_PROFILES', () => {
  it('counts profiles held directly and through groups, in code-point order', async () => {
    const data = quiet({
      conventions: [convention('p', { subscriptions: [{ service: 'CDAP', quotas: ['T1', 'T13', 'T2'].map((profile) => ({ profile, maxUsers: 5 })) }] })],
      users: [user('u1', 'p'), user('u2', 'p'), user('u3', 'p', { status: 'disabled' })],
      groups: [{ id: 'g1', partnerId: 'p', name: 'G', memberIds: ['u1', 'u3'] }],
      habilitations: [
        habilitation('h1', 'p', { userId: 'u1' }, { profile: 'T2' }),
        habilitation('h2', 'p', { groupId: 'g1' }, { profile: 'T13' }),
        habilitation('h3', 'p', { userId: 'u2' }, { profile: 'T1' }),
        habilitation('h4', 'p', { userId: 'u2' }, { profile: 'T1' }),
        habilitation('h5', 'p', { userId: 'u2' }, { profile: 'T2', status: 'revoked', revokedAt: '2026-11-01T10:00:00Z' }),
        habilitation('h6', 'p', { userId: 'u3' }, { profile: 'T2' }),
      ],
    });
    expect(await flagsOf(data, { rules: ['MULTIPLE_PROFILES'] })).toEqual([
      { rule: 'MULTIPLE_PROFILES', partnerId: 'p', userId: 'u1', service: 'CDAP', profiles: ['T13', 'T2'] },
    ]);
  });
});

describe('rule 10 CONVENTION_NOT_IN_FORCE', () => {
  it('fires for drafts and terminated conventions with held habilitations, and silences the convention rules', async () => {
    const data = quiet({
      partners: [partner('draft'), partner('ended'), partner('empty'), partner('p')],
      conventions: [
        convention('draft', { signedAt: '2026-11-23', subscriptions: t1(0) }),
        convention('ended', { termination: { kind: 'breach', noticeReceivedAt: '2026-10-22' } }),
        convention('empty', { signedAt: null }),
        convention('p'),
      ],
      users: [user('d1', 'draft'), user('e1', 'ended'), user('x1', 'empty'), deputy('p')],
      habilitations: [
        habilitation('hd1', 'draft', { userId: 'd1' }),
        habilitation('hd2', 'draft', { userId: 'd1' }, { status: 'suspended', suspendedAt: '2026-11-21T10:00:00Z' }),
        habilitation('he1', 'ended', { userId: 'e1' }),
        habilitation('hx1', 'empty', { userId: 'x1' }, { status: 'revoked', revokedAt: '2026-11-01T10:00:00Z' }),
      ],
    });
    expect(await flagsOf(data, { rules: ['CONVENTION_NOT_IN_FORCE', 'PROFILE_NOT_SUBSCRIBED', 'NO_DEPUTY', 'REVIEW_OVERDUE', 'QUOTA_EXCEEDED'] })).toEqual([
      { rule: 'CONVENTION_NOT_IN_FORCE', partnerId: 'draft', status: 'draft', heldCount: 2 },
      { rule: 'CONVENTION_NOT_IN_FORCE', partnerId: 'ended', status: 'terminated', heldCount: 1 },
    ]);
  });
});

describe('convention state at the boundaries (art. 17)', () => {
  const held = (id: string, overrides: Json = {}) => ({
    partners: [partner(id)],
    conventions: [convention(id, overrides)],
    users: [user(`${id}-u`, id), deputy(id)],
    habilitations: [habilitation(`${id}-h`, id, { userId: `${id}-u` })],
    reviews: [review(id)],
  });
  const statusOf = async (overrides: Json, asOf = ASOF) => {
    const test = await openClient({ dataset: quiet(held('p', overrides)) });
    opened.push(test);
    const [row] = (await test.client.partners.list({ asOf })).items;
    const flags = (await test.client.audit.run({ asOf, rules: ['CONVENTION_NOT_IN_FORCE'] })).flags;
    return {
      status: row!.conventionStatus,
      endsAt: row!.endsAt,
      nextRenewalAt: row!.nextRenewalAt,
      flags: flags.map((flag) => ('status' in flag ? flag.status : null)),
    };
  };

  it('counts a breach remedy only once its date is reached (the day before, on and after asOf)', async () => {
    const breach = (remediedAt: string) => ({ termination: { kind: 'breach', noticeReceivedAt: '2026-10-22', remediedAt } });
    expect(await statusOf(breach('2026-11-21'))).toEqual({ status: 'active', endsAt: null, nextRenewalAt: '2027-01-15', flags: [] });
    expect(await statusOf(breach('2026-11-22'))).toEqual({ status: 'active', endsAt: null, nextRenewalAt: '2027-01-15', flags: [] });
    expect(await statusOf(breach('2026-11-23'))).toEqual({ status: 'terminated', endsAt: '2026-11-22', nextRenewalAt: null, flags: ['terminated'] });
    expect(await statusOf(breach('2026-11-23'), '2026-11-21')).toEqual({ status: 'notice', endsAt: '2026-11-22', nextRenewalAt: null, flags: [] });
    const test = await openClient({ dataset: quiet(held('p', breach('2026-11-23'))) });
    opened.push(test);
    expect((await test.client.audit.run({ asOf: ASOF })).flags.map((flag) => flag.message)).toEqual([
      'Convention C-p (résiliée le 22 novembre 2026 ; mise en demeure : reçue le 22 octobre 2026, manquement corrigé le 23 novembre 2026, fin le 22 novembre 2026) alors que 1 habilitation reste active ou suspendue.',
    ]);
  });

  it('ends a convention without tacit renewal one year after its start, on asOf', async () => {
    const once = { signedAt: '2025-11-22', tacitRenewal: false };
    expect(await statusOf(once, '2026-11-21')).toEqual({ status: 'active', endsAt: '2026-11-22', nextRenewalAt: null, flags: [] });
    expect(await statusOf(once)).toEqual({ status: 'terminated', endsAt: '2026-11-22', nextRenewalAt: null, flags: ['terminated'] });
    const test = await openClient({ dataset: quiet(held('p', once)) });
    opened.push(test);
    expect((await test.client.audit.run({ asOf: ASOF, rules: ['CONVENTION_NOT_IN_FORCE'] })).flags.map((flag) => flag.message)).toEqual([
      'Convention C-p (résiliée le 22 novembre 2026, sans tacite reconduction) alors que 1 habilitation reste active ou suspendue.',
    ]);
  });

  it('treats a convention signed but not yet effective as not in force, with its held habilitations', async () => {
    const pending = { signedAt: '2026-11-01', effectiveAt: '2026-11-23' };
    expect(await statusOf(pending)).toEqual({ status: 'pending', endsAt: null, nextRenewalAt: '2027-11-23', flags: ['pending'] });
    const flags = await flagsOf(quiet(held('p', pending)));
    expect(flags).toEqual([{ rule: 'CONVENTION_NOT_IN_FORCE', partnerId: 'p', status: 'pending', heldCount: 1 }]);
    expect(await statusOf(pending, '2026-11-23')).toEqual({ status: 'active', endsAt: null, nextRenewalAt: '2027-11-23', flags: [] });
  });
});

describe('withdrawal of the delegation and the avenants around it', () => {
  const giveBack = (effectiveAt: string) =>
    convention('p', {
      delegationWithdrawnAt: '2026-06-01',
      avenants: [
        {
          number: 1,
          title: 'Retour en mode délégué',
          signedByCafAt: '2026-05-20',
          signedByPartnerAt: '2026-05-21',
          effectiveAt,
          changes: [{ type: 'setManagementMode', mode: 'delegated' }],
        },
      ],
    });
  const state = async (effectiveAt: string) => {
    const test = await openClient({
      dataset: quiet({ conventions: [giveBack(effectiveAt)], users: [user('a1', 'p', { role: 'administrator', email: 'a1@exemple.fr' })], reviews: [] }),
    });
    opened.push(test);
    const mode = (await test.client.partners.list({ asOf: ASOF })).items[0]!.managementMode;
    const flags = (await test.client.audit.run({ asOf: ASOF })).flags.map((flag) => `${flag.rule}: ${flag.article}`);
    return { mode, flags };
  };

  it('stays centralised over an avenant effective before the withdrawal, delegated by one effective after it', async () => {
    // No review since 2025: rule 11 speaks only in delegated mode.
    expect(await state('2026-05-31')).toEqual({ mode: 'centralised', flags: [] });
    expect(await state('2026-06-01')).toEqual({ mode: 'centralised', flags: [] });
    expect(await state('2026-06-02')).toEqual({ mode: 'delegated', flags: ['REVIEW_OVERDUE: contrat de services, art. 2.2.2'] });
  });

  it('cites the bulletin and convention art. 9.1 for a centralised partner, the contract art. 2.2.1 for a delegated one', async () => {
    const quota = (mode: string) =>
      quiet({
        conventions: [convention('p', { managementMode: mode, subscriptions: t1(0) })],
        users: [user('u1', 'p')],
        habilitations: [habilitation('h1', 'p', { userId: 'u1' })],
      });
    const articles = async (mode: string) => {
      const test = await openClient({ dataset: quota(mode) });
      opened.push(test);
      return (await test.client.audit.run({ asOf: ASOF, rules: ['QUOTA_EXCEEDED', 'PROFILE_NOT_SUBSCRIBED'] })).flags.map((flag) => flag.article);
    };
    expect(await articles('centralised')).toEqual(['bulletin d’adhésion et convention, art. 9.1', 'bulletin d’adhésion et convention, art. 9.1']);
    expect(await articles('delegated')).toEqual([
      'contrat de services, art. 2.2.1 et bulletin d’adhésion',
      'contrat de services, art. 2.2.1 et bulletin d’adhésion',
    ]);
  });
});

describe('rule 15 GRANTED_OUTSIDE_TERMS', () => {
  it('fires for grants the Paris day before the period start or the service’s availableFrom, not on the day', async () => {
    const data = quiet({
      conventions: [
        convention('p', {
          signedAt: '2025-01-10',
          effectiveAt: '2025-01-15',
          subscriptions: [
            { service: 'CDAP', availableFrom: '2025-03-01', quotas: [{ profile: 'T1', maxUsers: 9 }] },
            { service: 'AFAS', availableFrom: null, quotas: [{ profile: 'P1', maxUsers: 9 }] },
          ],
          avenants: [
            {
              number: 1,
              title: 'Service ajouté',
              signedByCafAt: '2025-06-01',
              signedByPartnerAt: '2025-06-01',
              changes: [{ type: 'addService', service: 'NEW', quotas: [{ profile: 'P1', maxUsers: 9 }] }],
            },
          ],
        }),
      ],
      users: [user('u1', 'p')],
      habilitations: [
        habilitation('h1', 'p', { userId: 'u1' }, { grantedAt: '2025-02-28T22:59:00Z' }),
        habilitation('h2', 'p', { userId: 'u1' }, { grantedAt: '2025-02-28T23:00:00Z' }),
        habilitation('h3', 'p', { userId: 'u1' }, { service: 'AFAS', profile: 'P1', grantedAt: '2025-01-14T10:00:00+01:00' }),
        habilitation('h4', 'p', { userId: 'u1' }, { service: 'AFAS', profile: 'P1', grantedAt: '2025-01-15T00:00:00+01:00' }),
        habilitation('h5', 'p', { userId: 'u1' }, { service: 'NEW', profile: 'P1', grantedAt: '2025-01-14T23:30:00Z' }),
        habilitation('h6', 'p', { userId: 'u1' }, { service: 'NEW', profile: 'P1', grantedAt: '2025-01-14T22:30:00Z' }),
        habilitation('h7', 'p', { userId: 'u1' }, { grantedAt: '2024-01-01T10:00:00Z', status: 'revoked', revokedAt: '2025-01-01T10:00:00Z' }),
      ],
    });
    const test = await openClient({ dataset: data });
    opened.push(test);
    const flags = (await test.client.audit.run({ asOf: ASOF, rules: ['GRANTED_OUTSIDE_TERMS'] })).flags;
    expect(flags.map(({ severity: _s, article: _a, ...rest }) => rest)).toEqual([
      {
        rule: 'GRANTED_OUTSIDE_TERMS',
        partnerId: 'p',
        habilitationId: 'h1',
        message: 'Habilitation h1 accordée le 28 février 2025, avant la mise à disposition du service le 1er mars 2025.',
      },
      {
        rule: 'GRANTED_OUTSIDE_TERMS',
        partnerId: 'p',
        habilitationId: 'h3',
        message: 'Habilitation h3 accordée le 14 janvier 2025, avant la prise d’effet de la convention le 15 janvier 2025.',
      },
      {
        rule: 'GRANTED_OUTSIDE_TERMS',
        partnerId: 'p',
        habilitationId: 'h6',
        message: 'Habilitation h6 accordée le 14 janvier 2025, avant la prise d’effet de la convention le 15 janvier 2025.',
      },
    ]);
    expect(flags[0]!.article).toBe('contrat de services, art. 2.1 et annexe 2 (date de mise à disposition)');
  });
});

describe('rule 16 PROFILE_NOT_ELIGIBLE', () => {
  it('fires for each reserved Cdap profile held by another kind of body, never for the intended one', async () => {
    const pairs: [string, string][] = [
      ['T18', 'departement'],
      ['T19', 'departement'],
      ['T10', 'bailleur'],
      ['T12', 'justice'],
      ['T6', 'organisme_securite_sociale'],
      ['T8', 'organisme_securite_sociale'],
      ['T20', 'organisme_securite_sociale'],
    ];
    const profiles = [...new Set(pairs.map(([profile]) => profile)), 'T1'];
    const subscriptions = [{ service: 'CDAP', availableFrom: null, quotas: profiles.map((profile) => ({ profile, maxUsers: 9 })) }];
    const kinds = ['commune', 'departement', 'bailleur', 'justice', 'organisme_securite_sociale'];
    const data = quiet({
      partners: kinds.map((kind) => partner(kind, { kind })),
      conventions: kinds.map((kind) => convention(kind, { subscriptions })),
      users: kinds.flatMap((kind) => [user(`${kind}-u`, kind), deputy(kind)]),
      habilitations: kinds.flatMap((kind) => profiles.map((profile) => habilitation(`${kind}-${profile}`, kind, { userId: `${kind}-u` }, { profile }))),
      reviews: kinds.map((kind) => review(kind)),
    });
    const flags = await flagsOf(data, { rules: ['PROFILE_NOT_ELIGIBLE'] });
    const expected = kinds.flatMap((kind) =>
      pairs
        .filter(([, intended]) => intended !== kind)
        .map(([profile]) => ({ rule: 'PROFILE_NOT_ELIGIBLE', partnerId: kind, habilitationId: `${kind}-${profile}`, profile })),
    );
    expect(flags).toEqual(
      expected.sort((a, b) => (a.partnerId < b.partnerId ? -1 : a.partnerId > b.partnerId ? 1 : a.habilitationId < b.habilitationId ? -1 : 1)),
    );
    expect(flags).toHaveLength(5 * 7 - 7);
  });
});

describe('rules 11 and 12: review and deputy in delegated mode', () => {
  it('is overdue the day after twelve months from the last review or the period start', async () => {
    const data = quiet({
      partners: [partner('due'), partner('ontime'), partner('late'), partner('central'), partner('future')],
      conventions: [
        convention('due', { signedAt: '2025-11-22' }),
        convention('ontime', { signedAt: '2020-01-01' }),
        convention('late', { signedAt: '2025-11-21' }),
        convention('central', { signedAt: '2020-01-01', managementMode: 'centralised' }),
        convention('future', { signedAt: '2020-01-01', effectiveAt: '2025-11-30' }),
      ],
      users: ['due', 'ontime', 'late', 'central', 'future'].map((id) => deputy(id)),
      reviews: [review('ontime', '2025-11-22'), review('late', '2026-11-23'), review('future', '2024-01-01')],
    });
    // A review dated after asOf does not count yet; one before the period start still does (rules.md says "latest review ≤ asOf").
    expect(await flagsOf(data, { rules: ['REVIEW_OVERDUE'] })).toEqual([
      { rule: 'REVIEW_OVERDUE', partnerId: 'future', lastReviewAt: '2024-01-01', dueAt: '2025-01-01' },
      { rule: 'REVIEW_OVERDUE', partnerId: 'late', lastReviewAt: null, dueAt: '2026-11-21' },
    ]);
    expect(await flagsOf(data, { rules: ['REVIEW_OVERDUE'], asOf: '2026-11-23' })).toEqual([
      { rule: 'REVIEW_OVERDUE', partnerId: 'due', lastReviewAt: null, dueAt: '2026-11-22' },
      { rule: 'REVIEW_OVERDUE', partnerId: 'future', lastReviewAt: '2024-01-01', dueAt: '2025-01-01' },
      { rule: 'REVIEW_OVERDUE', partnerId: 'ontime', lastReviewAt: '2025-11-22', dueAt: '2026-11-22' },
    ]);
  });

  it('wants an active deputy while delegated, not after the delegation is withdrawn', async () => {
    const data = quiet({
      partners: [partner('p'), partner('w')],
      conventions: [convention('p'), convention('w', { delegationWithdrawnAt: '2026-11-22' })],
      users: [deputy('p'), deputy('w', { status: 'suspended' })],
      reviews: [review('p'), review('w')],
    });
    expect(await flagsOf(data, { rules: ['NO_DEPUTY'] })).toEqual([]);
    expect(await flagsOf(data, { rules: ['NO_DEPUTY'], asOf: '2026-11-21' })).toEqual([{ rule: 'NO_DEPUTY', partnerId: 'w' }]);
  });
});

describe('rule 13 ADMIN_NOT_DESIGNATED', () => {
  const contact = (role: string, email: string) => ({ side: 'partner', role, name: 'X', email });
  it('compares managers with the effective partner-side contacts, when the convention names one', async () => {
    const data = quiet({
      partners: [partner('p'), partner('none')],
      conventions: [
        convention('p', {
          contacts: [contact('administrator', 'admin@p.fr'), { ...contact('deputy', 'p-deputy@exemple.fr'), side: 'caf' }],
          avenants: [
            {
              number: 1,
              title: 'Suppléant',
              signedByCafAt: '2026-01-01',
              signedByPartnerAt: '2026-01-02',
              changes: [{ type: 'setContact', contact: contact('deputy', 'new@p.fr') }],
            },
          ],
        }),
        convention('none'),
      ],
      users: [
        user('a1', 'p', { role: 'administrator', email: ' ADMIN@p.fr' }),
        user('a2', 'p', { role: 'administrator', email: 'other@p.fr' }),
        user('a3', 'p', { role: 'administrator', email: 'gone@p.fr', status: 'disabled' }),
        user('d2', 'p', { role: 'deputy', email: 'new@p.fr' }),
        user('m1', 'p', { role: 'habilitation_manager', email: 'm@p.fr' }),
        user('n1', 'none', { role: 'administrator', email: 'n@none.fr' }),
        deputy('p'),
        deputy('none'),
      ],
      reviews: [review('p'), review('none')],
    });
    expect(await flagsOf(data, { rules: ['ADMIN_NOT_DESIGNATED'] })).toEqual([
      { rule: 'ADMIN_NOT_DESIGNATED', partnerId: 'p', userId: 'a2', email: 'other@p.fr' },
      { rule: 'ADMIN_NOT_DESIGNATED', partnerId: 'p', userId: 'p-deputy', email: 'p-deputy@exemple.fr' },
    ]);
  });
});

describe('rule 14 SUSPENSION_STALE', () => {
  it('fires at exactly 30 days of suspension, counted in Paris days', async () => {
    const data = quiet({
      users: [user('u1', 'p')],
      habilitations: [
        habilitation('h30', 'p', { userId: 'u1' }, { status: 'suspended', suspendedAt: '2026-10-23T10:00:00+02:00' }),
        habilitation('h29', 'p', { userId: 'u1' }, { status: 'suspended', suspendedAt: '2026-10-23T22:30:00Z' }),
        habilitation('hA', 'p', { userId: 'u1' }),
      ],
    });
    expect(await flagsOf(data, { rules: ['SUSPENSION_STALE'] })).toEqual([{ rule: 'SUSPENSION_STALE', partnerId: 'p', habilitationId: 'h30', days: 30 }]);
  });
});

describe('the report', () => {
  it('orders every flag by severity, partner, rule and key, and filters by severity', async () => {
    const data = quiet({
      partners: [partner('b'), partner('a')],
      conventions: [convention('b', { subscriptions: t1(0) }), convention('a', { signedAt: null })],
      users: [user('b1', 'b', { email: 'accueil@b.fr' }), user('a1', 'a'), deputy('b'), deputy('a')],
      habilitations: [habilitation('hb1', 'b', { userId: 'b1' }), habilitation('ha1', 'a', { userId: 'a1' })],
      reviews: [review('b')],
    });
    const all = await flagsOf(data);
    expect(all.map((flag) => `${String(flag.partnerId)}:${String(flag.rule)}`)).toEqual([
      'a:CONVENTION_NOT_IN_FORCE',
      'b:QUOTA_EXCEEDED',
      'b:PROFILE_NOT_SUBSCRIBED',
      'b:NON_PERSONAL_EMAIL',
    ]);
    expect((await flagsOf(data, { minSeverity: 'critical' })).length).toBe(3);
    expect(await flagsOf(data, { partnerId: 'b', minSeverity: 'high' })).toEqual([
      { rule: 'QUOTA_EXCEEDED', partnerId: 'b', service: 'CDAP', profile: 'T1', assigned: 1, maxUsers: 0, excessUserIds: ['b1'] },
      { rule: 'PROFILE_NOT_SUBSCRIBED', partnerId: 'b', habilitationId: 'hb1' },
    ]);
  });
});
