import { CafsupError, GENESIS_HASH, LASTING, TRACE_HASH_PATTERN, longFrenchInstant } from '@cafsup/shared';
import type { Sql } from './engine/engine.js';

// The store's own values (`meta`: the chain's head and anchor, the store's identifier), apart
// from traces.ts so that what depends on the head (partner-cache.ts, which traces.ts calls in
// each append) reads it without an import cycle.

/** A point of the trace chain: a trace's id and hash. */
export interface ChainPoint {
  id: number;
  hash: string;
}

// The head (last id and hash) is kept in `meta` and updated with every append, so that
// removing the newest traces is noticed and a later append never re-links over a gap. On
// PostgreSQL the row exists from the schema's creation and every append locks it until its
// write ends (`TraceWriter.append`), so appends take turns and the numbers follow without gaps; on
// SQLite the single writer does the same and the row may be absent (then the chain is empty).
export const HEAD_KEY = 'trace_head';

/** The store's identifier, random, made with the store and carried by `migrate --to` and the checkpoints signed on it. */
export const STORE_ID_KEY = 'store_id';

/** The head as stored (its JSON text), by a statement without parameters: a subquery, or the data's version compared as text. */
export const HEAD_VALUE = `SELECT value FROM meta WHERE key = '${HEAD_KEY}'`;

/**
 * A `meta` value read back: its JSON, or, for a text that is no JSON (written by hand), the text
 * itself, whose form the chain's checks then refuse as a broken chain (`traces.verify`), not an
 * internal error. Of the type cafsup writes only once checked (`verifyTraces`, `readHead`).
 */
