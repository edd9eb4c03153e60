import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFolders } from './folders.js';

describe('makeFolders', () => {
  it('makes the missing folders of the mode given and returns the first, as mkdir -p; nothing when all are there; a file in the way refused', () => {
    const root = mkdtempSync(join(tmpdir(), 'cafsup-folders-'));
    try {
      const deep = join(root, 'a', 'b', 'c');
      expect(makeFolders(deep, 0o700)).toBe(join(root, 'a'));
      expect([join(root, 'a'), deep].map((folder) => statSync(folder).mode & 0o777)).toEqual([0o700, 0o700]);
      expect(makeFolders(deep, 0o700)).toBeUndefined();
      writeFileSync(join(root, 'fichier'), '');
      expect(() => makeFolders(join(root, 'fichier'), 0o700)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
      expect(() => makeFolders(join(root, 'fichier', 'dessous'), 0o700)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
