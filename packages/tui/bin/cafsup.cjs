#!/usr/bin/env node
// The program's entry: it chooses the bundle a command runs from (route.ts), then runs it.
//
// CommonJS: an ES module as entry made Node start its module loader first, ~9 ms of every
// command on Node 20 (an empty .mjs file against an empty .cjs: 68 against 59 ms, medians of
// 21), which the plain commands, bundled as CommonJS below, never needed.
//
// Compiling its code was the largest part of a plain command on Node 20 (`cafsup partner ID`:
// ~45 of 145 ms), which keeps no compiled code between runs for ES modules. The plain commands
// are therefore also bundled as one CommonJS file, compiled here with V8's code cache: the code
// a command ran is read back compiled (~40 ms less a command). The routes that may open the
// interface run from the ES module bundle (its layout engine awaits at its top level, which
// CommonJS cannot), and help (route.ts); where Node keeps a compile cache itself (22.1 and
// later), it serves that bundle and the workers.
'use strict';
const nodeModule = require('node:module');
const { accessSync, closeSync, constants, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');
const { runsFromModules } = require('../dist/route.cjs');

nodeModule.enableCompileCache?.();

/** What a CommonJS module's code is run within, as Node's own wrapper (Module.wrap). */
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];

if (runsFromModules(process.argv.slice(2))) {
  // Once loaded, the bundle says its own failures (main.ts). Its load failing (a build missing
  // or half made) is said here, as an internal error (exit 70, cli.md): unhandled, it was a
  // warning at most under some NODE_OPTIONS, and the command ended 0.
  import('../dist/cafsup.mjs').catch((error) => {
    process.stderr.write(`Erreur interne : le programme n’a pas pu se charger (${String(error?.message ?? error)}) ; reconstruisez-le (pnpm build).\n`);
    process.exitCode = 70;
  });
} else runPlainCommand();

function runPlainCommand() {
  const file = join(__dirname, '..', 'dist', 'cafsup.cjs');
  const cacheFile = `${file}.cache`;
  // The bundle and its cache are read into one buffer, one after the other: the cache lands in
  // memory the bundle's reading touched already. Touching memory first is the dearest part of
  // reading a file of ~1 MB on some machines (~11 µs a page of 4 KB: ~2.5 ms for the cache's).
  const bundleFile = openSync(file, 'r');
  const cache = openIfThere(cacheFile);
  const length = fstatSync(bundleFile).size;
  const buffer = Buffer.allocUnsafeSlow(Math.max(WRAPPER[0].length + length + WRAPPER[1].length, cache === undefined ? 0 : fstatSync(cache).size));
  // The bundle read within its function's wrapper, decoded once: wrapped afterwards (Module.wrap),
  // it was a string V8 copied whole (~1 MB more memory touched) to compile it.
  buffer.write(WRAPPER[0], 0, 'latin1');
  const end = WRAPPER[0].length + readWhole(bundleFile, buffer.subarray(WRAPPER[0].length, WRAPPER[0].length + length));
  buffer.write(WRAPPER[1], end, 'latin1');
  // ASCII (build.mjs checks), read as Latin-1: a one-byte string at once, which UTF-8 is not.
  const source = buffer.toString('latin1', 0, end + WRAPPER[1].length);
  // V8 checks a cache against the length of the source only: the cache names the build it was
  // made from by the bundle's first line (a hash of its content, build.mjs).
  const build = source.slice(WRAPPER[0].length, source.indexOf('\n', WRAPPER[0].length));
  const cachedData = cache === undefined ? undefined : readCache(cache, buffer, build);
  const script = new Script(source, { filename: file, ...(cachedData === undefined ? {} : { cachedData }) });
  // Written when there was none that fit (first run, another Node or other V8 flags), and by the
  // build after a few commands (CAFSUP_CODE_CACHE=write, build.mjs), from what this run compiled.
  if (cachedData === undefined || script.cachedDataRejected === true || process.env.CAFSUP_CODE_CACHE === 'write') {
    process.once('exit', () => writeCache(cacheFile, build, script));
  }
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, nodeModule.createRequire(file), bundle, file, dirname(file));
}

/** The file opened for reading, or undefined when it cannot be (no cache yet: compiled as any script, and written at exit). */
function openIfThere(path) {
  try {
    return openSync(path, 'r');
  } catch {
    return undefined;
  }
}

/** Reads the whole of an opened file into the start of `buffer` (as large as it), then closes it; returns its length. */
function readWhole(descriptor, buffer) {
  try {
    let length = 0;
    for (let read; length < buffer.length && (read = readSync(descriptor, buffer, length, buffer.length - length, null)) > 0;) length += read;
    return length;
  } finally {
    closeSync(descriptor);
  }
}

/**
 * The compiled code kept for this build, if whole. V8's release builds do not check a cache's
 * checksum: one byte changed in it (a bad disk, a power cut) made every command crash, and, the
 * cache being accepted, no run wrote it again. Its CRC-32 is kept beside it (~2 ms to check).
 */
function readCache(descriptor, buffer, build) {
  let cache;
  try {
    cache = buffer.subarray(0, readWhole(descriptor, buffer));
  } catch {
    return undefined; // Unreadable: compiled as any script, and written at exit.
  }
  const buildEnd = cache.indexOf(0x0a);
  const checksumEnd = cache.indexOf(0x0a, buildEnd + 1);
  if (buildEnd === -1 || checksumEnd === -1 || cache.toString('latin1', 0, buildEnd) !== build) return undefined;
  const start = checksumEnd + 1;
  const payload = cache.subarray(start);
  if (cache.toString('latin1', buildEnd + 1, checksumEnd) !== crc32(payload)) return undefined;
  // Moved to an address V8 reads in place (a multiple of 8): elsewhere, it copied the whole cache
  // first, ~240 first touches of a page (the header before it is read already).
  const aligned = start - ((cache.byteOffset + start) % 8);
  cache.copyWithin(aligned, start);
  return cache.subarray(aligned, aligned + payload.length);
}

/**
 * Keeps what this run compiled: in a file of its own, on disk, then renamed, so that a command
 * started meanwhile, or a power cut, finds the former cache or this one, whole. Nothing is made
 * where the program's folder cannot be written (an installation read-only for its users).
 */
function writeCache(cacheFile, build, script) {
  try {
    accessSync(dirname(cacheFile), constants.W_OK);
  } catch {
    return;
  }
  const data = script.createCachedData();
  const next = `${cacheFile}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  let descriptor;
  try {
    descriptor = openSync(next, 'wx');
    writeSync(descriptor, `${build}\n${crc32(data)}\n`, null, 'latin1');
    writeSync(descriptor, data);
    fsyncSync(descriptor);
    closeSync(descriptor);
    descriptor = undefined;
    renameSync(next, cacheFile);
  } catch {
    // A full disk, a folder gone: nothing half-written left behind.
    if (descriptor !== undefined) closeSync(descriptor);
    rmSync(next, { force: true });
  }
}

function crc32(bytes) {
  return process.getBuiltinModule('node:zlib').crc32(bytes).toString(16);
}
