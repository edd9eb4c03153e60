import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

// Where the settings and the embedded store live, and the settings as saved: node's own modules
// only, so that the interface reads them before its first frame without loading the SDK
// (`@cafsup/sdk/settings`).

/**
 * Where cafsup keeps its settings and where the embedded store lives by default: the
 * platform's folders, or `CAFSUP_CONFIG_DIR` (tests, several setups side by side).
 */
export function configDirectory(): string {
  if (process.env.CAFSUP_CONFIG_DIR !== undefined) return process.env.CAFSUP_CONFIG_DIR;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Preferences', 'cafsup');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'cafsup', 'Config');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'cafsup');
}

export const CONFIG_NAME = 'config';
export const TOKENS_NAME = 'tokens';

export function configFilePath(): string {
  return join(configDirectory(), `${CONFIG_NAME}.json`);
}

/** Tokens live apart from the settings, in a folder of mode 0700 and a file of mode 0600. */
export function tokensDirectory(): string {
  return join(configDirectory(), 'secrets');
}

export function tokensFilePath(): string {
  return join(tokensDirectory(), `${TOKENS_NAME}.json`);
}

/** The platform's data folder for cafsup (XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows). */
export function dataDirectory(): string {
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'cafsup');
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'cafsup', 'Data');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'cafsup');
}

export function defaultDatabasePath(): string {
  return join(dataDirectory(), 'cafsup.db');
}

/** A saved connection: a server (`url`, with its token saved by `cafsup login`) or a SQLite file. */
export interface Profile {
  url?: string;
  database?: string;
}

export interface SavedSettings {
  actor?: string;
  database?: string;
  lang?: string;
  /** The profile commands use when none is named. */
  profile?: string;
  profiles?: Record<string, Profile>;
}

function readJsonObject(path: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The settings file as saved, read without loading conf (a plain command should start fast). */
export function readSettings(): SavedSettings {
  return readJsonObject(configFilePath());
}

export function readToken(profile: string): string | undefined {
  const token = readJsonObject(tokensFilePath())[profile];
  return typeof token === 'string' ? token : undefined;
}

/** A PostgreSQL URL (`postgres://` or `postgresql://`): the shared engine. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * A database URL without its password, for messages and logs. Here, with the settings, so that
 * showing a location never loads the store or its driver.
 */
export function redact(url: string): string {
  // A user name or password holding an « @ » left unescaped ends, for URL parsing, at that « @ »
  // (and what follows a « # », « ? » or « / » in it becomes the fragment, query or path). When an
  // « @ » comes before the path, the user part ends at the first « @ » followed by a host (and a
  // port) then the path, the query or the end; all between the first « : » and it is masked.
  const scheme = url.indexOf('://') + 3;
  const path = url.slice(scheme).search(/[/?]/);
  const beforePath = path < 0 ? url.length : scheme + path;
  if (scheme >= 3 && url.slice(scheme, beforePath).includes('@')) {
    for (let at = url.indexOf('@', scheme); at >= 0; at = url.indexOf('@', at + 1)) {
      if (!HOST_THEN_PATH.test(url.slice(at + 1))) continue;
      const colon = url.indexOf(':', scheme);
      const masked = colon >= 0 && colon < at ? `${url.slice(0, colon + 1)}***${url.slice(at)}` : url;
      return masked.replace(PASSWORD_PARAMETER, '$1***');
    }
  }
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    // The driver takes a password from the query too.
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/** What follows the « @ » that ends the user part: a host name or [IPv6], a port, then the path, the query or the end. */
const HOST_THEN_PATH = /^(\[[0-9a-fA-F:.]*\]|[A-Za-z0-9._~%-]*)(:\d*)?(?=[/?]|$)/;
const PASSWORD_PARAMETER = /([?&]password=)[^&#]*/g;

/**
 * A URL cafsup does not take, or a PostgreSQL one mistyped (« postgre:// », « postgresql:/ »,
 * « postgres// »): shown by its start alone, which says what is wrong with it, the rest masked
 * as a password is (« mysql://*** »), since it may hold one that no parsing can be trusted to find.
 */
const OTHER_URL = /^\s*(?:[a-z][a-z0-9+.-]+:\/+|postgres(?:ql)?\/\/)/i;

/** A location that is a URL cafsup does not take, or a mistyped PostgreSQL one: never a file name (`openDatabase`). */
export function isOtherUrl(location: string): boolean {
  return !isPostgresUrl(location) && OTHER_URL.test(location);
}

/**
 * What is wrong with a server's address, or null: it must read as a URL, http:// or https://,
 * with neither a query nor a fragment, which the transport would send with every operation's path
 * (trial 25: « Opération inconnue : GET / » at every command). Said of the address shown masked.
 */
export function serverUrlProblem(base: string): string | null {
  if (!URL.canParse(base)) return `Adresse du serveur illisible : « ${shownServer(base)} » (https://hôte:port attendu).`;
  const url = new URL(base);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `Adresse du serveur refusée : « ${shownServer(base)} » (https:// ou http:// attendu).`;
  if (url.search !== '' || url.hash !== '') return `Adresse du serveur refusée : « ${shownServer(base)} » (ni « ? » ni « # » : https://hôte:port attendu).`;
  return null;
}

/**
 * The server's address as messages and `whoami` show it: a user, a password or a query (where a
 * token may have been put) masked, as a PostgreSQL URL's password is (trial 25).
 */
export function shownServer(base: string): string {
  // Unreadable, it is refused where it is used (the transport); here only shown, masked whole.
  if (!URL.canParse(base)) return shownLocation(base);
  const url = new URL(base);
  const credentials = url.username !== '' || url.password !== '' ? '***@' : '';
  return `${url.protocol}//${credentials}${url.host}${url.pathname.replace(/\/+$/, '')}${url.search === '' ? '' : '?***'}`;
}

/** Where the data is, as shown to a person or a log: a file's path, or a PostgreSQL URL with its password masked. */
export function shownLocation(location: string): string {
  if (isPostgresUrl(location)) return redact(location);
  const start = OTHER_URL.exec(location)?.[0];
  return start === undefined ? location : `${start}***`;
}
