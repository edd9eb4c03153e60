import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { makeFolders } from '../folders.js';
import type Database from 'better-sqlite3';
import { CafsupError, LASTING, fileProblem } from '@cafsup/shared';
import { isOtherUrl, shownLocation } from '../settings.js';
import { MOVED_VALUE } from './meta.js';
import { migrate } from './schema.js';

/** How long a writer waits for another process's transaction before giving up (the server sets its own deadline). */
export const BUSY_TIMEOUT_MS = 15_000;

let driver: { Database: typeof Database; addon: string | undefined } | null = null;

/**
 * A better-sqlite3 connection. The driver loads at the first one (a PostgreSQL store never
 * loads it), through require(): it is CommonJS, and importing it from ES modules would first
 * run Node's scan of its exports. Its compiled addon is given where its install puts it
 * (prebuilt or built by node-gyp: build/Release beside the lib/ that `better-sqlite3` resolves
 * to), looked up once: without it, better-sqlite3 asks the `bindings` package, which tries
 * paths by failed require() calls at every start; when the addon is elsewhere, that search
 * runs as before.
 */
export function connect(source: string | Buffer, options: Database.Options = {}): Database.Database {
  if (driver === null) {
    const requireCjs = createRequire(import.meta.url);
    const found = join(dirname(requireCjs.resolve('better-sqlite3')), '..', 'build', 'Release', 'better_sqlite3.node');
    driver = { Database: requireCjs('better-sqlite3') as typeof Database, addon: existsSync(found) ? found : undefined };
  }
  return new driver.Database(source, driver.addon === undefined ? options : { ...options, nativeBinding: driver.addon });
}

/**
 * A store file that is not there (`shown`: its path, or a URL masked), with how to make one.
 * `absent` tells it apart from the other refusals of its code (`isAbsentStore`).
 */
export function databaseNotFound(shown: string): CafsupError {
  return new CafsupError('UNAVAILABLE', `Base de données introuvable : ${shown}. Créez-la avec « cafsup demo » ou « cafsup import FICHIER ».`, {
    path: shown,
    absent: true,
  });
}

/** The refusal of `databaseNotFound`: no store there yet, as opposed to one that cannot be opened. */
export function isAbsentStore(error: unknown): boolean {
  return error instanceof CafsupError && error.details.absent === true;
}

/**
 * A first import's refusal when a store was made at its location meanwhile by another process
 * (`shown`: its path, or a URL masked): that store is kept as it is. `madeMeanwhile` tells it
 * apart from the other conflicts (`isStoreMadeMeanwhile`): `demo --if-missing` keeps that store.
 */
export function storeMadeMeanwhile(shown: string): CafsupError {
  return new CafsupError(
    'CONFLICT',
    `La base ${shown} a été créée par un autre processus pendant cet import : elle est conservée telle quelle, rien n’y a été écrit.`,
    { path: shown, madeMeanwhile: true },
  );
}

/**
 * A first import's refusal when its database already held a store as its client opened it
 * (`create: 'by-import'`): kept as it is, as one made meanwhile. Whether it was made before the
 * client or by another process since the caller looked is not known here.
 */
export function storeFoundAtOpen(shown: string): CafsupError {
  return new CafsupError(
    'CONFLICT',
    `La base ${shown} contient déjà une base cafsup : ce n’est pas une première importation, elle est conservée telle quelle, rien n’y a été écrit.`,
    { path: shown, madeMeanwhile: true },
  );
}

/** The refusal of `storeMadeMeanwhile` or `storeFoundAtOpen`: a store is there now. */
export function isStoreMadeMeanwhile(error: unknown): boolean {
  return error instanceof CafsupError && error.details.madeMeanwhile === true;
}

/**
 * The mark of a store file copied into PostgreSQL by `cafsup migrate`, or whose copy is pending
 * (meta.ts, `MOVED_KEY`), else undefined: its writes are refused, so the interface offers none
 * (« lecture seule »), and `demo` says it is not replaced rather than advise --force. Read at
 * once, never waited for: a file another process holds locked, or that cannot be read, answers
 * undefined, and a write tried there (or `demo --force`) says why.
 */
