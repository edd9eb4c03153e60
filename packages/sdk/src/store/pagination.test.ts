import { describe, expect, it } from 'vitest';
import { partnersListInputSchema, tracesListInputSchema } from '@cafsup/shared';
import { decodeCursor, encodeCursor } from './pagination.js';

describe('page cursors', () => {
  // At 500 characters the next page after an id of 200 « € » was refused (review 38).
  it('takes back the cursor of the longest id a list gives', () => {
    const id = '€'.repeat(199) + '"';
    const cursor = encodeCursor(id);
    expect(partnersListInputSchema.parse({ cursor }).cursor).toBe(cursor);
    expect(decodeCursor(cursor, 'id')).toBe(id);
    expect(tracesListInputSchema.parse({ cursor: encodeCursor(Number.MAX_SAFE_INTEGER) }).cursor).toBeDefined();
  });
});
