import { describe, expect, it } from 'vitest';
import { formatPath, isDepartementCode, isEmail, isValidSiret } from './fields.js';
import { mailboxOf } from './flags/people.js';

describe('fields', () => {
  it('checks SIRET keys with Luhn', () => {
    expect(isValidSiret('20005480700017')).toBe(true);
    expect(isValidSiret('20005480700018')).toBe(false);
    expect(isValidSiret('2000548070001')).toBe(false);
  });
  it('accepts addresses with surrounding spaces, refuses non-addresses', () => {
    expect(isEmail(' a.b@caf78.fr ')).toBe(true);
    expect(isEmail('a.b@caf78')).toBe(false);
    expect(isEmail('a b@caf78.fr')).toBe(false);
  });
  it('reads the mailbox of an address as rule 8 does', () => {
    expect(mailboxOf(' Accueil+CCAS@Mairie.fr')).toBe('accueil');
    expect(mailboxOf('jean.dupont@mairie.fr')).toBe('jean.dupont');
  });
  it('knows the real département codes only (dataset.md)', () => {
    const valid = ['01', '09', '19', '2A', '2B', '21', '95', '971', '976'];
    const invalid = ['00', '20', '2C', '96', '970', '977', '999', '1', '013', '2a'];
    expect(valid.filter(isDepartementCode)).toEqual(valid);
    expect(invalid.filter(isDepartementCode)).toEqual([]);
  });
  it('writes JSON paths as dataset.md does', () => {
    expect(formatPath('users[12]', ['email'])).toBe('users[12].email');
    expect(formatPath('conventions[0]', ['avenants', 1, 'changes', 0, 'type'])).toBe('conventions[0].avenants[1].changes[0].type');
  });
});
