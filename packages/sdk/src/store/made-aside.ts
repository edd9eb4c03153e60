import { closeSync, existsSync, fsyncSync, linkSync, lstatSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makeFolders } from '../folders.js';
import { CafsupError, LASTING, hardLinksRefused } from '@cafsup/shared';
import { STORE_FILE_SUFFIXES, cannotCreate, connect, fileContent, holdsWrites, refuseOtherUrl, storeMadeMeanwhile } from './connection.js';
import { fnv1a64 } from '../fnv.js';
import { MOVED_VALUE, copiedNotReplaced } from './meta.js';

/**
 * A new SQLite store made aside: a first import builds it in a file of its own beside the one it
 * was asked for, and puts it in place only once committed (`putStoreInPlace`). Until then the
 * location stays « introuvable » whatever ends the import — a refusal, Ctrl-C, kill -9, a power
 * cut — and two first imports into the same new path never write into one file: the second to
 * finish is refused, where a stop of the one could take away the file the other was writing
 * (review 37, 4).
 */
const ASIDE_MARK = '.cafsup-import-';

/** The files this process made aside: never taken for an earlier process's of the same PID. */
const madeHere = new Set<string>();

/** Whether `file` is one `makeStoreAside` made in this process (`Store.open`'s `create: 'made-aside'`). */
export function isMadeAside(file: string): boolean {
  return madeHere.has(file);
}

/** A SQLite store's file with the journal files SQLite keeps beside it. */
export function removeStoreFile(location: string): void {
  for (const suffix of STORE_FILE_SUFFIXES) rmSync(`${location}${suffix}`, { force: true });
  // A file made aside, gone: its name no longer opens unsynced (`create: 'made-aside'`).
  madeHere.delete(location);
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

/**
 * The journals at `location` that may hold writes (a non-empty `-wal` or `-journal`) while its
 * file is not there: a store moved or deleted without them, its last commits perhaps only there.
 * Beside the store put in place SQLite would replay them into it (review 38); removing them could
 * lose those commits (trial 38b). Refused, said; an empty one, or a `-shm`, holds nothing and goes.
 */
function refuseStrayJournals(location: string, shown: string): void {
  if (existsSync(location)) return;
  const holding = ['-wal', '-journal'].map((suffix) => `${location}${suffix}`).filter(holdsWrites);
  if (holding.length > 0) {
    throw new CafsupError(
      'CONFLICT',
      `${holding.join(' et ')} : journal d’une base SQLite qui n’est plus là (déplacée ou supprimée sans lui), qui peut contenir ses dernières écritures. Remettez-le à côté de sa base, ou supprimez-le s’il n’est d’aucune base, puis recommencez : rien n’a été écrit dans ${shown}.`,
      { path: shown, journals: holding },
    );
  }
  for (const suffix of STORE_FILE_SUFFIXES.slice(1)) rmSync(`${location}${suffix}`, { force: true });
}

/**
 * What names a hidden file beside `name`: the name itself, or its hash when the hidden name would
 * pass the 255 bytes a file name may have (a name of 230 characters was refused, trial 38b).
 */
function stemOf(name: string): string {
  if (Buffer.byteLength(name) <= 200) return name;
  const [low, high] = fnv1a64(name);
  return `${high.toString(16).padStart(8, '0')}${low.toString(16).padStart(8, '0')}`;
}

/**
 * Removes what first imports into this location left (kill -9, a power cut): a file whose process
 * is not running here, or has this process's number but was not made by it (an earlier one's: in
 * a container every start is PID 1), and that no connection holds. Best effort: a folder that cannot be listed, or a file
 * another user owns in a shared folder, is left, and the import goes on (trial 38b).
 */
function removeLeftovers(folder: string, left: string): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const found of names) {
    const pid = Number(/^(\d+)-[0-9a-f]{12}$/.exec(found.slice(left.length))?.[1]);
    if (!found.startsWith(left) || !Number.isSafeInteger(pid) || (pid !== process.pid && running(pid))) continue;
    const file = join(folder, found);
    if (madeHere.has(file)) continue;
    try {
      if (unheld(file)) removeStoreFile(file);
    } catch {
      // Not ours to remove (a sticky folder): left.
    }
  }
}

