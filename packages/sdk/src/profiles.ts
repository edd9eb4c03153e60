import { accessSync, constants, statSync } from 'node:fs';
import { CafsupError, frenchList, parseActor, type Actor } from '@cafsup/shared';
import { defaultDatabasePath, isPostgresUrl, readSettings, readToken, shownLocation, type SavedSettings } from './settings.js';

export * from './settings.js';

/** What a profile connects to: the server and its token, or the file and the actor. */
export type Connection =
  { kind: 'http'; profile: string | null; baseUrl: string; token: string } | { kind: 'local'; profile: string | null; database: string; actor: Actor | null };

/** A connection and the setting that chose it (`--profile`, `CAFSUP_DB`…), for `whoami` and errors. */
export type ResolvedConnection = Connection & { chosenBy: string };

/** What the command line says about where the data is. */
export interface ConnectionFlags {
  db?: string;
  profile?: string;
  /** For a command on a local file (`demo`, `import`, `serve`, `token`): a server is refused as such, before its token is looked for. */
  fileOnly?: boolean;
}

/**
 * A server where a command works on a local file: said for that, with or without the server's
 * token (trial 22, F9: without one, « CAFSUP_URL est défini sans CAFSUP_TOKEN », as if a token
 * would have helped).
 */
export function serverNotFile(connection: { profile: string | null; baseUrl: string }): CafsupError {
  // A server given by CAFSUP_URL has no profile to name (trial 21, F7: « Le profil « null »… »).
  const server = connection.profile === null ? 'CAFSUP_URL désigne un serveur' : `Le profil « ${connection.profile} » est un serveur`;
  return new CafsupError('VALIDATION', `${server} (${connection.baseUrl}) : cette commande agit sur un fichier local (--db FICHIER).`);
}

function savedProfile(settings: SavedSettings, name: string, chosenBy: string, env: NodeJS.ProcessEnv, fileOnly = false): ResolvedConnection {
  const profile = settings.profiles?.[name];
  if (profile === undefined) throw new CafsupError('NOT_FOUND', `Profil inconnu : « ${name} » (${chosenBy}). Voir « cafsup config profile list ».`);
  const actor = settings.actor === undefined ? null : parseActor(settings.actor);
  // A saved URL is checked as one given on the command line (the settings file may be edited by hand).
  if (profile.url === undefined)
    return { kind: 'local', profile: name, database: readableUrl(profile.database ?? settings.database ?? defaultDatabasePath(), chosenBy), actor, chosenBy };
  if (fileOnly) throw serverNotFile({ profile: name, baseUrl: profile.url });
  // The environment's token beats the saved one (flag > environment > settings), as for CI.
  const token = env.CAFSUP_TOKEN ?? readToken(name);
  if (token === undefined)
    throw new CafsupError(
      'UNAUTHENTICATED',
      `Aucun jeton pour le profil « ${name} » : lancez « cafsup login --profile ${name} » (ou définissez CAFSUP_TOKEN).`,
    );
  return { kind: 'http', profile: name, baseUrl: profile.url, token, chosenBy };
}

/** The URL's parameters that name a file (TLS): the authority's certificate, the client's certificate and key. */
const TLS_FILES = ['sslrootcert', 'sslcert', 'sslkey'];

function readableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The values of `sslmode` libpq takes, and node-postgres' own `no-verify`. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/**
 * A PostgreSQL URL the driver can read (checked here, a usage error, rather than failing inside
 * the driver); a file path as it is, unless empty (`--db ""`, a variable left blank in a script:
 * « introuvable : . » said nothing). The parameters libpq refuses are refused too: node-postgres
 * took an unknown `sslmode` for SSL, and said the server did not accept it.
 */
