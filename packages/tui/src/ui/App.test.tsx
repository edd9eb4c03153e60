import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type CafsupClient } from '@cafsup/sdk';
import { buildDemoDataset } from '../demo/demo-data.js';
import { App } from './App.js';
import { KEYS, renderApp, type RenderedApp } from './testing/render-app.js';

const TODAY = '2026-11-22';
const ACTOR = { name: 'Camille Roux', email: 'camille.roux@caf78.fr' };

describe('the interface at 80×24 on the demo data', () => {
  let dir: string;
  let client: CafsupClient;
  let app: RenderedApp;
  let exitCodes: number[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cafsup-ui-'));
    const now = new Date(`${TODAY}T10:00:00Z`);
    client = createClient({ database: join(dir, 'ui.db'), actor: ACTOR, now: () => now });
    await client.dataset.import(buildDemoDataset({ partners: 8, today: TODAY }), { reason: 'Jeu de démonstration des tests' });
    exitCodes = [];
    app = renderApp(<App session={{ client, source: 'ui.db', actor: ACTOR, canWrite: true, today: TODAY }} onExit={(code) => exitCodes.push(code)} />);
    await app.waitFor('Quotas dépassés');
  });

  afterEach(async () => {
    app.unmount();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens on the dashboard, one row short of the terminal', () => {
    expect(app.frame()).toMatchInlineSnapshot(`
      "Tableau de bord — au 22/11/2026
      Caf 13, 25, 33, 40, 59, 69, 78, 95 · 8 partenaires · 136 utilisateurs · 124 hab…
      Alertes :  !! 5 critique  ! 12 élevée  ~ 14 moyenne  . 16 faible

      Quotas dépassés (1)
        amp                                    CDAP T13       23/20  DÉPASSÉ +3
      Revues inverses dues d’ici 30 jours ou en retard (2)
        saint-leu                                en retard depuis le 14/05/2019
        macs                                     en retard depuis le 22/08/2026












      p partenaires · a alertes · t traces · : commande · ? aide · q quitter
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr>  ? aide"
    `);
    expect(app.frame().split('\n')).toHaveLength(23);
  });

  it('lists partners, filters with / and sorts with o', async () => {
    await app.press('p');
    await app.waitFor('Partenaires (8)');
    expect(app.frame()).toMatchInlineSnapshot(`
      "Partenaires (8) · tri : nom
        Partenaire                    Caf Convention Mode          Places Alertes
       ›CCAS de Roubaix               59  2024/59/0… centralisé       0/0 1C 2E 5M 7F
        Communauté de communes Marem… 40  2019/40/0… délégué         6/10 1E 3M 1F
        Mairie de Bavans              25  GC 130     centralisé       3/6 3E
        Mairie de Mérignac            33  2022/33/0… délégué          0/0 1C
        Mairie de Saint-Leu-la-Forêt  95  144        délégué          4/5 1C 2E 3M 3F
        Métropole d’Aix-Marseille-Pr… 78  2023/M/29… délégué       !23/20 1C 2E
        Office public de l’habitat d… 69  2021/69/0… délégué        20/22 —
        Service pénitentiaire d’inse… 13  2021/13/0… centralisé     13/15 1C 2E 3M 5F











      Entrée ouvrir · / filtrer · o trier · w retirer la délégation · a avenant · v r…
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr>  ? aide"
    `);
    await app.press('/', ...'saint', KEYS.enter);
    await app.waitFor('Partenaires (1 sur 8)');
    expect(app.frame()).toContain('Mairie de Saint-Leu-la-Forêt');
    expect(app.frame()).not.toContain('Mairie de Bavans');
    await app.press('/', KEYS.escape);
    await app.waitFor('Partenaires (8)');
    await app.press('o');
    await app.waitFor('tri : alertes');
  });

  it('opens a partner, shows quotas as bars and marks the excess holders', async () => {
    await app.press(':', ...'partenaire amp', KEYS.enter);
    await app.waitFor('Convention n° 2023/M/2907 — en vigueur');
    expect(app.frame()).toMatchInlineSnapshot(`
      "Métropole d’Aix-Marseille-Provence (amp) — Caf 78
      [1:Synth.] 2:Quotas 3:Habil. 4:Util. 5:Alertes 6:Avenants 7:Revues 8:Traces
      Convention n° 2023/M/2907 — en vigueur
      Signée le 21/03/2023 · renouvellement tacite le 21/03/2027
      Gestion des habilitations : délégué
      Dernière revue inverse : 22/06/2026
      Alertes : 1C 2E (C critique, E élevée, M moyenne, F faible)
      Caf des Yvelines — 7 rue des Étangs Gobert, CS 90100, 78011 Versailles Cedex
      Centre de services : mcp-national@caf78.caf.fr, 8h30-17h00
      Procédure d’escalade, en l’absence de réponse ou en cas d’urgence :
        Caf 1. Hélène Vasseur, Coordinatrice Mon Compte Partenaire (helene.vasseur@ca…
        Caf 2. Olivier Brun, Responsable Secteur Mon Compte Partenaire (olivier.brun@…
        partenaire 1. Louis Rousseau, Responsable FSL (louis.rousseau@ampmetropole.fr)
        partenaire 2. Inès Perrin, Directeur Cohésion Sociale (ines.perrin@ampmetropo…
      Partenaire · administrateur : Louis Rousseau <louis.rousseau@ampmetropole.fr>
      Partenaire · suppléant : Inès Perrin <ines.perrin@ampmetropole.fr>
      Partenaire · gestionnaire : Louis Rousseau <louis.rousseau@ampmetropole.fr>
      Partenaire · gestionnaire : Inès Perrin <ines.perrin@ampmetropole.fr>
      Caf · sécurité (RSSI) : Sécurité des systèmes d’information de la Caf <ssi@caf7…


      Tab/1-8 onglets · w retirer la délégation · a avenant · v revue · ? aide
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr>  ? aide"
    `);
    await app.press('2');
    await app.waitFor('DÉPASSÉ +3');
    expect(app.frame()).toMatchInlineSnapshot(`
      "Métropole d’Aix-Marseille-Provence (amp) — Caf 78
      1:Synth. [2:Quotas] 3:Habil. 4:Util. 5:Alertes 6:Avenants 7:Revues 8:Traces
      ›CDAP T13   ██████████████████████████▓▓▓▓ 23/20 (actifs 22) DÉPASSÉ +3
                  Commissions FSL (Fonds de solidarité pour le logement) · dép. 13 83…

















      Tab/1-8 onglets · w retirer la délégation · a avenant · v revue · ? aide
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr>  ? aide"
    `);
    await app.press('3');
    await app.waitFor('amp-h0001');
    await app.press('G');
    await app.waitFor('›amp-h0022');
    const excess = app.frame().split('\n').filter((line) => line.includes('EXCÉDENT'));
    expect(excess.map((line) => line.trim().split(/\s+/)[0])).toEqual(['amp-h0021']);
  });

  it('suspends a habilitation: dry run, reason, o/n, then the trace', async () => {
    await app.press(':', ...'partenaire amp', KEYS.enter, '3');
    await app.waitFor('amp-h0001');
    await app.press('j', 's');
    await app.waitFor('Motif (obligatoire');
    expect(app.frame()).toContain('amp-h0002 : statut active → suspendue');
    await app.press(...'ok', KEYS.enter);
    await app.waitFor('motif trop court');
    await app.press(KEYS.backspace, KEYS.backspace, ...'Département hors périmètre', KEYS.enter);
    await app.waitFor('confirmer ? (o/n)');
    expect((await client.habilitations.get('amp-h0002')).status).toBe('active');
    await app.press('o');
    const done = await app.waitFor('Fait. Trace(s) n°');
    const traceId = Number(/Trace\(s\) n° (\d+)/.exec(done)![1]);
    const trace = (await client.traces.list({ partnerId: 'amp' })).items.find((item) => item.id === traceId);
    expect(trace).toMatchObject({ action: 'habilitation.suspend', targetId: 'amp-h0002', reason: 'Département hors périmètre', actor: ACTOR });
    await app.press('x');
    await app.waitFor((frame) => frame.includes('amp-h0002') && frame.includes('suspendue') && !frame.includes('Fait.'));
  });

  it('answers « n » by writing nothing', async () => {
    await app.press(':', ...'partenaire macs', KEYS.enter, '4');
    await app.waitFor('macs-u001');
    await app.press('p');
    await app.waitFor('Motif (obligatoire');
    await app.press(...'Mot de passe partagé', KEYS.enter, 'n');
    await app.waitFor((frame) => !frame.includes('confirmer'));
    expect((await client.users.get('macs-u001')).mustChangePassword).toBe(false);
    expect((await client.traces.list({ partnerId: 'macs' })).items).toHaveLength(0);
  });

  it('builds an avenant with typed changes and signature dates', async () => {
    await app.press(':', ...'partenaire macs', KEYS.enter);
    await app.waitFor('Convention n° 2019/40/037');
    await app.press('a');
    await app.waitFor('Titre de l’avenant');
    await app.press(...'Avenant 1 : T1 porté à 8', KEYS.enter);
    await app.waitFor('Modification n° 1');
    await app.press(KEYS.enter, KEYS.enter, ...'T1', KEYS.enter, '8', KEYS.enter, KEYS.enter);
    await app.waitFor('Ajouter une autre modification ?');
    await app.press(KEYS.down, KEYS.enter);
    await app.waitFor('Modification n° 2');
    await app.press(...Array.from({ length: 6 }, () => KEYS.down), KEYS.enter, ...'Contact du centre de services mis à jour', KEYS.enter, KEYS.enter);
    await app.waitFor('Signé par la Caf le');
    await app.press(...TODAY, KEYS.enter, ...TODAY, KEYS.enter, KEYS.enter);
    await app.waitFor('Motif (facultatif)');
    expect(app.frame()).toContain('quota CDAP T1 fixé à 8 utilisateurs');
    expect(app.frame()).toContain('note : Contact du centre de services mis à jour');
    await app.press(KEYS.enter, 'o');
    await app.waitFor('Fait. Trace(s) n°');
    const [avenant] = await client.avenants.list('macs', { asOf: TODAY });
    expect(avenant).toMatchObject({
      number: 1,
      title: 'Avenant 1 : T1 porté à 8',
      signedByCafAt: TODAY,
      signedByPartnerAt: TODAY,
      applies: true,
      changes: [
        { type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: 8 },
        { type: 'note', text: 'Contact du centre de services mis à jour' },
      ],
    });
    expect((await client.quotas.usage({ partnerId: 'macs', asOf: TODAY })).quotas.find((quota) => quota.profile === 'T1')?.maxUsers).toBe(8);
  });

  it('goes from an alert to the partner and the row concerned', async () => {
    await app.press('a');
    await app.waitFor('Alertes (');
    const lines = app.frame().split('\n');
    const target = lines.findIndex((line) => line.includes('Habilitation amp-h0002'));
    expect(target).toBeGreaterThan(1);
    await app.press(...Array.from({ length: target - 2 }, () => 'j'), KEYS.enter);
    await app.waitFor('›amp-h0002');
  });

  it('lists every key of the current screen with ?', async () => {
    await app.press('p', '?');
    await app.waitFor('Aide — Partenaires');
    expect(app.frame()).toMatchInlineSnapshot(`
      "╭──────────────────────────────────────────────────────────────────────────────╮
      │ Aide — Partenaires                                                           │
      │   /                    filtrer (nom, identifiant, Caf)                       │
      │   o                    changer le tri (nom, alertes, places)                 │
      │   w                    retirer la délégation au partenaire                   │
      │   a                    nouvel avenant                                        │
      │   v                    enregistrer une revue                                 │
      │ Partout                                                                      │
      │   ↑↓ jk PgUp PgDn g G  ligne, page, premier, dernier                         │
      │   Entrée               ouvrir                                                │
      │   Échap / q            retour (q quitte depuis le tableau de bord)           │
      │   :                    commande : :partenaire amp, :alertes, :traces, :date  │
      │   ?                    cette aide                                            │
      │   Ctrl-C               quitter tout de suite                                 │
      │ ? ou Échap pour fermer                                                       │
      │                                                                              │
      │                                                                              │
      │                                                                              │
      │                                                                              │
      │                                                                              │
      │                                                                              │
      ╰──────────────────────────────────────────────────────────────────────────────╯
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr>  ? aide"
    `);
    await app.press(KEYS.escape);
    await app.waitFor('Partenaires (8)');
  });

  it('goes back with Échap and q, quits with q on the dashboard and with Ctrl-C (130)', async () => {
    await app.press('p');
    await app.waitFor('Partenaires (8)');
    await app.press(KEYS.escape);
    await app.waitFor('Quotas dépassés');
    await app.press('t', 'q');
    await app.waitFor('Quotas dépassés');
    await app.press('q');
    expect(exitCodes).toEqual([0]);
  });

  it('re-lays itself on resize', async () => {
    await app.press('p');
    await app.waitFor('Partenaires (8)');
    app.resize(120, 30);
    await app.waitFor((frame) => frame.split('\n').length === 29 && frame.includes('Métropole d’Aix-Marseille-Provence '));
  });
});

