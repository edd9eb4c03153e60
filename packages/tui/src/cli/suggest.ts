import { foldWord } from '@cafsup/shared';

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: Damerau–Levenshtein, optimal string alignment. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The candidates closest to a mistyped word, within about one edit in three characters (at most three). */
export function closest(word: string, candidates: Iterable<string>): string[] {
  const folded = foldWord(word);
  const limit = Math.max(1, Math.floor(folded.length / 3));
  let best = Number.POSITIVE_INFINITY;
  let found: string[] = [];
  for (const candidate of new Set(candidates)) {
    // The word itself is no suggestion (a request missing at a partner that exists names the partner).
    if (candidate === word) continue;
    const d = distance(folded, foldWord(candidate));
    if (d > limit || d > best) continue;
    if (d < best) [best, found] = [d, []];
    found.push(candidate);
  }
  return found.slice(0, 3);
}

/** « Vouliez-vous dire « partners » ? », with a leading space, or nothing when no candidate is close. */
export function suggest(word: string, candidates: Iterable<string>, show: (candidate: string) => string = (candidate) => `« ${candidate} »`): string {
  const found = closest(word, candidates);
  return found.length === 0 ? '' : ` Vouliez-vous dire ${found.map(show).join(' ou ')} ?`;
}
