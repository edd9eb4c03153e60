import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliSandbox } from './support/cli.js';
import { openClient, refusalOf } from './support/client.js';
import { TestServer } from './support/server.js';

// The helpers of the other files leave nothing in the system's temporary folder: a TestServer or
// CliSandbox built in a describe's body whose tests a filter (`vitest -t …`) all skips, skipping
// its afterAll too, left its folder there, empty, at every such run (review 43).
describe('the test helpers’ temporary folders', () => {
  it('are made only when used, and removed by their cleanup, a dataset refused included', async () => {
    const temporary = mkdtempSync(join(tmpdir(), 'cafsup-helpers-'));
    const before = process.env.TMPDIR;
    // Where os.tmpdir() points: read at each call.
    process.env.TMPDIR = temporary;
    try {
      const server = new TestServer();
      const sandbox = new CliSandbox();
      expect(readdirSync(temporary)).toEqual([]);
      await server.stop();
      sandbox.cleanup();
      expect(readdirSync(temporary)).toEqual([]);
      const used = new CliSandbox();
      expect([dirname(used.dir), existsSync(used.dir)]).toEqual([temporary, true]);
      used.cleanup();
      expect(readdirSync(temporary)).toEqual([]);
      await refusalOf(openClient({ dataset: { partners: 'aucun' } }));
      expect(readdirSync(temporary)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      rmSync(temporary, { recursive: true, force: true });
    }
  });
});
