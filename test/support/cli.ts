import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TemporaryFolder } from './temporary-folder.js';

/** The built binary, exactly as `node_modules/.bin/cafsup` runs it. */
export const CAFSUP_BIN = fileURLToPath(new URL('../../packages/tui/bin/cafsup.cjs', import.meta.url));

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** A private database and config folder; the environment is emptied of the caller's cafsup settings. */
export class CliSandbox {
  private readonly folder = new TemporaryFolder('cafsup-cli-');

  get dir(): string {
    return this.folder.path;
  }

  get database(): string {
    return join(this.dir, 'cafsup.db');
  }

  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, CAFSUP_DB: this.database, CAFSUP_CONFIG_DIR: join(this.dir, 'config') };
    for (const key of ['CAFSUP_ACTOR', 'CAFSUP_DEBUG', 'NO_COLOR', 'FORCE_COLOR']) delete env[key];
    return { ...env, ...extra };
  }

  /** Runs `cafsup ARGS` with pipes for stdin and stdout: no terminal, as in a script or cron. */
  run(args: string[], options: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number; cwd?: string } = {}): CliResult {
    // `timeoutMs`: a command that could hang is stopped (status -1), so that its test fails instead of waiting.
    const result = spawnSync(process.execPath, [CAFSUP_BIN, ...args], {
      env: this.env(options.env),
      input: options.input ?? '',
      encoding: 'utf8',
      // Node's default (1 MiB) cut a long answer short without saying so.
      maxBuffer: 1 << 30,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  json<T = any>(args: string[], options: { env?: Record<string, string | undefined> } = {}): T {
    const result = this.run([...args, '--json'], options);
    if (result.status !== 0) throw new Error(`cafsup ${args.join(' ')} → ${result.status}\n${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** Runs `cafsup ARGS` in a pseudo-terminal (util-linux `script`), so stdout is a TTY. */
  runInTerminal(args: string[], env: Record<string, string | undefined> = {}): CliResult {
    const command = [process.execPath, CAFSUP_BIN, ...args].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { env: this.env({ ...env, COLUMNS: '80', LINES: '24' }), input: '', encoding: 'utf8' });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  cleanup(): void {
    this.folder.remove();
  }
}

/** `cafsup ARGS` running, what it has said so far, its exit, and a wait for a line of its stderr. */
export interface RunningCafsup {
  child: ChildProcess;
  said(): { stdout: string; stderr: string };
  /** Its exit code, or the signal that ended it. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves once stderr holds `text`; fails after 30 s. */
  saying(text: string): Promise<void>;
}

export function startCafsup(args: string[], env: NodeJS.ProcessEnv): RunningCafsup {
  const child = spawn(process.execPath, [CAFSUP_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // Once its output is read to the end too ('close', not 'exit': review 27b).
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    said: () => ({ stdout, stderr }),
    exited,
    async saying(text) {
      const deadline = Date.now() + 30_000;
      while (!stderr.includes(text)) {
        if (Date.now() > deadline) throw new Error(`« ${text} » jamais dit :\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}
