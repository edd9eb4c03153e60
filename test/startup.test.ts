import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS, commandHelp, mainHelp } from '../packages/tui/src/cli/help.js';
import { CAFSUP_BIN, CliSandbox } from './support/cli.js';

const packageDir = fileURLToPath(new URL('../packages/tui', import.meta.url));

// The binary reads its command table as data inlined when it is built (packages/tui/build.mjs),
// so that help and completion load no command's code: that data must be the sources' table,
// and those paths must stay light.

/**
 * `cafsup ARGS` with the files it loads: the ES modules it imports, then what require() loaded,
 * then Node's own modules that it loaded (as `node:…`; the bundle takes them without Node's ES
 * module face, packages/tui/builtins-direct.mjs, so Node's list says what loaded them), then
 * `zod` if zod's code ran: the plain commands' bundle (dist/cafsup.cjs, read whole by
 * bin/cafsup.cjs) holds it, and what counts there is whether it runs.
 */
function runRecording(sandbox: CliSandbox, args: string[]): Promise<{ status: number | null; stdout: string; loaded: string[] }> {
  const record = join(sandbox.dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const hooks = join(sandbox.dir, 'hooks.mjs');
  const register = join(sandbox.dir, 'register.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') || url.startsWith('node:')) appendFileSync(process.env.CAFSUP_LOADED, url + '\\n');
  return nextLoad(url, context);
}`,
  );
  writeFileSync(
    register,
    `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const { cache } = createRequire(import.meta.url);