export function readableUrl(database: string, chosenBy: string): string {
  if (database.trim() === '') {
    throw new CafsupError('VALIDATION', `${chosenBy} attend un fichier SQLite ou une URL postgres://… (reçu une valeur vide).`, {
      problems: [{ path: chosenBy, message: 'valeur vide' }],
    });
  }
  if (!isPostgresUrl(database)) return database;
  // « URL PostgreSQL illisible (--db) : attendu … », « URL PostgreSQL, sslmode « x » inconnu (--db) : attendu … ».
  const wrong = (said: string, problem: string, expected: string) =>
    new CafsupError('VALIDATION', `URL PostgreSQL${said} (${chosenBy}) : attendu ${expected}.`, { problems: [{ path: chosenBy, message: problem }] });
  const wrongParameter = (problem: string, expected: string) => wrong(`, ${problem}`, problem, expected);
  // In a password, « # » starts the URL's fragment, and « / » or « ? » its path or query: the driver
  // would take what lies before it for the host (its error then naming a piece of the password as
  // one), and the rest, « @ » included, for the database. Refused before anything is tried or shown.
  const escapes = '%23 pour « # », %2F pour « / », %3F pour « ? » et %40 pour « @ » dans un mot de passe';
  if (database.includes('#')) throw wrongParameter('« # » inattendu', escapes);
  // node-postgres re-encodes a whole URL that holds a space or a « % » without two hexadecimal
  // digits after it (encodeURI), then undoes only the escapes of two decimal digits: every other
  // one (%3A, %2F, %3F, %C3%A9) reached the server as written. A right password was refused as
  // wrong, « authentification refusée », an accented database name « inexistante » (review 41).
  if (/ |%(?![0-9a-f]{2})/i.test(database)) throw wrongParameter('espace ou « % » non échappé', '%20 pour une espace et %25 pour « % »');
  // A user and no host (`postgres://moi@/base?host=/run/postgresql`, a Unix socket named in the
  // query) is no URL to the WHATWG parser, and one to libpq and the driver, which read it with a
  // stand-in host: read so here too.
  const readable = [database, database.replace('@/', '@localhost/')].find((text) => URL.canParse(text));
  if (readable === undefined) throw wrong(' illisible', 'URL illisible', 'postgres://utilisateur:mot-de-passe@hôte:port/base');
  const parsed = new URL(readable);
  if ((parsed.pathname + parsed.search).includes('@')) throw wrongParameter('« @ » après l’hôte', escapes);
  const parameters = parsed.searchParams;
  // The driver reads these files as it opens its first connection, and failed there untranslated.
  for (const name of TLS_FILES) {
    const file = parameters.get(name);
    if (file !== null && !readableFile(file)) throw wrongParameter(`${name} : fichier « ${file} » illisible`, 'un fichier lisible (PEM)');
  }
  // The driver made a socket's name of a port that is no number (« .s.PGSQL.NaN ») and failed
  // without a word of why; past 65535, Node's connect threw where nothing waited for it, and the
  // command ended at once, exit 0, having said nothing.
  const port = parameters.get('port');
  if (port !== null && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) throw wrongParameter(`port « ${port} » illisible`, 'un numéro de port');
  const sslmode = parameters.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) throw wrongParameter(`sslmode « ${sslmode} » inconnu`, frenchList(SSL_MODES, 'ou'));
  const timeout = parameters.get('connect_timeout');
  const seconds = /^\s*-?\d+\s*$/;
  if (timeout !== null && !seconds.test(timeout)) throw wrongParameter(`connect_timeout « ${timeout} » illisible`, 'un nombre entier de secondes');
  // The URL's own wait comes first; without it, libpq's variable, which libpq refuses as well when it is not a number.
  const fromEnvironment = process.env.PGCONNECT_TIMEOUT ?? '';
  if (timeout === null && fromEnvironment !== '' && !seconds.test(fromEnvironment)) {
    throw new CafsupError('VALIDATION', `PGCONNECT_TIMEOUT « ${fromEnvironment} » illisible : attendu un nombre entier de secondes.`, {
      problems: [{ path: 'PGCONNECT_TIMEOUT', message: 'nombre entier de secondes attendu' }],
    });
  }
  return database;
}

