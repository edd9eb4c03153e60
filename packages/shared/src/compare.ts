/**
 * Compares strings by Unicode code point, as rules.md orders every output ('T13' < 'T2').
 * JavaScript's `<` compares UTF-16 units, which misorders U+E000–U+FFFF against astral
 * characters; shifting the units fixes that without decoding.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrderUnit(x) - codePointOrderUnit(y);
  }
  return a.length - b.length;
}

function codePointOrderUnit(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
