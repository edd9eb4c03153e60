import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run on the sources; only the child processes of the crash and concurrency tests use the build.
    // Whole names only: `@cafsup/sdk/settings` is not `@cafsup/sdk`'s index followed by a path.
    alias: [
      ['@cafsup/shared', './packages/shared/src/index.ts'],
      ['@cafsup/sdk', './packages/sdk/src/index.ts'],
      ['@cafsup/sdk/settings', './packages/sdk/src/settings.ts'],
      ['@cafsup/sdk/warm', './packages/sdk/src/workers/warm.ts'],
      ['@cafsup/server', './packages/server/src/index.ts'],
    ].map(([name, path]) => ({ find: new RegExp(`^${name}$`), replacement: source(path!) })),
  },
  test: {
    include: ['packages/*/src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    // Frames compared as plain text: Ink's colours are off in tests (NO_COLOR is tested on the real binary).
    env: { FORCE_COLOR: '0' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A fork given 10 s (Vitest's default) to end after its last file: on 2 cores with another
    // suite and two `yes` beside it, one took longer, and Vitest printed « Timeout terminating
    // forks worker » with a stack after an all-green summary (sessions 43-44), a false alarm.
    teardownTimeout: 60_000,
    pool: 'forks',
    // One PostgreSQL cluster for the run, started in a temporary directory (operations.md).
    globalSetup: ['./test/support/postgres-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
