import type { Command } from '../command.js';
import { completionCommand } from './completion.js';
import {
  avenantAddCommand,
  avenantSignCommand,
  reinstateCommand,
  resetPasswordCommand,
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
import { apiCommand, backupCommand, migrateCommand } from './ops.js';
import { WORKFLOW_COMMANDS } from './workflows.js';

/**
 * Every plain command, in the order `cafsup --help` presents them: the one place that lists
 * them. Help, completion and the parser read them through table.ts, as data.
 */
export const GROUPS: { title: string; commands: Command[] }[] = [
  { title: 'Démarrer', commands: [demoCommand, dashboardCommand, configSetCommand, configGetCommand, configListCommand, completionCommand] },
  {
    title: 'Consulter',
    commands: [partnersCommand, partnerCommand, quotasCommand, auditCommand, usersCommand, habilitationsCommand, avenantListCommand, reviewListCommand],
  },
  {
    title: 'Agir (motif obligatoire, --dry-run pour simuler)',
    commands: [suspendCommand, reinstateCommand, revokeCommand, resetPasswordCommand, withdrawDelegationCommand, avenantAddCommand, avenantSignCommand],
  },
  { title: 'Suivi : formulaires, revues, manquements (workflows)', commands: WORKFLOW_COMMANDS },
  { title: 'Traces', commands: [tracesCommand, tracesCheckpointCommand, tracesVerifyCommand, tracesPurgeCommand] },
  { title: 'Données', commands: [exportCommand, importCommand, backupCommand, migrateCommand] },
  {
    title: 'Usage partagé (serveur)',
    // In the order of a first setup, so that each example runs after the one before it.
    commands: [
      serveCommand,
      tokenCreateCommand,
      tokenListCommand,
      profileAddCommand,
      loginCommand,
      whoamiCommand,
      apiCommand,
      logoutCommand,
      tokenRevokeCommand,
      tokenSuspendOwnerCommand,
      tokenReinstateOwnerCommand,
      profileListCommand,
      profileUseCommand,
    ],
  },
];
