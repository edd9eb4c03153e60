import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { KEPT_ENTRIES, keptOutputPlugin, withKeptOutput } from '../packages/tui/ink-output.mjs';
import { builtinsDirectPlugin, directBuiltin } from '../packages/tui/builtins-direct.mjs';
import { NARROW_TEXT, withNarrowWidth } from '../packages/tui/narrow-width.mjs';
import { withFunctions, zodFunctionsPlugin } from '../packages/tui/zod-functions.mjs';
import { ZOD_UNUSED, leftOut, zodUnusedPlugin } from '../packages/tui/zod-unused.mjs';

// cafsup's bundle leaves out two parts of zod it never calls (zod-unused.mjs) and writes most of
// zod's arrow functions as `function` expressions (zod-functions.mjs); it rewrites two
// pieces of the interface's libraries for speed (packages/tui/build.mjs):
// string-width answers from NARROW_TEXT alone (narrow-width.mjs), so each character it lets
// through must be one that string-width itself measures as 1, in every version the interface
// bundles (Ink's, and wrap-ansi's); and Ink keeps its styled lines across frames
// (ink-output.mjs), which must draw exactly what Ink draws.

type StringWidth = (text: string, options?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }) => number;

/** The file `chain` resolves to, each package found from the one before (pnpm keeps them apart), from the interface's package. */
function resolved(...chain: string[]): string {
  let from = createRequire(new URL('../packages/tui/package.json', import.meta.url)).resolve(chain[0]!);
  for (const name of chain.slice(1)) from = createRequire(from).resolve(name);
  return from;
}

async function stringWidthOf(...chain: string[]): Promise<StringWidth> {
  return ((await import(pathToFileURL(resolved(...chain)).href)) as { default: StringWidth }).default;
}

/** Every character NARROW_TEXT accepts. */
function narrowCharacters(): string[] {
  const found: string[] = [];
  for (let code = 0; code <= 0xffff; code++) {
    const character = String.fromCharCode(code);
    if (NARROW_TEXT.test(character)) found.push(character);
  }
  return found;
}

describe('the quick width of narrow text', () => {
  it('lets through only characters string-width measures as one column', async () => {
    const characters = narrowCharacters();
    expect(characters.length).toBeGreaterThan(1000);
    for (const chain of [
      ['ink', 'string-width'],
      ['ink', 'wrap-ansi', 'string-width'],
      ['ink', 'cli-truncate', 'string-width'],
    ]) {
      const stringWidth = await stringWidthOf(...chain);
      const wider = characters.filter((character) => stringWidth(character) !== 1);
      expect(
        wider.map((character) => `U+${character.charCodeAt(0).toString(16)}`),
        chain.join(' → '),
      ).toEqual([]);
      // Side by side they stay one column each (no pair joins into one grapheme).
      const line = characters.join('');
      expect(stringWidth(line), chain.join(' → ')).toBe(line.length);
    }
  });

  it('refuses what takes another width', () => {
    for (const text of [
      '\t',
      '\u00ad',
      'e\u0301',
      '\u200b',
      '\u200d',
      '\u2028',
      '\u202e',
      '漢',
      '😀',
      '\u2049',
      '\u25b6',
      '\u2194',
      '\u2714',
      '\u00a9',
      '\u00ae',
      '\u001b[31m',
    ]) {
      expect(NARROW_TEXT.test(text), JSON.stringify(text)).toBe(false);
    }
    expect(NARROW_TEXT.test('Quotas dépassés (3) — 12\u202f345 € « revue » …')).toBe(true);
  });

  it('is put in front of string-width, and an upgrade that changes its shape stops the build', async () => {
    const patched = withNarrowWidth('export default function stringWidth(string, options = {}) { return -1; }', 'index.js');
    const { default: stringWidth } = (await import(`data:text/javascript,${encodeURIComponent(patched)}`)) as { default: StringWidth };
    expect(stringWidth('déjà « vu »')).toBe(11);
    expect(stringWidth('déjà', { ambiguousIsNarrow: false })).toBe(-1);
    expect(stringWidth('漢字')).toBe(-1);
    // Colours take no place, unless string-width is asked to count them; other escapes go its way.
    expect(stringWidth('Tableau de bord  \u001b[36m⠋ chargement…\u001b[39m')).toBe(30);
    expect(stringWidth('\u001b[36m⠋\u001b[39m', { countAnsiEscapeCodes: true })).toBe(-1);
    expect(stringWidth('\u001b]8;;https://caf.fr\u0007lien')).toBe(-1);
    expect(() => withNarrowWidth('module.exports = stringWidth;', 'index.js')).toThrow(/not found once/);
  });
});

