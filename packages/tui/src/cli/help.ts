// The help texts and the lookup of commands by name, from the commands' declarations alone
// (commands/table.ts): neither loads a command's code.
import { GLOBAL_OPTIONS, ACTION_OPTIONS, LIST_OPTIONS, choicesText, type CommandDeclaration, type OptionSpec } from './command.js';
import { COMMAND_GROUPS, type DeclaredCommand } from './commands/table.js';

/** Every command's declaration, in help order. */
export const COMMANDS: readonly DeclaredCommand[] = COMMAND_GROUPS.flatMap((group) => group.commands);

/** The longest command name, in words (`config profile add`). */
export const MAX_COMMAND_WORDS = Math.max(...COMMANDS.map((command) => command.name.split(' ').length));

const byName = new Map<string, DeclaredCommand>();
for (const command of COMMANDS) {
  for (const name of [command.name, ...(command.aliases ?? [])]) byName.set(name, command);
}

/** The command named by the longest run of first words (`config profile add`, `avenant add`, `partners`), if any. */
export function findCommand(words: readonly string[]): { command: DeclaredCommand; consumed: number } | null {
  for (let count = Math.min(words.length, MAX_COMMAND_WORDS); count >= 1; count--) {
    const command = byName.get(words.slice(0, count).join(' '));
    if (command !== undefined) return { command, consumed: count };
  }
  return null;
}

/** The commands that begin with `words` (`avenant` → list, add, sign), for a helpful error. */
export function subcommandsOf(words: readonly string[]): DeclaredCommand[] {
  return COMMANDS.filter((command) => command.name.startsWith(`${words.join(' ')} `));
}

/** Help fits 80 columns: a long line wraps at spaces, its continuation indented under its text. */
export const HELP_WIDTH = 80;

function wrap(text: string, indent: number, width = HELP_WIDTH): string[] {
  const margin = /^ */.exec(text)![0];
  const lines: string[] = [];
  let line = margin;
  for (const word of text.slice(margin.length).split(' ')) {
    if (line.trim() !== '' && [...line].length + 1 + [...word].length > width) {
      lines.push(line);
      line = `${' '.repeat(indent)}${word}`;
    } else line = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
  }
  return [...lines, line];
}

/** A two-column list (options, commands), the second column wrapped under itself. */
function twoColumns(entries: readonly (readonly [string, string])[]): string[] {
  const width = Math.min(30, Math.max(...entries.map(([label]) => label.length)));
  return entries.flatMap(([label, description]) =>
    label.length > width
      ? [`  ${label}`, ...wrap(`${' '.repeat(width + 4)}${description}`, width + 4)]
      : wrap(`  ${label.padEnd(width)}  ${description}`, width + 4),
  );
}

/** The word help shows for an option's value. */
function metavar(spec: OptionSpec): string | undefined {
  return spec.value ?? (spec.file === true ? 'FICHIER' : undefined);
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return twoColumns(
    Object.entries(options).map(([name, spec]) => {
      const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
      const description = spec.choices === undefined ? spec.description : `${spec.description} : ${choicesText(spec.choices)}`;
      const shown = metavar(spec);
      return [`${short}--${name}${shown === undefined ? '' : ` ${shown}`}${spec.multiple ? '…' : ''}`, description] as const;
    }),
  );
}

/** Every option a command takes: its own, a list's, then the common ones it does not redefine (`habilitations --profile`). */
export function optionsOf(command: CommandDeclaration): Record<string, OptionSpec> {
  return { ...GLOBAL_OPTIONS, ...(command.fields === undefined ? {} : LIST_OPTIONS), ...command.options };
}

export function commandHelp(command: CommandDeclaration): string {
  const own = { ...(command.fields === undefined ? {} : LIST_OPTIONS), ...command.options };
  const common = Object.fromEntries(Object.entries(GLOBAL_OPTIONS).filter(([name]) => !Object.hasOwn(own, name)));
  return [
    ...wrap(`${command.summary.charAt(0).toUpperCase()}${command.summary.slice(1)}.`, 0),
    '',
    ...wrap(`Usage : ${command.usage}`, 8),
    ...(command.aliases === undefined ? [] : [`Alias : ${command.aliases.map((alias) => `cafsup ${alias}`).join(', ')}`]),
    '',
    ...(Object.keys(own).length === 0 ? [] : ['Options :', ...optionLines(own), '']),
    ...(command.fields === undefined
      ? []
      : [
          'Champs des lignes (--json=CHAMP,CHAMP… ; l’enveloppe, asOf compris, reste) :',
          ...wrap(`  ${command.fields.join(', ')}`, 2),
          'Sans terminal, la liste sort en TSV (tabulations, identifiants entiers).',
          '',
        ]),
    'Options communes :',
    ...optionLines(common),
    '',
    'Exemple :',
    ...wrap(`  ${command.example}`, 4),
    '',
  ].join('\n');
}

export function mainHelp(): string {
  return [
    'cafsup — supervision des habilitations « Mon Compte Partenaire » par la Caf.',
    '',
    'Usage : cafsup [COMMANDE] [OPTIONS]',
    '  Sans commande, sur un terminal : l’interface plein écran (cafsup tui) ;',
    '  sans terminal : le tableau de bord en texte (cafsup dashboard).',
    '  cafsup start : crée la base de démonstration si elle manque, puis ouvre cafsup',
    '',
    ...COMMAND_GROUPS.flatMap((group) => [`${group.title} :`, ...twoColumns(group.commands.map((command) => [command.name, command.summary] as const)), '']),
    'Options communes :',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Options des listes :',
    ...optionLines(LIST_OPTIONS),
    '',
    'Options des actions :',
    ...optionLines(ACTION_OPTIONS),
    '',
    ...wrap(
      'Réglages : option > variable d’environnement > réglage enregistré. Données : --db ou --profile, sinon CAFSUP_URL (avec CAFSUP_TOKEN), CAFSUP_DB ou CAFSUP_PROFILE, sinon le profil actif ou « config set database ». Personne qui agit : --actor, sinon CAFSUP_ACTOR, sinon « config set actor ».',
      2,
    ),
    '',
    ...wrap(
      'Codes de sortie : 0 fait · 1 seuil --fail-on atteint ou chaîne des traces rompue · 2 erreur d’usage · 3 introuvable · 4 refusé · 5 données invalides · 6 base ou serveur inaccessible, base en lecture seule · 70 erreur interne · 130 interrompu (Ctrl-C).',
      2,
    ),
    '',
    'Aide d’une commande : cafsup COMMANDE --help (par exemple cafsup audit --help).',
    'Version : cafsup --version.',
    '',
  ].join('\n');
}
