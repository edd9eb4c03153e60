/** Every failure cafsup reports carries one of these codes, locally and over HTTP alike. */
export const ERROR_CODES = ['NOT_FOUND', 'VALIDATION', 'CONFLICT', 'FORBIDDEN', 'UNAUTHENTICATED', 'UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem in a document or an input, named by its JSON path (`users[12].email`). */
export interface Problem {
  path: string;
  message: string;
}

/** How a problem's path names the whole document or input, rather than one of its fields. */
export const DOCUMENT_PATH = '(document)';

/** A key an input has that its schema does not know, or several, in cafsup's quotes. */
export function unknownKeysMessage(keys: readonly string[]): string {
  return `${keys.length === 1 ? 'clé inconnue' : 'clés inconnues'} : ${keys.map((key) => `« ${key} »`).join(', ')}`;
}

/** The words that open the refusal of an input (`invalidInput`), which a terminal shows as a heading above the list. */
export const INVALID_INPUT = 'Saisie invalide';

/** The message of the refusal of an input: each problem with its path, for a client that shows the message only. */
export function invalidInputMessage(problems: readonly Problem[]): string {
  return `${INVALID_INPUT} : ${problems.map((p) => `${p.path} : ${p.message}`).join(' ; ')}.`;
}

/** The refusal of an input, its problems listed in the message and in `details.problems`. */
export function invalidInput(problems: Problem[]): CafsupError {
  return new CafsupError('VALIDATION', invalidInputMessage(problems), { problems });
}

/**
 * An SDK call whose argument `argument` holds what the user gave in a file or an option: its
 * refusal names their fields as the user wrote them (`changes[0].type`), not by their place in
 * the call (`draft.changes[0].type`, `changes.subscriptions[0]…`; trial 21, F8); `asked` names
 * them as the questions the user answered (the interface's forms), when there were questions.
 */
export async function inUserTerms<T>(work: Promise<T>, argument: string, asked: (path: string) => string = (path) => path): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof CafsupError)) throw error;
    const { problems } = error.details;
    if (problems === undefined || error.message !== invalidInputMessage(problems)) throw error;
    const inFile = (path: string) => (path === argument ? DOCUMENT_PATH : path.startsWith(`${argument}.`) ? path.slice(argument.length + 1) : path);
    throw invalidInput(problems.map((problem) => ({ ...problem, path: asked(inFile(problem.path)) })));
  }
}

/**
 * A refusal as a person reads it, on the command line and in the interface: its heading, then its
 * problems one a line. An input's refusal lists its problems in its message too (for API
 * clients): here they follow under « Saisie invalide : » rather than each said twice (trial 21,
 * F8); a refusal whose message already says its one problem (a JSON syntax error, a date) says it once.
 */
export function refusalLines(failure: CafsupError): { heading: string; problems: string[] } {
  const problems = failure.details.problems ?? [];
  const listed = problems.length === 1 && failure.message.includes(problems[0]!.message) ? [] : problems;
  const heading = listed.length > 0 && failure.message === invalidInputMessage(listed) ? `${INVALID_INPUT} :` : failure.message;
  return { heading, problems: listed.map((problem) => `${problem.path} : ${problem.message}`) };
}

export interface CafsupErrorDetails {
  problems?: Problem[];
  ids?: string[];
  [key: string]: unknown;
}

/**
 * In an UNAVAILABLE's details: no retry mends it (a damaged file, a file deleted or replaced under
 * a server), a person must. The server then sends no Retry-After, and clients do not ask again
 * (review 35: they asked a damaged file three more times).
 */
export const LASTING = { lasting: true } as const;

/**
 * What a write sent and not answered is told, at the end of a sentence (its period the caller's):
 * it may have been made. Over HTTP (no answer from the server) and on PostgreSQL (no answer to
 * its COMMIT) alike.
 */
export const MAYBE_WRITTEN = 'l’écriture a pu être faite ; vérifiez-la (cafsup traces) avant de la relancer';

/** What a NOT_FOUND of `notFound` did not find, in its details: a client suggests ids of that kind only. */
export type MissingKind = 'partner' | 'user' | 'group' | 'habilitation';

const MISSING_NOUN: Readonly<Record<MissingKind, string>> = { partner: 'Partenaire', user: 'Utilisateur', group: 'Groupe', habilitation: 'Habilitation' };

/**
 * A partner, user, group or habilitation that does not exist, or lies outside the caller's scope
 * (the two are indistinguishable), sought within one partner when `partnerId` is given. Its kind
 * is in the details, so that « vouliez-vous dire » proposes a user for a user (trial 24: it
 * proposed a habilitation's id for `--user`).
 */
export function notFound(kind: MissingKind, ids: readonly string[], within: { partnerId?: string; problems?: Problem[] } = {}): CafsupError {
  const where = within.partnerId === undefined ? '' : ` chez ${within.partnerId}`;
  return new CafsupError('NOT_FOUND', `${MISSING_NOUN[kind]} introuvable${where} : ${ids.join(', ')}.`, { ids: [...ids], kind, ...within });
}

/** The single error type of cafsup: a code, a French sentence, and structured details. */
export class CafsupError extends Error {
  readonly code: ErrorCode;
  readonly details: CafsupErrorDetails;

