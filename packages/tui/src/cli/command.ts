import type { Context } from './context.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  value?: string;
  description: string;
}

/**
 * What a command hands back: the JSON of `--json` and the text for a person, built only when
 * printed (tables and French number formats cost a JSON run time for nothing).
 */
export interface CommandResult {
  json: unknown;
  text: () => string;
  exitCode?: number;
}

export interface CommandInput {
  positionals: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

export interface Command {
  /** One or two words: `partners`, `avenant add`. */
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  example: string;
  options?: Record<string, OptionSpec>;
  positionals?: { min: number; max: number; names: string };
  run(context: Context, input: CommandInput): Promise<CommandResult>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  db: { type: 'string', value: 'FICHIER', description: 'base SQLite (sinon CAFSUP_DB, la configuration, ou le dossier de données)' },
  profile: { type: 'string', value: 'NOM', description: 'profil enregistré : un serveur ou un fichier (sinon CAFSUP_PROFILE ou le profil actif)' },
  actor: { type: 'string', value: '"NOM <MÉL>"', description: 'qui agit en local (sinon CAFSUP_ACTOR ou la configuration)' },
  'as-of': { type: 'string', value: 'AAAA-MM-JJ', description: 'date d’évaluation des règles (défaut : aujourd’hui, Europe/Paris)' },
  json: { type: 'boolean', description: 'sortie JSON pour les scripts' },
  yes: { type: 'boolean', short: 'y', description: 'confirme d’avance les actions' },
  insecure: { type: 'boolean', description: 'accepte http:// vers un serveur distant (le jeton y circule en clair)' },
  lang: { type: 'string', value: 'fr', description: 'langue des messages (fr)' },
  help: { type: 'boolean', short: 'h', description: 'aide de la commande' },
};

/** Options of every action. */
export const ACTION_OPTIONS: Record<string, OptionSpec> = {
  reason: { type: 'string', value: 'MOTIF', description: 'motif de l’action (obligatoire, 5 caractères au moins)' },
  'dry-run': { type: 'boolean', description: 'montre ce qui changerait, sans rien modifier' },
};

/** The ids of a repeatable option, also accepting comma-separated lists. */
export function idsOf(value: string | boolean | string[] | undefined): string[] {
  if (value === undefined || typeof value === 'boolean') return [];
  return (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')).map((id) => id.trim()).filter((id) => id !== '');
}

export function stringOption(value: string | boolean | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : Array.isArray(value) ? value.at(-1) : undefined;
}
