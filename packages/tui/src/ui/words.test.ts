import { describe, expect, it } from 'vitest';
import { changesInWords } from './words.js';

describe('an action’s changes in words', () => {
  // A user's status read as a habilitation's, « active → suspendue » (trial 27).
  it('says a user’s status as a user’s, a habilitation’s as a habilitation’s', () => {
    expect(changesInWords({ status: 'active', mustChangePassword: false }, { status: 'suspended', mustChangePassword: false })).toEqual([
      'statut : actif → suspendu',
    ]);
    expect(
      changesInWords({ status: 'active', suspendedAt: null, revokedAt: null }, { status: 'suspended', suspendedAt: '2026-12-01T12:02:00Z', revokedAt: null }),
    ).toEqual(['statut : active → suspendue le 01/12/2026 13:02']);
  });
});
