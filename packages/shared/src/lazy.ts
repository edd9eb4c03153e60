/**
 * A schema (or a shape several schemas spread) built the first time it is used, not when its
 * module loads. Building zod schemas was the largest part of a command's start-up (the ~70 of
 * this package and the operation table's inputs: ~25 ms of CPU, more than reading a partner),
 * while a command uses a few: `cafsup partner X` checks an id and a date. The proxy stands for
 * the schema everywhere (nested in other schemas, parsed, extended, turned into JSON Schema) and
 * every use reaches the one schema built behind it, so nothing else changes. Anything built from
 * it (`.optional()`, a field of `z.object`) builds it: such a schema is declared lazily too, or
 * inside a function, never at a module's top level.
 */
export function lazySchema<S extends object>(build: () => S): S {
  let schema: S | undefined;
  const built = (): S => (schema ??= build());
  return new Proxy({} as S, {
    get: (_target, key) => Reflect.get(built(), key),
    set: (_target, key, value) => Reflect.set(built(), key, value),
    has: (_target, key) => Reflect.has(built(), key),
    ownKeys: () => Reflect.ownKeys(built()),
    // A proxy may not report a property its (empty) target lacks as non-configurable.
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(built(), key);
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(built(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(built(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(built()),
  });
}
