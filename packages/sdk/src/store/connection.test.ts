import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './connection.js';

// The SDK's own making of a store (`create`, the dry run's simulation file) said Node's English,
// or let it through as an internal error (« ENOENT: no such file or directory, mkdir … »).
describe('openDatabase making a store', () => {
  it('says in French why it cannot: a folder the system will not make, a file where a folder should be', () => {
    const root = mkdtempSync(join(tmpdir(), 'cafsup-open-'));
    try {
      writeFileSync(join(root, 'fichier'), '');
      for (const [path, said] of [
        ['/proc/cafsup-absent/cafsup.db', 'le système refuse d’y créer un dossier (ENOENT)'],
        [join(root, 'fichier', 'dessous', 'cafsup.db'), 'un élément du chemin n’est pas un dossier (ENOTDIR)'],
      ] as const) {
        expect(() => openDatabase(path)).toThrow(
          expect.objectContaining({ code: 'UNAVAILABLE', message: `Impossible de créer la base de données ${path} : ${said}.` }),
        );
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
