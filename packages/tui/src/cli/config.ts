import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CafsupError, parseActor } from '@cafsup/shared';

/** What `cafsup config` keeps: validated with zod first, since conf's own messages are English. */
export const CONFIG_KEYS = {
  actor: z.string().refine((value) => parseActor(value) !== null, 'attendu « Prénom Nom <mél> »'),
  database: z.string().min(1),
  lang: z.enum(['fr', 'en']),
} as const;
export type ConfigKey = keyof typeof CONFIG_KEYS;

export function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_KEYS, key);
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

/** The folder of the config file: `CAFSUP_CONFIG_DIR` (tests, several setups), else the platform's config folder. */
export function configDirectory(): string {
  if (process.env.CAFSUP_CONFIG_DIR !== undefined) return process.env.CAFSUP_CONFIG_DIR;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Preferences', 'cafsup');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'cafsup', 'Config');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'cafsup');
}

const CONFIG_NAME = 'config';

export function configFilePath(): string {
  return join(configDirectory(), `${CONFIG_NAME}.json`);
}

export type ConfigValues = Partial<Record<ConfigKey, string>>;

/**
 * The saved settings, read without loading conf (and its JSON-schema validator), which would
 * cost a plain command more time than its work; values that no longer validate are ignored.
 */
export function readConfig(): ConfigValues {
  let stored: unknown;
  try {
    stored = JSON.parse(readFileSync(configFilePath(), 'utf8'));
  } catch {
    return {};
  }
  const values: ConfigValues = {};
  if (typeof stored !== 'object' || stored === null) return values;
  for (const [key, value] of Object.entries(stored)) {
    if (isConfigKey(key) && CONFIG_KEYS[key].safeParse(value).success) values[key] = value as string;
  }
  return values;
}

/** The config file for writing, through conf (atomic writes, one format); loaded only when a setting changes. */
export async function openConfig(): Promise<import('conf').default<ConfigValues>> {
  const { default: Conf } = await import('conf');
  return new Conf<ConfigValues>({ projectName: 'cafsup', cwd: configDirectory(), configName: CONFIG_NAME });
}

export function validateConfigValue(key: ConfigKey, value: string): string {
  const parsed = CONFIG_KEYS[key].safeParse(value);
  if (!parsed.success) {
    throw new CafsupError('VALIDATION', `Valeur refusée pour ${key} : ${parsed.error.issues[0]!.message}.`, {
      problems: [{ path: key, message: parsed.error.issues[0]!.message }],
    });
  }
  return parsed.data;
}
