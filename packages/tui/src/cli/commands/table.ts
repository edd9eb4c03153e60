import type { Command, CommandDeclaration } from '../command.js';
import { fieldsOf } from '../output.js';
import { GROUPS } from './index.js';

/** A command as help, completion and the parser know it, and how to load its code to run it. */
export interface DeclaredCommand extends CommandDeclaration {
  load(): Promise<Command>;
}

function declarationOf(command: Command): CommandDeclaration {
  const { name, aliases, summary, usage, example, options, positionals, rows } = command;
  return {
    name,
    summary,
    usage,
    example,
    ...(aliases === undefined ? {} : { aliases }),
    ...(options === undefined ? {} : { options }),
    ...(positionals === undefined ? {} : { positionals }),
    ...(rows === undefined ? {} : { fields: fieldsOf(rows) }),
  };
}

/**
 * The command table of index.ts as data, each command with its loader. As written here it
 * loads every command module; the bundle replaces this module by its value, computed when
 * building (build.mjs), where each `load` imports its own command's module only: `--help`,
 * completion and a mistyped command load no command code, and a command loads its own.
 */
export const COMMAND_GROUPS: readonly { title: string; commands: readonly DeclaredCommand[] }[] = GROUPS.map(({ title, commands }) => ({
  title,
  commands: commands.map((command) => ({ ...declarationOf(command), load: () => Promise.resolve(command) })),
}));
