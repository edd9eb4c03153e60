import { GLOBAL_OPTIONS } from './cli/command.js';

/** Where the command's words start, after any global options (`cafsup --db x.db partners`). */
export function commandStart(argv: readonly string[]): number {
  let index = 0;
  while (index < argv.length && argv[index]!.startsWith('-')) {
    const name = argv[index]!.replace(/^-+/, '').split('=')[0]!;
    const takesValue = GLOBAL_OPTIONS[name]?.type === 'string' && !argv[index]!.includes('=');
    index += takesValue ? 2 : 1;
  }
  return Math.min(index, argv.length);
}

/**
 * Whether `cafsup ARGV` runs from the ES module bundle rather than from the plain commands'
 * (bin/cafsup.cjs): the routes that may open the full-screen interface, which only that bundle
 * holds (`cafsup` alone, `cafsup tui`, `cafsup start`: main.ts), and those that read no data
 * (help, version, completion), quicker there where a command loads only the files it uses than
 * from the other, read whole from its code cache (~10 ms more).
 */
export function runsFromModules(argv: readonly string[]): boolean {
  const first = argv[commandStart(argv)];
  if (first === undefined || ['tui', 'start', 'help', 'completion'].includes(first)) return true;
  return argv.includes('--help') || argv.includes('-h');
}