export function metaValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A `meta` value (`metaValue`), unchecked; `lock`: a locking clause for the row (PostgreSQL's `FOR UPDATE`…). */
export async function readMeta(db: Sql, key: string, lock = ''): Promise<unknown> {
  const value = await metaText(db, key, lock);
  return value === undefined ? null : metaValue(value);
}

/** A `meta` value's text as stored, undefined when there is none; `lock` as for `readMeta`. */
function metaText(db: Sql, key: string, lock: string): Promise<string | undefined> {
  return db.value<string>(`SELECT value FROM meta WHERE key = ?${lock}`, [key]);
}

/** Writes a `meta` value; `later`: with the write's next round trip (`Sql.runLater`). */
export async function writeMeta(db: Sql, key: string, value: unknown, later = false): Promise<void> {
  const sql = 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value';
  await (later ? db.runLater(sql, [key, JSON.stringify(value)]) : db.run(sql, [key, JSON.stringify(value)]));
}

/**
 * The chain's head (the genesis point while the chain is empty), to append after it; `lock` as
 * for `readMeta`. Of another form than cafsup writes (edited outside it), nothing is appended.
 */
export async function readHead(db: Sql, lock = ''): Promise<ChainPoint> {
  const head = writtenHead(await metaText(db, HEAD_KEY, lock), db.dialect);
  if (head === null) throw headUnreadable();
  return head;
}

/**
 * The head from its stored text (undefined: no row) when that is exactly what cafsup writes;
 * null when it was written otherwise, or deleted, by hand.
 */
export function writtenHead(text: string | undefined, dialect: Sql['dialect']): ChainPoint | null {
  // On PostgreSQL the row exists from the schema's creation: gone, it was deleted by hand.
  if (text === undefined) return dialect === 'postgres' ? null : { id: 0, hash: GENESIS_HASH };
  const head = metaValue(text);
  // Its exact text, as `writeMeta` and PostgreSQL's `APPEND_IN_SQL` write it and the latter
  // requires: the same values in another form (keys swapped, spaces) were taken by the
  // JavaScript path and refused by PostgreSQL's, so the two answered one hand edit differently.
  return isChainPoint(head) && text === JSON.stringify({ id: head.id, hash: head.hash }) ? head : null;
}

/** Why nothing is appended after a head of another form than cafsup writes (`readHead`; on PostgreSQL, traces.ts's `APPEND_IN_SQL`). */
export function headUnreadable(): CafsupError {
  return new CafsupError(
    'CONFLICT',
    'Tête de la chaîne des traces illisible dans la base (modifiée hors de cafsup) : rien n’a été écrit. Vérifiez la chaîne (cafsup traces verify) et prévenez le responsable de la sécurité.',
  );
}

/** A trace number as the chain's records in `meta` must hold it, not a text or a fraction an intruder wrote there. */
export const isTraceNumber = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
/** A trace's hash as the chain's records in `meta` must hold it. */
export const isHash = (value: unknown): boolean => typeof value === 'string' && TRACE_HASH_PATTERN.test(value);

/** A trace number and hash as cafsup writes them in `meta`. */
function isChainPoint(value: unknown): value is ChainPoint {
  if (typeof value !== 'object' || value === null) return false;
  const { id, hash } = value as Record<string, unknown>;
  return isTraceNumber(id) && isHash(hash);
}

/**
 * A SQLite store copied into PostgreSQL (`cafsup migrate --to`): its `meta` row says where, when
 * and up to which trace. From then on the file takes no write (`SqliteSql.transaction`) and no
 * second copy (copy.ts): a write landing there (an old profile, a scheduled task, a server left
 * running) would be missing from the database the team reads, and a second copy would make two
 * databases of one chain and one store id that diverge, whose checkpoints then disagree.
 * Written « pending » (`Moved.pending`) before PostgreSQL's commit, under the copy's lock on the
 * file, and made final after it: a copy killed between the two commits left the file unmarked,
 * taking writes the database already serving the team would never have (review 44).
 */
export const MOVED_KEY = 'moved_to';

/** The mark as a statement without parameters, read in every write transaction of a SQLite store. */
export const MOVED_VALUE = `SELECT value FROM meta WHERE key = '${MOVED_KEY}'`;

/** Where a store was copied: the database's URL without its password, the copy's instant, the last trace it holds. */
export interface Moved {
  to: string;
  at: string;
  head: number;
  /**
   * Written before PostgreSQL's commit: whether the copy landed is not known here. The file takes
   * no write meanwhile, as once copied; `migrate --to` to the same database finishes the mark
   * when the database holds this store, or copies again when it does not.
   */
  pending?: true;
}

/** The copy a pending mark stands for, without its flag; null for a mark of a copy done (or edited by hand into another form). */
export function pendingCopy(text: string): Moved | null {
  const moved = metaValue(text) as Partial<Moved> | null;
  if (typeof moved !== 'object' || moved === null || moved.pending !== true) return null;
  const { to, at, head } = moved;
  return typeof to === 'string' && typeof at === 'string' && isTraceNumber(head) ? { to, at, head: head as number } : null;
}

/** The mark's words: « copiée dans URL le 6 décembre 2026 à 05:10 (jusqu’à la trace n° N) », or less where it was edited by hand. */
function movedWords(text: string): string {
  const moved = metaValue(text) as Partial<Moved> | null;
  const to = typeof moved?.to === 'string' ? moved.to : 'une base PostgreSQL';
  const at = typeof moved?.at === 'string' && !Number.isNaN(Date.parse(moved.at)) ? ` le ${longFrenchInstant(moved.at)}` : '';
  const head = isTraceNumber(moved?.head) ? ` (jusqu’à la trace n° ${moved!.head})` : '';
  return `copiée dans ${to}${at}${head}`;
}

/**
 * What a pending mark means (`Moved.pending`) and what to do: « une copie dans URL, commencée le …,
 * n’a pas été confirmée … », said alike to a write and to a second copy elsewhere.
 */
function pendingWords(file: string, moved: Moved): string {
  const at = Number.isNaN(Date.parse(moved.at)) ? '' : `, commencée le ${longFrenchInstant(moved.at)},`;
  return `Une copie de la base ${file} dans ${moved.to}${at} n’a pas été confirmée (interrompue, ou encore en cours) : la base ne reçoit plus d’écritures, qui pourraient manquer à la base copiée. Relancez « cafsup migrate --db ${file} --to ${moved.to} » (avec le mot de passe s’il en faut un) : il termine la copie si elle a abouti, la refait sinon.`;
}

/**
 * A write refused on a store copied into PostgreSQL, or whose copy is pending: read only, as a
 * file this account cannot write (exit 6, cli.md), until a person points the writer at the copy
 * or finishes it (LASTING). A server's client is told `problem`, which names neither the file
 * nor the copy's URL (health.ts).
 */
export function storeMovedAway(file: string, text: string): CafsupError {
  const pending = pendingCopy(text);
  if (pending !== null) {
    return new CafsupError('UNAVAILABLE', `${pendingWords(file, pending)} Rien n’a été écrit.`, {
      path: file,
      problem: 'sa copie dans PostgreSQL par cafsup migrate n’a pas été confirmée, elle ne reçoit plus d’écritures ; rien n’a été écrit',
      ...LASTING,
    });
  }
  const problem = 'copiée dans PostgreSQL par cafsup migrate, elle ne reçoit plus d’écritures, qui manqueraient à la base copiée ; rien n’a été écrit';
  return new CafsupError(
    'UNAVAILABLE',
    `La base ${file} a été ${movedWords(text)} par cafsup migrate : elle ne reçoit plus d’écritures, qui manqueraient à la base copiée. Écrivez dans celle-ci (--db URL ou CAFSUP_DATABASE_URL). Rien n’a été écrit.`,
    { path: file, problem, ...LASTING },
  );
}

/** A second copy of a store copied already, or whose copy into another database is pending. */
export function copiedAlready(file: string, text: string): CafsupError {
  const pending = pendingCopy(text);
  const said =
    pending !== null ? `${pendingWords(file, pending)} Une copie dans une autre base` : `La base ${file} a déjà été ${movedWords(text)} : une seconde copie`;
  return new CafsupError('CONFLICT', `${said} ferait deux bases d’une même chaîne de traces, qui divergeraient. Rien n’a été écrit.`, { path: file });
}

/**
 * A store copied into PostgreSQL, or whose copy is pending, that `demo --force` would replace:
 * the record of where its data now is, and the trail up to the copy, would go with it unsaid.
 * `demo` without --force says it too, rather than advise a --force that is refused.
 */
export function copiedNotReplaced(file: string, text: string): CafsupError {
  const pending = pendingCopy(text);
  const said = pending !== null ? `${pendingWords(file, pending)} Elle` : `La base ${file} a été ${movedWords(text)} par cafsup migrate : elle`;
  return new CafsupError(
    'CONFLICT',
    `${said} n’est pas remplacée, même avec --force : avec elle partiraient la trace de cette copie et le journal des traces qui y mène. Donnez un autre fichier (--db FICHIER). Rien n’a été écrit.`,
    { path: file },
  );
}