/**
 * A store made aside (`makeStoreAside`): its hidden file, and when it is to replace the store at
 * its location (`cafsup demo --force`), that store's identity (device and inode) as found when
 * the command began: only that one is replaced, never one another process made there meanwhile.
 */
export interface StoreAside {
  file: string;
  replaces: string | null;
  /** The first of the folders made to hold it (`mkdir -p`), if any: each is flushed with the store's name. */
  madeFolder?: string;
}

/** The device and inode of the file at `path` (through a link), or null where none is. */
function identityOf(path: string): string | null {
  try {
    const found = statSync(path);
    return `${found.dev}:${found.ino}`;
  } catch {
    return null;
  }
}

/**
 * Refuses to replace what is at `location` unless it is a store of cafsup's, or a file with no
 * table yet (`fileContent`: another application's file, or one that is not SQLite, is refused; `demo
 * --force` replaced them, trial 39), not marked as copied into PostgreSQL (meta.ts, `MOVED_KEY`:
 * replaced, the record of where its data now is went unsaid, review 44), and unless no other
 * connection has it open, a server's or the interface's idle ones too: each holds a shared lock on
 * the WAL index as long as it is open, so a connection in exclusive locking mode gets no write lock
 * then (SQLITE_BUSY). A store still open elsewhere would hold that process's caches of the
 * replaced data (its chain's head among them), and a store's file removed from under it took that
 * process's writes, acknowledged, into a file no longer there (review 38, L4). Any other failure
 * to know is refused too (review 39).
 */
