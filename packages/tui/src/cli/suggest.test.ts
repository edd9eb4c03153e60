import { describe, expect, it } from 'vitest';
import { closest, suggest } from './suggest.js';

describe('« vouliez-vous dire »', () => {
  it('offers the closest candidates, never the word itself', () => {
    expect(closest('partenrs', ['partners', 'partner', 'quotas'])).toEqual(['partners']);
    expect(closest('amp-u31', ['amp-u031', 'amp-u013', 'macs'])).toEqual(['amp-u031']);
    // A request missing at a partner that exists names the partner: suggesting it back says nothing.
    expect(suggest('bavans', ['bavans', 'amp'])).toBe('');
    expect(suggest('bavns', ['bavans', 'amp'])).toBe(' Vouliez-vous dire « bavans » ?');
  });
});
