import { describe, expect, it } from 'vitest';
import {
  HABILITATION_STATUS_LABELS,
  MANAGEMENT_MODE_LABELS,
  USER_ROLE_LABELS,
  USER_STATUS_LABELS,
  codeFromWord,
  countOf,
  frenchList,
  frenchNumber,
  plural,
} from './labels.js';
import { SEVERITY_LABELS } from './flags/catalogue.js';

describe('plurals', () => {
  it('agree with French numbers: 0 and 1 singular, the rest plural, irregular forms given', () => {
    expect([0, 1, 2, 1000].map((n) => countOf(n, 'alerte élevée'))).toEqual([
      '0 alerte élevée',
      '1 alerte élevée',
      '2 alertes élevées',
      '1\u202f000 alertes élevées',
    ]);
    expect(countOf(1_000_000, 'habilitation détenue')).toBe('1\u202f000\u202f000 habilitations détenues');
    expect(countOf(3, 'Caf', 'Caf')).toBe('3 Caf');
    expect(plural(2, 'gestionnaire d’habilitations')).toBe('gestionnaires d’habilitations');
    expect(plural(2, 'trace vérifiée')).toBe('traces vérifiées');
  });

  it('agree as Intl says, counts told by hand included', () => {
    const intl = new Intl.PluralRules('fr-FR');
    const values = [0, -0, 1, -1, 2, -2, 1.5, 1.99, 2.5, 0.5, -1.5, 1_000_000, 2_000_000, Number.MAX_SAFE_INTEGER, 2 ** 60, 1e21, NaN, Infinity];
    for (let n = 1; n < 1e15; n = n * 7 + 3) values.push(n, -n);
    for (const n of values) expect(plural(n, 'alerte') === 'alerte', String(n)).toBe(intl.select(n) === 'one');
  });
});

describe('French numbers', () => {
  it('are written as Intl writes them, counts grouped by hand included', () => {
    const intl = new Intl.NumberFormat('fr-FR');
    const values = [0, -0, 1, 12, 999, 1000, 12_345, 999_999, 1_000_000, Number.MAX_SAFE_INTEGER, -1, -1234, 1.5, 1234.5678, 2 ** 60];
    for (let n = 1; n < 1e15; n = n * 7 + 3) values.push(n);
    for (const n of values) expect(frenchNumber(n), String(n)).toBe(intl.format(n));
  });
});

describe('French lists', () => {
  it('join the last item with « et » or « ou », the others with commas', () => {
    expect([[], ['78'], ['78', '13'], ['78', '13', '40']].map((items) => frenchList(items))).toEqual(['', '78', '78 et 13', '78, 13 et 40']);
    expect(frenchList(['disable', 'require'], 'ou')).toBe('disable ou require');
  });
});

describe('option values: a code or its French word', () => {
  it('reads codes, labels without accents or case, and both genders of a status', () => {
    expect(codeFromWord(SEVERITY_LABELS, 'critique')).toBe('critical');
    expect(codeFromWord(SEVERITY_LABELS, 'ELEVEE')).toBe('high');
    expect(codeFromWord(SEVERITY_LABELS, 'high')).toBe('high');
    expect(codeFromWord(HABILITATION_STATUS_LABELS, 'suspendue')).toBe('suspended');
    expect(codeFromWord(HABILITATION_STATUS_LABELS, 'devalidee')).toBe('revoked');
    expect(codeFromWord(USER_STATUS_LABELS, 'suspendue')).toBe('suspended');
    expect(codeFromWord(USER_STATUS_LABELS, 'désactivée')).toBe('disabled');
    expect(codeFromWord(USER_ROLE_LABELS, "Gestionnaire d'habilitations")).toBe('habilitation_manager');
    expect(codeFromWord(MANAGEMENT_MODE_LABELS, 'centralisé')).toBe('centralised');
    expect(codeFromWord(SEVERITY_LABELS, 'grave')).toBeNull();
  });
});
