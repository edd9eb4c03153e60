import { closeSync, existsSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
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

/** The journal files SQLite keeps beside a store's file. */
const JOURNALS = ['-wal', '-shm', '-journal'];

/** A SQLite store's file with the journal files SQLite keeps beside it. */
export function removeStoreFile(location: string): void {
  for (const suffix of ['', ...JOURNALS]) rmSync(`${location}${suffix}`, { force: true });
}

/** Whether the process `pid` is running here (a process of another user's counts). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * Whether no connection holds the store `file` (its write lock free). A process this one cannot
 * see (another container's, another host's on a shared folder) may be importing into a file
 * whose PID looks dead from here: it holds the lock while it imports.
 */
function unheld(file: string): boolean {
  try {
    const db = connect(file, { fileMustExist: true, timeout: 0 });
    try {
      db.exec('BEGIN IMMEDIATE; ROLLBACK');
      return true;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/** The system's text about `aside`, naming the file asked for instead, in the refusal every failure to make the store gives. */
function cannotCreate(location: string, aside: string | null, error: unknown, reason?: string): CafsupError {
  const said = reason ?? (aside === null ? (error as Error).message : (error as Error).message.replaceAll(aside, location));
  return new CafsupError('UNAVAILABLE', `Impossible de créer la base de données ${location} : ${said}.`, { path: location }, { cause: error });
}

/**
 * Creates the file a first import into `location` builds its store in, hidden beside it:
 * `.NAME.cafsup-import-PID-RANDOM`, never one that exists. What processes no longer running left
 * there (kill -9, a power cut), and no connection holds, is removed first. Its errors name
 * `location`, the file the person asked for.
 */
export function makeStoreAside(location: string): string {
  refuseOtherUrl(location);
  if (/[/\\]$/.test(location)) throw cannotCreate(location, null, null, 'c’est un nom de dossier (il finit par « / ») : donnez celui d’un fichier');
  // A link to a file not there: SQLite would have made its target, a link cannot be put in place.
  if (isLink(location)) throw cannotCreate(location, null, null, 'c’est un lien symbolique vers un fichier absent : donnez le chemin du fichier lui-même');
  const folder = dirname(location);
  const name = basename(location);
  const left = `.${name}${ASIDE_MARK}`;
  // node:crypto when asked only: the plain commands that read a file never load it (startup.test.ts).
  const random = process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex');
  const aside = join(folder, `${left}${process.pid}-${random}`);
  try {
    // As openDatabase makes a store's folder and file: the people's data, for its owner only.
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    for (const found of readdirSync(folder)) {
      const pid = Number(/^(\d+)-[0-9a-f]{12}$/.exec(found.slice(left.length))?.[1]);
      if (!found.startsWith(left) || !Number.isSafeInteger(pid) || running(pid)) continue;
      const file = join(folder, found);
      if (unheld(file)) removeStoreFile(file);
    }
    closeSync(openSync(aside, 'wx', 0o600));
  } catch (error) {
    throw cannotCreate(location, aside, error);
  }
  return aside;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Flushes a folder to the disk, where the system allows it: a link is durable once its folder is. */
function flushFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every system opens or flushes a folder (Windows); the store is in place all the same.
  }
}

/**
 * Puts the store made aside in place at `location`, once every connection to it is closed: whole
 * in its main file (its journal moved in) and on the disk, then linked to its name, which fails if
 * the name was taken meanwhile, so that a store another process made there is never replaced;
 * then the aside name is removed. A file system without hard links gets a rename, after a look at
 * the name: best effort, a store made there in that instant would be replaced.
 */
export function putStoreInPlace(aside: string, location: string, shown: string): void {
  try {
    if (existsSync(`${aside}-wal`)) {
      // Closed cleanly, SQLite moved its journal into the file and deleted it; else now, whole.
      const db = connect(aside, { fileMustExist: true });
      try {
        const [merged] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
        if (merged === undefined || merged.busy !== 0 || merged.log !== merged.checkpointed) throw new Error('journal non fusionné dans le fichier');
      } finally {
        db.close();
      }
    }
    const fd = openSync(aside, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // Journals of a store no longer there (its file deleted, its process killed): beside the file
    // put in place, SQLite would replay them into it. Beside the empty file a store used to be
    // created as, it dropped them.
    if (!existsSync(location)) for (const suffix of JOURNALS) rmSync(`${location}${suffix}`, { force: true });
  } catch (error) {
    throw cannotCreate(location, aside, error);
  }
  try {
    linkSync(aside, location);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EEXIST') throw taken(aside, shown);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw cannotCreate(location, aside, error);
    if (existsSync(location)) throw taken(aside, shown);
    try {
      renameSync(aside, location);
    } catch (renamed) {
      throw cannotCreate(location, aside, renamed);
    }
  }
  removeStoreFile(aside);
  flushFolder(dirname(location));
}

/** A store another process made at the location meanwhile: kept as it is, the one made aside goes. */
function taken(aside: string, shown: string): CafsupError {
  removeStoreFile(aside);
  return new CafsupError(
    'CONFLICT',
    `La base ${shown} a été créée par un autre processus pendant cet import : elle est conservée telle quelle, rien n’y a été écrit.`,
    {
      path: shown,
    },
  );
}
