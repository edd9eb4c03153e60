import { describe, expect, it } from 'vitest';
import { conventionSchema, conventionState, effectiveTerms, terminationEffectiveAt, type Convention } from './convention.js';

function convention(overrides: Record<string, unknown> = {}): Convention {
  return conventionSchema.parse({
    partnerId: 'amp',
    number: '2023/M/2907',
    signedAt: '2023-03-21',
    subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T13', maxUsers: 20, departements: ['13', '83', '84'] }] }],
    contacts: [
      { side: 'partner', role: 'administrator', order: 1, name: 'A', email: 'a@amp.fr' },
      { side: 'partner', role: 'deputy', order: 1, name: 'B', email: 'b@amp.fr' },
      { side: 'partner', role: 'deputy', order: 2, name: 'C', email: 'c@amp.fr' },
    ],
    ...overrides,
  });
}

describe('termination (convention art. 17.2)', () => {
  it('unilateral: never less than 3 months after the notice, clamped to the month end', () => {
    expect(terminationEffectiveAt({ kind: 'unilateral', noticeReceivedAt: '2025-11-30', requestedEffectiveAt: '2025-12-31' })).toBe('2026-02-28');
    expect(terminationEffectiveAt({ kind: 'unilateral', noticeReceivedAt: '2025-11-30', requestedEffectiveAt: '2026-06-30' })).toBe('2026-06-30');
    expect(terminationEffectiveAt({ kind: 'unilateral', noticeReceivedAt: '2025-11-30' })).toBe('2026-02-28');
  });
  it('breach: one month after the notice unless remedied by then', () => {
    expect(terminationEffectiveAt({ kind: 'breach', noticeReceivedAt: '2026-01-31' })).toBe('2026-02-28');
    expect(terminationEffectiveAt({ kind: 'breach', noticeReceivedAt: '2026-01-31', remediedAt: '2026-02-28' })).toBeNull();
    expect(terminationEffectiveAt({ kind: 'breach', noticeReceivedAt: '2026-01-31', remediedAt: '2026-03-01' })).toBe('2026-02-28');
  });
});

describe('conventionState', () => {
  it('is a draft while unsigned or signed later than asOf', () => {
    expect(conventionState(convention({ signedAt: null }), '2026-11-22').status).toBe('draft');
    expect(conventionState(convention({ signedAt: '2026-11-23' }), '2026-11-22').status).toBe('draft');
    expect(conventionState(convention({ signedAt: '2026-11-22' }), '2026-11-22').status).toBe('active');
  });
  it('is under notice from the notice until the effective date, then terminated', () => {
    const termination = { kind: 'unilateral', noticeReceivedAt: '2026-09-10' };
    expect(conventionState(convention({ termination }), '2026-09-09').status).toBe('active');
    expect(conventionState(convention({ termination }), '2026-09-10')).toMatchObject({ status: 'notice', inForce: true, terminationEffectiveAt: '2026-12-10' });
    expect(conventionState(convention({ termination }), '2026-12-10')).toMatchObject({ status: 'terminated', inForce: false });
  });
  it('stays active when a breach was remedied in time', () => {
    const termination = { kind: 'breach', noticeReceivedAt: '2026-09-10', remediedAt: '2026-09-30' };
    expect(conventionState(convention({ termination }), '2026-11-22').status).toBe('active');
  });
  it('renews tacitly every year from the period start (art. 17.1)', () => {
    expect(conventionState(convention(), '2026-11-22').nextRenewalAt).toBe('2027-03-21');
    expect(conventionState(convention(), '2026-03-21').nextRenewalAt).toBe('2027-03-21');
    expect(conventionState(convention(), '2026-03-20').nextRenewalAt).toBe('2026-03-21');
    expect(conventionState(convention({ effectiveAt: '2024-02-29' }), '2026-11-22')).toMatchObject({ periodStart: '2024-02-29', nextRenewalAt: '2027-02-28' });
    expect(conventionState(convention({ effectiveAt: '2024-02-29' }), '2027-03-01').nextRenewalAt).toBe('2028-02-29');
  });
});

