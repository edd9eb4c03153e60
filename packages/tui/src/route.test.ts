import { describe, expect, it } from 'vitest';
import { runsFromModules } from './route.js';

// bin/cafsup.cjs runs these from the ES module bundle; the other bundle holds no interface, and
// a route that may open it given to that bundle would fail there.
describe('the bundle a command runs from', () => {
  it('gives every route that may open the interface, and help, to the ES modules', () => {
    for (const argv of [[], ['--db', 'x.db'], ['--json'], ['-q'], ['--as-of', '2026-01-01'], ['tui'], ['--db', 'x.db', 'tui'], ['start', '--db', 'x.db']]) {
      expect(runsFromModules(argv), argv.join(' ')).toBe(true);
    }
    for (const argv of [['--help'], ['--version'], ['help', 'audit'], ['completion', 'bash'], ['audit', '--help'], ['partner', 'amp', '-h']]) {
      expect(runsFromModules(argv), argv.join(' ')).toBe(true);
    }
  });

  it('gives every other command to the plain commands’ bundle, global options before it or not', () => {
    for (const argv of [
      ['partner', 'amp'],
      ['--db', 'x.db', 'partners', '--json'],
      ['--db=x.db', 'audit'],
      ['--actor', 'A <a@caf.fr>', 'suspend'],
      ['parters'],
    ]) {
      expect(runsFromModules(argv), argv.join(' ')).toBe(false);
    }
  });
});
