import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A folder of the system's temporary one, made when first asked for. A helper built in a
 * describe's body is built even when a filter (`vitest -t …`) skips all its tests, and its
 * afterAll, which would remove its folder, is skipped with them: made there, it stayed, empty.
 */
export class TemporaryFolder {
  private made: string | undefined;

  constructor(private readonly prefix: string) {}

  get path(): string {
    return (this.made ??= mkdtempSync(join(tmpdir(), this.prefix)));
  }

  /** Removes it, if it was made. */
  remove(): void {
    if (this.made !== undefined) rmSync(this.made, { recursive: true, force: true });
  }
}
