import type { z } from 'zod';
import { invalidInput } from './errors.js';
import { formatPath } from './fields.js';

/** Validates an input with a shared schema; a failure is a VALIDATION error naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, base = ''): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({ path: formatPath(base, issue.path), message: issue.message }));
  throw invalidInput(problems);
}
