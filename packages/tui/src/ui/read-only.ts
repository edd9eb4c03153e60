import { statSync } from 'node:fs';
import { copyMarkOf, isPostgresUrl, writable, type TransportInfo } from '@cafsup/sdk';

/**
 * True when the interface must not offer actions on a local store: the file has no write
 * permission bit (chmod a-w says « do not change this », even to root, whom access() lets
 * through), this user may not write it or its folder (SQLite's journal lives beside it), or
 * `cafsup migrate` copied it into PostgreSQL (its writes are refused: the team writes there).
 * A PostgreSQL database says what its role may do when a write is tried.
 */
export function isReadOnlyStore(info: Pick<TransportInfo, 'kind' | 'location'>): boolean {
  if (info.kind !== 'local' || info.location === ':memory:' || isPostgresUrl(info.location)) return false;
  try {
    if ((statSync(info.location).mode & 0o222) === 0) return true;
  } catch {
    return true;
  }
  return !writable(info.location) || copyMarkOf(info.location) !== undefined;
}