// Node's modules loaded from here on (the hooks' thread above loaded node:worker_threads itself).
const start = process.moduleLoadList.length;
const builtins = () => process.moduleLoadList.slice(start).flatMap((entry) => /^NativeModule (?!internal\\/)/.test(entry) ? ['node:' + entry.slice('NativeModule '.length)] : []);
const zod = () => (globalThis.__zod_globalConfig === undefined ? [] : ['zod']);
process.on('exit', () => appendFileSync(process.env.CAFSUP_LOADED, [...Object.keys(cache), ...builtins(), ...zod()].join('\\n') + '\\n'));`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', register, CAFSUP_BIN, ...args], {
      env: sandbox.env({ CAFSUP_LOADED: record }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      const loaded = readFileSync(record, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (line.startsWith('file:') ? fileURLToPath(line) : line));
      resolve({ status, stdout, loaded });
    });
  });
}

/**
 * What the loaded files bring of SQLite, the SDK's store (its tables), zod, the PostgreSQL driver,
 * the HTTP client and the `bindings` package (better-sqlite3's search for its addon), each with
 * the file that brings it. The ES module bundle names a CommonJS package it holds by its path;
 * the plain commands' bundle loads the two drivers as files of their own (dist/lazy).
 */
function heavy(loaded: string[]): string[] {
  return loaded.flatMap((file) => {
    if (/[\\/]node_modules[\\/]bindings[\\/]/.test(file)) return [`bindings: ${file}`];
    if (file.includes('better-sqlite3')) return [`SQLite: ${file}`];
    if (file === 'zod') return ['zod: dist/cafsup.cjs'];
    const lazy = /[\\/]dist[\\/]lazy[\\/](pg|undici)\.cjs$/.exec(file);
    if (lazy !== null) return [`${lazy[1]}: ${file}`];
    if (!file.endsWith('.mjs')) return [];
    const text = readFileSync(file, 'utf8');
    return [
      ...(text.includes('CREATE TABLE') ? [`store: ${file}`] : []),
      ...(text.includes('$ZodType') ? [`zod: ${file}`] : []),
      ...(text.includes('node_modules/pg/') ? [`pg: ${file}`] : []),
      ...(text.includes('node_modules/undici/') ? [`undici: ${file}`] : []),
    ];
  });
}

const kinds = (brought: string[]) => [...new Set(brought.map((item) => item.slice(0, item.indexOf(':'))))].sort();

describe('start-up of the binary', () => {
  const sandbox = new CliSandbox();
  afterAll(() => sandbox.cleanup());

  it('prints the help the sources declare, for cafsup and for every command', async () => {
    const main = await runRecording(sandbox, ['--help']);
    expect(main.stdout).toBe(mainHelp());
    for (const command of COMMANDS) {
      const own = await runRecording(sandbox, [...command.name.split(' '), '--help']);
      expect(own.stdout, command.name).toBe(commandHelp(command));
    }
  });

  it('loads neither SQLite, the store nor zod for --help, --version, completion or a command’s --help', async () => {
    for (const args of [['--help'], ['--version'], ['completion', 'bash'], ['partners', '--help'], ['request', 'add', '--help']]) {
      const run = await runRecording(sandbox, args);
      expect(run.loaded.length, args.join(' ')).toBeGreaterThan(0);
      expect(heavy(run.loaded), args.join(' ')).toEqual([]);
    }
    // A mistyped command runs from the plain commands' bundle (a command's words are not known
    // before its table is read), which runs the shared package's modules whatever the command,
    // zod's among them (~2 ms): no store, no driver.
    const typo = await runRecording(sandbox, ['parters']);
    expect(typo.status).toBe(2);
    expect(heavy(typo.loaded)).toEqual(['zod: dist/cafsup.cjs']);
  });

  it('draws the interface’s first frame with neither the store nor zod loaded', () => {
    // What runs before the first frame (main.ts, openInterface): the ES module bundle, then its
    // chunks for the store's threads (`@cafsup/sdk/warm`) and the interface (`ui/run.js`), each
    // with the chunks they import. zod and the schemas load after the frame, with the SDK (a
    // label's function beside the schemas brought them in before it: ~25 ms of the frame).
    const dist = join(packageDir, 'dist');
    const main = readFileSync(join(dist, 'cafsup.mjs'), 'utf8');
    const firstChunks = ['warm', 'run'].map((name) => {
      const found = new RegExp(`import\\("\\./(chunks/${name}-[A-Z0-9]+\\.mjs)"\\)`).exec(main);
      expect(found, name).not.toBeNull();
      return join(dist, found![1]!);
    });
    const loaded = new Set<string>();
    const walk = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      // Every static form that loads a module: esbuild links its chunks by `import"…"` and
      // `import{…}from"…"` today, and a form it may take tomorrow must not slip by.
      const links = /\b(?:import|export)\s*(?:[\w$*{][^'"`;]*?\bfrom\s*)?["'](\.[^"']+)["']/g;
      for (const [, imported] of readFileSync(file, 'utf8').matchAll(links)) walk(join(file, '..', imported!));
    };
    for (const file of [join(dist, 'cafsup.mjs'), ...firstChunks]) walk(file);
    expect(loaded.size).toBeGreaterThan(10);
    expect(heavy([...loaded])).toEqual([]);
  });

  it("loads them when a command reads the data, from the plain commands' bundle, and neither pg, the HTTP client, the addon search, readline, worker threads nor crypto on a SQLite file", async () => {
    expect((await runRecording(sandbox, ['demo'])).status).toBe(0);
    for (const args of [
      ['partners', '--json'],
      ['partner', 'amp'],
      ['audit', 'amp'],
    ]) {
      const run = await runRecording(sandbox, args);
      expect(run.status, args.join(' ')).toBe(0);
      expect(kinds(heavy(run.loaded)), args.join(' ')).toEqual(['SQLite', 'zod']);
      // The plain commands' bundle ran it, after the bin's choice: no ES module of the other was loaded (nor Node's ES module loader's work for the bin, CommonJS).
      expect(
        run.loaded.filter((file) => file.endsWith('.mjs')).map((file) => relative(packageDir, file)),
        args.join(' '),
      ).toEqual([]);
      expect(
        [...new Set(run.loaded.filter((file) => file.startsWith(packageDir) && !file.includes('node_modules')).map((file) => relative(packageDir, file)))],
        args.join(' '),
      ).toEqual(['bin/cafsup.cjs', 'dist/route.cjs']);
      // Node's readline loads at cafsup's first question (cli/context.ts), which a read never asks;
      // worker_threads with the first worker (the server's, the interface's, the import's reader)
      // and crypto with the first hash (a write, a token, the trail's check), none of which a read
      // needs. (zlib loads to check the code cache's CRC-32, bin/cafsup.cjs: ~2 ms.)
      // (node:os, where cafsup's settings are found (settings.ts), shows that Node's list was read.)
      expect(run.loaded, args.join(' ')).toContain('node:os');
      expect(
        run.loaded.filter((file) => /^node:(readline|worker_threads|crypto)/.test(file)),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('runs the same program under the entry’s former name, bin/cafsup.mjs, which units and scripts written before still give', async () => {
    const former = join(packageDir, 'bin', 'cafsup.mjs');
    expect(sandbox.run(['demo', '--if-missing']).status).toBe(0);
    for (const args of [['partner', 'amp'], ['--version'], ['parters']]) {
      const [now, before] = [CAFSUP_BIN, former].map((bin) => spawnSync(process.execPath, [bin, ...args], { env: sandbox.env(), encoding: 'utf8' }));
      expect([before!.status, before!.stdout, before!.stderr], args.join(' ')).toEqual([now!.status, now!.stdout, now!.stderr]);
      expect(now!.status, args.join(' ')).toBe(args[0] === 'parters' ? 2 : 0);
    }
  });

  it('says, exit 70, that the interface’s bundle could not be loaded, whatever NODE_OPTIONS says of unhandled rejections', () => {
    // A copy of the built program without its ES module bundle (a build half made), inside the package so that its dependencies resolve.
    const copy = mkdtempSync(join(packageDir, '.entry-test-'));
    try {
      cpSync(join(packageDir, 'bin'), join(copy, 'bin'), { recursive: true });
      cpSync(join(packageDir, 'dist', 'route.cjs'), join(copy, 'dist', 'route.cjs'));
      for (const options of ['', '--unhandled-rejections=none']) {
        const run = spawnSync(process.execPath, [join(copy, 'bin', 'cafsup.cjs'), '--help'], {
          env: sandbox.env({ NODE_OPTIONS: options }),
          encoding: 'utf8',
        });
        expect([run.status, run.stdout], options).toEqual([70, '']);
        expect(run.stderr, options).toMatch(/^Erreur interne : le programme n’a pas pu se charger \(.*cafsup\.mjs.*\) ; reconstruisez-le \(pnpm build\)\.\n$/);
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
