import { describe, expect, it } from 'vitest';
import { toCafsupError } from './errors.js';

describe('toCafsupError', () => {
  // « Erreur interne inattendue », exit 70, for an import into a full disk (trial 38b).
  it('says a full disk as such: the write rolled back, nothing written', () => {
    const full = toCafsupError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    expect([full.code, full.message, full.details]).toEqual([
      'UNAVAILABLE',
      'Disque plein : rien n’a été écrit. Libérez de la place sur le disque de la base de données, puis recommencez.',
      { lasting: true },
    ]);
  });
});