interface InkOutput {
  caches: unknown;
  write(x: number, y: number, text: string, options: { transformers: unknown[] }): void;
  clip(clip: { x1?: number; x2?: number; y1?: number; y2?: number }): void;
  get(): { output: string; height: number };
}
type OutputClass = new (options: { width: number; height: number }) => InkOutput;

/** Ink's Output class bundled as cafsup bundles it (with the plugin) or as Ink ships it. */
async function inkOutput(kept: boolean): Promise<OutputClass> {
  const dir = mkdtempSync(join(tmpdir(), 'cafsup-ink-output-'));
  try {
    await build({
      entryPoints: [join(dirname(resolved('ink')), 'output.js')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: join(dir, 'output.mjs'),
      plugins: kept ? [keptOutputPlugin] : [],
      logLevel: 'warning',
    });
    return ((await import(pathToFileURL(join(dir, 'output.mjs')).href)) as { default: OutputClass }).default;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Ink’s styled lines kept across frames', () => {
  it('draws every frame as Ink does, with one cache for all of them until it starts afresh', async () => {
    const [Kept, Shipped] = await Promise.all([inkOutput(true), inkOutput(false)]);
    const draw = (Output: OutputClass, frame: number) => {
      const output = new Output({ width: 30, height: 4 });
      output.write(0, 0, `\u001b[1mAlertes (${frame})\u001b[22m · détail`, { transformers: [] });
      output.clip({ x1: 2, x2: 12, y1: 0, y2: 4 });
      output.write(0, 1, `\u001b[31mcritique\u001b[39m — Métropole d’Aix ${frame % 3}`, { transformers: [] });
      output.write(1, 2, 'ligne\nsur deux', { transformers: [(line: string, index: number) => `${index}:${line}`] });
      output.write(0, 3, '漢字 et 😀', { transformers: [] });
      return output;
    };
    for (let frame = 0; frame < 5; frame++) expect(draw(Kept, frame).get()).toEqual(draw(Shipped, frame).get());
    expect(draw(Kept, 1).caches).toBe(draw(Kept, 2).caches);
    expect(draw(Shipped, 1).caches).not.toBe(draw(Shipped, 2).caches);
    const before = draw(Kept, 0).caches;
    for (let line = 0; line <= KEPT_ENTRIES; line++) {
      const output = new Kept({ width: 10, height: 1 });
      output.write(0, 0, `ligne ${line}`, { transformers: [] });
      output.get();
    }
    expect(new Kept({ width: 10, height: 1 }).caches).not.toBe(before);
  });

  it('stops the build when Ink changes shape', () => {
    expect(() => withKeptOutput('class Output { caches = new Map(); }', 'output.js')).toThrow(/not found once/);
  });
});

/** `source` bundled with build.mjs's two plugins that rewrite zod's modules, in its order, zod found where the shared package finds it. */
async function bundled(source: string, dir: string): Promise<string> {
  const outfile = join(dir, 'out.mjs');
  await build({
    stdin: { contents: source, resolveDir: dir, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    plugins: [zodUnusedPlugin, zodFunctionsPlugin],
    nodePaths: [join(dirname(resolved('zod/package.json')), '..')],
    logLevel: 'silent',
  });
  return outfile;
}

describe('the parts of zod left out of the bundle', () => {
  it('keep their names, say they were left out when called, and the rest of zod works as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-zod-unused-'));
    try {
      const outfile = await bundled("import { z } from 'zod'; export { z };", dir);
      expect(readFileSync(outfile, 'utf8')).not.toContain('z.compile does not support');
      const { z } = (await import(pathToFileURL(outfile).href)) as { z: typeof import('../packages/shared/src/zod.js').z };
      const schema = z.strictObject({ id: z.string().min(1), asOf: z.string().optional() });
      expect(schema.parse({ id: 'amp' })).toEqual({ id: 'amp' });
      expect(schema.safeParse({ id: '' }).success).toBe(false);
      expect(z.toJSONSchema(schema)).toMatchObject({ type: 'object', required: ['id'] });
      expect(() => z.compile(schema)).toThrow(/compile is left out of cafsup’s bundle/);
      expect(() => z.fromJSONSchema({ type: 'string' })).toThrow(/fromJSONSchema is left out/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops the build when zod exports them otherwise, or when another zod module imports them', async () => {
    expect(() => leftOut('export { compile } from "./other.js";', 'compile.js')).toThrow(/exports not all read/);
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-zod-unused-'));
    try {
      // A zod whose schemas module imports the compiler itself.
      for (const { module } of ZOD_UNUSED) {
        mkdirSync(dirname(join(dir, 'node_modules', 'zod', module)), { recursive: true });
        writeFileSync(join(dir, 'node_modules', 'zod', module), 'export function compile() {}\n');
      }
      writeFileSync(join(dir, 'node_modules', 'zod', 'v4', 'core', 'schemas.js'), "export { compile as fast } from './compile.js';\n");
      await expect(
        build({
          stdin: { contents: "export * from './node_modules/zod/v4/core/schemas.js';", resolveDir: dir, loader: 'js' },
          bundle: true,
          platform: 'node',
          format: 'esm',
          write: false,
          plugins: [zodUnusedPlugin],
          logLevel: 'silent',
        }),
      ).rejects.toThrow(/v4\/core\/schemas\.js imports v4\/core\/compile\.js/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('zod written without arrow functions', () => {
  it('has next to none of its own left, and works as before (the test above runs the same bundle)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-zod-functions-'));
    try {
      const text = readFileSync(await bundled("import { z } from 'zod'; export { z };", dir), 'utf8');
      // One of zod's own (core/schemas.js), and the others: from zod's first module on, what
      // arrows are left, beside esbuild's getters of a namespace's exports (`name: () => name`),
      // are those of the few modules left as they are (about 830 without the plugin).
      expect(text).toMatch(/_zod\.parse = function\(payload, ctx\)/);
      const zod = text.slice(text.search(/^\/\/ .*\/zod\/v4\//m));
      expect(zod).toMatch(/^\/\/ .*\/zod\/v4\//);
      expect(zod.replace(/\b[\w$]+: \(\) => [\w$]+/g, '').split('=>').length - 1).toBeLessThan(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rewrites a module whose arrows read nothing of around them, and leaves as it is one where an arrow reads this, arguments, new.target or super', async () => {
    const plain = 'export const twice = (n) => n * 2; export const obj = { m(xs) { return xs.map((x) => twice(x)); } };';
    const code = await withFunctions(plain);
    expect(code).not.toContain('=>');
    const module = (await import(`data:text/javascript,${encodeURIComponent(code)}`)) as { obj: { m(xs: number[]): number[] } };
    expect(module.obj.m([1, 2])).toEqual([2, 4]);
    for (const source of [
      'export class A { constructor() { this.x = 1; } f() { return () => this.x; } }',
      'export class C { y = 2; m() { return 1; } f = () => this.y; }',
      'export const o = { x: 5, g(a = () => this.x) { return a(); } };',
      'export class D extends Object { constructor() { const f = () => this; super(); f(); } }',
      'export function F() { return () => new.target; }',
      'export class B extends Object { m() { return () => super.toString(); } }',
      'export function G() { return () => arguments.length; }',
    ])
      expect(await withFunctions(source)).toBe(source);
  });
});

describe('built-in modules read directly', () => {
  it('give each importer what it names of the built-in, reading no other export, and the built-in as default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-builtins-'));
    try {
      writeFileSync(
        join(dir, 'one.mjs'),
        "import { existsSync } from 'node:fs'; import EventEmitter, { once } from 'events'; export const one = [existsSync, EventEmitter, once];\n",
      );
      writeFileSync(join(dir, 'two.mjs'), "import { readFileSync as read } from 'node:fs'; export const two = read;\n");
      const outdir = join(dir, 'out');
      await build({
        entryPoints: [join(dir, 'one.mjs'), join(dir, 'two.mjs')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        splitting: true,
        outdir,
        outExtension: { '.js': '.mjs' },
        plugins: [builtinsDirectPlugin],
        logLevel: 'silent',
      });
      const [one, two] = ['one.mjs', 'two.mjs'].map((file) => readFileSync(join(outdir, file), 'utf8'));
      // Neither imports Node's ES module face of a built-in, nor reads fs's lazy `promises`, nor shares a chunk.
      for (const text of [one, two]) {
        expect(text).not.toMatch(/from\s*["'](node:)?(fs|events)["']/);
        expect(text).not.toContain('.promises');
        expect(text).not.toContain('./chunk-');
      }
      const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
      const events = createRequire(import.meta.url)('node:events') as typeof import('node:events');
      expect(((await import(pathToFileURL(join(outdir, 'one.mjs')).href)) as { one: unknown[] }).one).toEqual([fs.existsSync, events, events.once]);
      expect(((await import(pathToFileURL(join(outdir, 'two.mjs')).href)) as { two: unknown }).two).toBe(fs.readFileSync);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a name that is no built-in of this Node', () => {
    expect(() => directBuiltin('node:no-such-module')).toThrow(/not a built-in module/);
  });
});
