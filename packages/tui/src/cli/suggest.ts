import { CafsupError, foldWord, type MissingKind } from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';

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

/**
 * A missing id's refusal, with the closest partner, user, group or habilitation ids of the store
 * (« vouliez-vous dire »), or as it was when none is close: the CLI's and the interface's.
 */
export async function withNearestIds<E>(client: CafsupClient, error: E): Promise<E | CafsupError> {
  if (!(error instanceof CafsupError) || error.code !== 'NOT_FOUND') return error;
  const missing = (error.details as { ids?: unknown }).ids;
  if (!Array.isArray(missing) || missing.length === 0 || typeof missing[0] !== 'string') return error;
  // A numbered record of a partner (« bavans#9 »: a form, an avenant, a question): its partner exists, its number does not.
  if (missing[0].includes('#')) return error;
  try {
    const partners = (await client.partners.all()).map((partner) => partner.id);
    const wanted = missing[0];
    // Ids of the kind sought only, when the refusal says which (notFound): a user for a user.
    const kind = (error.details as { kind?: MissingKind }).kind;
    const sought = (candidate: MissingKind) => kind === undefined || kind === candidate;
    const candidates = sought('partner') ? [...partners] : [];
    // Ids of the demo data and of most extracts start with their partner's (amp-u031, amp-h0023).
    const owner = partners.filter((id) => wanted.startsWith(`${id}-`)).sort((a, b) => b.length - a.length)[0];
    // Sought within one partner (« introuvable chez bavans »): another partner's ids are no answer.
    const within = (error.details as { partnerId?: unknown }).partnerId;
    if (typeof within === 'string' && owner !== undefined && owner !== within) return error;
    if (owner !== undefined) {
      if (sought('user')) for (const user of await client.users.all({ partnerId: owner })) candidates.push(user.id);
      if (sought('group')) for (const group of await client.groups.all({ partnerId: owner })) candidates.push(group.id);
      if (sought('habilitation')) for (const habilitation of await client.habilitations.all({ partnerId: owner })) candidates.push(habilitation.id);
    }
    const hint = suggest(wanted, candidates);
    return hint === '' ? error : new CafsupError(error.code, `${error.message}${hint}`, error.details, { cause: error });
  } catch {
    return error;
  }
}
