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
    const base = { users: [user('u1', 'p'), user('u2', 'p')], habilitations: [habilitation('h1', 'p', { userId: 'u1' }), habilitation('h2', 'p', { userId: 'u2' })] };
    const raise = (signedByPartnerAt: string | null) =>
      convention('p', {
        subscriptions: t1(1),
        avenants: [{ number: 1, title: 'T1 à 2', signedByCafAt: '2026-11-01', signedByPartnerAt, changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: 2 }] }],
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
        subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T1', maxUsers: 5, departements: ['13', '83'] }, { profile: 'T2', maxUsers: 0 }, { profile: 'T4', maxUsers: 5 }] }],
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
    ],
  });

  it('flags held habilitations outside the bulletin or its départements', async () => {
    expect(await flagsOf(data, { rules: ['PROFILE_NOT_SUBSCRIBED', 'DEPARTEMENT_OUT_OF_SCOPE'] })).toEqual([
      { rule: 'PROFILE_NOT_SUBSCRIBED', partnerId: 'p', habilitationId: 'h4' },
      { rule: 'PROFILE_NOT_SUBSCRIBED', partnerId: 'p', habilitationId: 'h5' },
      { rule: 'DEPARTEMENT_OUT_OF_SCOPE', partnerId: 'p', habilitationId: 'h1', departement: '84' },
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
          avenants: [{ number: 1, title: 'Suppléant', signedByCafAt: '2026-01-01', signedByPartnerAt: '2026-01-02', changes: [{ type: 'setContact', contact: contact('deputy', 'new@p.fr') }] }],
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
    expect(all.map((flag) => `${flag.partnerId}:${flag.rule}`)).toEqual([
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