describe('a read-only session (auditor)', () => {
  it('lists the navigation keys but no action key in ?', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-ui-'));
    const client = createClient({ database: join(dir, 'ui.db'), actor: ACTOR });
    const app = renderApp(<App session={{ client, source: 'ui.db', actor: ACTOR, canWrite: false, today: TODAY }} onExit={() => undefined} />);
    await app.waitFor('Tableau de bord');
    await app.press('?');
    const dashboardHelp = await app.waitFor('Aide — Tableau de bord');
    expect(dashboardHelp).toMatch(/ p +partenaires/);
    expect(dashboardHelp).toMatch(/ a +alertes/);
    await app.press(KEYS.escape, 'p', '?');
    const partnersHelp = await app.waitFor('Aide — Partenaires');
    expect(partnersHelp).toContain('filtrer');
    expect(partnersHelp).not.toContain('retirer la délégation');
    expect(partnersHelp).not.toContain('nouvel avenant');
    app.unmount();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('Ctrl-C', () => {
  it('leaves with exit code 130 from any screen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-ui-'));
    const client = createClient({ database: join(dir, 'ui.db'), actor: ACTOR });
    const codes: number[] = [];
    const app = renderApp(<App session={{ client, source: 'ui.db', actor: ACTOR, canWrite: true, today: TODAY }} onExit={(code) => codes.push(code)} />);
    await app.waitFor('Tableau de bord');
    await app.press('?', KEYS.ctrlC);
    expect(codes).toEqual([130]);
    app.unmount();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
