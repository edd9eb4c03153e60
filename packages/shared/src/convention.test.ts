import { describe, expect, it } from 'vitest';
import { describeAvenantChange, describeContractSupport, quotaText } from './avenant.js';
import {
  conventionSchema,
  conventionState,
  conventionStatusLabel,
  describeTermination,
  effectiveTerms,
  terminationEffectiveAt,
  type Convention,
} from './convention.js';

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
  const asOf = '2026-11-22';
  it('unilateral: never less than 3 months after the notice, clamped to the month end', () => {
    expect(terminationEffectiveAt({ kind: 'unilateral', noticeReceivedAt: '2025-11-30', requestedEffectiveAt: '2025-12-31' }, asOf)).toBe('2026-02-28');
    expect(terminationEffectiveAt({ kind: 'unilateral', noticeReceivedAt: '2025-11-30', requestedEffectiveAt: '2026-06-30' }, asOf)).toBe('2026-06-30');
    expect(terminationEffectiveAt({ kind: 'unilateral', noticeReceivedAt: '2025-11-30' }, asOf)).toBe('2026-02-28');
  });
  it('breach: one month after the mise en demeure unless remedied by then', () => {
    expect(terminationEffectiveAt({ kind: 'breach', noticeReceivedAt: '2026-01-31' }, asOf)).toBe('2026-02-28');
    expect(terminationEffectiveAt({ kind: 'breach', noticeReceivedAt: '2026-01-31', remediedAt: '2026-02-28' }, asOf)).toBeNull();
    expect(terminationEffectiveAt({ kind: 'breach', noticeReceivedAt: '2026-01-31', remediedAt: '2026-03-01' }, asOf)).toBe('2026-02-28');
  });
  it('breach: a remedy counts only from its own date (the day before, on and after asOf)', () => {
    const breach = { kind: 'breach' as const, noticeReceivedAt: '2026-11-10', remediedAt: '2026-11-22' };
    expect(terminationEffectiveAt(breach, '2026-11-21')).toBe('2026-12-10');
    expect(terminationEffectiveAt(breach, '2026-11-22')).toBeNull();
    expect(terminationEffectiveAt(breach, '2026-11-23')).toBeNull();
  });
});

