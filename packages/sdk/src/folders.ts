import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `path` and the folders missing above it made, of `mode`, as `mkdirSync(path, { recursive: true })`
 * makes them (its first folder made returned, undefined when all were there), one at a time. Node's
 * own never ends under /proc, which refuses a new folder with ENOENT: it makes the parent again,
 * and again (`cafsup demo --db /proc/x/cafsup.db` spun at full CPU until killed).
 */
export function makeFolders(path: string, mode: number): string | undefined {
  const missing: string[] = [];
  for (let folder = resolve(path); !exists(folder); folder = dirname(folder)) {
    missing.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  // All there: Node's own then neither makes nor loops, and refuses a file at `path` (EEXIST).
  if (missing.length === 0) return mkdirSync(path, { recursive: true, mode });
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // Its parent just found or made, ENOENT is no missing path but the system refusing a folder
      // there (/proc): marked for `fileProblem` to say so, not as the link to nothing it otherwise is.
      if (code === 'ENOENT') throw Object.assign(error as Error, { folderRefused: true });
      // Made meanwhile by another process: as good.
      if (code !== 'EEXIST' || !statSync(folder).isDirectory()) throw error;
    }
  }
  return missing[0];
}

/** Whether something is at `path`; a path that cannot be looked at (through a file, refused) throws, as mkdir would. */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return false;
    throw error;
  }
}
