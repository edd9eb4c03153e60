import { describe, expect, it } from 'vitest';
import { compareFlags, makeFlag, summarise, type Flag } from './flag.js';
import { RULES, articleFor } from './catalogue.js';
import { isProfileEligible } from './grants.js';
import { longFrenchDate } from '../wording.js';
import { countOf } from '../labels.js';
import { excessUserIds } from './quota.js';

describe('flag catalogue', () => {
  it('lists the 16 rules of rules.md in order with their severities', () => {
    expect(RULES.map((rule) => `${rule.number}:${rule.rule}:${rule.severity}`)).toEqual([
      '1:QUOTA_EXCEEDED:critical',
      '2:PROFILE_NOT_SUBSCRIBED:critical',
      '3:DEPARTEMENT_OUT_OF_SCOPE:high',
      '4:MISSION_ENDED:high',
      '5:DORMANT_ACCOUNT:medium',
      '6:PASSWORD_STALE:low',
      '7:SHARED_EMAIL:high',
      '8:NON_PERSONAL_EMAIL:medium',
      '9:MULTIPLE_PROFILES:low',
      '10:CONVENTION_NOT_IN_FORCE:critical',
      '11:REVIEW_OVERDUE:high',
      '12:NO_DEPUTY:medium',
      '13:ADMIN_NOT_DESIGNATED:medium',
      '14:SUSPENSION_STALE:low',
      '15:GRANTED_OUTSIDE_TERMS:high',
      '16:PROFILE_NOT_ELIGIBLE:high',
    ]);
  });
  it('writes fields in the documented order', () => {
    expect(Object.keys(makeFlag('SUSPENSION_STALE', 'p', { habilitationId: 'h', days: 30 }, 'm'))).toEqual([
      'rule',
      'severity',
      'partnerId',
      'habilitationId',
      'days',
      'article',
      'message',
    ]);
  });
});

describe('compareFlags', () => {
  it('orders by severity, partner, rule number, then key fields by code point', () => {
    const flags: Flag[] = [
      makeFlag('PASSWORD_STALE', 'a', { userId: 'u1', days: 400 }, ''),
      makeFlag('PROFILE_NOT_SUBSCRIBED', 'b', { habilitationId: 'h2' }, ''),
      makeFlag('QUOTA_EXCEEDED', 'b', { service: 'CDAP', profile: 'T2', assigned: 3, maxUsers: 1, excessUserIds: [] }, ''),
      makeFlag('QUOTA_EXCEEDED', 'b', { service: 'CDAP', profile: 'T13', assigned: 3, maxUsers: 1, excessUserIds: [] }, ''),
      makeFlag('CONVENTION_NOT_IN_FORCE', 'a', { status: 'draft', heldCount: 1 }, ''),
      makeFlag('NO_DEPUTY', 'a', {}, ''),
      makeFlag('NON_PERSONAL_EMAIL', 'a', { userId: 'u1', email: 'accueil@x.fr' }, ''),
    ];
    expect(flags.sort(compareFlags).map((flag) => `${flag.partnerId}:${flag.rule}:${'profile' in flag ? flag.profile : ''}`)).toEqual([
      'a:CONVENTION_NOT_IN_FORCE:',
      'b:QUOTA_EXCEEDED:T13',
      'b:QUOTA_EXCEEDED:T2',
      'b:PROFILE_NOT_SUBSCRIBED:',
      'a:NON_PERSONAL_EMAIL:',
      'a:NO_DEPUTY:',
      'a:PASSWORD_STALE:',
    ]);
    expect(summarise(flags)).toEqual({ critical: 4, high: 0, medium: 2, low: 1 });
  });
});

describe('excessUserIds', () => {
  it('keeps the holders granted last, ties broken by user id', () => {
    const holders = [
      { userId: 'u9', firstGrantedMs: 3 },
      { userId: 'u2', firstGrantedMs: 1 },
      { userId: 'u10', firstGrantedMs: 3 },
      { userId: 'u1', firstGrantedMs: 2 },
    ];
    expect(excessUserIds(holders, 2)).toEqual(['u10', 'u9']);
    expect(excessUserIds(holders, 4)).toEqual([]);
    expect(excessUserIds(holders, 0)).toEqual(['u2', 'u1', 'u10', 'u9']);
  });
});

describe('articles', () => {
  it('cites the bulletin and convention art. 9.1 where a centralised contract has no art. 2.2.1', () => {
    expect(articleFor('QUOTA_EXCEEDED', 'delegated')).toBe('contrat de services, art. 2.2.1 et bulletin d’adhésion');
    expect(articleFor('QUOTA_EXCEEDED', 'centralised')).toBe('bulletin d’adhésion et convention, art. 9.1');
    expect(articleFor('PROFILE_NOT_ELIGIBLE', 'delegated')).toBe('bulletin d’adhésion, art. 2 et contrat de services, art. 2.2.1');
    expect(articleFor('PROFILE_NOT_ELIGIBLE', 'centralised')).toBe('bulletin d’adhésion, art. 2 et convention, art. 9.1');
    expect(articleFor('PASSWORD_STALE', 'centralised')).toBe('convention, art. 9.2 et contrat de services, art. 5.2');
    expect(articleFor('CONVENTION_NOT_IN_FORCE', 'centralised')).toBe('convention, art. 17');
    for (const mode of ['delegated', 'centralised'] as const) {
      for (const rule of RULES) expect(articleFor(rule.rule, mode).includes('2.2.1') && mode === 'centralised').toBe(false);
    }
  });
});

describe('rule 16 eligibility (bulletin d’adhésion, art. 2)', () => {
  it('reserves T18 and T19 to départements, T10 to landlords, T12 to courts, T6, T8 and T20 to social security', () => {
    const pairs: [string, string][] = [
      ['T18', 'departement'],
      ['T19', 'departement'],
      ['T10', 'bailleur'],
      ['T12', 'justice'],
      ['T6', 'organisme_securite_sociale'],
      ['T8', 'organisme_securite_sociale'],
      ['T20', 'organisme_securite_sociale'],
    ];
    for (const [profile, kind] of pairs) {
      expect(isProfileEligible('CDAP', profile, kind as never)).toBe(true);
      expect(isProfileEligible('CDAP', profile, 'commune')).toBe(false);
      expect(isProfileEligible('AUTRE', profile, 'commune')).toBe(true);
    }
    expect(isProfileEligible('CDAP', 'T10', 'departement')).toBe(false);
    expect(isProfileEligible('CDAP', 'T18', 'organisme_securite_sociale')).toBe(false);
    expect(isProfileEligible('CDAP', 'T13', 'bailleur')).toBe(true);
  });
});

describe('wording', () => {
  it('writes dates and plurals in French', () => {
    expect(longFrenchDate('2026-10-15')).toBe('15 octobre 2026');
    expect(longFrenchDate('2027-03-01')).toBe('1er mars 2027');
    expect([countOf(0, 'jour'), countOf(1, 'jour'), countOf(2, 'jour'), countOf(1, 'jour ouvré', 'jours ouvrés')]).toEqual([
      '0 jour',
      '1 jour',
      '2 jours',
      '1 jour ouvré',
    ]);
  });
});