describe('conventionState', () => {
  it('is a draft while unsigned or signed later than asOf', () => {
    expect(conventionState(convention({ signedAt: null }), '2026-11-22').status).toBe('draft');
    expect(conventionState(convention({ signedAt: '2026-11-23' }), '2026-11-22').status).toBe('draft');
    expect(conventionState(convention({ signedAt: '2026-11-22' }), '2026-11-22').status).toBe('active');
  });
  it('is pending once signed until its effective date, with its renewal already known', () => {
    const signedEarly = convention({ signedAt: '2026-11-01', effectiveAt: '2026-12-01' });
    expect(conventionState(signedEarly, '2026-11-30')).toEqual({
      status: 'pending',
      inForce: false,
      periodStart: '2026-12-01',
      terminationEffectiveAt: null,
      endsAt: null,
      nextRenewalAt: '2027-12-01',
    });
    expect(conventionState(signedEarly, '2026-12-01')).toMatchObject({ status: 'active', inForce: true });
  });
  it('is under notice from the notice until the effective date, then terminated', () => {
    const termination = { kind: 'unilateral', noticeReceivedAt: '2026-09-10' };
    expect(conventionState(convention({ termination }), '2026-09-09')).toMatchObject({ status: 'active', endsAt: '2026-12-10', nextRenewalAt: null });
    expect(conventionState(convention({ termination }), '2026-09-10')).toMatchObject({
      status: 'notice',
      inForce: true,
      terminationEffectiveAt: '2026-12-10',
      endsAt: '2026-12-10',
    });
    expect(conventionState(convention({ termination }), '2026-12-10')).toMatchObject({ status: 'terminated', inForce: false, nextRenewalAt: null });
  });
  it('keeps the renewal when the termination ends after it', () => {
    const termination = { kind: 'unilateral', noticeReceivedAt: '2026-11-01', requestedEffectiveAt: '2027-06-30' };
    expect(conventionState(convention({ termination }), '2026-11-22')).toMatchObject({ status: 'notice', endsAt: '2027-06-30', nextRenewalAt: '2027-03-21' });
  });
  it('stays active when a breach was remedied in time, under mise en demeure until the remedy date', () => {
    const termination = { kind: 'breach', noticeReceivedAt: '2026-09-10', remediedAt: '2026-09-30' };
    expect(conventionState(convention({ termination }), '2026-11-22')).toMatchObject({ status: 'active', endsAt: null, nextRenewalAt: '2027-03-21' });
    expect(conventionState(convention({ termination }), '2026-09-29')).toMatchObject({ status: 'notice', endsAt: '2026-10-10' });
  });
  it('ends after one year without tacit renewal (art. 17.1): active until then, terminated on the day', () => {
    const once = convention({ tacitRenewal: false, signedAt: '2025-11-22' });
    expect(conventionState(once, '2026-11-21')).toMatchObject({ status: 'active', endsAt: '2026-11-22', nextRenewalAt: null });
    expect(conventionState(once, '2026-11-22')).toMatchObject({ status: 'terminated', endsAt: '2026-11-22', nextRenewalAt: null });
    // The earlier of the two ends wins.
    const noticeLater = convention({ tacitRenewal: false, signedAt: '2025-11-22', termination: { kind: 'unilateral', noticeReceivedAt: '2026-10-01' } });
    expect(conventionState(noticeLater, '2026-11-01')).toMatchObject({ status: 'notice', terminationEffectiveAt: '2027-01-01', endsAt: '2026-11-22' });
  });
  it('renews tacitly every year from the period start (art. 17.1)', () => {
    expect(conventionState(convention(), '2026-11-22').nextRenewalAt).toBe('2027-03-21');
    expect(conventionState(convention(), '2026-03-21').nextRenewalAt).toBe('2027-03-21');
    expect(conventionState(convention(), '2026-03-20').nextRenewalAt).toBe('2026-03-21');
    expect(conventionState(convention({ effectiveAt: '2024-02-29' }), '2026-11-22')).toMatchObject({ periodStart: '2024-02-29', nextRenewalAt: '2027-02-28' });
    expect(conventionState(convention({ effectiveAt: '2024-02-29' }), '2027-03-01').nextRenewalAt).toBe('2028-02-29');
    expect(conventionState(convention({ signedAt: null }), '2026-11-22').nextRenewalAt).toBeNull();
  });
  it('names a breach notice « mise en demeure » and a unilateral one « préavis de résiliation »', () => {
    expect(conventionStatusLabel('notice', { kind: 'breach' })).toBe('mise en demeure');
    expect(conventionStatusLabel('notice', { kind: 'unilateral' })).toBe('en préavis de résiliation');
    expect(conventionStatusLabel('pending', null)).toBe('signée, pas encore en vigueur');
    const breach = { kind: 'breach' as const, noticeReceivedAt: '2026-11-10', remediedAt: '2026-11-20' };
    expect(describeTermination(breach, { endsAt: null })).toBe(
      'Mise en demeure : reçue le 10 novembre 2026, manquement corrigé le 20 novembre 2026, pas de fin prévue',
    );
    const unilateral = { kind: 'unilateral' as const, noticeReceivedAt: '2026-11-01', requestedEffectiveAt: '2027-03-01' };
    expect(describeTermination(unilateral, { endsAt: '2027-03-01' })).toBe(
      'Préavis de résiliation : lettre reçue le 1er novembre 2026, effet demandé au 1er mars 2027, fin le 1er mars 2027',
    );
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
      avenants: [
        avenant(1, { changes: [setT13(22), setT13(23)] }),
        avenant(2, { changes: [setT13(30), { type: 'removeQuota', service: 'CDAP', profile: 'T13' }] }),
      ],
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
    const c = convention({
      avenants: [avenant(1, { changes: [{ type: 'setContact', contact: { side: 'partner', role: 'deputy', name: 'E', email: 'e@amp.fr' } }] })],
    });
    expect(effectiveTerms(c, '2026-11-22').contacts.map((contact) => contact.email)).toEqual(['a@amp.fr', 'e@amp.fr']);
  });
  it('is centralised from the day the delegation is withdrawn, over the avenants that took effect before', () => {
    const c = convention({
      delegationWithdrawnAt: '2026-11-01',
      avenants: [avenant(1, { changes: [{ type: 'setManagementMode', mode: 'delegated' }] })],
    });
    expect(effectiveTerms(c, '2026-10-31').managementMode).toBe('delegated');
    expect(effectiveTerms(c, '2026-11-01').managementMode).toBe('centralised');
  });
  it('gives the delegation back through an avenant effective after the withdrawal (contrat art. 2.2)', () => {
    const back = (effectiveAt: string, number = 1) =>
      convention({
        delegationWithdrawnAt: '2026-06-01',
        avenants: [
          ...(number === 2 ? [avenant(1, { changes: [{ type: 'note', text: 'Rien' }] })] : []),
          avenant(number, {
            effectiveAt,
            signedByCafAt: '2026-05-01',
            signedByPartnerAt: '2026-05-02',
            changes: [{ type: 'setManagementMode', mode: 'delegated' }],
          }),
        ],
      });
    expect(effectiveTerms(back('2026-05-31'), '2026-11-22').managementMode).toBe('centralised');
    expect(effectiveTerms(back('2026-06-01'), '2026-11-22').managementMode).toBe('centralised');
    expect(effectiveTerms(back('2026-06-02'), '2026-06-01').managementMode).toBe('centralised');
    expect(effectiveTerms(back('2026-06-02'), '2026-06-02').managementMode).toBe('delegated');
    expect(effectiveTerms(back('2026-06-02', 2), '2026-11-22').managementMode).toBe('delegated');
  });
  it('takes the last mode set after the withdrawal in avenant-number order, ignoring later-numbered ones effective before it', () => {
    const mode = (number: number, mode: string, effectiveAt: string) =>
      avenant(number, { effectiveAt, signedByCafAt: '2026-01-01', signedByPartnerAt: '2026-01-01', changes: [{ type: 'setManagementMode', mode }] });
    const c = convention({
      delegationWithdrawnAt: '2026-06-01',
      avenants: [mode(1, 'delegated', '2026-07-01'), mode(2, 'centralised', '2026-08-01'), mode(3, 'delegated', '2026-05-01')],
    });
    expect(effectiveTerms(c, '2026-07-15').managementMode).toBe('delegated');
    expect(effectiveTerms(c, '2026-11-22').managementMode).toBe('centralised');
    const backAgain = convention({ delegationWithdrawnAt: '2026-06-01', avenants: [mode(1, 'centralised', '2026-07-01'), mode(2, 'delegated', '2026-08-01')] });
    expect(effectiveTerms(backAgain, '2026-11-22').managementMode).toBe('delegated');
  });
  it('takes the contract’s desk and ladder, else the Caf’s, then the avenants (contrat art. 3.2, 3.3)', () => {
    const cafDesk = { email: 'caf@caf78.fr', phone: null, hours: '8h30-17h00', answerWithinWorkingDays: null };
    const caf = { serviceDesk: cafDesk, escalation: [{ order: 1, side: 'caf' as const, name: 'Coordinatrice', function: null, email: null, phone: null }] };
    const own = convention({ serviceDesk: { email: 'desk@caf78.fr' }, escalation: [] });
    expect(effectiveTerms(own, '2026-11-22', caf)).toMatchObject({ serviceDesk: { email: 'desk@caf78.fr', hours: null }, escalation: [] });
    expect(effectiveTerms(convention(), '2026-11-22', caf)).toMatchObject({ serviceDesk: cafDesk, escalation: caf.escalation });
    expect(effectiveTerms(convention(), '2026-11-22')).toMatchObject({ serviceDesk: null, escalation: [] });
    const changed = convention({
      serviceDesk: { email: 'old@caf78.fr' },
      avenants: [
        avenant(1, {
          changes: [
            { type: 'setServiceDesk', serviceDesk: { email: 'new@caf78.fr', escalateAfterDays: 30 } },
            {
              type: 'setEscalation',
              escalation: [
                { order: 1, side: 'partner', name: 'DGA' },
                { order: 1, name: 'Conseiller' },
              ],
            },
          ],
        }),
      ],
    });
    const terms = effectiveTerms(changed, '2026-11-22', caf);
    expect(describeContractSupport(terms)).toEqual([
      'Centre de services : new@caf78.fr',
      'Procédure d’escalade, en l’absence de réponse sous 30 jours ou en cas d’urgence :',
      '  Caf 1. Conseiller',
      '  partenaire 1. DGA',
    ]);
    expect(describeContractSupport(effectiveTerms(changed, '2026-01-11', caf))).toEqual([
      'Centre de services : old@caf78.fr',
      'Procédure d’escalade, en l’absence de réponse ou en cas d’urgence :',
      '  Caf 1. Coordinatrice',
    ]);
    expect(describeContractSupport(effectiveTerms(own, '2026-11-22', caf))[1]).toBe('Procédure d’escalade : aucun interlocuteur désigné');
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
      [['avenants', 1, 'number'], "numéro d'avenant 3 inattendu : les avenants sont numérotés 1, 2, 3… sans trou (2 avenants)"],
    ]);
    expect(numbers(1, 1).error!.issues.map((issue) => [issue.path, issue.message])).toEqual([[['avenants', 1, 'number'], "numéro d'avenant 1 en double"]]);
  });
  it('refuses a Cdap profile missing from the catalogue', () => {
    const result = conventionSchema.safeParse({
      partnerId: 'x',
      number: '1',
      signedAt: null,
      subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T3', maxUsers: 1 }] }],
    });
    expect(result.error!.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['subscriptions', 0, 'quotas', 0, 'profile'], 'profil « T3 » absent du catalogue Cdap (T1–T22 sauf T3, T7, T17)'],
    ]);
  });
  it('refuses a profile given two quotas in one service, in the convention or in an avenant adding the service', () => {
    const twice = [
      { profile: 'T13', maxUsers: 5 },
      { profile: 'T13', maxUsers: 1, departements: ['92'] },
    ];
    const result = conventionSchema.safeParse({
      partnerId: 'x',
      number: '1',
      signedAt: null,
      subscriptions: [{ service: 'CDAP', quotas: twice }],
      avenants: [
        {
          number: 1,
          title: 'A1',
          changes: [
            {
              type: 'addService',
              service: 'AFAS',
              quotas: [
                { profile: 'P1', maxUsers: 1 },
                { profile: 'P1', maxUsers: 2 },
              ],
            },
          ],
        },
      ],
    });
    expect(result.error!.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['subscriptions', 0, 'quotas', 1, 'profile'], 'profil T13 deux fois dans le service CDAP'],
      [['avenants', 0, 'changes', 0, 'quotas', 1, 'profile'], 'profil P1 deux fois dans le service AFAS'],
    ]);
  });
});

describe('quotas in words', () => {
  // Trial 21 (F9): « T1 × 1000000 » and « départements 2A ».
  it('groups the digits of a quota and agrees « département » with the count', () => {
    expect(quotaText({ profile: 'T1', maxUsers: 1_000_000, departements: ['2A'] })).toBe('T1 × 1\u202f000\u202f000 (département 2A)');
    expect(quotaText({ profile: 'T13', maxUsers: 20, departements: ['13', '83'] })).toBe('T13 × 20 (départements 13, 83)');
    expect(describeAvenantChange({ type: 'setQuota', service: 'CDAP', profile: 'T13', maxUsers: 25, departements: ['13'] })).toBe(
      'quota CDAP T13 fixé à 25 utilisateurs (département 13)',
    );
  });
});
