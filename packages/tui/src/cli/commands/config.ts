import { escapeForTerminal } from '@cafsup/shared';
import { configFilePath, shownLocation } from '@cafsup/sdk';
import { CONFIG_KEYS, isConfigKey, openConfig, readConfig, validateConfigValue } from '../config.js';
import { type Command } from '../command.js';
import { UsageError } from '../context.js';

function key(name: string | undefined): keyof typeof CONFIG_KEYS {
  if (name === undefined || !isConfigKey(name)) throw new UsageError(`Clé inconnue : « ${name ?? ''} » ; clés : ${Object.keys(CONFIG_KEYS).join(', ')}.`);
  return name;
}

/** A setting as `set` and `list` show it: a database's password masked (`config get` gives it whole, when asked by name). */
function shown(name: string, value: string | null): string | null {
  return name === 'database' && value !== null ? shownLocation(value) : value;
}

export const configSetCommand: Command = {
  name: 'config set',
  summary: 'enregistre un réglage : actor (« Prénom Nom <mél> »), database (chemin), lang',
  usage: 'cafsup config set CLÉ VALEUR',
  example: 'cafsup config set actor "Camille Roux <camille.roux@caf78.fr>"',
  positionals: { min: 2, max: 2, names: 'CLÉ VALEUR' },
  async run(_context, { positionals }) {
    const name = key(positionals[0]);
    const value = validateConfigValue(name, positionals[1]!);
    (await openConfig()).set(name, value);
    return { json: { [name]: shown(name, value) }, text: () => `${name} = ${shown(name, value)}` };
  },
};

export const configGetCommand: Command = {
  name: 'config get',
  summary: 'affiche un réglage',
  usage: 'cafsup config get CLÉ',
  example: 'cafsup config get actor',
  positionals: { min: 1, max: 1, names: 'CLÉ' },
  async run(_context, { positionals }) {
    const name = key(positionals[0]);
    const value = readConfig()[name] ?? null;
    return { json: { [name]: value }, text: () => value ?? '(non défini)' };
  },
};

export const configListCommand: Command = {
  name: 'config list',
  aliases: ['config'],
  summary: 'affiche tous les réglages et le fichier qui les garde',
  usage: 'cafsup config list',
  example: 'cafsup config list --json',
  async run(context) {
    const saved = readConfig();
    const path = configFilePath();
    const values = Object.fromEntries(Object.keys(CONFIG_KEYS).map((name) => [name, shown(name, saved[name as keyof typeof CONFIG_KEYS] ?? null)]));
    const source = await context.source();
    return {
      json: { path, source, values },
      text: () =>
        // Escaped: a path or a setting may hold a terminal's control sequences (CAFSUP_DB, XDG_CONFIG_HOME, `config set`).
        [`Fichier : ${path}`, `Données : ${source}`, ...Object.entries(values).map(([name, value]) => `${name} = ${value ?? '(non défini)'}`)]
          .map(escapeForTerminal)
          .join('\n'),
    };
  },
};
