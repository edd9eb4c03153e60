import { CafsupError } from '@cafsup/shared';
import type Database from 'better-sqlite3';
import { connect, holdsWrites, openDatabase, writable } from '../connection.js';
import { HEAD_VALUE, MOVED_KEY, MOVED_VALUE, STORE_ID_KEY, copiedAlready, pendingCopy, readHead, type Moved } from '../meta.js';
import { SCHEMA_VERSION } from '../schema.js';
import { insertRow } from './engine.js';
import { redact } from '../../settings.js';
import type { commitFailure } from './postgres.js';

/**
 * Rows read from the file and handed on at once: a thousand partners' kept flags are some 8 MB
 * of text, made again as COPY's.
 */
const BATCH = 1000;

/** How long the copy waits for the file's writers before its commit. */
const WRITERS_WAIT_MS = 5_000;

export interface CopyReport {
  from: string;
  to: string;
  tables: { name: string; rows: number }[];
  traceHead: number;
  /** Whether the file now refuses writes and a second copy (meta.ts, `MOVED_KEY`): not where this account cannot write it, or the mark failed. */
  sourceMarked: boolean;
  /**
   * The copy found already in the database, an earlier `migrate --to` there having ended between
   * its commit and the file's mark (`Moved.pending`): only the mark was finished, nothing copied
   * (`tables` empty, `traceHead` the one that copy held).
   */
  resumed: boolean;
}

/**
 * `cafsup migrate --to URL`: copies an embedded file into an empty PostgreSQL database, table
 * by table and row for row, in one transaction — the trace chain included, with its numbers,
 * hashes, anchor and the store's identifier, so that `traces verify` and the checkpoints signed
 * on the file still hold on PostgreSQL. Refused when the database already holds data (a copy
 * never merges two chains) or when the file's schema is not this version's.
 */
