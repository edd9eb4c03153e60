import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAFSUP_BIN, CliSandbox } from './support/cli.js';
import { Terminal } from './support/terminal.js';

describe('cafsup in a real terminal, keys in bursts', () => {
  const sandbox = new CliSandbox();
  const actor = 'Camille Roux <camille.roux@caf78.fr>';
  let terminal: Terminal | undefined;
  const open = (size?: { columns: number; rows: number }, database = sandbox.database, settings: Record<string, string> = { CAFSUP_ACTOR: actor }) => {
    const env = sandbox.env();
    terminal = new Terminal(
      `'${process.execPath}' '${CAFSUP_BIN}'; echo "SORTIE=$?"; sleep 60`,
      { CAFSUP_DB: database, CAFSUP_CONFIG_DIR: env.CAFSUP_CONFIG_DIR!, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...settings },
      size,
    );
    return terminal;
  };

  beforeAll(() => {
    expect(sandbox.run(['demo']).status).toBe(0);
  });
  afterEach(() => terminal?.close());
  afterAll(() => sandbox.cleanup());

  it('at 80×24: filters, opens a partner, suspends with a pasted reason; the CLI reads the trace back', async () => {
    const terminal = open();
    await terminal.waitFor('Quotas dépassés');
    terminal.send('p/marseille\r');
    const filtered = await terminal.waitFor('Partenaires (1 sur 30)');
    expect(filtered).toContain('Métropole d’Aix-Marseille-Pr');
    terminal.send('\r2');
    const quotas = await terminal.waitFor('DÉPASSÉ +3');
    expect(quotas).toMatch(/CDAP T13 +[█▓░]+ 23\/20 \(actifs 22\) DÉPASSÉ \+3/);
    terminal.send('3jjjjjkkkk');
    await terminal.waitFor(/›amp-h0002 /);
    terminal.send('s');
    await terminal.waitFor('Motif (obligatoire');
    terminal.send('Département 06 hors convention\r');
    await terminal.waitFor('confirmer ? (o/n)');
    terminal.send('o');
    const done = await terminal.waitFor(/Fait\. Trace n° \d+/);
    const traceId = Number(/Trace n° (\d+)/.exec(done)![1]);
    terminal.press('Escape');
    await terminal.waitFor(/›amp-h0002 .*suspendue/);
    terminal.send('qqq');
    const after = await terminal.waitFor('SORTIE=0');
    // The alternate screen was given back: nothing of the interface is left on the terminal.
    expect(after).not.toContain('amp-h0002');

    const traces = sandbox.json(['traces', '--partner', 'amp']).traces;
    expect(traces.find((trace: { id: number }) => trace.id === traceId)).toMatchObject({
      action: 'habilitation.suspend',
      targetId: 'amp-h0002',
      reason: 'Département 06 hors convention',
      actor: { name: 'Camille Roux', email: 'camille.roux@caf78.fr' },
    });
  });

  it('at 200×60: `:partenaire amp⏎` and a move typed in one go, whole ids, then Ctrl-C leaves with 130', async () => {
    const terminal = open({ columns: 200, rows: 60 });
    await terminal.waitFor('Quotas dépassés');
    terminal.send(':partenaire amp\r4jjjjj');
    const users = await terminal.waitFor(/›\S.* amp-u006 /);
    expect(users).toContain('Mél');
    terminal.send(':cherche guérin\r');
    await terminal.waitFor(/personne +Manon Guérin +amp-u032 /);
    terminal.press('C-c');
    await terminal.waitFor('SORTIE=130');
  });

  it('on a read-only file: « lecture seule » and no action key', async () => {
    const copy = join(sandbox.dir, 'lecture.db');
    copyFileSync(sandbox.database, copy);
    chmodSync(copy, 0o444);
    const terminal = open(undefined, copy);
    await terminal.waitFor('lecture seule');
    terminal.send(':partenaire amp\r3js');
    await terminal.waitFor(/›amp-h0002 /);
    terminal.send('?');
    const help = await terminal.waitFor('Aide — Fiche partenaire (lecture seule');
    expect(help).not.toContain('suspendre');
  });

  it('a saved actor found unreadable is asked for on the terminal given back, then the interface opens', async () => {
    const configDir = join(sandbox.dir, 'config-illisible');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ actor: 'quelqu’un sans mél' }));
    const terminal = open(undefined, sandbox.database, { CAFSUP_CONFIG_DIR: configDir });
    await terminal.waitFor('Qui agit ?');
    terminal.send(`${actor}\r`);
    await terminal.waitFor('Quotas dépassés');
    terminal.send('q');
    await terminal.waitFor('SORTIE=0');
    expect(JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'))).toMatchObject({ actor });
  });

  it('a file that does not exist is said once the screen is given back, exit 6', async () => {
    const terminal = open(undefined, join(sandbox.dir, 'absente.db'));
    const after = await terminal.waitFor('SORTIE=6');
    expect(after).toContain('Base de données introuvable');
    expect(after).not.toContain('ouverture de la base');
  });
});
