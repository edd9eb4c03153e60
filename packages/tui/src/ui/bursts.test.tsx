import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CafsupClient } from '@cafsup/sdk';
import { OpeningCancelled } from './App.js';
import { openDemo, type Demo } from './testing/demo-session.js';
import { KEYS } from './testing/render-app.js';

// tmux, SSH and fast typists deliver several keys in one read (pitfalls.md, second round): each
// scenario here writes its keys as ONE chunk, as such a terminal does, and every key must count.
describe('keys sent in one burst', () => {
  let demo: Demo;
  beforeEach(async () => {
    demo = await openDemo();
  });
  afterEach(() => demo.close());

  it('`:partenaire amp⏎` opens the sheet', async () => {
    demo.app.type(':partenaire amp\r');
    await demo.app.waitFor('Convention n° 2023/M/2907 — en vigueur');
    expect(demo.app.frame()).not.toContain('Commande inconnue');
  });

  it('`:date` in one write evaluates the dashboard at that date, said the French way', async () => {
    demo.app.type(':date 2026-01-01\r');
    const dated = await demo.app.waitFor('Tableau de bord — au 01/01/2026');
    expect(dated).toContain('✓ Évaluation au 01/01/2026');
    // A date out of the years taken, or none that exists, is named as such and changes nothing.
    for (const wrong of ['2300-01-01', '2026-02-30']) {
      demo.app.type(`:date ${wrong}\r`);
      // The status bar shows what its width holds of « attendu : AAAA-MM-JJ, date réelle entre 1900 et 2199 ».
      const refused = await demo.app.waitFor(`✗ Date refusée « ${wrong} » (attendu : AAAA-MM-JJ`);
      expect(refused).toContain('Tableau de bord — au 01/01/2026');
    }
    // « aujourd’hui », as it is written or typed with a straight apostrophe or none, goes back to today.
    for (const today of ['aujourd’hui', "aujourd'hui", 'aujourdhui']) {
      demo.app.type(':date 2026-01-01\r');
      await demo.app.waitFor('✓ Évaluation au 01/01/2026');
      demo.app.type(`:date ${today}\r`);
      await demo.app.waitFor((frame) => frame.includes('Évaluation à la date du jour') && !frame.includes('au 01/01/2026'));
    }
  });

  // An empty sheet offering its actions opened instead (trial 35).
  it('`:partenaire` with an id that does not exist stays where it was, and names the nearest ids', async () => {
    demo.app.type(':partenaire amq\r');
    const said = await demo.app.waitFor('✗ Partenaire introuvable : amq. Vouliez-vous dire « amp » ?');
    expect(said).toContain('Tableau de bord');
    expect(said).not.toContain('retirer la délégation');
  });

  // « 1e0 » was request 1, as the CLI took `avenant sign amp 1e3` for avenant 1000 (trial 35, review 36).
  it('reads the number of a `:` command in digits only', async () => {
    demo.app.type(':appliquer amp 1e0\r');
    await demo.app.waitFor('✗ Usage : :appliquer ID N');
  });

  it('`jjjjj` moves five rows, typed ahead of the list it moves in', async () => {
    demo.app.type(':partenaire amp\r3jjjjj');
    await demo.app.waitFor('›amp-h0006');
    // 22 rows: twenty more `j` stop on the last one, then two `k` go back up.
    demo.app.type('jjjjjjjjjjjjjjjjjjjjkk');
    await demo.app.waitFor('›amp-h0020');
  });

  it('a pasted reason lands whole, its Enter submits, and « o » confirms', async () => {
    demo.app.type(':partenaire amp\r3js');
    await demo.app.waitFor('Motif (obligatoire');
    demo.app.type('Département hors périmètre du bulletin d’adhésion\r');
    const confirm = await demo.app.waitFor('confirmer ?');
    expect(confirm).toContain('Motif : Département hors périmètre du bulletin d’adhésion — confirmer ?');
    demo.app.type('o');
    await demo.app.waitFor('Fait. Trace n°');
    expect((await demo.client.habilitations.get('amp-h0002')).status).toBe('suspended');
  });

  it('a whole action typed ahead of its dry run: keys wait for the dialog, in order', async () => {
    demo.app.type(':partenaire amp\r3jjs');
    demo.app.type('Doublon de compte\ro');
    await demo.app.waitFor('Fait. Trace n°');
    const trace = (await demo.client.traces.list({ partnerId: 'amp' })).items[0]!;
    expect(trace).toMatchObject({ action: 'habilitation.suspend', targetId: 'amp-h0003', reason: 'Doublon de compte' });
  });

  it('`/` filters in a tab, `*` selects every row of the filter, `s` acts on all of them', async () => {
    demo.app.type(':partenaire amp\r3/84\r*');
    const frame = await demo.app.waitFor('7 sélectionnées');
    const marked = frame.split('\n').filter((line) => line.startsWith('●'));
    expect(marked.map((line) => line.slice(2, 11))).toEqual(['amp-h0003', 'amp-h0006', 'amp-h0009', 'amp-h0012', 'amp-h0015', 'amp-h0018', 'amp-h0021']);
    demo.app.type('s');
    const dialog = await demo.app.waitFor('Motif (obligatoire');
    expect(dialog).toContain('Suspendre 7 habilitations');
  });
});

