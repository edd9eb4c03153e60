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
    pool: 'forks',
    // One PostgreSQL cluster for the run, started in a temporary directory (operations.md).
    globalSetup: ['./test/support/postgres-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
