import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAFSUP_BIN, CliSandbox } from './support/cli.js';

// Every example of `cafsup … --help` and of the README's command-line sections runs as written
// on the demo data (issue 11): the examples are read from the built binary's help and from the
// README, and run by bash in a fresh folder where `cafsup` is the built binary.

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The lines after « Exemple : » in a command's help, wrapped lines joined back. */
function helpExample(help: string): string {
  const after = help.split('\nExemple :\n')[1] ?? '';
  return after
    .split('\n\n')[0]!
    .split('\n')
    .map((line) => line.trim())
    .join(' ');
}

/** The ```sh blocks of the README sections about the command line. */
function readmeBlocks(): string[] {
  const sections = README.split(/\n(?=## )/).filter((section) => /^## (The `cafsup` command|Shared use)/.test(section));
  return sections.flatMap((section) => [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!));
}

/**
 * A bash script that runs `body` as written. `cafsup serve` runs in the background (it serves
 * until stopped): the script waits, with a deadline, until it listens, and stops it at the end
 * with SIGTERM, which must end it cleanly (exit 0). Any other failing line fails the script.
 */
function driver(body: string): string {
  return [
    // Each line is echoed (set -x), so that a failure shows which example failed.
    'set -xeo pipefail',
    'SERVE_PID=""',
    'cafsup() {',
    '  if [ "$1" = serve ]; then',
    '    command cafsup "$@" 2>serve.log & SERVE_PID=$!',
    '    for _ in $(seq 1 300); do grep -q "écoute sur" serve.log && return 0; kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done',
    '    cat serve.log >&2; return 1',
    '  fi',
    '  command cafsup "$@"',
    '}',
    'stop() { if [ -n "$SERVE_PID" ]; then kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; fi; }',
    'trap \'status=$?; if [ $status -ne 0 ]; then echo "échec (code $status) : $BASH_COMMAND" >&2; [ -n "$SERVE_PID" ] && kill "$SERVE_PID"; fi\' EXIT',
    body,
    'stop',
    '',
  ].join('\n');
}

/** A folder where `cafsup` is the built binary, on the demo data at the default place, with an actor. */
class ExampleSandbox extends CliSandbox {
  readonly bin = join(this.dir, 'bin');

  constructor() {
    super();
    mkdirSync(this.bin);
    writeFileSync(join(this.bin, 'cafsup'), `#!/bin/sh\nexec '${process.execPath}' '${CAFSUP_BIN}' "$@"\n`);
    chmodSync(join(this.bin, 'cafsup'), 0o755);
  }

  override env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return super.env({
      CAFSUP_DB: undefined,
      XDG_DATA_HOME: join(this.dir, 'data'),
      CAFSUP_ACTOR: 'Camille Roux <camille.roux@caf78.fr>',
      PATH: `${this.bin}:${process.env.PATH}`,
      ...extra,
    });
  }

  /**
   * Runs the script in a network namespace of its own when the machine allows one, so that the
   * examples' port 7878 is free whatever else runs here.
   */
  script(body: string): { status: number; stdout: string; stderr: string } {
    const file = join(this.dir, 'examples.sh');
    writeFileSync(file, driver(body));
    const isolated = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' }).status === 0;
    const [command, args] = isolated ? ['unshare', ['-n', 'sh', '-c', `ip link set lo up && exec bash '${file}'`]] : ['bash', [file]];
    const result = spawnSync(command, args, { cwd: this.dir, env: this.env(), encoding: 'utf8', timeout: 300_000 });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }
}

describe('examples run as written on the demo data', () => {
  const sandboxes: ExampleSandbox[] = [];
  afterAll(() => sandboxes.forEach((sandbox) => sandbox.cleanup()));

  function sandboxWithDemo(): ExampleSandbox {
    const sandbox = new ExampleSandbox();
    sandboxes.push(sandbox);
    const created = sandbox.run(['demo']);
    expect(created.status, created.stderr).toBe(0);
    // The changes file that `avenant add --file t13-25.json` reads, as the README writes it.
    const readmeFile = /cat > t13-25\.json <<'EOF'\n([\s\S]*?)\nEOF/.exec(README)?.[1];
    expect(readmeFile).toBeDefined();
    writeFileSync(join(sandbox.dir, 't13-25.json'), readmeFile!);
    return sandbox;
  }

  it('every --help example, in the order of cafsup --help', () => {
    const sandbox = sandboxWithDemo();
    const names = [...sandbox.run(['--help']).stdout.matchAll(/^ {2}([a-z-]+(?: [a-z-]+){0,2}) {2,}/gm)].map((match) => match[1]!);
    const examples = names.map((name) => helpExample(sandbox.run([...name.split(' '), '--help']).stdout));
    expect(examples.length).toBeGreaterThanOrEqual(35);
    for (const example of examples) expect(example).toMatch(/^cafsup /);
    // `migrate --to postgres://…` needs a PostgreSQL server, which the sandbox's network namespace
    // cannot reach: test/postgres.test.ts runs that command on the run's cluster.
    const result = sandbox.script(examples.filter((example) => !example.includes('postgres://')).join('\n'));
    expect(result.status, result.stderr.slice(-3000)).toBe(0);
  }, 300_000);

  it('every README example of the command-line sections', () => {
    const sandbox = sandboxWithDemo();
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const result = sandbox.script(blocks.join('\n'));
    expect(result.status, result.stderr.slice(-3000)).toBe(0);
  }, 300_000);
});
