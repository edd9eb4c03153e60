import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox } from './support/cli.js';

// bin/cafsup.cjs compiles the plain commands' bundle with V8's code cache, kept beside it. V8
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
    const run = spawnSync(process.execPath, [join(copy, 'bin', 'cafsup.cjs'), 'partner', 'amp'], { env: sandbox.env(), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return run.stdout;
  };
  /** The cache's two lines before V8's bytes: the build it was made from, and their CRC-32. */
  const headerOf = (bytes: Buffer) => bytes.subarray(0, bytes.indexOf(0x0a, bytes.indexOf(0x0a) + 1) + 1);
  const buildLine = () => readFileSync(join(copy, 'dist', 'cafsup.cjs'), 'latin1').split('\n')[0]!;

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
    expect(buildLine()).toMatch(/^\/\/ cafsup build [0-9a-f]{64}$/);
    expect(headerOf(written).toString('latin1').split('\n')[0]).toBe(buildLine());
    expect(written.length).toBeGreaterThan(100_000);
    expect(partner()).toBe(expected);
    // Accepted, so not written again.
    expect(readFileSync(cacheFile).equals(written)).toBe(true);
    expect(readdirSync(join(copy, 'dist')).filter((name) => name.startsWith('cafsup.cjs.cache.'))).toEqual([]);
  });

  it('is set aside when it does not fit: damaged, not a cache, or made from another build', () => {
    const good = readFileSync(cacheFile);
    const header = headerOf(good);
    const payload = good.subarray(header.length);
    // The command answers as it should, and leaves a cache for this build that the next run takes.
    const setAside = (cache: Buffer) => {
      writeFileSync(cacheFile, cache);
      expect(partner()).toBe(expected);
      const written = readFileSync(cacheFile);
      expect(written.equals(cache)).toBe(false);
      expect(headerOf(written).toString('latin1').split('\n')[0]).toBe(buildLine());
      expect(partner()).toBe(expected);
      expect(readFileSync(cacheFile).equals(written)).toBe(true);
    };
    // V8's release builds do not check a cache's checksum: one byte changed in the middle of a
    // real cache, or a block zeroed, made the command crash (SIGSEGV, SIGBUS) at every run.
    const flipped = Buffer.from(payload);
    flipped[flipped.length >> 1] = flipped[flipped.length >> 1]! ^ 0xff;
    setAside(Buffer.concat([header, flipped]));
    const zeroed = Buffer.from(payload);
    zeroed.fill(0, zeroed.length >> 2, (zeroed.length >> 2) + 4096);
    setAside(Buffer.concat([header, zeroed]));
    // Bytes that are no cache under a right header, and a header cut short.
    setAside(Buffer.concat([header, Buffer.alloc(50_000, 7)]));
    setAside(header.subarray(0, 20));
    // What V8 would take, since the source's length is the same: a cache named for another build.
    setAside(Buffer.concat([Buffer.from(`// cafsup build ${'0'.repeat(64)}\n`), header.subarray(header.indexOf(0x0a) + 1), payload]));
  });
});