export async function copySqliteToPostgres(file: string, url: string, onTable?: (name: string, rows: number) => void): Promise<CopyReport> {
  // The driver loads with the copy, not with every command (the SDK's index exports this).
  const [{ PostgresSql, commitFailure }, { POSTGRES_SCHEMA_VERSION, postgresSchemaVersion, settleSchema }] = await Promise.all([
    import('./postgres.js'),
    import('./postgres-schema.js'),
  ]);
  const source = openDatabase(file, { create: false, readonly: true });
  const target = new PostgresSql(url, { max: 2 });
  // Set inside the copy's transaction, closed after its commit (`heldFromWriting`); `pending`:
  // the file's pending mark, to be made final once the copy committed (`markPending`).
  const lock: { writers?: Database.Database | null; pending?: string } = {};
  try {
    // A file this account cannot write is read from its main file alone (`openDatabase`): what
    // its journal holds, not yet moved into it, would be missing from the copy.
    if (!writable(file) && holdsWrites(`${file}-wal`)) {
      throw new CafsupError(
        'UNAVAILABLE',
        `Le fichier ${file} ne peut pas être écrit par ce compte et son journal (${file}-wal) contient des écritures que la copie ne lirait pas : lancez-la avec le compte qui écrit le fichier (celui de cafsup serve), ou une fois ce journal vidé. Rien n’a été écrit.`,
        { path: file },
      );
    }
    // Every table read in one transaction, as of one moment: read one after the other while a
    // server wrote to the file, they made a copy whose trail did not verify, a trace without its
    // change (trial 37).
    source.exec('BEGIN');
    const version = source.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION || POSTGRES_SCHEMA_VERSION !== SCHEMA_VERSION) {
      throw new CafsupError(
        'CONFLICT',
        `Le fichier ${file} est au schéma ${version}, cette version de cafsup au schéma ${SCHEMA_VERSION} : ouvrez-le d’abord avec cette version.`,
      );
    }
    // A copy into this database begun earlier and not known to have committed is finished, or
    // made again (`Moved.pending`); any other mark refuses a copy.
    const moved = source.prepare(MOVED_VALUE).pluck().get() as string | undefined;
    const pending = moved === undefined ? null : pendingCopy(moved);
    if (moved !== undefined && (pending === null || withoutPassword(pending.to) !== withoutPassword(url))) throw copiedAlready(file, moved);
    const copiedHead = source.prepare(HEAD_VALUE).pluck().get();
    const storeId = source.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(STORE_ID_KEY);
    // Another application's tables, or a newer cafsup's, refused before anything is begun.
    await postgresSchemaVersion(target);
    const tables = (
      source.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]
    ).map((row) => row.name);
    const report: CopyReport = { from: file, to: redact(url), tables: [], traceHead: 0, sourceMarked: false, resumed: false };
    const copy = { to: report.to, at: new Date().toISOString(), head: 0 };
    const committed = target.transaction(async () => {
      // The tables made in the copy's transaction: a copy cut short (Ctrl-C, kill -9, the
      // connection lost) leaves none behind, where it left an empty store (trial 37).
      await settleSchema(target);
      // Every table but `meta` empty: their rows are then surely new, and copied in (`appendMany`).
      const held = await target.value<boolean>(
        `SELECT ${['false', ...tables.filter((table) => table !== 'meta').map((table) => `EXISTS (SELECT 1 FROM ${table})`)].join(' OR ')}`,
      );
      // This store there, under the identifier no other has: the pending copy committed.
      if (held === true && pending !== null && (await target.value(`SELECT value FROM meta WHERE key = ?`, [STORE_ID_KEY])) === storeId) {
        Object.assign(copy, pending);
        Object.assign(report, { traceHead: pending.head, resumed: true });
        return;
      }
      if (held === true) {
        // Not this store: the pending copy never landed there, the file is its data's only place.
        if (pending !== null) unmark(file, moved!, report.to);
        throw new CafsupError('CONFLICT', `La base ${redact(url)} contient déjà des données : la copie se fait dans une base vide (rien n’a été écrit).`);
      }
      for (const table of tables) {
        const columns = (source.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(table) as { name: string }[]).map((row) => row.name);
        // The rows the baseline wrote in `meta` (store id, chain head) give way to the file's.
        const insert = `${insertRow(table, columns)}${table === 'meta' ? ' ON CONFLICT (key) DO UPDATE SET value = excluded.value' : ''}`;
        let rows = 0;
        let batch: unknown[][] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          // Copied in rather than inserted: a national file took 61 s by statements, 19–25 s so.
          // `meta` by its statement: COPY has no ON CONFLICT.
          await (table === 'meta' ? target.runMany(insert, batch) : target.appendMany(insert, batch));
          rows += batch.length;
          batch = [];
        };
        const list = columns.map((column) => `"${column}"`).join(', ');
        for (const row of source.prepare(`SELECT ${list} FROM "${table}"`).raw(true).iterate() as IterableIterator<unknown[]>) {
          batch.push(row);
          if (batch.length === BATCH) await flush();
        }
        await flush();
        // Identity columns go on after the highest key copied.
        const identities = await target.all<{ column_name: string }>(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND is_identity = 'YES'",
          [table],
        );
        for (const { column_name: column } of identities) {
          await target.exec(`SELECT setval(pg_get_serial_sequence('${table}', '${column}'), COALESCE((SELECT MAX("${column}") FROM ${table}), 0) + 1, false)`);
        }
        report.tables.push({ name: table, rows });
        onTable?.(table, rows);
      }
      report.traceHead = copy.head = (await readHead(target)).id;
      // Nothing written to the file since its rows were read, and nothing until this commits:
      // a write landing there meanwhile, acknowledged, would be missing here.
      lock.writers = heldFromWriting(file);
      // Read again under the lock: a second copy begun before the first had marked the file read
      // no mark, and made a second database of the same chain (two at once: exit 0 both times,
      // the second « n’a pas pu être marqué »).
      const marked = lock.writers?.prepare(MOVED_VALUE).pluck().get() as string | undefined;
      if (marked !== undefined && marked !== moved) throw copiedAlready(file, marked);
      if (lock.writers === null ? holdsWrites(`${file}-wal`) : lock.writers.prepare(HEAD_VALUE).pluck().get() !== copiedHead) {
        throw new CafsupError(
          'CONFLICT',
          `Le fichier ${file} a reçu des écritures pendant la copie : arrêtez ce qui y écrit (cafsup serve, une tâche planifiée) puis recommencez. Rien n’a été écrit dans ${redact(url)}.`,
        );
      }
      // Marked before the commit: a kill after it leaves the file refusing writes, not taking
      // writes the database serving the team would never have (review 44).
      if (lock.writers !== null) lock.pending = markPending(lock.writers, copy);
    });
    // Only the commit comes after the pending mark: whether it landed, `unconfirmed` says where it is known.
    await committed.catch((error: unknown) => {
      if (lock.pending === undefined) throw error;
      const failure = commitFailure(error);
      // Surely not landed: the file is its data's only place again, as before the copy (review 45).
      const unmarked = !failure.maybe && takeMarkAway(lock.writers!, lock.pending);
      throw unconfirmed(file, copy, failure, unmarked, error);
    });
    if (report.resumed && writable(file)) {
      lock.writers = connect(file, { fileMustExist: true, timeout: WRITERS_WAIT_MS });
      lock.pending = moved;
    }
    report.sourceMarked = lock.pending !== undefined && markMoved(lock.writers!, copy, lock.pending);
    return report;
  } finally {
    lock.writers?.close();
    source.close();
    await target.close();
  }
}