describe('keys typed while the store opens', () => {
  let open: () => void = () => undefined;
  let demo: Demo;
  beforeEach(async () => {
    demo = await openDemo({ opened: new Promise((resolve) => (open = resolve)) });
    await demo.app.waitFor('◆ ouverture de la base…');
  });
  afterEach(() => demo.close());

  it('draw the dashboard’s frame at once, then reach the first screen in order', async () => {
    expect(demo.app.frame()).toContain('Tableau de bord');
    demo.app.type(':partenaire amp\r3jjjjj');
    // Typed ahead of the store: nothing acts on them yet.
    await new Promise((resolve) => setImmediate(resolve));
    expect(demo.app.frame()).toContain('◆ ouverture de la base…');
    open();
    await demo.app.waitFor('›amp-h0006');
    expect(demo.app.frame()).not.toContain('Commande inconnue');
  });

  it('an opening that takes long says « en attente… (Échap pour annuler) »; Échap then gives it up, whatever keys were typed before', async () => {
    const ended = demo.app.exited().then(
      () => null,
      (error: unknown) => error,
    );
    // Typed before the wait is said: held for the first screen.
    demo.app.type(':partenaire');
    await demo.app.waitFor('en attente… (Échap pour annuler)');
    expect(demo.app.frame()).toContain('◆ ouverture de la base…');
    // Not held behind them (review 26: only Ctrl-C then ended the wait).
    await demo.app.press(KEYS.escape);
    expect(await ended).toBeInstanceOf(OpeningCancelled);
  });

  it('Échap alone, once the wait is said, gives up the opening', async () => {
    const ended = demo.app.exited().then(
      () => null,
      (error: unknown) => error,
    );
    await demo.app.waitFor('en attente… (Échap pour annuler)');
    await demo.app.press(KEYS.escape);
    // The command then says why, exit 6 (test/interface.test.ts, against a server that never answers).
    expect(await ended).toBeInstanceOf(OpeningCancelled);
    // Given up, not quit: no exit code of the interface's own (q, Ctrl-C).
    expect(demo.exitCodes).toEqual([]);
  });

  it('Ctrl-C does not wait for the store', async () => {
    demo.app.type('j');
    await demo.app.press(KEYS.ctrlC);
    await demo.app.until(() => demo.exitCodes.length > 0);
    expect(demo.exitCodes).toEqual([130]);
  });
});