/**
 * Where the data is, with one precedence for every setting: the command line (`--db`,
 * `--profile`), then the environment (`CAFSUP_URL` with `CAFSUP_TOKEN`, `CAFSUP_DB`, `CAFSUP_DATABASE_URL`,
 * `CAFSUP_PROFILE`), then the saved settings (the active profile, the saved database), then the
 * platform's data folder. Two sources at one level would leave a write's destination to chance:
 * they are refused (VALIDATION), as is a `CAFSUP_TOKEN` that no server would receive.
 */
export function resolveConnection(flags: ConnectionFlags = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const settings = readSettings();
  const both = (level: string, names: string[]) =>
    new CafsupError('VALIDATION', `${names.join(' et ')} désignent chacun une source de données (${level}) : gardez-en un seul.`, {
      problems: names.map((name) => ({ path: name, message: 'source de données en concurrence' })),
    });
  if (flags.db !== undefined && flags.profile !== undefined) throw both('ligne de commande', ['--db', '--profile']);
  if (flags.db !== undefined) return { kind: 'local', profile: null, database: readableUrl(flags.db, '--db'), actor: null, chosenBy: '--db' };
  if (flags.profile !== undefined) return savedProfile(settings, flags.profile, '--profile', env, flags.fileOnly);
  const set = (name: string) => (env[name] ?? '') !== '';
  const fromEnvironment = ['CAFSUP_URL', 'CAFSUP_DB', 'CAFSUP_DATABASE_URL', 'CAFSUP_PROFILE'].filter(set);
  if (fromEnvironment.length > 1) throw both('environnement', fromEnvironment);
  if (set('CAFSUP_URL')) {
    if (flags.fileOnly === true) throw serverNotFile({ profile: null, baseUrl: env.CAFSUP_URL! });
    if (!set('CAFSUP_TOKEN')) throw new CafsupError('UNAUTHENTICATED', 'CAFSUP_URL est défini sans CAFSUP_TOKEN : le serveur demande un jeton.');
    return { kind: 'http', profile: null, baseUrl: env.CAFSUP_URL!, token: env.CAFSUP_TOKEN!, chosenBy: 'CAFSUP_URL' };
  }
  const local = (database: string, chosenBy: string): ResolvedConnection => {
    if (set('CAFSUP_TOKEN')) {
      throw new CafsupError(
        'VALIDATION',
        `CAFSUP_TOKEN est défini mais les données viennent de ${shownLocation(database)} (${chosenBy}) : ajoutez CAFSUP_URL pour un serveur, ou retirez CAFSUP_TOKEN.`,
      );
    }
    return {
      kind: 'local',
      profile: null,
      database: readableUrl(database, chosenBy),
      actor: settings.actor === undefined ? null : parseActor(settings.actor),
      chosenBy,
    };
  };
  if (set('CAFSUP_DB')) return local(env.CAFSUP_DB!, 'CAFSUP_DB');
  // A shared PostgreSQL database (operations.md), by the name its operators expect.
  if (set('CAFSUP_DATABASE_URL')) return local(env.CAFSUP_DATABASE_URL!, 'CAFSUP_DATABASE_URL');
  if (set('CAFSUP_PROFILE')) return savedProfile(settings, env.CAFSUP_PROFILE!, 'CAFSUP_PROFILE', env, flags.fileOnly);
  if (settings.profile !== undefined) return savedProfile(settings, settings.profile, 'profil actif', env, flags.fileOnly);
  return settings.database === undefined ? local(defaultDatabasePath(), 'défaut') : local(settings.database, 'config database');
}

/** The connection of a named profile, or of the usual precedence when none is named. */
export function resolveProfile(name?: string): Connection {
  return resolveConnection(name === undefined ? {} : { profile: name });
}
