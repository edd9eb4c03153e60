#!/usr/bin/env node
// The bundled program; `pnpm build` writes it (packages/tui/build.mjs).
//
// Compiling its code was the largest part of a plain command on Node 20 (`cafsup partner ID`:
// ~45 of 145 ms), which keeps no compiled code between runs for ES modules. The plain commands
// are therefore also bundled as one CommonJS file, compiled here with V8's code cache: the code
// a command ran is read back compiled (~40 ms less a command). The routes that may open the
// interface run from the ES module bundle (its layout engine awaits at its top level, which
// CommonJS cannot), and help (route.ts); where Node keeps a compile cache itself (22.1 and
// later), it serves that bundle and the workers.
import module from 'node:module';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { runsFromModules } from '../dist/route.mjs';

module.enableCompileCache?.();

if (runsFromModules(process.argv.slice(2))) await import('../dist/cafsup.mjs');
else runPlainCommand();

function runPlainCommand() {
  const file = fileURLToPath(new URL('../dist/cafsup.cjs', import.meta.url));
  const cacheFile = `${file}.cache`;
  // V8 checks a cache against the length of the source only: the cache names the build it was
  // made from (the bundle's size and time), and one from another build is not used.
  const { size, mtimeMs } = statSync(file);
  const stamp = Buffer.from(`${size}:${mtimeMs}\n`);
  let cachedData;
  try {
    const cache = readFileSync(cacheFile);
    if (cache.subarray(0, stamp.length).equals(stamp)) cachedData = cache.subarray(stamp.length);
  } catch {
    // No cache yet: compiled as any script, and the cache written below.
  }
  // ASCII (build.mjs checks), read as Latin-1: a one-byte string at once, which UTF-8 is not.
  const script = new Script(module.wrap(readFileSync(file, 'latin1')), { filename: file, ...(cachedData === undefined ? {} : { cachedData }) });
  // Written when there was none that fit (first run, another Node), and by the build after a few
  // commands (CAFSUP_CODE_CACHE=write, build.mjs), from what this run compiled; by rename, so that
  // a command started meanwhile reads a whole file. Where the program's folder cannot be written,
  // each run compiles as before.
  if (cachedData === undefined || script.cachedDataRejected === true || process.env.CAFSUP_CODE_CACHE === 'write') {
    process.once('exit', () => {
      const next = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(next, Buffer.concat([stamp, script.createCachedData()]));
        renameSync(next, cacheFile);
      } catch {
        // Read-only install (nothing kept), or a full disk (nothing half-written left).
        rmSync(next, { force: true });
      }
    });
  }
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, module.createRequire(file), bundle, file, dirname(file));
}
