import { GLOBAL_OPTIONS, type Command, type CommandDeclaration, type OptionSpec } from '../command.js';
import { UsageError } from '../context.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** What completion needs of the command table: every name (aliases too) and its options. */
interface Entry {
  words: string[];
  options: string[];
  /** The values of the options that take a choice: codes, and French words of one word. */
  values: [string, string[]][];
}

function entries(commands: readonly CommandDeclaration[], optionsOf: (command: CommandDeclaration) => Record<string, OptionSpec>): Entry[] {
  return commands
    .flatMap((command) => {
      const specs = Object.entries(optionsOf(command));
      const values = specs.flatMap(([option, spec]): [string, string[]][] =>
        spec.choices === undefined
          ? []
          : [[`--${option}`, [...Object.keys(spec.choices), ...Object.values(spec.choices).filter((label) => /^[\p{L}-]+$/u.test(label))]]],
      );
      return [command.name, ...(command.aliases ?? [])].map((name) => ({ words: name.split(' '), options: specs.map(([option]) => `--${option}`), values }));
    })
    .sort((a, b) => b.words.length - a.words.length);
}

/** The words that may follow each run of command words (`avenant` → list, add, sign; `` → every first word). */
function nextWords(table: readonly Entry[]): Map<string, Set<string>> {
  const next = new Map<string, Set<string>>();
  for (const { words } of table) {
    for (let i = 0; i < words.length; i++) {
      const prefix = words.slice(0, i).join(' ');
      if (!next.has(prefix)) next.set(prefix, new Set());
      next.get(prefix)!.add(words[i]!);
    }
  }
  return next;
}

function bash(table: readonly Entry[], globals: string[]): string {
  const next = nextWords(table);
  const pattern = (words: string[]) => `"${words.join(' ')}"|"${words.join(' ')} "*`;
  return [
    '# cafsup completion for bash: source <(cafsup completion bash)',
    '_cafsup() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} path="" word i candidates=""',
    '  for ((i = 1; i < COMP_CWORD; i++)); do word=${COMP_WORDS[i]}; [[ $word == -* ]] && continue; [[ ${COMP_WORDS[i-1]} == --* ]] && [[ ${COMP_WORDS[i-1]} != *=* ]] && continue; path="${path:+$path }$word"; done',
    '  case "$path|$prev" in',
    ...table.flatMap(({ words, values }) =>
      values.map(
        ([option, choices]) =>
          `    "${words.join(' ')}|${option}"|"${words.join(' ')} "*"|${option}") COMPREPLY=($(compgen -W "${choices.join(' ')}" -- "$cur")); return ;;`,
      ),
    ),
    '  esac',
    '  if [[ $cur == -* ]]; then',
    '    case "$path" in',
    ...table.map(({ words, options }) => `      ${pattern(words)}) candidates="${options.join(' ')}" ;;`),
    `      *) candidates="--version ${globals.join(' ')}" ;;`,
    '    esac',
    '  else',
    '    case "$path" in',
    ...[...next].map(([prefix, words]) => `      "${prefix}") candidates="${[...words].join(' ')}" ;;`),
    '    esac',
    '  fi',
    '  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))',
    '}',
    'complete -F _cafsup cafsup',
    '',
  ].join('\n');
}

function fish(table: readonly Entry[]): string {
  const next = nextWords(table);
  const lines = [
    '# cafsup completion for fish: cafsup completion fish > ~/.config/fish/completions/cafsup.fish',
    'complete -c cafsup -f',
    'complete -c cafsup -l version',
  ];
  for (const [prefix, words] of next) {
    const condition =
      prefix === ''
        ? '__fish_use_subcommand'
        : prefix
            .split(' ')
            .map((word) => `__fish_seen_subcommand_from ${word}`)
            .join('; and ');
    lines.push(`complete -c cafsup -n '${condition}' -a '${[...words].join(' ')}'`);
  }
  for (const { words, options } of [...table].reverse()) {
    const condition = words.map((word) => `__fish_seen_subcommand_from ${word}`).join('; and ');
    lines.push(`complete -c cafsup -n '${condition}' ${options.map((option) => `-l ${option.slice(2)}`).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script of `shell`, generated from the command table (one definition of every name and option). */
export function completionScript(
  shell: Shell,
  commands: readonly CommandDeclaration[],
  optionsOf: (command: CommandDeclaration) => Record<string, OptionSpec>,
  globals: string[],
): string {
  const table = entries(commands, optionsOf);
  if (shell === 'fish') return fish(table);
  const script = bash(table, globals);
  // zsh runs bash completion functions through its bashcompinit layer.
  return shell === 'zsh' ? `# cafsup completion for zsh: source <(cafsup completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${script}` : script;
}

export const completionCommand: Command = {
  name: 'completion',
  summary: 'script de complétion des commandes et options pour bash, zsh ou fish',
  usage: 'cafsup completion bash|zsh|fish',
  example: 'cafsup completion bash > cafsup-completion.bash',
  positionals: { min: 1, max: 1, names: 'SHELL' },
  async run(_context, { positionals }) {
    const shell = positionals[0]!;
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`Shell non pris en charge : « ${shell} » ; attendu bash, zsh ou fish.`);
    // The table imports this command: it is read when the script is asked for, not when modules load.
    const { COMMANDS, optionsOf } = await import('../help.js');
    const script = completionScript(
      shell as Shell,
      COMMANDS,
      optionsOf,
      Object.keys(GLOBAL_OPTIONS).map((option) => `--${option}`),
    );
    return { json: { shell, script }, text: () => script.trimEnd() };
  },
};
