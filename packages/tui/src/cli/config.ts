import { chmodSync, mkdirSync } from 'node:fs';
import { z } from 'zod';
import { CafsupError, parseActor, safeTextSchema } from '@cafsup/shared';
import { CONFIG_NAME, TOKENS_NAME, configDirectory, readSettings, tokensDirectory, type Profile } from '@cafsup/sdk';

// How an actor setting reads and prints, for Context: it loads this module (and zod with it)
// only when a command needs the actor. A dynamic import of the shared package itself would
// keep the whole package, zod included, in every command's start (the bundle's code splitting).
export { formatActor, parseActor } from '@cafsup/shared';

/** What `cafsup config set` keeps: validated with zod first, since conf's own messages are English. */
export const CONFIG_KEYS = {
  actor: z.string().refine((value) => parseActor(value) !== null, 'attendu « Prénom Nom <mél> »'),
  // A path or URL shown back on terminals (`config set`, `config list`, `whoami`): no control character.
  database: safeTextSchema().min(1, 'chemin ou URL vide'),
  lang: z.enum(['fr']),
} as const;
export type ConfigKey = keyof typeof CONFIG_KEYS;

export function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_KEYS, key);
}

export type ConfigValues = Partial<Record<ConfigKey, string>>;

/** The saved settings that still validate (a hand-edited file cannot inject a bad value). */
export function readConfig(): ConfigValues {
  const stored = readSettings() as Record<string, unknown>;
  const values: ConfigValues = {};
  for (const [key, value] of Object.entries(stored)) {
    if (isConfigKey(key) && CONFIG_KEYS[key].safeParse(value).success) values[key] = value as string;
  }
  return values;
}

type Settings = ConfigValues & { profile?: string; profiles?: Record<string, Profile> };

/**
 * The settings file for writing, through conf (atomic writes); loaded only when a setting
 * changes. Of mode 0600: a saved database may be a PostgreSQL URL with its password.
 */
export async function openConfig(): Promise<import('conf').default<Settings>> {
  const { default: Conf } = await import('conf');
  return new Conf<Settings>({ projectName: 'cafsup', cwd: configDirectory(), configName: CONFIG_NAME, configFileMode: 0o600 });
}

/** The tokens, apart from the settings: a folder of mode 0700, a file of mode 0600 (pitfalls.md). */
export async function openTokens(): Promise<import('conf').default<Record<string, string>>> {
  const { default: Conf } = await import('conf');
  mkdirSync(tokensDirectory(), { recursive: true, mode: 0o700 });
  chmodSync(tokensDirectory(), 0o700);
  return new Conf<Record<string, string>>({ projectName: 'cafsup', cwd: tokensDirectory(), configName: TOKENS_NAME, configFileMode: 0o600 });
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
