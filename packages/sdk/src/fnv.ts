/**
 * FNV-1a over the UTF-16 code units of `text`, in two 32-bit lanes: the first is FNV-1a itself,
 * the second runs beside it with the first's high bits mixed in. Unsigned. Keys that tell
 * things apart without node:crypto (a command that opens a store does not load it for this):
 * two texts sharing both lanes are unlikely, not impossible, and nothing is sealed by them.
 */
export function fnv1a64(text: string): [low: number, high: number] {
  let low = 0x811c9dc5;
  let high = 0x050c5d1f;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    low = Math.imul(low ^ code, 0x01000193);
    high = Math.imul(high ^ code ^ (low >>> 16), 0x01000193);
  }
  return [low >>> 0, high >>> 0];
}
