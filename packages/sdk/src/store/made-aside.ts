import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CafsupError } from '@cafsup/shared';
import { connect, refuseOtherUrl } from './connection.js';

/**
 * A new SQLite store made aside: a first import builds it in a file of its own beside the one it
 * was asked for, and puts it in place only once committed (`putStoreInPlace`). Until then the
 * location stays « introuvable » whatever ends the import — a refusal, Ctrl-C, kill -9, a power
 * cut — and two first imports into the same new path never write into one file: the second to
 * finish is refused, where a stop of the one could take away the file the other was writing
 * (review 37, 4).
 */
const ASIDE_MARK = '.cafsup-import-';

/** A SQLite store's file with the journal files SQLite keeps beside it. */
export function removeStoreFile(location: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${location}${suffix}`, { force: true });
}

/** Whether the process `pid` is still running (a process of another user's counts). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * Creates the file a first import into `location` builds its store in, hidden beside it, named
 * after this process: `.NAME.cafsup-import-PID`. Files of that name that processes no longer
 * running left (kill -9, a power cut) are removed first. Its errors name `location`, the file the
 * person asked for.
 */
export function makeStoreAside(location: string): string {
  refuseOtherUrl(location);
  const folder = dirname(location);
  const name = basename(location);
  const aside = join(folder, `.${name}${ASIDE_MARK}${process.pid}`);
  try {
    // As openDatabase makes a store's folder and file: the people's data, for its owner only.
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const left = `.${name}${ASIDE_MARK}`;
    for (const found of readdirSync(folder)) {
      if (!found.startsWith(left)) continue;
      const pid = Number(/^(\d+)(?:-wal|-shm)?$/.exec(found.slice(left.length))?.[1]);
      if (Number.isSafeInteger(pid) && pid !== process.pid && !running(pid)) rmSync(join(folder, found), { force: true });
    }
    removeStoreFile(aside);
    closeSync(openSync(aside, 'wx', 0o600));
  } catch (error) {
    // The system's text names the file it could not make: the one asked for, not its hidden stand-in.
    const reason = (error as Error).message.replaceAll(aside, location);
    throw new CafsupError('UNAVAILABLE', `Impossible de créer la base de données ${location} : ${reason}.`, { path: location }, { cause: error });
  }
  return aside;
}

/** Flushes a file or folder to the disk: a rename or link is durable once its folder is. */
function flushToDisk(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Puts the store made aside in place at `location`, once every connection to it is closed: whole
 * in its main file (its journal moved in), then linked to its name, which fails if the name was
 * taken meanwhile, so that a store another process made there is never replaced; then the aside
 * name is removed. A file system without hard links gets a rename, after a look at the name.
 */
export function putStoreInPlace(aside: string, location: string, shown: string): void {
  if (existsSync(`${aside}-wal`) && statSync(`${aside}-wal`).size > 0) {
    // Closed cleanly, SQLite moved its journal into the file and deleted it; else now.
    const db = connect(aside, { fileMustExist: true });
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  }
  flushToDisk(aside);
  const taken = () => {
    removeStoreFile(aside);
    return new CafsupError(
      'CONFLICT',
      `La base ${shown} a été créée par un autre processus pendant cet import, qui n’y a rien écrit : relancez-le pour importer dans cette base (il en remplacera les entités de même identifiant).`,
      { path: shown },
    );
  };
  try {
    linkSync(aside, location);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EEXIST') throw taken();
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    if (existsSync(location)) throw taken();
    renameSync(aside, location);
  }
  removeStoreFile(aside);
  flushToDisk(dirname(location));
}
