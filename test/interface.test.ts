import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAFSUP_BIN, CliSandbox } from './support/cli.js';
import { lockedCopy } from './support/locks.js';
import { Terminal } from './support/terminal.js';

describe('cafsup in a real terminal, keys in bursts', () => {
  const sandbox = new CliSandbox();
  const actor = 'Camille Roux <camille.roux@caf78.fr>';
  let terminal: Terminal | undefined;
  /**
   * The interface in tmux, which says its exit code once it ends. With `pidFile`, it writes its
   * process id there (to send it a signal), and once it ends says BRUT=1 for a terminal left raw.
   */
  const open = (
    size?: { columns: number; rows: number },
    database: string | null = sandbox.database,
    settings: Record<string, string> = { CAFSUP_ACTOR: actor },
    pidFile?: string,
  ) => {
    const env = sandbox.env();
    const cafsup = `"${process.execPath}" "${CAFSUP_BIN}"`;
    terminal = new Terminal(
      pidFile === undefined
        ? `${cafsup}; echo "SORTIE=$?"; sleep 60`
        : `sh -c 'echo $$ > "${pidFile}"; exec ${cafsup}'; echo "SORTIE=$?"; echo "BRUT=$(stty -a | grep -c -- -icanon)"; sleep 60`,
      {
        ...(database === null ? {} : { CAFSUP_DB: database }),
        CAFSUP_CONFIG_DIR: env.CAFSUP_CONFIG_DIR!,
        TERM: 'xterm-256color',
        LANG: 'C.UTF-8',
        ...settings,
      },
      size,
    );
    return terminal;
  };

  beforeAll(() => {
    expect(sandbox.run(['demo']).status).toBe(0);
  });
  afterEach(() => terminal?.close());
  /** `check` on a copy of the demo file that another process holds locked, let go after. */
  const whileLocked = async (name: string, check: (locked: string) => Promise<void>) => {
    const locked = join(sandbox.dir, name);
    const holder = lockedCopy(sandbox.database, locked);
    try {
      await check(locked);
    } finally {
      holder.close();
    }
  };
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

  // Review 42b: a reason typed ahead of a dry run that ends the dialog (nothing to do, refused)
  // closed the result unread with its first letter and ran the rest as list commands: « R » then
  // « suspicion levée⏎o » on an active habilitation suspended it, reason « picion levée ».
  it('keys typed ahead of a dry run that ends the dialog are dropped, never run on the list; Échap leaves a choice; `/critique` on the alerts', async () => {
    const terminal = open({ columns: 120, rows: 40 });
    await terminal.waitFor('Quotas dépassés');
    terminal.send(':partenaire amp\r3jjjjj');
    await terminal.waitFor(/›amp-h0006 .* active /);
    terminal.send('Rsuspicion levée\ro');
    await terminal.waitFor('habilitation non suspendue');
    // The same keys reaching the result in a later read (slow SSH), after those held were
    // dropped: its letters are no « close » (`s` closed it, the next `s` opened « Suspendre »,
    // the rest its reason and « o »); Entrée closes it, and `?` is the list's again.
    terminal.send('suspicion levée\ro?');
    expect(await terminal.waitFor('Aide — ')).not.toContain('Suspendre');
    terminal.press('Escape');
    const list = await terminal.waitFor(/›amp-h0006 .* active /);
    expect(list).not.toContain('Suspendre');
    const traces = sandbox.json(['traces', '--partner', 'amp']).traces as { targetId: string }[];
    expect(traces.filter((trace) => trace.targetId === 'amp-h0006')).toEqual([]);
    // A question with choices (the avenant's kind of change) is cancelled by Échap, as it says.
    terminal.send('a');
    await terminal.waitFor('Titre de l’avenant');
    terminal.send('Quotas 2027\r');
    await terminal.waitFor('Fixer un quota');
    terminal.press('Escape');
    await terminal.waitFor(/h accorder/);
    // The alerts' filter finds the words their table shows: `/critique` keeps the critical ones.
    terminal.send(':alertes\r/critique\r');
    await terminal.waitFor(/Alertes \(([1-9][\d\u202f]*)\) · \1 critiques/);
    terminal.press('C-c');
    await terminal.waitFor('SORTIE=130');
  });

  // Review 42b, L3: tmux gave back the shell's screen with the dialog's frame below its lines.
  it('leaves nothing of a dialog on the shell’s screen after the window grew and Ctrl-C', async () => {
    const terminal = open();
    await terminal.waitFor('Quotas dépassés');
    terminal.send(':partenaire amp\r3s');
    await terminal.waitFor('Motif (obligatoire');
    terminal.resize({ columns: 120, rows: 40 });
    // The dialog laid out again at the new width.
    await terminal.waitFor(/│ {100,}│/);
    terminal.press('C-c');
    const after = await terminal.waitFor('SORTIE=130');
    expect(after).not.toContain('│');
  });

  it('Échap then s in one write closes the alert’s detail and suspends what it names (not Alt-s, both lost)', async () => {
    const terminal = open({ columns: 120, rows: 40 });
    await terminal.waitFor('Quotas dépassés');
    terminal.send(':alertes\r/mission\r\r');
    await terminal.waitFor('Entrée aller à la ligne');
    terminal.send('\u001bs');
    await terminal.waitFor('Motif (obligatoire');
    // Échap then `/` in one write: the dialog closes and the filter is edited again (Ink dropped that ESC unmarked).
    terminal.send('\u001b/');
    await terminal.waitFor('/ mission');
    terminal.press('C-c');
    await terminal.waitFor('SORTIE=130');
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

  // A colour code in a paste, a terminal's reports (cursor position, focus): Ink 6 ended the
  // interface on some (« Cannot read properties of undefined », exit 70) and typed others as text.
  it('takes an escape sequence that names no key as nothing, amid a burst of keys', async () => {
    const terminal = open({ columns: 200, rows: 60 });
    await terminal.waitFor('Quotas dépassés');
    terminal.send('\u001b[0m\u001b[6n:parte\u001b[31mnaire amp\u001b[I\r4jj\u001b[1;5Pj\u001b\u001b[1;5Pjj\u001b[5n');
    await terminal.waitFor(/›\S.* amp-u006 /);
    terminal.press('C-c');
    await terminal.waitFor('SORTIE=130');
  });

  // A file this account may not write, and one `cafsup migrate` copied into PostgreSQL, which
  // refuses every write: its action keys were offered all the same, each refused once pressed (review 41b).
  it.each([
    ['a read-only file', (copy: string) => chmodSync(copy, 0o444)],
    [
      'a file copied into PostgreSQL',
      (copy: string) => {
        const file = new Database(copy);
        const moved = { to: 'postgres://caf78@db/cafsup', at: new Date().toISOString(), head: 1 };
        file.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('moved_to', JSON.stringify(moved));
        file.close();
      },
    ],
  ] as const)('on %s: « lecture seule » and no action key', async (name, make) => {
    const copy = join(sandbox.dir, `${name.replaceAll(' ', '-')}.db`);
    copyFileSync(sandbox.database, copy);
    make(copy);
    const terminal = open(undefined, copy);
    await terminal.waitFor('lecture seule');
    terminal.send(':partenaire amp\r3js');
    await terminal.waitFor(/›amp-h0002 /);
    terminal.send('?');
    const help = await terminal.waitFor('Aide — Fiche partenaire (lecture seule');
    expect(help).not.toContain('suspendre');
  });

  // A write waiting for a lock held elsewhere said « enregistrement… » alone until the transport gave up (review 42b, M5).
  it('says a write waits for the database held elsewhere, then makes it once the database is free', async () => {
    const copy = join(sandbox.dir, 'tenue.db');
    copyFileSync(sandbox.database, copy);
    const terminal = open({ columns: 120, rows: 40 }, copy);
    await terminal.waitFor('Quotas dépassés');
    terminal.send(':partenaire amp\r3');
    await terminal.waitFor(/›amp-h0001 /);
    terminal.send('s');
    await terminal.waitFor('Motif (obligatoire');
    terminal.send('Vérification en cours\r');
    await terminal.waitFor('confirmer ? (o/n)');
    // Another process takes the write lock, as a long import or a backup would.
    const holder = new Database(copy);
    holder.exec('BEGIN IMMEDIATE');
    try {
      terminal.send('o');
      await terminal.waitFor('enregistrement… la base tarde à répondre (occupée ailleurs ?)');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await terminal.waitFor(/Fait\. Trace n° \d+/);
    terminal.send('\u0003');
    await terminal.waitFor('SORTIE=130');
  });

  // tui.md, « Exports of the current view »: `e` was not there (review 42b).
  it('e writes the list on screen, its filter applied, as a French CSV or a workbook, never over a file', async () => {
    const terminal = open({ columns: 160, rows: 40 });
    await terminal.waitFor('Quotas dépassés');
    terminal.send('a/critique\r');
    await terminal.waitFor(/›critique /);
    const path = join(sandbox.dir, 'alertes-critiques.csv');
    terminal.send('e');
    await terminal.waitFor('Écrire la liste dans (.csv ou .xlsx');
    terminal.send(`\u0015${path}\r`);
    const written = await terminal.waitFor(/(\d+) lignes? écrites? dans/);
    const count = Number(/(\d+) lignes? écrites? dans/.exec(written)![1]);
    const lines = readFileSync(path, 'utf8')
      .split('\r\n')
      .filter((line) => line !== '');
    expect(lines[0]!.startsWith('\ufeff')).toBe(true);
    expect(lines.length - 1).toBe(count);
    expect(count).toBeGreaterThan(0);
    // Only the rows the filter kept: each is a critical one.
    expect(lines.slice(1).every((line) => line.includes('critique'))).toBe(true);
    terminal.send(`e\u0015${path}\r`);
    await terminal.waitFor(`Le fichier ${path} existe déjà`);
    const workbook = join(sandbox.dir, 'alertes.xlsx');
    terminal.send(`e\u0015${workbook}\r`);
    await terminal.waitFor(`${count} lignes écrites dans ${workbook}`);
    expect(readFileSync(workbook).subarray(0, 2).toString('latin1')).toBe('PK');
    // A folder where no file can be made: said in French, as the CLI's exports say it.
    terminal.send('e\u0015/proc/cafsup-essai.csv\r');
    await terminal.waitFor('Écriture impossible : /proc/cafsup-essai.csv');
    // Back to the dashboard, then quit.
    terminal.send('qq');
    await terminal.waitFor('SORTIE=0');
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

  // Ctrl-C waited for the store's thread, in SQLite's wait for the lock (up to 15 s), and the
  // process then aborted: « FATAL ERROR: v8::ToLocalChecked », exit 134 (trial 26, H1).
  it('Ctrl-C quits at once with 130 while another process holds the file’s lock', () =>
    whileLocked('verrouillee.db', async (locked) => {
      const terminal = open(undefined, locked);
      await terminal.waitFor('en attente… (Échap pour annuler)');
      const pressed = Date.now();
      terminal.press('C-c');
      const after = await terminal.waitFor('SORTIE=130');
      expect(Date.now() - pressed).toBeLessThan(5_000);
      expect(after).not.toContain('FATAL');
    }));

  // `process.exit` ended the store's threads inside SQLite's wait for the lock: exit 134 in 5 of 8
  // runs (trial 27, H1). The signal now ends the process itself, once the screen is given back.
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s ends it at once, by the signal (%i), while another process holds the file’s lock', (signal, code) =>
    whileLocked(`verrouillee-${signal}.db`, async (locked) => {
      const pidFile = join(sandbox.dir, `${signal}.pid`);
      const terminal = open(undefined, locked, { CAFSUP_ACTOR: actor }, pidFile);
      await terminal.waitFor('en attente… (Échap pour annuler)');
      const sent = Date.now();
      process.kill(Number(readFileSync(pidFile, 'utf8')), signal);
      const after = await terminal.waitFor(/BRUT=\d/);
      expect(Date.now() - sent).toBeLessThan(5_000);
      expect(after).toContain(`SORTIE=${code}`);
      // Not left raw: a signal's own end does not reset the terminal (review 27b).
      expect(after).toContain('BRUT=0');
      expect(after).not.toContain('FATAL');
      expect(after).not.toContain('en attente');
    }),
  );

  // The store's threads were ended inside SQLite's wait for the lock, and better-sqlite3 then
  // aborted the process: « FATAL ERROR: v8::ToLocalChecked », exit 134 (trial 26, H1).
  it('Échap then q quit at once with 0 while another process holds the file’s lock', () =>
    whileLocked('verrouillee-q.db', async (locked) => {
      const terminal = open(undefined, locked);
      await terminal.waitFor('en attente… (Échap pour annuler)');
      terminal.press('Escape');
      await terminal.waitFor('Chargement annulé');
      const pressed = Date.now();
      terminal.press('q');
      const after = await terminal.waitFor('SORTIE=0');
      expect(Date.now() - pressed).toBeLessThan(5_000);
      expect(after).not.toContain('FATAL');
    }));

  // Against a server that never answers, only Ctrl-C left the transport's 30 s (trial 25, M2).
  it('an opening that waits says « en attente… (Échap pour annuler) », and Échap gives it up: exit 6 and why', async () => {
    // Takes the connection and never answers.
    const sockets: Socket[] = [];
    const mute = createServer((socket) => void sockets.push(socket));
    mute.listen(0, '127.0.0.1');
    await once(mute, 'listening');
    try {
      const url = `http://127.0.0.1:${(mute.address() as AddressInfo).port}`;
      const terminal = open(undefined, null, { CAFSUP_ACTOR: actor, CAFSUP_URL: url, CAFSUP_TOKEN: 'cafsup_jeton' });
      const waiting = await terminal.waitFor('en attente… (Échap pour annuler)');
      expect(waiting).toContain('◆ ouverture de la base…');
      const escaped = Date.now();
      terminal.press('Escape');
      const after = await terminal.waitFor('SORTIE=6');
      // At once, not at the transport's 30 s (a second for the request left behind to be dropped).
      expect(Date.now() - escaped).toBeLessThan(10_000);
      expect(after.replace(/\s+/g, ' ')).toContain(
        `Ouverture abandonnée (Échap) : ${url} n’avait pas encore répondu ; vérifiez-le (cafsup whoami), puis relancez cafsup.`,
      );
      expect(after).not.toContain('Erreur interne');
    } finally {
      for (const socket of sockets) socket.destroy();
      mute.close();
    }
  });
});
