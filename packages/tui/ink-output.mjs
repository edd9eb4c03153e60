// Ink composes every frame from its lines of text: each line is split into styled characters
// (an ANSI tokenizer, character by character), cut to its box when the box clips, and measured.
// Ink keeps those results for one frame only; a keystroke on a long list changes two lines of
// the screen, yet the whole screen went through the tokenizer again — half of a keystroke's time
// (bench/interface.mjs). The bundle (build.mjs) keeps them from frame to frame: the results
// depend on the line's text alone and are only read, never changed, by the frames that use them.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Lines, widths and cuts kept across frames before the cache starts afresh (a few screens' worth, bounded memory). */
export const KEPT_ENTRIES = 20_000;

/** Each piece of Ink's output.js this rewrites, and what it becomes. */
const REWRITES = [
  // One cache for every frame instead of one per frame.
  ['    caches = new OutputCaches();', '    caches = sharedOutputCaches();'],
  // A clipped line's cut is kept too (it tokenizes the line again).
  ['return sliceAnsi(line, from, to);', 'return this.caches.getSlice(line, from, to);'],
];

/** Ink's output.js (`source`) with its caches kept across frames; throws when Ink no longer has this shape. */
export function withKeptOutput(source, file) {
  let patched = source;
  for (const [from, to] of REWRITES) {
    if (patched.split(from).length !== 2) throw new Error(`${file}: « ${from} » not found once; see packages/tui/ink-output.mjs.`);
    patched = patched.replace(from, to);
  }
  return `${patched}
OutputCaches.prototype.getSlice = function getSlice(line, from, to) {
  this.slices ??= new Map();
  const key = from + ':' + to + ':' + line;
  let cached = this.slices.get(key);
  if (cached === undefined) {
    cached = sliceAnsi(line, from, to);
    this.slices.set(key, cached);
  }
  return cached;
};
let keptOutputCaches = new OutputCaches();
function sharedOutputCaches() {
  const { styledChars, widths, blockWidths, slices } = keptOutputCaches;
  if (styledChars.size + widths.size + blockWidths.size + (slices?.size ?? 0) > ${KEPT_ENTRIES}) keptOutputCaches = new OutputCaches();
  return keptOutputCaches;
}
`;
}

/** The esbuild plugin that does it, for cafsup's bundle and the keystroke bench. */
export const keptOutputPlugin = {
  name: 'ink-kept-output',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]ink[\\/]build[\\/]output\.js$/ }, (file) => ({
      contents: withKeptOutput(readFileSync(file.path, 'utf8'), file.path),
      resolveDir: dirname(file.path),
    }));
  },
};