function refuseInUse(location: string, shown: string): void {
  const content = fileContent(location, shown);
  let db: ReturnType<typeof connect> | undefined;
  let moved: string | undefined;
  try {
    db = connect(location, { fileMustExist: true, timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    // A file with no table yet has no `meta` to hold a mark.
    if (content === 'store') moved = db.prepare(MOVED_VALUE).pluck().get() as string | undefined;
    db.exec('COMMIT');
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new CafsupError(
        'CONFLICT',
        `La base ${shown} est ouverte par un autre processus (un serveur, l’interface, une autre commande) : fermez-le avant de la remplacer. Rien n’a été écrit.`,
        { path: shown },
      );
    }
    // Not known to be free (a file this user may not write, a system error): never replaced then.
    throw new CafsupError(
      'UNAVAILABLE',
      `Impossible de vérifier que la base ${shown} n’est ouverte par aucun autre processus (${code || (error as Error).message}) : elle n’est pas remplacée, rien n’a été écrit.`,
      { path: shown, ...LASTING },
      { cause: error },
    );
  } finally {
    db?.close();
  }
  if (moved !== undefined) throw copiedNotReplaced(shown, moved);
}

/**
 * Creates the file a first import into `location` builds its store in, hidden beside it:
 * `.NAME.cafsup-import-PID-RANDOM`, never one that exists. What processes no longer running left
 * there (kill -9, a power cut), and no connection holds, is removed first. Its errors name
 * `location`, the file the person asked for.
 */
export function makeStoreAside(location: string, shown: string, options: { replacing?: boolean } = {}): StoreAside {
  refuseOtherUrl(location);
  if (/[/\\]$/.test(location)) throw cannotCreate(location, null, 'c’est un nom de dossier (il finit par « / ») : donnez celui d’un fichier');
  if (options.replacing === true && existsSync(location)) {
    // Refused before the import's work rather than after it; asked again when put in place.
    refuseInUse(location, shown);
  } else {
    // A link to a file not there: SQLite would have made its target, a link cannot be put in place.
    if (isLink(location)) throw cannotCreate(location, null, 'c’est un lien symbolique vers un fichier absent : donnez le chemin du fichier lui-même');
    refuseStrayJournals(location, shown);
  }
  const folder = dirname(location);
  const left = `.${stemOf(basename(location))}${ASIDE_MARK}`;
  // node:crypto when asked only: the plain commands that read a file never load it (startup.test.ts).
  const random = process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex');
  const aside = join(folder, `${left}${process.pid}-${random}`);
  let madeFolder: string | undefined;
  try {
    // As openDatabase makes a store's folder and file: the people's data, for its owner only.
    madeFolder = makeFolders(folder, 0o700);
    removeLeftovers(folder, left);
    closeSync(openSync(aside, 'wx', 0o600));
  } catch (error) {
    throw cannotCreate(location, error);
  }
  madeHere.add(aside);
  return { file: aside, replaces: options.replacing === true ? identityOf(location) : null, ...(madeFolder === undefined ? {} : { madeFolder }) };
}

/** Whether the file at `location` has no table yet; another application's is refused (`fileContent`). */
function emptyFile(location: string, shown: string): boolean {
  try {
    return fileContent(location, shown) === 'empty';
  } catch {
    // Not a store to be replaced: the link says the name is taken.
    return false;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Flushes a file or a folder to the disk: a link is durable once its folder is. */
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
 * in its main file (its journal moved in) and on the disk, then linked to its name, which fails if
 * the name was taken meanwhile, so that a store another process made there is never replaced;
 * then the aside name is removed. A file system without hard links gets a rename, after a look at
 * the name: best effort, a store made there in that instant would be replaced. The store it is to
 * replace, or a file with no table yet, is written over instead (`copyInto`).
 */
export async function putStoreInPlace(aside: StoreAside, location: string, shown: string): Promise<void> {
  const { file } = aside;
  try {
    // Made with its journal in memory (`create: 'made-aside'`): in WAL mode now, as every store
    // is, before any other process opens it. A journal left in a WAL is merged into the file
    // (closed cleanly, SQLite did it already), whole.
    const db = connect(file, { fileMustExist: true });
    try {
      if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new Error('journal non mis en mode WAL');
      const [merged] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      if (merged === undefined || merged.busy !== 0 || merged.log !== merged.checkpointed) throw new Error('journal non fusionné dans le fichier');
    } finally {
      db.close();
    }
  } catch (error) {
    throw cannotCreate(location, error);
  }
  const found = identityOf(location);
  if (found !== null && (found === aside.replaces || emptyFile(location, shown))) {
    // Copied, then removed: the copy's own commit syncs what it wrote.
    await copyInto(file, location, shown);
    return;
  }
  try {
    flushToDisk(file);
  } catch (error) {
    throw cannotCreate(location, error);
  }
  try {
    // Again, as one may have come since the import began.
    refuseStrayJournals(location, shown);
  } catch (error) {
    removeStoreFile(file);
    throw error;
  }
  try {
    linkSync(file, location);
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') throw taken(file, shown);
    if (!hardLinksRefused(error)) throw cannotCreate(location, error);
    if (existsSync(location)) throw taken(file, shown);
    try {
      renameSync(file, location);
    } catch (renamed) {
      throw cannotCreate(location, renamed);
    }
  }
  removeStoreFile(file);
  flushFolder(location, aside.madeFolder);
}

/**
 * The folder of `location` flushed, so that the name given to the store there is on the disk; and
 * when the folders from `madeFolder` down were made for it, each one's parent too, whose entry
 * names it: else a power cut could take away a new folder and the store in it (review 40).
 */
function flushFolder(location: string, madeFolder?: string): void {
  let folder = dirname(location);
  const last = madeFolder === undefined ? folder : dirname(madeFolder);
  try {
    for (;;) {
      flushToDisk(folder);
      if (folder === last || dirname(folder) === folder) break;
      folder = dirname(folder);
    }
  } catch {
    // Not every system opens or flushes a folder (Windows); the store is in place all the same.
  }
}

/**
 * The store made aside written over the one at `location` (or over a file with no table yet),
 * once no other process has it open: SQLite's backup copies every page in one write transaction
 * of that file, under its locks and through its journal, so that until it commits the store is
 * there as it was, whatever ends the command (review 38, L4: `demo --force` removed it first),
 * and a process that opens it meanwhile waits, then reads one or the other. The file itself stays,
 * with its links and its mode: a rename put another file in its place, beside which a journal
 * written meanwhile by a process that had opened the old one was replayed into the new (review 39).
 */
async function copyInto(file: string, location: string, shown: string): Promise<void> {
  try {
    refuseInUse(location, shown);
    const source = connect(file, { readonly: true, fileMustExist: true });
    try {
      // One step: the copy is never restarted, nor left between two states, by a write meanwhile.
      await source.backup(location, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
  } catch (error) {
    throw error instanceof CafsupError ? error : cannotCreate(location, error);
  } finally {
    removeStoreFile(file);
  }
}

/** A store another process made at the location meanwhile: kept as it is, the one made aside goes. */
function taken(aside: string, shown: string): CafsupError {
  removeStoreFile(aside);
  return storeMadeMeanwhile(shown);
}
