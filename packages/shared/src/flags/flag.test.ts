import { describe, expect, it } from 'vitest';
import { compareFlags, makeFlag, summarise, type Flag } from './flag.js';
import { RULES } from './catalogue.js';
import { excessUserIds } from './quota.js';

describe('flag catalogue', () => {
  it('lists the 14 rules of rules.md in order with their severities', () => {
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
    ]);
  });
  it('writes fields in the documented order', () => {
    expect(Object.keys(makeFlag('SUSPENSION_STALE', 'p', { habilitationId: 'h', days: 30 }, 'm'))).toEqual([
      'rule', 'severity', 'partnerId', 'habilitationId', 'days', 'article', 'message',
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
