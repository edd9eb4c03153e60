import { createWriteStream, existsSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join, resolve } from 'node:path';
import { CafsupError } from '@cafsup/shared';
import type { Context } from './context.js';
import { unwritableReason } from '../format.js';

/** A path made absolute through its folder's real path, so that `./x.db` and a symlink to it compare equal. */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/** Refuses (exit 4) to write over the local store `database` or its journal files. */
export async function refuseStoreFile(database: string, path: string): Promise<void> {
  // When asked only: `--help` and the interface's first frame load no store (startup.test.ts).
  const { STORE_FILE_SUFFIXES } = await import('@cafsup/sdk');
  const store = canonical(database);
  const target = canonical(path);
  if (STORE_FILE_SUFFIXES.some((suffix) => target === `${store}${suffix}`)) {
    throw new CafsupError('FORBIDDEN', `Refusé : ${path} est la base de données elle-même (${database}) ; choisissez un autre fichier.`);
  }
}

/** Refuses a file whose folder is not there: nothing would create it. */
export function refuseMissingFolder(path: string): void {
  if (!existsSync(dirname(resolve(path)))) throw new CafsupError('UNAVAILABLE', `Dossier introuvable pour ${path} : créez-le d’abord.`, { path });
}

/**
 * Checks that `path` may receive a file the command writes (`export --out`, `--xlsx`): never the
 * database itself nor its journal files (refused, exit 4); an existing file only with `--force`,
 * or after « o/n » on a terminal (without one and without `--force`, refused, exit 4).
 */
export async function checkOutputFile(context: Context, path: string, force: boolean): Promise<void> {
  const connection = await context.connection();
  if (connection.kind === 'local') await refuseStoreFile(connection.database, path);
  refuseMissingFolder(path);
  if (!existsSync(path) || force) return;
  if (!context.interactive) {
    throw new CafsupError('FORBIDDEN', `Le fichier ${path} existe déjà : ajoutez --force pour le remplacer.`);
  }
  if (!(await context.confirm(`Le fichier ${path} existe déjà. Le remplacer ?`))) {
    throw new CafsupError('FORBIDDEN', `${path} n’a pas été remplacé.`);
  }
}

/** A file the system would not let be written (a folder where no file can be made, a full disk), said in French. */
export function notWritten(path: string, error: unknown): CafsupError {
  return new CafsupError('UNAVAILABLE', `Écriture impossible : ${path} (${unwritableReason(error)}).`, { path }, { cause: error });
}

/**
 * Writes a file whole or not at all: into a temporary file beside it, renamed over the target
 * at the end, so that an interrupted export never leaves half a file under the chosen name.
 */
export async function writeFileAtomically(path: string, chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): Promise<void> {
  const temporary = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`);
  // Exports hold personal data: readable by their owner only.
  const stream = createWriteStream(temporary, { mode: 0o600 });
  try {
    for await (const chunk of chunks) {
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    stream.end();
    await once(stream, 'finish');
    renameSync(temporary, path);
  } catch (error) {
    stream.destroy();
    rmSync(temporary, { force: true });
    // What the chunks' source said (a server that is not cafsup, an answer cut off), not the file's fault.
    if (error instanceof CafsupError) throw error;
    throw notWritten(path, error);
  }
}
