import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CafsupError, parseActor, type Actor } from '@cafsup/shared';

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
  return readJsonObject(configFilePath()) as SavedSettings;
}

export function readToken(profile: string): string | undefined {
  const token = readJsonObject(tokensFilePath())[profile];
  return typeof token === 'string' ? token : undefined;
}

/** What a profile connects to: the server and its token, or the file and the actor. */
export type Connection = { kind: 'http'; profile: string; baseUrl: string; token: string } | { kind: 'local'; profile: string | null; database: string; actor: Actor | null };

export function resolveProfile(name?: string): Connection {
  const settings = readSettings();
  const chosen = name ?? settings.profile;
  const actor = settings.actor === undefined ? null : parseActor(settings.actor);
  if (chosen === undefined) return { kind: 'local', profile: null, database: settings.database ?? defaultDatabasePath(), actor };
  const profile = settings.profiles?.[chosen];
  if (profile === undefined) throw new CafsupError('NOT_FOUND', `Profil inconnu : « ${chosen} ». Voir « cafsup config profile list ».`);
  if (profile.url === undefined) return { kind: 'local', profile: chosen, database: profile.database ?? settings.database ?? defaultDatabasePath(), actor };
  const token = readToken(chosen);
  if (token === undefined) throw new CafsupError('UNAUTHENTICATED', `Aucun jeton pour le profil « ${chosen} » : lancez « cafsup login --profile ${chosen} ».`);
  return { kind: 'http', profile: chosen, baseUrl: profile.url, token };
}