describe('effectiveTerms', () => {
  const setT13 = (maxUsers: number) => ({ type: 'setQuota', service: 'CDAP', profile: 'T13', maxUsers, departements: ['13'] });
  const avenant = (number: number, overrides: Record<string, unknown>) => ({
    number,
    title: `Avenant ${number}`,
    signedByCafAt: '2026-01-10',
    signedByPartnerAt: '2026-01-12',
    changes: [setT13(25)],
    ...overrides,
  });
  const t13 = (c: Convention, asOf: string) => effectiveTerms(c, asOf).subscriptions[0]!.quotas.find((q) => q.profile === 'T13');

  it('applies a signed avenant from the later signature', () => {
    const c = convention({ avenants: [avenant(1, {})] });
    expect(t13(c, '2026-01-11')!.maxUsers).toBe(20);
    expect(t13(c, '2026-01-12')).toEqual({ profile: 'T13', maxUsers: 25, departements: ['13'] });
  });
  it('ignores an avenant signed by one side only', () => {
    expect(t13(convention({ avenants: [avenant(1, { signedByPartnerAt: null })] }), '2026-11-22')!.maxUsers).toBe(20);
  });
  it('waits for an effective date set tomorrow', () => {
    const c = convention({ avenants: [avenant(1, { effectiveAt: '2026-11-23' })] });
    expect(t13(c, '2026-11-22')!.maxUsers).toBe(20);
    expect(t13(c, '2026-11-23')!.maxUsers).toBe(25);
  });
  it('does not apply an avenant effective before a signature that is still to come', () => {
    const c = convention({ avenants: [avenant(1, { effectiveAt: '2026-01-01', signedByPartnerAt: '2026-12-01' })] });
    expect(t13(c, '2026-11-22')!.maxUsers).toBe(20);
  });
  it('applies avenants in ascending number, changes in array order', () => {
    const c = convention({
      avenants: [avenant(1, { changes: [setT13(22), setT13(23)] }), avenant(2, { changes: [setT13(30), { type: 'removeQuota', service: 'CDAP', profile: 'T13' }] })],
    });
    expect(t13(c, '2026-11-22')).toBeUndefined();
    expect(t13(c, '2026-01-12')).toBeUndefined();
    const onlyFirst = convention({ avenants: [avenant(1, { changes: [setT13(22), setT13(23)] })] });
    expect(t13(onlyFirst, '2026-11-22')!.maxUsers).toBe(23);
  });
  it('adds and removes services, changes mode, and replaces contacts by side, role and order', () => {
    const c = convention({
      avenants: [
        avenant(1, {
          changes: [
            { type: 'addService', service: 'AFAS', quotas: [{ profile: 'P1', maxUsers: 3 }] },
            { type: 'setManagementMode', mode: 'centralised' },
            { type: 'setContact', contact: { side: 'partner', role: 'deputy', order: 2, name: 'D', email: 'd@amp.fr' } },
            { type: 'removeContact', side: 'partner', role: 'administrator', email: ' A@AMP.fr' },
            { type: 'note', text: 'Nouvelle adresse du centre de services' },
          ],
        }),
      ],
    });
    const terms = effectiveTerms(c, '2026-11-22');
    expect(terms.managementMode).toBe('centralised');
    expect(terms.subscriptions.map((s) => s.service)).toEqual(['CDAP', 'AFAS']);
    expect(terms.contacts.map((contact) => contact.email)).toEqual(['b@amp.fr', 'd@amp.fr']);
    const withoutCdap = convention({ avenants: [avenant(1, { changes: [{ type: 'removeService', service: 'CDAP' }] })] });
    expect(effectiveTerms(withoutCdap, '2026-11-22').subscriptions).toEqual([]);
  });
  it('replaces every contact of a side and role when the new one has no order', () => {
    const c = convention({ avenants: [avenant(1, { changes: [{ type: 'setContact', contact: { side: 'partner', role: 'deputy', name: 'E', email: 'e@amp.fr' } }] })] });
    expect(effectiveTerms(c, '2026-11-22').contacts.map((contact) => contact.email)).toEqual(['a@amp.fr', 'e@amp.fr']);
  });
  it('is centralised from the day the delegation is withdrawn, whatever the avenants say', () => {
    const c = convention({
      delegationWithdrawnAt: '2026-11-01',
      avenants: [avenant(1, { changes: [{ type: 'setManagementMode', mode: 'delegated' }] })],
    });
    expect(effectiveTerms(c, '2026-10-31').managementMode).toBe('delegated');
    expect(effectiveTerms(c, '2026-11-01').managementMode).toBe('centralised');
  });
  it('never changes the convention it reads', () => {
    const c = convention({ avenants: [avenant(1, {})] });
    const copy = structuredClone(c);
    effectiveTerms(c, '2026-11-22');
    expect(c).toEqual(copy);
  });
});

describe('conventionSchema', () => {
  it('requires avenant numbers 1, 2, 3 without gaps nor repeats, in any order', () => {
    const numbers = (...list: number[]) =>
      conventionSchema.safeParse({ partnerId: 'x', number: '1', signedAt: null, avenants: list.map((number) => ({ number, title: `A${number}` })) });
    expect(numbers(2, 1, 3).success).toBe(true);
    expect(numbers(1, 3).error!.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['avenants', 1, 'number'], "numéro d'avenant 3 inattendu : les avenants sont numérotés 1, 2, 3… sans trou (2 avenant(s))"],
    ]);
    expect(numbers(1, 1).error!.issues.map((issue) => [issue.path, issue.message])).toEqual([[['avenants', 1, 'number'], "numéro d'avenant 1 en double"]]);
  });
  it('refuses a Cdap profile missing from the catalogue', () => {
    const result = conventionSchema.safeParse({ partnerId: 'x', number: '1', signedAt: null, subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T3', maxUsers: 1 }] }] });
    expect(result.error!.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['subscriptions', 0, 'quotas', 0, 'profile'], 'profil « T3 » absent du catalogue Cdap (T1–T22 sauf T3, T7, T17)'],
    ]);
  });
});
