import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { CafsupError } from '@cafsup/shared';
import { translateError } from './postgres.js';

describe('node-postgres errors in cafsup’s words', () => {
  const url = 'postgres://cafsup:secret@127.0.0.1:5432/cafsup';
  it('says a connection already lost is unavailable (503, exit 6), not an internal error (trial 26)', () => {
    for (const message of ['Client has encountered a connection error and is not queryable', 'Client was closed and is not queryable']) {
      const translated = translateError(new Error(message), url);
      expect(translated).toBeInstanceOf(CafsupError);
      expect((translated as CafsupError).code).toBe('UNAVAILABLE');
      expect((translated as CafsupError).message).toBe('Base PostgreSQL postgres://cafsup:***@127.0.0.1:5432/cafsup : connexion perdue avec le serveur.');
    }
  });
  it('says a limit of PostgreSQL reached in its words, not as an internal error (trial 38)', () => {
    const tooLong = Object.assign(new Error('index row size 6040 exceeds btree version 4 maximum 2704 for index "x"'), { code: '54000' });
    expect((translateError(tooLong, url) as CafsupError).message).toBe(
      `Base PostgreSQL postgres://cafsup:***@127.0.0.1:5432/cafsup : une valeur dépasse une limite de PostgreSQL (une entrée d’index de plus de 2 704 octets ?) (54000).`,
    );
  });
  it('keeps the driver’s and the server’s English out of the sentence, in its cause; a code stays at its end', () => {
    const said = (error: Error) => {
      const translated = translateError(error, url) as CafsupError;
      expect(translated.cause).toBe(error);
      return translated.message.replace('Base PostgreSQL postgres://cafsup:***@127.0.0.1:5432/cafsup : ', '');
    };
    const server = Object.assign(new pg.DatabaseError('password authentication failed for user "cafsup"', 100, 'error'), { code: '28P01' });
    const system = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const cut = 'connexion coupée par le serveur (arrêté ou redémarré, ou un autre service que PostgreSQL à cette adresse ?).';
    const unproven =
      'le serveur n’a pas prouvé qu’il connaît le mot de passe (SCRAM) : connexion abandonnée ; ce n’est peut-être pas le serveur attendu, prévenez son administrateur.';
    expect(
      [
        server,
        system,
        tls,
        new Error('Connection terminated unexpectedly'),
        new Error('timeout expired'),
        new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
        new Error('SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature is missing'),
        new Error('SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature does not match'),
        new Error('SASL: Only mechanism(s) SCRAM-SHA-256-PLUS are supported'),
        new Error('The server does not support SSL connections'),
        new Error('There was an error establishing an SSL connection'),
        new Error('muet depuis 12 s'),
      ].map(said),
    ).toEqual([
      'authentification refusée (utilisateur ou mot de passe) (SQLSTATE 28P01).',
      'serveur injoignable (adresse ou port ?) (ECONNREFUSED).',
      'certificat du serveur signé par une autorité inconnue de ce poste (donnez-la : sslrootcert=FICHIER dans l’URL, ou NODE_EXTRA_CA_CERTS) (DEPTH_ZERO_SELF_SIGNED_CERT).',
      cut,
      'serveur muet, aucune réponse à la connexion dans le délai (pare-feu ? connect_timeout=SECONDES dans l’URL pour attendre plus).',
      'mot de passe absent : le serveur en demande un (dans l’URL, ou PGPASSWORD).',
      unproven,
      unproven,
      'échange d’authentification (SCRAM) que ce poste ne sait pas mener avec ce serveur : prévenez son administrateur.',
      'le serveur n’accepte pas SSL (retirez sslmode de l’URL, ou activez SSL sur le serveur).',
      'réponse à la demande de SSL qui n’est pas celle d’un serveur PostgreSQL (un autre service à cette adresse ? vérifiez le port de l’URL).',
      'serveur muet : plus aucune réponse depuis 12 s, ni à une nouvelle connexion (serveur arrêté ou figé, réseau coupé ?) ; requête abandonnée.',
    ]);
  });
  it('leaves an error it does not know as it is', () => {
    const unknown = new Error('something else');
    expect(translateError(unknown, url)).toBe(unknown);
  });
});