export function copyMarkOf(path: string): string | undefined {
  let db: Database.Database | undefined;
  try {
    db = connect(path, { readonly: true, fileMustExist: true, timeout: 0 });
    return db.prepare(MOVED_VALUE).pluck().get() as string | undefined;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

/** The file and its folder can be written: SQLite needs both (its -wal and -shm files live beside it). */
export function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The file's bytes, marked as a rollback-journal database: SQLite refuses to read a WAL one from memory. */
function snapshot(path: string): Buffer {
  const bytes = readFileSync(path);
  // Bytes 18 and 19 of the header are the write and read format versions: 2 is WAL, 1 legacy.
  if (bytes.length >= 100) bytes[18] = bytes[19] = 1;
  return bytes;
}

/**
 * Refuses a URL given as a file name (PostgreSQL's never reach this): `--db mysql://…`, or a
 * PostgreSQL URL mistyped (`postgresql:/…`), must not make folders named after its parts, its
 * password one.
 */
export function refuseOtherUrl(path: string): void {
  if (!isOtherUrl(path)) return;
  // Shown by its scheme alone: what follows may hold a password (`shownLocation`).
  const shown = shownLocation(path);
  throw new CafsupError(
    'UNAVAILABLE',
    `Base de données non prise en charge : ${shown}. cafsup ouvre un fichier SQLite (--db FICHIER) ou une base PostgreSQL (--db postgres://…).`,
    { path: shown },
  );
}

/** A SQLite store's files: its own, then the journal files SQLite keeps beside it (`-wal` and `-journal` may hold writes, `-shm` only an index of the WAL). */
export const STORE_FILE_SUFFIXES = ['', '-wal', '-shm', '-journal'] as const;

/** Whether a journal beside a store (`-wal`, `-journal`) holds writes not yet in the store's file. */
export function holdsWrites(journal: string): boolean {
  return (statSync(journal, { throwIfNoEntry: false })?.size ?? 0) > 0;
}

/**
 * Whether `path` names a file, or nothing that can be looked at (not there, a link to itself, a
 * name too long, a folder this user may not enter): those are said when opened, as before
 * (« introuvable »), where statSync threw an internal error (review 39). One look: a file removed
 * between two made statSync throw.
 */
function isFileOrNothing(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? true;
  } catch {
    return true;
  }
}

/**
 * Refuses a path that names something other than a file (a folder, a device such as /dev/null):
 * SQLite answered « disk I/O error » or « unable to open database file », an internal error, and
 * `demo --force` would have removed a device to put a store in its place (trial 38b).
 */
export function refuseNonFile(path: string): void {
  if (path === ':memory:' || isFileOrNothing(path)) return;
  throw new CafsupError(
    'UNAVAILABLE',
    `${path} n’est pas un fichier (un dossier, un périphérique…) : donnez le chemin d’un fichier de base de données SQLite.`,
    { path, ...LASTING },
  );
}

/**
 * What a SQLite file holds, looked at before anything is written to it: a store of cafsup's (its
 * migrations set `user_version`, each in the transaction that makes its tables, and the first
 * made `meta` and `traces`), nothing yet (no table and version 0: 0 bytes, or made empty), or
 * another application's data. Another application's file got cafsup's tables from a read command,
 * and WAL mode; one whose own `user_version` was set crashed it (trial 39).
 */
function contentOf(db: Database.Database): 'store' | 'empty' | 'foreign' {
  const version = db.pragma('user_version', { simple: true }) as number;
  const entries = db.prepare('SELECT type, name FROM sqlite_master').all() as { type: string; name: string }[];
  if (entries.length === 0) return version === 0 ? 'empty' : 'foreign';
  const tables = new Set(entries.filter((entry) => entry.type === 'table').map((entry) => entry.name));
  return version > 0 && tables.has('meta') && tables.has('traces') ? 'store' : 'foreign';
}

/** Another application's SQLite file (`contentOf`): never written to, nor replaced. */
function foreignFile(path: string): CafsupError {
  return new CafsupError(
    'UNAVAILABLE',
    `Le fichier ${path} est une base SQLite qui n’est pas celle de cafsup (elle contient d’autres données) : rien n’y a été écrit. Donnez le chemin d’une base cafsup, ou d’un fichier à créer.`,
    { path, ...LASTING },
  );
}

function unreadableFile(path: string, cause: unknown): CafsupError {
  return new CafsupError('UNAVAILABLE', `Le fichier ${path} n’est pas une base cafsup lisible.`, { path, ...LASTING }, { cause });
}

/**
 * A file there with no table yet (0 bytes: a copy that failed, a disk full; or made empty): no
 * store to read, which answered as an empty one (« 0 partenaire », an audit without alert, a
 * chain « intègre »). A store is made in it by `demo` or `import`, as where there is no file.
 */
function emptyStore(path: string): CafsupError {
  return new CafsupError('UNAVAILABLE', `Base de données vide : ${path} (aucune table). Créez-la avec « cafsup demo » ou « cafsup import FICHIER ».`, {
    path,
    absent: true,
  });
}

/**
 * Whether the file at `path` (`shown` in messages) is a store or empty; another application's
 * file, or one that is not SQLite, is refused. Looked at read only, the file left as it is.
 */
export function fileContent(path: string, shown: string): 'store' | 'empty' {
  let content: 'store' | 'empty' | 'foreign';
  try {
    const db = connect(path, { readonly: true, fileMustExist: true });
    try {
      content = contentOf(db);
    } finally {
      db.close();
    }
  } catch (error) {
    throw unreadableFile(shown, error);
  }
  if (content === 'foreign') throw foreignFile(shown);
  return content;
}

/** `fileContent`, where a store must be there (`cafsup backup`). */
export function requireStoreFile(path: string, shown: string): void {
  if (fileContent(path, shown) === 'empty') throw emptyStore(shown);
}

/**
 * What failures to make the store's file mean beyond those of every file operation (`fileProblem`):
 * its folder made (`mkdir` over a path element that is a file, or a link to nothing), its journal
 * merged (trial 38b: they were said in English).
 */
const MAKING_PROBLEMS: Readonly<Record<string, string | undefined>> = {
  ENAMETOOLONG: 'nom de fichier trop long pour ce système',
  // mkdir's EEXIST here is a file where a folder of the path should be: ENOTDIR's meaning.
  EEXIST: fileProblem({ code: 'ENOTDIR' }),
  ENOENT: 'un élément du chemin est un lien vers un dossier absent',
  SQLITE_FULL: 'disque plein',
};

/**
 * The refusal every failure to make a store's file gives (made aside, or by `openDatabase`),
 * naming the file asked for: `reason`, else the system's failure in French, its code after it
 * (the hidden file's name never shown).
 */
export function cannotCreate(location: string, error: unknown, reason?: string): CafsupError {
  const code = (error as { code?: string } | null)?.code;
  const problem = code === undefined ? undefined : (fileProblem(error) ?? MAKING_PROBLEMS[code]);
  const said = reason ?? (problem !== undefined ? `${problem} (${code})` : (error as Error).message.replace(/ '[^']*'/g, ''));
  return new CafsupError('UNAVAILABLE', `Impossible de créer la base de données ${location} : ${said}.`, { path: location }, { cause: error });
}

/**
 * Opens (creating when asked) the store file: WAL so readers never wait for writers,
 * `synchronous = FULL` because a supervision decision must survive a power cut. `madeAside`: a
 * first import's file made aside (`Store.open`), which no other process reads or writes and which
 * nothing acknowledges until `putStoreInPlace` has synced it whole: its rollback journal is kept
 * in memory and its commits are not synced, so that its pages reach the disk once, not once in
 * the WAL and again in the file (a national import: about 1 s of 13, its system time 3.0 → 2.3 s).
 * Cut short, the file is removed, never put in place.
 */
export function openDatabase(
  path: string,
  options: { create?: boolean; readonly?: boolean; busyTimeoutMs?: number; madeAside?: boolean } = {},
): Database.Database {
  refuseOtherUrl(path);
  refuseNonFile(path);
  if (path !== ':memory:' && !existsSync(path)) {
    if (options.create === false) {
      throw databaseNotFound(path);
    }
    // The file holds people's names and the Caf's decisions: readable by its owner only
    // (SQLite gives its -wal and -shm files the same mode).
    try {
      makeFolders(dirname(path), 0o700);
    } catch (error) {
      throw cannotCreate(path, error);
    }
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (error) {
      // Made meanwhile by another process: opened as it is.
      if ((error as { code?: string }).code !== 'EEXIST') throw cannotCreate(path, error);
    }
  }
  let db: Database.Database;
  try {
    // SQLite in WAL mode writes its -shm file even to read, which a read-only file or folder
    // refuses: such a store is read from a snapshot in memory (nobody can be writing to it).
    db =
      options.readonly === true && path !== ':memory:' && !writable(path)
        ? connect(snapshot(path), { readonly: true })
        : connect(path, { readonly: options.readonly ?? false });
  } catch (error) {
    throw new CafsupError('UNAVAILABLE', `Impossible d’ouvrir la base de données ${path} : ${(error as Error).message}.`, { path }, { cause: error });
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    // Before any pragma that writes (the journal's mode).
    const content = contentOf(db);
    if (content === 'foreign') throw foreignFile(path);
    if (content === 'empty' && options.create === false) throw emptyStore(path);
    if (options.madeAside === true) {
      db.pragma('journal_mode = MEMORY');
      db.pragma('synchronous = OFF');
    } else if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = FILE');
    if (!options.readonly) migrate(db);
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT') === true) {
      throw unreadableFile(path, error);
    }
    throw error;
  }
  return db;
}
