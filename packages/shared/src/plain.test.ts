import { describe, expect, it } from 'vitest';
import { plainOutput } from './plain.js';
import { auditRunInputSchema, quotasUsageInputSchema } from './queries.js';

/** Inputs of every kind a plain input meets: right, nearly right, wrong. */
const INPUTS: unknown[] = [
  {},
  { partnerId: 'p00042' },
  { partnerId: 'p00042', asOf: '2026-11-22' },
  { asOf: '2026-11-22', partnerId: 'p00042' },
  { partnerId: 'p00042', asOf: undefined },
  { partnerId: undefined },
  { partnerId: 'amp', asOf: '2026-11-22', over: true },
  { partnerId: 'amp', over: false, minSeverity: 'high' },
  { partnerId: 'amp', minSeverity: 'élevée' },
  { partnerId: 'amp', rules: ['QUOTA_EXCEEDED'] },
  { partnerId: 'amp', rules: undefined },
  { partnerId: ' amp ' },
  { partnerId: '' },
  { partnerId: '   ' },
  { partnerId: 'a'.repeat(200) },
  { partnerId: 'a'.repeat(201) },
  { partnerId: ' '.repeat(3) + 'a'.repeat(200) },
  { partnerId: 'a\u001bb' },
  { partnerId: 'a\u202eb' },
  { partnerId: 'a\ud800' },
  { partnerId: 'é\u0301' },
  { partnerId: 42 },
  { asOf: '2026-02-30' },
  { asOf: '26-11-22' },
  { asOf: '2026-11-22T00:00:00Z' },
  { asOf: 20261122 },
  { over: 'true' },
  { partnerId: 'amp', extra: 1 },
  { partnerId: 'amp', extra: undefined },
  Object.assign(Object.create(null), { partnerId: 'amp' }),
  [],
  null,
  'amp',
  undefined,
];

describe('a plain input', () => {
  it.each([
    ['quotas.usage', quotasUsageInputSchema],
    ['audit.run', auditRunInputSchema],
  ])('%s: what its check accepts, zod accepts and gives the same, keys in the same order', (_name, schema) => {
    let accepted = 0;
    for (const input of INPUTS) {
      const plain = plainOutput(schema, input);
      if (plain === undefined) continue;
      accepted += 1;
      const parsed = schema.safeParse(input);
      expect(parsed.success, JSON.stringify(input)).toBe(true);
      expect(plain).toStrictEqual(parsed.data);
      expect(Object.keys(plain)).toEqual(Object.keys(parsed.data!));
      expect(plain).not.toBe(input);
    }
    // The check is no check at all if it accepts nothing.
    expect(accepted).toBeGreaterThan(4);
  });

  it('leaves to zod what it does not accept: a refusal is worded by the schema', () => {
    expect(plainOutput(auditRunInputSchema, { partnerId: 'amp', rules: ['QUOTA_EXCEEDED'] })).toBeUndefined();
    expect(plainOutput(quotasUsageInputSchema, { partnerId: ' amp ' })).toBeUndefined();
    expect(plainOutput(quotasUsageInputSchema, { partnerId: 'amp', extra: 1 })).toBeUndefined();
    expect(plainOutput(quotasUsageInputSchema, { partnerId: 'amp', asOf: '2026-02-30' })).toBeUndefined();
  });
});