describe('acting where one looks', () => {
  let demo: Demo;
  let client: CafsupClient;
  beforeEach(async () => {
    demo = await openDemo();
    client = demo.client;
  });
  afterEach(() => demo.close());

  it('`s` on an alert suspends the habilitation it names, with names in the French preview', async () => {
    demo.app.type('a/amp-h0002\r');
    await demo.app.waitFor('Alertes (1)');
    demo.app.type('s');
    const preview = await demo.app.waitFor('Motif (obligatoire');
    expect(preview).toContain('Suspendre 1 habilitation');
    expect(preview).toContain('amp-h0002 (Jade Roussel, CDAP T13, 06) : statut : active → suspendue');
    expect(preview).not.toMatch(/suspended|status/);
  });

  it('the excess holders of a quota, through groups too, and their bulk dialog from the Quotas tab', async () => {
    demo.app.type(':partenaire amp\r2');
    const quotas = await demo.app.waitFor('par amp-h0021');
    expect(quotas).toContain('EXCÉDENT Manon Guérin (amp-u032) — par groupe Instructeurs FSL');
    demo.app.type('E');
    const dialog = await demo.app.waitFor('Motif (obligatoire');
    expect(dialog).toContain('Suspendre 3 utilisateurs — titulaires en excédent du quota CDAP T13');
    expect(dialog).toContain('amp-u032 (Manon Guérin,');
  });

  it('Entrée on a person shows their groups, habilitations and alerts', async () => {
    demo.app.type(':partenaire amp\r4/amp-u032\r');
    await demo.app.waitFor('›Manon Guérin');
    demo.app.type('\r');
    const detail = await demo.app.waitFor('Habilitations (');
    expect(detail).toContain('Groupes (1) : Instructeurs FSL');
    expect(detail).toContain('par le groupe Instructeurs FSL');
  });

  it('`:cherche` at 200 columns finds people across partners with the rights they still hold, and Entrée goes there', async () => {
    await demo.close();
    demo = await openDemo({ size: { columns: 200, rows: 60 } });
    demo.app.type(':cherche guérin\r');
    const found = await demo.app.waitFor((frame) => /personne +Manon Guérin +amp-u032 /.test(frame));
    expect(found).toMatch(/Manon Guérin +amp-u032 .*manon\.guerin@.* · détient amp-h0022 CDAP T13 par le groupe Instructeurs FSL/);
    demo.app.type('j\r');
    await demo.app.waitFor('›Manon Guérin');
  });

  it('notices a change made by someone else', async () => {
    await demo.close();
    demo = await openDemo({ refreshEveryMs: 50 });
    client = demo.client;
    demo.app.type(':partenaire amp\r3');
    await demo.app.waitFor('amp-h0001');
    await client.habilitations.suspend(['amp-h0001'], { reason: 'Suspendue par un collègue' });
    await demo.app.waitFor((frame) => /amp-h0001 .*suspendue/.test(frame));
  });

  it('`r` reloads', async () => {
    // No look for changes during the test: only `r` can show the other writer's change.
    await demo.close();
    demo = await openDemo({ refreshEveryMs: 3_600_000 });
    client = demo.client;
    demo.app.type(':partenaire amp\r3');
    await demo.app.waitFor('amp-h0001');
    await client.habilitations.suspend(['amp-h0001'], { reason: 'Suspendue par un collègue' });
    demo.app.type('r');
    await demo.app.waitFor((frame) => /amp-h0001 .*suspendue/.test(frame));
  });
});

describe('a slow server', () => {
  it('shows « en attente… (Échap pour annuler) », keeps the keys alive, and Échap cancels', async () => {
    let stalled = false;
    const demo = await openDemo({
      // The audit (the alerts, the partners' counts) never answers once stalled, as a locked store or a dead server would.
      wrap: (client) => {
        const never = () => new Promise(() => undefined);
        return new Proxy(client, { get: (target, name) => (name === 'audit' && stalled ? { run: never, counts: never } : Reflect.get(target, name)) });
      },
    });
    stalled = true;
    demo.app.type('a');
    await demo.app.waitFor('en attente… (Échap pour annuler)');
    await demo.app.press(KEYS.escape);
    await demo.app.waitFor('Chargement annulé');
    demo.app.type('?');
    await demo.app.waitFor('Aide — Alertes');
    await demo.app.press(KEYS.escape);
    demo.app.type(':partenaires\r');
    await demo.app.waitFor((frame) => frame.includes('Partenaires (0)') && frame.includes('en attente…'));
    demo.app.type(KEYS.ctrlC);
    await demo.app.until(() => demo.exitCodes.length > 0);
    expect(demo.exitCodes).toEqual([130]);
    await demo.close();
  });
});