  constructor(code: ErrorCode, message: string, details: CafsupErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CafsupError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details: CafsupErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * The header `cafsup serve` puts on every answer, with the version of its API: the HTTP transport
 * takes no answer without it, since another program at the address may answer JSON, or a page
 * with 200 (trial 25: a foreign JSON was shown as the identity, an HTML page written as an export).
 */
export const API_HEADER = { name: 'cafsup-api', value: '1' } as const;

/** HTTP status for each code: the server answers with it, the HTTP transport reads it back. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  VALIDATION: 422,
  CONFLICT: 409,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

/** Process exit code for each code (cli.md): 3 not found, 4 refused, 5 invalid data, 6 unreachable, 70 internal. */
export const EXIT_CODE: Record<ErrorCode, number> = {
  NOT_FOUND: 3,
  VALIDATION: 5,
  CONFLICT: 4,
  FORBIDDEN: 4,
  UNAUTHENTICATED: 4,
  UNAVAILABLE: 6,
  RATE_LIMITED: 4,
  INTERNAL: 70,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** What a file's system error means to a person, read, written or made alike (the system's English is no answer). */
const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  EISDIR: 'c’est un dossier',
  EACCES: 'accès refusé',
  EPERM: 'accès refusé',
  ENOSPC: 'disque plein',
  EDQUOT: 'disque plein',
  EROFS: 'disque en lecture seule',
  ENOTDIR: 'un élément du chemin n’est pas un dossier',
};

/**
 * A file's system error in French, when it is one of those every file operation meets.
 * `folderRefused`: set by the SDK's `makeFolders` on the ENOENT of a folder the system will not
 * make in a folder that is there (/proc), which the path's ENOENT would misname.
 */
export function fileProblem(error: unknown): string | undefined {
  const { code, folderRefused } = (error ?? {}) as { code?: unknown; folderRefused?: unknown };
  if (folderRefused === true) return 'le système refuse d’y créer un dossier';
  return typeof code === 'string' ? FILE_PROBLEMS[code] : undefined;
}

/**
 * Whether a hard link failed because the file system makes none (some network or FUSE mounts,
 * vfat: EPERM on Linux, ENOTSUP or EOPNOTSUPP elsewhere, ENOSYS, EXDEV across a mount's layers),
 * not because of the files: its caller puts the file in place another way.
 */
export function hardLinksRefused(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EXDEV';
}

/** SQLite refused to write: its file, or its folder, may not be written, or could not when it was opened. */
export function isReadOnlyRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_READONLY');
}

/** A SQLite file the process may not write, as every refusal of it says it. */
const READ_ONLY = 'en lecture seule (le fichier ou son dossier n’est pas modifiable)';

/**
 * A SQLite file that could not be opened because it, or its folder, may not be written (opening
 * sets up its journal there), named, or undefined for another failure: the CLI's opening and the
 * server's store threads say it alike (a worker's error reached `serve` as « [object Object] »).
 */
export function readOnlyStore(shown: string, error: unknown): CafsupError | undefined {
  if (!isReadOnlyRefusal(error)) return undefined;
  return new CafsupError('UNAVAILABLE', `La base ${shown} est ${READ_ONLY} et n’a pas pu être ouverte.`, { path: shown }, { cause: error });
}

/**
 * A write refused on a SQLite file that may not be written, named. `problem` says it without the
 * path, for the server's callers (withoutLocation): a write over HTTP said « Impossible d’ouvrir la
 * base de données » (review 44). `untilRestart`: its rights were given back after it was opened,
 * and SQLite, having opened it read-only, keeps that connection so.
 */
export function readOnlyWrite(shown: string, untilRestart = false): CafsupError {
  const state = untilRestart ? 'ouverte en lecture seule (le fichier ou son dossier n’était pas modifiable) jusqu’au redémarrage du serveur' : READ_ONLY;
  return new CafsupError('UNAVAILABLE', `Écriture refusée : la base ${shown} est ${state}. Rien n’a été écrit.`, {
    path: shown,
    problem: `${state} ; rien n’a été écrit`,
    ...LASTING,
  });
}

/** Turns anything thrown into a CafsupError; unknown failures become INTERNAL with the original as cause. */
export function toCafsupError(error: unknown): CafsupError {
  if (error instanceof CafsupError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  // better-sqlite3 gives SQLite's extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_CORRUPT_INDEX…): by family.
  const family = typeof code === 'string' && code.startsWith('SQLITE_') ? /^SQLITE_[A-Z]+/.exec(code)![0] : null;
  if (family === 'SQLITE_BUSY' || family === 'SQLITE_LOCKED') {
    return new CafsupError('UNAVAILABLE', 'La base de données est occupée par une autre opération ; réessayez.', { busy: true }, { cause: error });
  }
  // Said as what it is, not « Erreur interne inattendue »: no retry mends it, a backup does.
  if (family === 'SQLITE_CORRUPT') {
    return new CafsupError(
      'UNAVAILABLE',
      'Le fichier de la base de données est endommagé : restaurez sa dernière sauvegarde (faite avec cafsup backup).',
      LASTING,
      { cause: error },
    );
  }
  // The write's transaction rolled back: nothing of it was written (trial 38b: « erreur interne »).
  if (family === 'SQLITE_FULL') {
    return new CafsupError(
      'UNAVAILABLE',
      'Disque plein : rien n’a été écrit. Libérez de la place sur le disque de la base de données, puis recommencez.',
      LASTING,
      {
        cause: error,
      },
    );
  }
  if (family === 'SQLITE_CANTOPEN' || family === 'SQLITE_NOTADB' || family === 'SQLITE_READONLY') {
    return new CafsupError('UNAVAILABLE', 'Impossible d’ouvrir la base de données.', LASTING, { cause: error });
  }
  return new CafsupError('INTERNAL', 'Erreur interne inattendue.', {}, { cause: error });
}
