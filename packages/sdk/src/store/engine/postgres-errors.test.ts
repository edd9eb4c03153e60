import { describe, expect, it } from 'vitest';
import { CafsupError } from '@cafsup/shared';
import { translateError } from './postgres.js';

describe('node-postgres errors in cafsup’s words', () => {
  const url = 'postgres://cafsup:secret@127.0.0.1:5432/cafsup';
  it('says a connection already lost is unavailable (503, exit 6), not an internal error (trial 26)', () => {
    for (const message of ['Client has encountered a connection error and is not queryable', 'Client was closed and is not queryable']) {
      const translated = translateError(new Error(message), url);
      expect(translated).toBeInstanceOf(CafsupError);
      expect((translated as CafsupError).code).toBe('UNAVAILABLE');
      expect((translated as CafsupError).message).toBe(
        `Base PostgreSQL postgres://cafsup:***@127.0.0.1:5432/cafsup : connexion perdue avec le serveur (si c’était une écriture, elle a pu aboutir ou non : vérifiez avant de la refaire) (${message}).`,
      );
    }
  });
  it('says a limit of PostgreSQL reached in its words, not as an internal error (trial 38)', () => {
    const tooLong = Object.assign(new Error('index row size 6040 exceeds btree version 4 maximum 2704 for index "x"'), { code: '54000' });
    expect((translateError(tooLong, url) as CafsupError).message).toBe(
      `Base PostgreSQL postgres://cafsup:***@127.0.0.1:5432/cafsup : une valeur dépasse une limite de PostgreSQL (une entrée d’index de plus de 2 704 octets ?) (${tooLong.message}).`,
    );
  });
  it('leaves an error it does not know as it is', () => {
    const unknown = new Error('something else');
    expect(translateError(unknown, url)).toBe(unknown);
  });
});
