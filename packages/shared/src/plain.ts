import { z } from './zod.js';
import { lazySchema } from './lazy.js';

/**
 * A field of a plain input (`plainInput`): its schema, and which values that schema returns
 * unchanged, told without building it (none when `accepts` is missing: zod reads every value).
 */
export interface PlainField<S extends z.ZodType = z.ZodType> {
  schema: S;
  accepts?: (value: unknown) => boolean;
  /**
   * Absent or undefined allowed (`optionalField`): made `.optional()` where the input's schema is
   * built. A lazy optional in its shape broke zod's JSON Schema (the API document), whose
   * wrappers look themselves up by the object it was handed, a proxy there.
   */
  optional?: true;
}

/** The field, optional: absent or undefined, or a value the field accepts. */
export function optionalField<S extends z.ZodType>(field: PlainField<S>): PlainField<S> & { optional: true } {
  return { schema: field.schema, optional: true, accepts: (value) => value === undefined || field.accepts?.(value) === true };
}

/** A field's schema in its input's shape. */
type ShapeOf<F extends Record<string, PlainField>> = { [K in keyof F]: F[K] extends { optional: true } ? z.ZodOptional<F[K]['schema']> : F[K]['schema'] };

/** A switch: true or false, as zod's boolean. */
export const booleanField: PlainField<z.ZodBoolean> = { schema: lazySchema(() => z.boolean()), accepts: (value) => typeof value === 'boolean' };

/** One of `values`, as zod's enum. */
export function choiceField<const T extends readonly [string, ...string[]]>(values: T): PlainField<z.ZodEnum<{ [K in T[number]]: K }>> {
  return { schema: lazySchema(() => z.enum(values)), accepts: (value) => (values as readonly unknown[]).includes(value) };
}

/** What the plain inputs take without zod: the input itself when every field of it is accepted, else undefined. */
const plainChecks = new WeakMap<object, (input: unknown) => Record<string, unknown> | undefined>();

/**
 * An input of plain fields (ids, dates, switches…), strict as every operation's, that is read
 * without zod when each of its fields holds a value its schema returns unchanged: building the
 * schemas and their first parse were ~10 ms of `cafsup partner ID` (four such inputs), for an id
 * and a date. Anything else (a key it does not have, a value its check does not accept) is read
 * by zod, which words the refusal: the check only accepts, and gives what zod gives (a new
 * object, with the keys of the input in the schema's order), so the answer is the same either way.
 */
export function plainInput<F extends Record<string, PlainField>>(fields: F): z.ZodObject<ShapeOf<F>, z.core.$strict> {
  const schema = lazySchema(() =>
    z.strictObject(
      Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, field.optional === true ? field.schema.optional() : field.schema])) as ShapeOf<F>,
    ),
  );
  const entries = Object.entries(fields);
  plainChecks.set(schema, (input) => {
    if (typeof input !== 'object' || input === null || Object.getPrototypeOf(input) !== Object.prototype) return undefined;
    const record = input as Record<string, unknown>;
    if (!Object.keys(record).every((key) => Object.hasOwn(fields, key))) return undefined;
    const output: Record<string, unknown> = {};
    for (const [key, field] of entries) {
      // As zod reads an object: a key given, even undefined, is kept; one not given stays absent.
      const given = key in record;
      if (field.accepts?.(given ? record[key] : undefined) !== true) return undefined;
      if (given) output[key] = record[key];
    }
    return output;
  });
  return schema;
}

/** The input as its schema would return it, when a plain input's check accepts it (`plainInput`); else undefined. */
export function plainOutput(schema: object, input: unknown): Record<string, unknown> | undefined {
  return plainChecks.get(schema)?.(input);
}
