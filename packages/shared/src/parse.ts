import type { z } from 'zod';
import { invalidInput, unknownKeysMessage, type Problem } from './errors.js';
import { formatPath } from './fields.js';
import { plainOutput } from './plain.js';

/**
 * Validates an input with a shared schema; a failure is a VALIDATION error naming each field.
 * A key the schema does not know is refused at any depth: zod refuses one only where an object
 * is strict (an input's top) and drops it elsewhere, so that a typo in an avenant's change
 * (« departement ») quietly opened its quota to every département (trial 22, F4). Not for a
 * stored record merged with an edit (`knownKeysOnly` false): a key no one typed, left by an
 * older version, must not block every edit of it (the edit itself is checked).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, base = '', knownKeysOnly = true): z.output<S> {
  // A plain input its own check accepts: what zod would give, without zod (plain.ts).
  const plain = plainOutput(schema, input);
  if (plain !== undefined) return plain as z.output<S>;
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error.issues.map((issue) => ({ path: formatPath(base, issue.path), message: issue.message })));
  if (!knownKeysOnly) return parsed.data;
  const dropped: Problem[] = [];
  droppedKeys(input, parsed.data, [], base, dropped);
  if (dropped.length > 0) throw invalidInput(dropped);
  return parsed.data;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/** The keys of `input` that its parsed `output` lost, by the object that had them; where the shapes part (a transform), nothing is compared. */
function droppedKeys(input: unknown, output: unknown, path: PropertyKey[], base: string, found: Problem[]): void {
  if (Array.isArray(input) && Array.isArray(output) && input.length === output.length) {
    input.forEach((item, index) => droppedKeys(item, output[index], [...path, index], base, found));
  } else if (isRecord(input) && isRecord(output)) {
    const unknown = Object.keys(input).filter((key) => input[key] !== undefined && !Object.hasOwn(output, key));
    if (unknown.length > 0) found.push({ path: formatPath(base, path), message: unknownKeysMessage(unknown) });
    for (const key of Object.keys(input)) if (Object.hasOwn(output, key)) droppedKeys(input[key], output[key], [...path, key], base, found);
  }
}