/**
 * The database a URL names, as `redact` shows it, without its password: given in the URL, or by
 * PGPASSWORD or .pgpass, it is the same database. The pending mark keeps the URL as shown, « *** »
 * standing for a password given in it: a copy begun with it, made again or finished with the
 * password given otherwise (or the other way round), was refused as a copy into another database.
 */
function withoutPassword(url: string): string {
  const shown = redact(url);
  try {
    const parsed = new URL(shown);
    parsed.password = '';
    parsed.searchParams.delete('password');
    return parsed.toString();
  } catch {
    return shown;
  }
}

/**
 * The file marked « pending » (`Moved.pending`), by the transaction that kept writers out since
 * its rows were read, before PostgreSQL's commit: a failure here rolls the copy back. It replaces
 * only the pending mark of the earlier copy this one makes again (read again under the lock).
 */
function markPending(writers: Database.Database, copy: Moved): string {
  const pending = JSON.stringify({ ...copy, pending: true });
  writers.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(MOVED_KEY, pending);
  writers.exec('COMMIT');
  return pending;
}

/**
 * The pending mark made final once the copy committed: the file keeps refusing writes either
 * way, so a mark that fails is said, not thrown, and `migrate --to` there again finishes it.
 */
function markMoved(writers: Database.Database, copy: Moved, pending: string): boolean {
  try {
    return writers.prepare('UPDATE meta SET value = ? WHERE key = ? AND value = ?').run(JSON.stringify(copy), MOVED_KEY, pending).changes === 1;
  } catch {
    return false;
  }
}

/** The pending mark `text` taken away: the database holds another store, so that copy never landed and the file is its data's only place. */
function unmark(file: string, text: string, to: string): void {
  // Said rather than tried: SQLite's own refusal named neither the file nor why (« Impossible d’ouvrir la base de données »).
  if (!writable(file)) {
    throw new CafsupError(
      'UNAVAILABLE',
      `La base ${to} contient les données d’une autre base : la copie du fichier ${file} n’y a pas abouti, et il peut reprendre ses écritures, mais ce compte ne peut pas l’écrire pour lever sa marque : relancez cette commande avec le compte qui écrit le fichier (celui de cafsup serve). Rien n’a été écrit.`,
      { path: file },
    );
  }
  const db = connect(file, { fileMustExist: true, timeout: WRITERS_WAIT_MS });
  try {
    takeMarkAway(db, text);
  } finally {
    db.close();
  }
}

/** The mark `text` taken away, if it is still the file's; whether it was. */
function takeMarkAway(db: Database.Database, text: string): boolean {
  try {
    return db.prepare('DELETE FROM meta WHERE key = ? AND value = ?').run(MOVED_KEY, text).changes === 1;
  } catch {
    return false;
  }
}

/**
 * A commit that failed, or whose answer was lost, after the pending mark. Refused by the server,
 * or its connection lost before the COMMIT left, the copy surely did not land (`commitFailure`):
 * its mark taken away (`unmarked`), the file takes writes again. Else it may have: the file stays
 * read only until the copy is finished or made again.
 */
function unconfirmed(file: string, copy: Moved, { maybe, problem, code }: ReturnType<typeof commitFailure>, unmarked: boolean, error: unknown): CafsupError {
  const why = `${problem}${code === undefined ? '' : ` (${code})`}`;
  const said = maybe ? `n’a pas été confirmée (elle peut avoir abouti ou non) : ${why}` : `n’a pas abouti : ${why}`;
  const then = unmarked
    ? `Rien n’y a été copié, et le fichier ${file} reçoit de nouveau ses écritures.`
    : `Le fichier ${file} ne reçoit plus d’écritures tant que « cafsup migrate --db ${file} --to ${copy.to} » n’a pas été relancé : il ${maybe ? 'termine la copie si elle a abouti, la refait sinon' : 'la refait'}.`;
  return new CafsupError('UNAVAILABLE', `La copie dans ${copy.to} ${said}. ${then}`, { path: file }, { cause: error });
}

/**
 * A connection to the file that holds its write lock until closed, so that no write lands there
 * between the check of its head and the copy's commit (its writers wait, as for any write). None
 * where this account cannot write the file: it was read from its main file alone, which its
 * writers change only through the journal (`holdsWrites`).
 */
function heldFromWriting(file: string): Database.Database | null {
  if (!writable(file)) return null;
  // Shorter than PostgreSQL's patience with the copy's transaction meanwhile (15 s, IDLE_IN_WRITE).
  const db = connect(file, { fileMustExist: true, timeout: WRITERS_WAIT_MS });
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new CafsupError(
      'UNAVAILABLE',
      `Le fichier ${file} est resté verrouillé par une autre écriture : arrêtez ce qui y écrit puis recommencez. Rien n’a été écrit.`,
      { path: file },
      { cause: error },
    );
  }
  return db;
}
