import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { CafsupError } from '@cafsup/shared';

/** PEM files of `cafsup serve --tls-cert --tls-key`. */
export interface TlsFiles {
  cert: string;
  key: string;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CafsupError('VALIDATION', `${what} illisible : ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { path });
  }
}

/**
 * The certificate and key, read and checked before the server starts: a wrong file is one
 * French sentence at start-up rather than OpenSSL's error at the first connection.
 */
export function loadTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const cert = readPem(files.cert, 'Certificat TLS');
  const key = readPem(files.key, 'Clé TLS');
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new CafsupError('VALIDATION', `Certificat ou clé TLS refusés (fichiers PEM d’un certificat et de sa clé attendus) : ${(error as Error).message}.`, {
      cert: files.cert,
      key: files.key,
    });
  }
  return { cert, key };
}
