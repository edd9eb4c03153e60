import { describe, expect, it } from 'vitest';
import { compareCodePoints } from './compare.js';

describe('compareCodePoints', () => {
  it('orders by code point, not naturally nor by locale', () => {
    expect(['T2', 'T13', 'T1', 'é', 'e', 'Z'].sort(compareCodePoints)).toEqual(['T1', 'T13', 'T2', 'Z', 'e', 'é']);
  });
  it('puts astral characters after U+FFFD, unlike UTF-16 order', () => {
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect('\u{1F600}' < '\uFFFD').toBe(true);
  });
  it('puts a prefix first', () => expect(compareCodePoints('amp', 'amp-2')).toBeLessThan(0));
});
