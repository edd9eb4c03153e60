import { closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CafsupError } from '@cafsup/shared';
import { STORE_FILE_SUFFIXES, connect, databaseNotFound, requireStoreFile } from './connection.js';

export interface BackupOptions {
  /** Replace a file that exists at `destination` (never the database itself). */
  force?: boolean;
}

export interface BackupOutcome {
  path: string;
  pages: number;
  bytes: number;
}

/** The same file, whichever path names it (a link, `./`, another spelling). */
function sameFile(a: string, b: string): boolean {
  const first = statSync(a, { throwIfNoEntry: false });
  const second = statSync(b, { throwIfNoEntry: false });
  return first !== undefined && second !== undefined && first.dev === second.dev && first.ino === second.ino;
}

/**
 * A consistent copy of the store while it is in use (`cafsup backup`), through SQLite's online
 * backup API: every page is copied in one step, inside one read transaction, so the copy is the
 * database as of one commit even while `cafsup serve` writes (WAL: the writer is not held up).
 * The copy is written beside its destination with mode 0600 (it holds people's names and the
 * Caf's decisions), checked with `integrity_check`, then renamed into place: a failed backup
 * never leaves a half-written file under the name given.
 */
export async function backupDatabase(source: string, destination: string, options: BackupOptions = {}): Promise<BackupOutcome> {
  const target = resolve(destination);
  if (!existsSync(source)) throw databaseNotFound(source);
  // A backup of another application's file, or of an empty one, said « intégrité vérifiée » (trial 39).
  requireStoreFile(source, source);
  for (const suffix of STORE_FILE_SUFFIXES) {
    if (sameFile(`${source}${suffix}`, target) || resolve(`${source}${suffix}`) === target) {
      throw new CafsupError('VALIDATION', `Refus d’écrire la sauvegarde sur la base elle-même (${destination}) : choisissez un autre fichier.`, {
        path: destination,
      });
    }
  }
  if (existsSync(target) && options.force !== true) {
    throw new CafsupError('CONFLICT', `Le fichier ${destination} existe déjà : choisissez un autre nom, ou --force pour le remplacer.`, { path: destination });
  }
  if (!existsSync(dirname(target))) throw new CafsupError('VALIDATION', `Dossier introuvable : ${dirname(destination)}.`, { path: destination });

  const partial = join(dirname(target), `.${basename(target)}.${process.pid}.partiel`);
  closeSync(openSync(partial, 'w', 0o600));
  const db = connect(source, { readonly: true, fileMustExist: true });
  try {
    // A long read must not give up at once when another process holds a lock for a moment.
    db.pragma('busy_timeout = 15000');
    // The first step only measures; the second copies every page at once, so the copy is never
    // restarted (or left between two states) by a write made meanwhile.
    const progress = await db.backup(partial, { progress: () => 0x7fffffff });
    const copy = connect(partial, { fileMustExist: true });
    try {
      const integrity = copy.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') throw new CafsupError('INTERNAL', `Sauvegarde incohérente (${String(integrity)}) : rien n’a été écrit sous ${destination}.`);
      // One self-contained file: the copy has no -wal beside it to be forgotten in a restore.
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    renameSync(partial, target);
    return { path: target, pages: progress.totalPages, bytes: statSync(target).size };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error instanceof CafsupError
      ? error
      : new CafsupError('UNAVAILABLE', `Sauvegarde impossible : ${(error as Error).message}.`, { path: destination }, { cause: error });
  } finally {
    db.close();
  }
}
