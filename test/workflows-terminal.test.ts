import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { workbook } from '../packages/tui/src/cli/xlsx.js';
import { CAFSUP_BIN, CliSandbox } from './support/cli.js';
import { Terminal } from './support/terminal.js';

// The supervision workflows (workflows.md) in a real terminal: the interface's dialogs on the
// demo data, and `cafsup request add`'s field-by-field prompts. Keys go in bursts; every step
// waits for the screen it expects, with a deadline; the outcome is read back with the CLI.

const ACTOR = 'Camille Roux <camille.roux@caf78.fr>';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Habilitation {
  id: string;
  userId: string | null;
  profile: string;
  status: string;
  endsAt: string | null;
}

describe('the workflow dialogs of the interface, in tmux at 80×24', () => {
  const sandbox = new CliSandbox();
  let terminal: Terminal | undefined;
  const open = (command = `'${process.execPath}' '${CAFSUP_BIN}'`) => {
    const env = sandbox.env();
    terminal = new Terminal(`${command}; echo "SORTIE=$?"; sleep 60`, {
      CAFSUP_DB: sandbox.database,
      CAFSUP_CONFIG_DIR: env.CAFSUP_CONFIG_DIR!,
      CAFSUP_ACTOR: ACTOR,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
    });
    return terminal;
  };
  const habilitations = (partnerId: string): Habilitation[] => sandbox.json(['habilitations', partnerId]).habilitations;
  const request = (partnerId: string, number: number) => sandbox.json(['request', 'show', partnerId, String(number)]);
  const lastRequest = (partnerId: string): number =>
    Math.max(...(sandbox.json(['request', 'list', partnerId]).requests as { number: number }[]).map((row) => row.number));

  beforeAll(() => {
    expect(sandbox.run(['demo']).status).toBe(0);
  });
  afterEach(() => terminal?.close());
  afterAll(() => sandbox.cleanup());

  it('records a habilitation request (mission temporaire) on Bavans, centralised, and applies it', async () => {
    const terminal = open();
    await terminal.waitFor('Quotas dépassés');
    terminal.send(':partenaire bavans\r');
    await terminal.waitFor('Convention n° GC 130');
    terminal.send('f');
    await terminal.waitFor('d formulaire');
    // The kind, then every field of the form and the received date, typed ahead in one burst.
    terminal.send('dj\rPaule Valade\rAgent d’accueil\rpaule.valade@bavans.fr\r25\r\rT4\rj\r2027-03-31\r2026-11-30\rLe maire\r');
    const preview = await terminal.waitFor('Motif (facultatif)');
    expect(preview).toContain('CDAP T4, département 25, mission temporaire jusqu’au 31/03/2027');
    terminal.send('\ro');
    await terminal.waitFor(/Fait\. Trace n° \d+/);
    terminal.send('\r');
    await terminal.waitFor(/n° \d+ demande individuelle d’habilitation, reçue le 30\/11\/2026 : reçue/);
    terminal.send('a');
    const applying = await terminal.waitFor('Motif (obligatoire');
    expect(applying).toMatch(/utilisateur créé : bavans-u\d+ Paule Valade/);
    terminal.send('Demande signée du maire, mission temporaire\r');
    await terminal.waitFor('confirmer ? (o/n)');
    terminal.send('o');
    await terminal.waitFor(/Fait\. Traces n° \d+, \d+/);

    expect(request('bavans', lastRequest('bavans'))).toMatchObject({
      kind: 'habilitation',
      status: 'applied',
      receivedAt: '2026-11-30',
      signatory: 'Le maire',
      decisionReason: 'Demande signée du maire, mission temporaire',
      form: { name: 'Paule Valade', function: 'Agent d’accueil', email: 'paule.valade@bavans.fr', departement: '25', temporary: true, endsAt: '2027-03-31' },
    });
    const user = sandbox.json(['users', 'bavans']).users.find((row: { email: string }) => row.email === 'paule.valade@bavans.fr');
    expect(habilitations('bavans').filter((row) => row.userId === user.id)).toMatchObject([{ profile: 'T4', status: 'active', endsAt: '2027-03-31' }]);
  });

  it('shows the refusal of a request with its rule and article, and refuses it with that reason', async () => {
    const form = { name: 'Jean Berthet', email: 'jean.berthet@bavans.fr', departement: '25', profile: 'T19', temporary: false, endsAt: null };
    expect(
      sandbox.run(['request', 'add', 'bavans', '--kind', 'habilitation', '--form', JSON.stringify(form), '--yes'], { env: { CAFSUP_ACTOR: ACTOR } }).status,
    ).toBe(0);
    const number = lastRequest('bavans');
    const before = habilitations('bavans').length;
    const terminal = open();
    await terminal.waitFor('Quotas dépassés');
    terminal.send(`:appliquer bavans ${number}\r`);
    const refused = await terminal.waitFor('Rien n’a été modifié');
    expect(refused.replace(/│/g, '').replace(/\s+/g, ' ')).toMatch(/Refusé : Profil T19 .*\(règle 16, .*bulletin d’adhésion, art\. 2/);
    terminal.send(`\r:refuser bavans ${number}\r`);
    const preview = await terminal.waitFor('Entrée seule : celui proposé');
    expect(preview).toContain('Appliquer cette demande serait refusé');
    terminal.send('\r');
    await terminal.waitFor('confirmer ? (o/n)');
    terminal.send('o');
    await terminal.waitFor(/Fait\. Trace n° \d+/);

    const decided = request('bavans', number);
    expect(decided.status).toBe('refused');
    // Listed by its status in French as by its code (cli.md: option values accept French words).
    for (const word of ['refusée', 'refused']) {
      expect(sandbox.json(['request', 'list', 'bavans', '--status', word]).requests.map((row: { number: number }) => row.number)).toContain(number);
    }
    expect(decided.decisionReason).toMatch(/^Profil T19 .*\(règle 16, .*bulletin d’adhésion, art\. 2/);
    expect(habilitations('bavans')).toHaveLength(before);
  });

  it('records returned review sheets, CSV then XLSX, and revokes their « non » rows after confirmation', async () => {
    const held = (partnerId: string) => habilitations(partnerId).filter((row) => row.status !== 'revoked');
    /** The kit as the partner returns it: « oui » everywhere but one « non » with its motive. */
    const returnedRows = (partnerId: string, refused: string): string[][] => {
      const file = join(sandbox.dir, `kit-${partnerId}.csv`);
      expect(sandbox.run(['review', 'kit', partnerId, '--csv', file]).status).toBe(0);
      const [header, ...rows] = readFileSync(file, 'utf8')
        .replace(/^\ufeff/, '')
        .split('\r\n')
        .filter((line) => line !== '')
        .map((line) => line.split(';'));
      const keep = header!.indexOf('À conserver (oui/non)');
      const motive = header!.indexOf('Motif');
      return [
        header!,
        ...rows.map((cells) =>
          cells.map((cell, index) => (index === keep ? (cells[0] === refused ? 'non' : 'oui') : index === motive && cells[0] === refused ? 'Parti' : cell)),
        ),
      ];
    };
    const record = async (partnerId: string, file: string, refused: string) => {
      const terminal = open();
      await terminal.waitFor('Quotas dépassés');
      terminal.send(`:revue ${partnerId}\r2026-11-30\rLe maire\r${file}\r`);
      const preview = await terminal.waitFor('Motif (facultatif)');
      expect(preview).toContain('Dévalidations demandées par la feuille');
      expect(preview).toContain(refused);
      expect(held(partnerId).map((row) => row.id)).toContain(refused);
      terminal.send('Feuille retournée signée\r');
      await terminal.waitFor('confirmer ? (o/n)');
      terminal.send('o');
      await terminal.waitFor(/Fait\. Traces n° \d+, \d+, \d+/);
      terminal.close();
      expect(habilitations(partnerId).find((row) => row.id === refused)?.status).toBe('revoked');
      return sandbox.json(['traces', '--partner', partnerId]).traces as { action: string; targetId: string; after: Record<string, unknown> | null }[];
    };

    const csvRefused = held('commune-venissieux')[0]!.id;
    const csvFile = join(sandbox.dir, 'revue-venissieux.csv');
    writeFileSync(
      csvFile,
      `\ufeff${returnedRows('commune-venissieux', csvRefused)
        .map((cells) => cells.join(';'))
        .join('\r\n')}\r\n`,
    );
    const csvTraces = await record('commune-venissieux', csvFile, csvRefused);
    expect(csvTraces.find((trace) => trace.action === 'review.sheet')?.after).toMatchObject({ sha256: sha256(readFileSync(csvFile)), revoke: 1 });
    expect(csvTraces.find((trace) => trace.action === 'habilitation.revoke')?.targetId).toBe(csvRefused);

    const xlsxRefused = held('justice-libourne')[1]!.id;
    const xlsxFile = join(sandbox.dir, 'revue-libourne.xlsx');
    writeFileSync(xlsxFile, await workbook([{ name: 'Revue inverse', rows: returnedRows('justice-libourne', xlsxRefused) }]));
    const xlsxTraces = await record('justice-libourne', xlsxFile, xlsxRefused);
    expect(xlsxTraces.find((trace) => trace.action === 'review.sheet')?.after).toMatchObject({ revoke: 1 });
    expect(xlsxTraces.find((trace) => trace.action === 'habilitation.revoke')?.targetId).toBe(xlsxRefused);
    const reviews = sandbox.json(['review', 'list', 'justice-libourne']).reviews as { completedAt: string; proof: string }[];
    expect(reviews.find((review) => review.completedAt === '2026-11-30')?.proof).toBe(
      `feuille de revue retournée (revue-libourne.xlsx), SHA-256 ${sha256(readFileSync(xlsxFile))}`,
    );
  });

  it('sends a mise en demeure from the supervision screen, with the ladder’s proposed step and the failings', async () => {
    const terminal = open();
    await terminal.waitFor('Quotas dépassés');
    terminal.send(':suivi amp\r');
    await terminal.waitFor('m mise en demeure');
    terminal.send('m2026-11-20\r2026-11-18\r');
    const preview = await terminal.waitFor('Motif (obligatoire');
    expect(preview).toContain('Échelle d’escalade — Prochaine étape');
    expect(preview).toContain('Mise en demeure reçue le 20/11/2026');
    terminal.send('Quota T13 dépassé malgré la question\r');
    await terminal.waitFor('confirmer ? (o/n)');
    terminal.send('o');
    await terminal.waitFor(/Fait\. Trace n° \d+/);

    expect(sandbox.json(['partners']).partners.find((partner: { id: string }) => partner.id === 'amp').conventionStatus).toBe('notice');
    const trace = (sandbox.json(['traces', '--partner', 'amp']).traces as { action: string; reason: string }[])[0]!;
    expect(trace.reason).toBe('Quota T13 dépassé malgré la question');
  });

  it('creates a user from the Utilisateurs tab and grants them a habilitation on Bavans, centralised, without a form', async () => {
    const terminal = open();
    await terminal.waitFor('Quotas dépassés');
    terminal.send(':partenaire bavans\r');
    await terminal.waitFor('Convention n° GC 130');
    terminal.send('4');
    await terminal.waitFor(/›.*bavans-u\d+/);
    // Every field in one burst: Entrée alone takes the proposed role and leaves the optional fields empty.
    terminal.send('nNoé Garnier\rnoe.garnier@bavans.fr\r\r\r25\r\r');
    const created = await terminal.waitFor('Motif (obligatoire');
    expect(created).toMatch(/Créerait : bavans-u\d+ Noé Garnier <noe\.garnier@bavans\.fr>/);
    terminal.send('Agent recruté à l’accueil\r');
    await terminal.waitFor('confirmer ? (o/n)');
    terminal.send('o');
    await terminal.waitFor(/Fait\. Trace n° \d+/);
    const user = sandbox.json(['users', 'bavans']).users.find((row: { email: string }) => row.email === 'noe.garnier@bavans.fr');
    expect(user).toMatchObject({ name: 'Noé Garnier', role: 'user', departement: '25' });

    terminal.send(`\r:habilitation-nouvelle bavans\r${user.id}\r\rT1\r\r2027-03-31\r`);
    const granting = await terminal.waitFor('Motif (obligatoire');
    expect(granting).toContain(`CDAP T1 à ${user.id}, jusqu’au 31/03/2027`);
    terminal.send('Mission de remplacement à l’accueil\r');
    await terminal.waitFor('confirmer ? (o/n)');
    terminal.send('o');
    await terminal.waitFor(/Fait\. Trace n° \d+/);
    expect(habilitations('bavans').filter((row) => row.userId === user.id)).toMatchObject([{ profile: 'T1', status: 'active', endsAt: '2027-03-31' }]);
    const trace = (sandbox.json(['traces', '--partner', 'bavans']).traces as { targetId: string; reason: string }[])[0]!;
    expect(trace.reason).toBe('Mission de remplacement à l’accueil');
  });

  it('`cafsup request add` asks a deletion form field by field on a terminal, « perte ou vol » included', async () => {
    const terminal = open(`'${process.execPath}' '${CAFSUP_BIN}' request add bavans --kind deletion --received 2026-11-25`);
    await terminal.waitFor('Prénom NOM de la personne dont l’accès est à supprimer');
    // The prompts' own words in French: an empty answer refused, the keys of a choice.
    terminal.send('\r');
    await terminal.waitFor('réponse obligatoire');
    terminal.send('Hugo Durand\r');
    await terminal.waitFor('Adresse mél :');
    terminal.send('hugo.durand@bavans.fr\r');
    await terminal.waitFor('Fonction (facultatif) :');
    terminal.send('\r');
    await terminal.waitFor('Une autre personne ?');
    terminal.send('\r');
    await terminal.waitFor('Perte ou vol ?');
    await terminal.waitFor('↑↓ choisir • ⏎ valider');
    terminal.press('Down');
    await terminal.waitFor(/❯ oui/);
    terminal.send('\r');
    await terminal.waitFor('Date du départ');
    terminal.send('2026-11-20\r');
    const preview = await terminal.waitFor('Enregistrer ce formulaire ? (o/n)');
    expect(preview).toContain('suppression : Hugo Durand <hugo.durand@bavans.fr>');
    expect(preview).toContain('perte ou vol : oui ; départ le 20/11/2026');
    terminal.send('o\r');
    await terminal.waitFor('SORTIE=0');

    expect(request('bavans', lastRequest('bavans'))).toMatchObject({
      kind: 'deletion',
      status: 'received',
      receivedAt: '2026-11-25',
      form: { people: [{ name: 'Hugo Durand', email: 'hugo.durand@bavans.fr', function: null }], lossOrTheft: true, departedAt: '2026-11-20' },
      reportDelayDays: 5,
    });
  });

  // As every write: the reason asked after the look-up when not given (trial 21, F10: « Il manque --reason »), then the question.
  it('`cafsup token revoke` asks its reason on a terminal, then whose access it cuts', async () => {
    const created = sandbox.json(['token', 'create', 'Louis Garnier', '--email', 'louis.garnier@caf40.fr', '--role', 'auditeur', '--caf', '40', '--yes'], {
      env: { CAFSUP_ACTOR: ACTOR },
    });
    const terminal = open(`'${process.execPath}' '${CAFSUP_BIN}' token revoke ${created.id}`);
    await terminal.waitFor('Motif (5 caractères visibles au moins)');
    terminal.send('Poste perdu\r');
    await terminal.waitFor(/Révoquer le jeton n° \d+ de Louis Garnier <louis.garnier@caf40.fr> \(auditeur, Caf\s+40\) au nom de Camille Roux/);
    terminal.send('o\r');
    await terminal.waitFor('SORTIE=0');
    expect(sandbox.json(['token', 'list']).tokens.find((token: { id: number }) => token.id === created.id).revokedAt).not.toBeNull();
    expect(sandbox.json(['traces', '--limit', '1']).traces[0]).toMatchObject({ action: 'token.revoke', reason: 'Poste perdu' });
  });

  // Ctrl-D at the reason gave an empty one, refused as too short after the work was prepared (trial 25, L4).
  it('takes Ctrl-D at the reason for giving up: exit 4, nothing changed', async () => {
    const created = sandbox.json(['token', 'create', 'Léa Morel', '--email', 'lea.morel@caf40.fr', '--role', 'auditeur', '--caf', '40', '--yes'], {
      env: { CAFSUP_ACTOR: ACTOR },
    });
    const head = sandbox.json(['traces', 'verify']).head;
    const terminal = open(`'${process.execPath}' '${CAFSUP_BIN}' token revoke ${created.id}`);
    await terminal.waitFor('Motif (5 caractères visibles au moins)');
    terminal.press('C-d');
    const said = await terminal.waitFor('SORTIE=4');
    expect(said).toMatch(/Motif \(5 caractères visibles au moins\) :\s*\nAction annulée \(aucun motif\) : rien n’a été modifié\./);
    expect(said).not.toContain('Saisie invalide');
    expect(sandbox.json(['traces', 'verify']).head).toEqual(head);
    expect(sandbox.json(['token', 'list']).tokens.find((token: { id: number }) => token.id === created.id).revokedAt).toBeNull();
  });

  // « Valeur refusée pour actor », exit 5, before (trial 26, L3).
  it('takes Ctrl-D at « Qui agit ? » for giving up: exit 4, nothing saved, nothing changed', async () => {
    const head = sandbox.json(['traces', 'verify']).head;
    // CAFSUP_ACTOR emptied by the shell: no one is set, so the command asks.
    const terminal = open(`CAFSUP_ACTOR= '${process.execPath}' '${CAFSUP_BIN}' suspend --habilitation amp-h0005 --reason 'Contrôle du périmètre'`);
    await terminal.waitFor('Qui agit ?');
    terminal.press('C-d');
    const said = await terminal.waitFor('SORTIE=4');
    expect(said).toContain('Commande annulée (personne n’agit) : rien n’a été modifié.');
    expect(sandbox.json(['traces', 'verify']).head).toEqual(head);
    expect(sandbox.run(['config', 'get', 'actor']).stdout).not.toContain('@');
  });

  // A prompt library's own listener ended the process with the terminal left raw, without echo
  // or Ctrl-C, once no listener of cafsup's took SIGINT (review 27b).
  it.each(['INT', 'TERM'] as const)('gives the terminal back on SIG%s at a question, then ends by the signal', async (signal) => {
    const pidFile = join(sandbox.dir, `question-${signal}.pid`);
    const terminal = open(
      `sh -c 'echo $$ > "${pidFile}"; exec "${process.execPath}" "${CAFSUP_BIN}" avenant add amp'; echo "SORTIE=$?"; echo "BRUT=$(stty -a | grep -c -- -icanon)"`,
    );
    await terminal.waitFor('Titre de l’avenant');
    process.kill(Number(readFileSync(pidFile, 'utf8')), `SIG${signal}`);
    const said = await terminal.waitFor(/BRUT=\d/);
    expect(said).toContain(`SORTIE=${signal === 'INT' ? 130 : 143}`);
    expect(said).toContain('BRUT=0');
  });
});
