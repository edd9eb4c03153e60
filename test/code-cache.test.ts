import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox } from './support/cli.js';

// bin/cafsup.mjs compiles the plain commands' bundle with V8's code cache, kept beside it. V8
// checks a cache against the source's length only, and reads a payload it is given as compiled
// code: a cache that does not fit must be set aside, and a command must answer the same with
// or without one. On a copy of the built program (bin and dist), inside the package so that its
// dependencies resolve, so that the other tests' runs keep the real one.

const packageDir = fileURLToPath(new URL('../packages/tui', import.meta.url));

describe('the code cache of the plain commands', () => {
  const sandbox = new CliSandbox();
  let copy: string;
  let cacheFile: string;
  let expected: string;

  const partner = () => {
    const run = spawnSync(process.execPath, [join(copy, 'bin', 'cafsup.mjs'), 'partner', 'amp'], { env: sandbox.env(), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return run.stdout;
  };
  const stampOf = (bytes: Buffer) => bytes.subarray(0, bytes.indexOf(0x0a) + 1).toString('latin1');

  beforeAll(() => {
    expect(sandbox.run(['demo']).status).toBe(0);
    expected = sandbox.run(['partner', 'amp']).stdout;
    expect(expected).toContain('amp');
    copy = mkdtempSync(join(packageDir, '.code-cache-test-'));
    cpSync(join(packageDir, 'bin'), join(copy, 'bin'), { recursive: true });
    cpSync(join(packageDir, 'dist'), join(copy, 'dist'), { recursive: true, filter: (source) => !source.includes(`${join('dist', 'types')}`) });
    cacheFile = join(copy, 'dist', 'cafsup.cjs.cache');
  });
  afterAll(() => {
    sandbox.cleanup();
    rmSync(copy, { recursive: true, force: true });
  });

  it('is written by the first run without one, then read as it is', () => {
    rmSync(cacheFile, { force: true });
    expect(partner()).toBe(expected);
    const written = readFileSync(cacheFile);
    const { size, mtimeMs } = statSync(join(copy, 'dist', 'cafsup.cjs'));
    expect(stampOf(written)).toBe(`${size}:${mtimeMs}\n`);
    expect(written.length).toBeGreaterThan(100_000);
    expect(partner()).toBe(expected);
    // Accepted, so not written again.
    expect(readFileSync(cacheFile).equals(written)).toBe(true);
    expect(readdirSync(join(copy, 'dist')).filter((name) => name.startsWith('cafsup.cjs.cache.'))).toEqual([]);
  });

  it('is set aside when it does not fit: damaged, or made from another build of the same length', () => {
    const good = readFileSync(cacheFile);
    const stamp = stampOf(good);
    // What V8 refuses: bytes that are no cache, under the right stamp.
    writeFileSync(cacheFile, Buffer.concat([Buffer.from(stamp, 'latin1'), Buffer.alloc(50_000, 7)]));
    expect(partner()).toBe(expected);
    expect(stampOf(readFileSync(cacheFile))).toBe(stamp);
    expect(readFileSync(cacheFile).length).toBeGreaterThan(100_000);
    // What V8 would take as long as the source's length is the same: a cache stamped with
    // another build (here this build's own payload, so that the command still answers right
    // whichever way the stamp is read). Set aside, it is written again under this build's stamp.
    writeFileSync(cacheFile, Buffer.concat([Buffer.from(`1:2\n`, 'latin1'), good.subarray(stamp.length)]));
    expect(partner()).toBe(expected);
    expect(stampOf(readFileSync(cacheFile))).toBe(stamp);
  });
});
