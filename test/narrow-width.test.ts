import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NARROW_TEXT, withNarrowWidth } from '../packages/tui/narrow-width.mjs';

// The bundle answers string-width from NARROW_TEXT alone (packages/tui/narrow-width.mjs): each
// character it lets through must be one that string-width itself measures as 1, in every
// version the interface bundles (Ink's, and wrap-ansi's).

type StringWidth = (text: string, options?: { ambiguousIsNarrow?: boolean }) => number;

async function stringWidthOf(...chain: string[]): Promise<StringWidth> {
  let from = createRequire(new URL('../packages/tui/package.json', import.meta.url)).resolve(chain[0]!);
  for (const name of chain.slice(1)) from = createRequire(from).resolve(name);
  return ((await import(pathToFileURL(from).href)) as { default: StringWidth }).default;
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
      expect(wider.map((character) => `U+${character.charCodeAt(0).toString(16)}`), chain.join(' → ')).toEqual([]);
      // Side by side they stay one column each (no pair joins into one grapheme).
      const line = characters.join('');
      expect(stringWidth(line), chain.join(' → ')).toBe(line.length);
    }
  });

  it('refuses what takes another width', () => {
    for (const text of ['\t', '\u00ad', 'e\u0301', '\u200b', '\u200d', '\u2028', '\u202e', '漢', '😀', '\u2049', '\u25b6', '\u00a9', '\u00ae', '\u001b[31m']) {
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
    expect(() => withNarrowWidth('module.exports = stringWidth;', 'index.js')).toThrow(/not found once/);
  });
});
