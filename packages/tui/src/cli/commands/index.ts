import { GLOBAL_OPTIONS, ACTION_OPTIONS, type Command, type OptionSpec } from '../command.js';
import {
  avenantAddCommand,
  avenantSignCommand,
  reinstateCommand,
  resetPasswordCommand,
  reviewAddCommand,
  revokeCommand,
  suspendCommand,
  tracesPurgeCommand,
  withdrawDelegationCommand,
} from './act.js';
import { configGetCommand, configListCommand, configSetCommand } from './config.js';
import {
  loginCommand,
  logoutCommand,
  profileAddCommand,
  profileListCommand,
  profileUseCommand,
  serveCommand,
  tokenCreateCommand,
  tokenListCommand,
  tokenReinstateOwnerCommand,
  tokenRevokeCommand,
  tokenSuspendOwnerCommand,
  whoamiCommand,
} from './remote.js';
import { demoCommand, exportCommand, importCommand } from './data.js';
import {
  auditCommand,
  avenantListCommand,
  dashboardCommand,
  habilitationsCommand,
  partnerCommand,
  partnersCommand,
  quotasCommand,
  reviewListCommand,
  tracesCommand,
  usersCommand,
} from './read.js';
import { tracesCheckpointCommand, tracesVerifyCommand } from './trail.js';
import { apiCommand, backupCommand } from './ops.js';

/** Every plain command, in the order `cafsup --help` presents them. */
const GROUPS: { title: string; commands: Command[] }[] = [
  { title: 'Démarrer', commands: [demoCommand, dashboardCommand, configSetCommand, configGetCommand, configListCommand] },
  { title: 'Consulter', commands: [partnersCommand, partnerCommand, quotasCommand, auditCommand, usersCommand, habilitationsCommand, avenantListCommand, reviewListCommand] },
  {
    title: 'Agir (motif obligatoire, --dry-run pour simuler)',
    commands: [suspendCommand, reinstateCommand, revokeCommand, resetPasswordCommand, withdrawDelegationCommand, avenantAddCommand, avenantSignCommand, reviewAddCommand],
  },
  { title: 'Traces', commands: [tracesCommand, tracesVerifyCommand, tracesCheckpointCommand, tracesPurgeCommand] },
  { title: 'Données', commands: [importCommand, exportCommand, backupCommand] },
  {
    title: 'Usage partagé (serveur)',
    commands: [serveCommand, apiCommand, tokenCreateCommand, tokenListCommand, tokenRevokeCommand, tokenSuspendOwnerCommand, tokenReinstateOwnerCommand, profileAddCommand, profileUseCommand, profileListCommand, loginCommand, logoutCommand, whoamiCommand],
  },
];

export const COMMANDS: Command[] = GROUPS.flatMap((group) => group.commands);

/** The longest command name, in words (`config profile add`). */
export const MAX_COMMAND_WORDS = Math.max(...COMMANDS.map((command) => command.name.split(' ').length));

const byName = new Map<string, Command>();
for (const command of COMMANDS) {
  for (const name of [command.name, ...(command.aliases ?? [])]) byName.set(name, command);
}

/** The command named by the longest run of first words (`config profile add`, `avenant add`, `partners`), if any. */
export function findCommand(words: readonly string[]): { command: Command; consumed: number } | null {
  for (let count = Math.min(words.length, MAX_COMMAND_WORDS); count >= 1; count--) {
    const command = byName.get(words.slice(0, count).join(' '));
    if (command !== undefined) return { command, consumed: count };
  }
  return null;
}

/** The commands that begin with `words` (`avenant` → list, add, sign), for a helpful error. */
export function subcommandsOf(words: readonly string[]): Command[] {
  return COMMANDS.filter((command) => command.name.startsWith(`${words.join(' ')} `));
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const labels = Object.entries(options).map(([name, spec]) => {
    const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
    return [`${short}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}${spec.multiple ? '…' : ''}`, spec.description] as const;
  });
  const width = Math.max(...labels.map(([label]) => label.length));
  return labels.map(([label, description]) => `  ${label.padEnd(width)}  ${description}`);
}

export function commandHelp(command: Command): string {
  const own = command.options ?? {};
  return [
    `${command.summary.charAt(0).toUpperCase()}${command.summary.slice(1)}.`,
    '',
    `Usage : ${command.usage}`,
    ...(command.aliases === undefined ? [] : [`Alias : ${command.aliases.map((alias) => `cafsup ${alias}`).join(', ')}`]),
    '',
    ...(Object.keys(own).length === 0 ? [] : ['Options :', ...optionLines(own), '']),
    'Options communes :',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Exemple :',
    `  ${command.example}`,
    '',
  ].join('\n');
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'cafsup — supervision des habilitations « Mon Compte Partenaire » par la Caf.',
    '',
    'Usage : cafsup [COMMANDE] [OPTIONS]',
    '  Sans commande, sur un terminal : l’interface plein écran (cafsup tui) ;',
    '  sans terminal : le tableau de bord en texte (cafsup dashboard).',
    '  cafsup start : crée la base de démonstration si elle manque, puis ouvre cafsup.',
    '',
    ...GROUPS.flatMap((group) => [
      `${group.title} :`,
      ...group.commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
      '',
    ]),
    'Options communes :',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Options des actions :',
    ...optionLines(ACTION_OPTIONS),
    '',
    'Codes de sortie : 0 fait · 1 seuil --fail-on atteint · 2 erreur d’usage · 3 introuvable ·',
    '  4 refusé · 5 données invalides · 6 base ou serveur inaccessible · 70 erreur interne.',
    '',
    'Aide d’une commande : cafsup COMMANDE --help (par exemple : cafsup audit --help).',
    '',
  ].join('\n');
}
