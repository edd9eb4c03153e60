// The interface measures every text it lays out with string-width (Ink, wrap-ansi, cli-truncate).
// string-width answers printable ASCII at once, but any other character sends the text through
// Intl.Segmenter and Unicode-property regular expressions, which V8 builds at their first use:
// tens of milliseconds of the first frame for a screen of French text (« — », « é »), which
// Ink's own « hello » never pays. The bundle (build.mjs) gives string-width a second quick
// answer: text made only of the characters below is as wide as it is long.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Characters that are each one grapheme of width 1 (East Asian narrow, or ambiguous and taken as
 * narrow as string-width does by default), neither combining, nor invisible, nor emoji: printable
 * ASCII, Latin-1 and Latin Extended letters (without U+00AD, the soft hyphen, which takes no
 * place, nor © and ®, emoji to some versions), Latin Extended Additional, dashes, quotes and the ellipsis, the narrow no-break space
 * of French numbers, per mille and guillemets, the euro sign, box drawing and block elements;
 * and the interface's own marks: the four arrows, ⏎, ◆, ●, ✓, ✗ and the spinner's braille
 * patterns (the first frame's spinner and status bar sent it down the slow path).
 * test/narrow-width.test.ts checks each against string-width itself.
 */
export const NARROW_TEXT =
  /^[\u0020-\u007e\u00a0-\u00a8\u00aa-\u00ac\u00af-\u02ff\u1e00-\u1eff\u2010-\u2027\u202f\u2030-\u203a\u20ac\u2190-\u2193\u23ce\u2500-\u259f\u25c6\u25cf\u2713\u2717\u2800-\u28ff]*$/;

/**
 * string-width's module (`source`) with the quick answer in front of its own function. Throws
 * when the module no longer has the shape this expects, so that an upgrade cannot silently
 * lose the quick answer.
 */
export function withNarrowWidth(source, file) {
  const declaration = 'export default function stringWidth(';
  if (source.split(declaration).length !== 2) throw new Error(`${file}: « ${declaration} » not found once; see packages/tui/narrow-width.mjs.`);
  return `${source.replace(declaration, 'function measuredWidth(')}
const NARROW_TEXT = ${NARROW_TEXT};
export default function stringWidth(string, options) {
  if (typeof string === 'string' && options?.ambiguousIsNarrow !== false) {
    // Colours take no place (string-width strips them unless asked to count them): Ink measures
    // its coloured lines too.
    const visible = string.includes('\\u001b') && options?.countAnsiEscapeCodes !== true ? string.replace(/\\u001b\\[[\\d;]*m/g, '') : string;
    if (NARROW_TEXT.test(visible)) return visible.length;
  }
  return measuredWidth(string, options);
}
`;
}

/** The esbuild plugin that does it, for cafsup's bundle and the benches that bundle the interface. */
export const narrowWidthPlugin = {
  name: 'narrow-width',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, (file) => {
      const source = readFileSync(file.path, 'utf8');
      // string-width 4 (CommonJS, the prompts' wrap-ansi) has another shape; the interface does not use it.
      if (!source.includes('export default function')) return undefined;
      return { contents: withNarrowWidth(source, file.path), resolveDir: dirname(file.path) };
    });
  },
};
