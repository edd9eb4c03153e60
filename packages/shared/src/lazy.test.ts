import { describe, expect, it } from 'vitest';
import { lazySchema } from './lazy.js';
import { z } from './zod.js';

/** The same small family of schemas, built eagerly or each behind `lazySchema`, with the builds counted. */
function family(wrap: <S extends object>(build: () => S) => S) {
  const id = wrap(() => z.string().trim().min(1, 'identifiant vide'));
  const date = wrap(() => z.string().refine((value) => /^\d{4}-\d\d-\d\d$/.test(value), 'date invalide'));
  const shape = wrap(() => ({ limit: z.number().int().min(1).optional() }));
  const quota = wrap(() => z.object({ type: z.literal('quota'), id, max: z.number().int().min(0) }));
  const note = wrap(() => z.object({ type: z.literal('note'), date: date.optional() }));
  const change = wrap(() => z.discriminatedUnion('type', [quota, note]));
  const input = wrap(() =>
    z.strictObject({
      id,
      asOf: date.nullable().default(null),
      changes: z.array(change).default([]),
      more: quota.extend({ extra: z.boolean() }).optional(),
      ...shape,
    }),
  );
  return { id, input };
}

const INPUTS: unknown[] = [
  { id: ' amp ', asOf: '2026-03-05', changes: [{ type: 'quota', id: 'T13', max: 2 }, { type: 'note' }], limit: 5 },
  { id: '', asOf: '5 mars', changes: [{ type: 'other' }, { type: 'quota', id: 'x', max: -1 }], unknown: true },
  { id: 'amp', more: { type: 'quota', id: 'q', max: 1, extra: 'oui' } },
  'amp',
  null,
];

describe('lazySchema', () => {
  it('builds a schema once, at its first use, and not before', () => {
    let builds = 0;
    const counted = <S extends object>(build: () => S): S =>
      lazySchema(() => {
        builds += 1;
        return build();
      });
    const { id, input } = family(counted);
    expect(builds).toBe(0);
    expect(id.parse(' amp ')).toBe('amp');
    expect(builds).toBe(1);
    // Every schema of the family has been used once: each was built once.
    input.parse({ id: 'amp', changes: [{ type: 'note' }, { type: 'quota', id: 'T13', max: 1 }] });
    expect(builds).toBe(7);
    input.parse({ id: 'amp', changes: [{ type: 'note' }] });
    expect(builds).toBe(7);
  });

  it('answers as the schema built eagerly: values, refusals, JSON Schema, classes', () => {
    const eager = family((build) => build()).input;
    const lazy = family(lazySchema).input;
    for (const value of INPUTS) expect(JSON.stringify(lazy.safeParse(value)), JSON.stringify(value)).toBe(JSON.stringify(eager.safeParse(value)));
    expect(JSON.stringify(z.toJSONSchema(lazy, { io: 'input' }))).toBe(JSON.stringify(z.toJSONSchema(eager, { io: 'input' })));
    expect(lazy).toBeInstanceOf(z.ZodObject);
    expect(Object.keys(lazy.shape)).toEqual(Object.keys(eager.shape));
  });
});
