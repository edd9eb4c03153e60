import { describe, expect, it } from 'vitest';
import { HashedIds } from './hashed-ids.js';

describe('HashedIds', () => {
  it('says an id is new once, then maybe seen, across the table growing from 1,024 slots to 262,144', () => {
    const ids = new HashedIds();
    const names = Array.from({ length: 100_000 }, (_, index) => `h${String(index).padStart(8, '0')}`);
    expect(names.filter((name) => !ids.add(name))).toEqual([]);
    // Each one again, after every growth: every one is found.
    expect(names.filter((name) => ids.add(name))).toEqual([]);
    expect(ids.add('h00100000')).toBe(true);
    expect(ids.add('')).toBe(true);
    expect(ids.add('')).toBe(false);
  });
});
