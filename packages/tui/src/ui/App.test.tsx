import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CafsupClient } from '@cafsup/sdk';
import { CafsupError } from '@cafsup/shared';
import { ACTOR, TODAY, openDemo, type Demo } from './testing/demo-session.js';
import { KEYS, type RenderedApp } from './testing/render-app.js';

describe('the interface at 80×24 on the demo data', () => {
  let demo: Demo;
  let client: CafsupClient;
  let app: RenderedApp;
  let exitCodes: number[];

  beforeEach(async () => {
    demo = await openDemo();
    ({ client, app, exitCodes } = demo);
  });

  afterEach(() => demo.close());

  it('opens on the dashboard, one row short of the terminal', () => {
    expect(app.frame()).toMatchInlineSnapshot(`
      "Tableau de bord — au 22/11/2026
      Caf 13, 25, 33, 40, 59, 69, 78, 95 · 8 partenaires · 136 utilisateurs · 124 hab…
      Alertes :  !! 5 critiques  ! 12 élevées  ~ 14 moyennes  . 16 faibles

      Quotas dépassés (1)
        Métropole d’Aix-Marseille-Provence (amp)       CDAP T13    23/20 DÉPASSÉ +3
      Revues inverses dues d’ici 30 jours ou en retard (2)
        Mairie de Saint-Leu-la-Forêt (saint-leu)     en retard depuis le 14/05/2019
        Communauté de communes Maremne Adour… (macs) en retard depuis le 22/08/2026












      p partenaires · a alertes · t traces · : commande · ? aide · q quitter
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr> · données de 13:02  ? aide"
    `);
    expect(app.frame().split('\n')).toHaveLength(23);
  });

  it('lists partners, filters with / and sorts with o', async () => {
    await app.press('p');
    await app.waitFor('Partenaires (8)');
    expect(app.frame()).toMatchInlineSnapshot(`
      "Partenaires (8) · tri : nom
        Partenaire                       Id                    Caf  Places Alertes
       ›CCAS de Roubaix                  ccas-roubaix          59      0/0 1C 2E 5M 7F
        Communauté de communes Maremne … macs                  40     6/10 1E 3M 1F
        Mairie de Bavans                 bavans                25      3/6 3E
        Mairie de Mérignac               commune-merignac      33      0/0 1C
        Mairie de Saint-Leu-la-Forêt     saint-leu             95      4/5 1C 2E 3M 3F
        Métropole d’Aix-Marseille-Prove… amp                   78   !23/20 1C 2E
        Office public de l’habitat de V… bailleur-villeurbanne 69    20/22 —
        Service pénitentiaire d’inserti… justice-aubagne       13    13/15 1C 2E 3M 5F











      Entrée ouvrir · / filtrer · o trier · w retirer la délégation · a avenant · v r…
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr> · données de 13:02  ? aide"
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
      Partenaire · gestionnaire d’habilitations 1 : Louis Rousseau <louis.rousseau@am…
      Partenaire · gestionnaire d’habilitations 2 : Inès Perrin <ines.perrin@ampmetro…
      Caf · responsable de la sécurité : Sécurité des systèmes d’information de la Ca…


      Tab → onglets · f suivi · w retirer la délégation · a avenant · v revue · i inf…
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr> · données de 13:02  ? aide"
    `);
    await app.press('2');
    await app.waitFor('par amp-h0021');
    expect(app.frame()).toMatchInlineSnapshot(`
      "Métropole d’Aix-Marseille-Provence (amp) — Caf 78
      1:Synth. [2:Quotas] 3:Habil. 4:Util. 5:Alertes 6:Avenants 7:Revues 8:Traces
      ›CDAP T13   ██████████████████████████▓▓▓▓ 23/20 (actifs 22) DÉPASSÉ +3
                  Commissions FSL (Fonds de solidarité pour le logement) · dép. 13 83…
      Titulaires en excédent du quota CDAP T13 (3 personnes, les derniers habilités) :
        EXCÉDENT Yanis Durand (amp-u031) — par amp-h0021, groupe Instructeurs FSL — r…
        EXCÉDENT Manon Guérin (amp-u032) — par groupe Instructeurs FSL — renfort (amp…
        EXCÉDENT Théo Mathieu (amp-u033) — par groupe Instructeurs FSL — renfort (amp…













      Tab → onglets · E suspendre l’excédent · ? aide
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr> · données de 13:02  ? aide"
    `);
    await app.press('3');
    await app.waitFor('amp-h0001');
    await app.press('G');
    await app.waitFor('›amp-h0022');
    // The excess holders include those who hold through a group: the group's row says how many.
    const excess = app
      .frame()
      .split('\n')
      .filter((line) => line.includes('EXCÉDENT'));
    expect(excess.map((line) => line.replace(/^[ ›]+/, '').split(/\s+/)[0] + ' ' + line.slice(line.indexOf('EXCÉDENT')))).toEqual([
      'amp-h0021 EXCÉDENT',
      'amp-h0022 EXCÉDENT (3)',
    ]);
  });

  it('suspends a habilitation: dry run, reason, o/n, then the trace', async () => {
    await app.press(':', ...'partenaire amp', KEYS.enter, '3');
    await app.waitFor('amp-h0001');
    await app.press('j', 's');
    await app.waitFor('Motif (obligatoire');
    expect(app.frame()).toContain('amp-h0002 (Jade Roussel, CDAP T13, 06) : statut : active → suspendue');
    await app.press(...'ok', KEYS.enter);
    await app.waitFor('motif trop court');
    await app.press(KEYS.backspace, KEYS.backspace, ...'Département hors périmètre', KEYS.enter);
    await app.waitFor('confirmer ? (o/n)');
    expect((await client.habilitations.get('amp-h0002')).status).toBe('active');
    await app.press('o');
    const done = await app.waitFor('Fait. Trace n°');
    const traceId = Number(/Trace n° (\d+)/.exec(done)![1]);
    const trace = (await client.traces.list({ partnerId: 'amp' })).items.find((item) => item.id === traceId);
    expect(trace).toMatchObject({ action: 'habilitation.suspend', targetId: 'amp-h0002', reason: 'Département hors périmètre', actor: ACTOR });
    expect(done).toContain('Entrée ou Échap pour fermer');
    // Only Entrée or Échap closes the result: letters typed ahead are no « close » (the first
    // closed it, the second opened « Dévalider » on the list, and `?` went into that dialog).
    await app.press('x', 'x', KEYS.enter, '?');
    expect(await app.waitFor('Aide — ')).not.toContain('Dévalider');
    await app.press(KEYS.escape);
    await app.waitFor((frame) => frame.includes('amp-h0002') && frame.includes('suspendue') && !frame.includes('Fait.'));
  });

  // Trial 22 (F10): an import names no target; its row and its detail say what it changed.
  it('says what an import changed, in a partner’s trail and in the trace’s detail', async () => {
    const exported = await client.dataset.export();
    await client.habilitations.suspend(['amp-h0002'], { reason: 'Contrôle avant la reprise' });
    const result = await client.dataset.import(exported, { reason: 'Reprise du fichier de la veille' });
    expect(result.decisionChangesTotal).toBe(1);
    await app.press(':', ...'partenaire amp', KEYS.enter, '8');
    await app.waitFor('1 décision changée');
    await app.press(KEYS.enter);
    await app.waitFor('habilitation amp-h0002 (amp) : statut suspendue → active');
  });

  it('answers « n » by writing nothing', async () => {
    await app.press(':', ...'partenaire macs', KEYS.enter, '4');
    await app.waitFor('macs-u001');
    await app.press('p');
    await app.waitFor('Motif (obligatoire');
    await app.press(...'Mot de passe partagé', KEYS.enter);
    await app.waitFor('confirmer ? (o/n)');
    await app.press('n');
    await app.waitFor((frame) => frame.includes('macs-u001') && !frame.includes('Motif'));
    expect((await client.users.get('macs-u001')).mustChangePassword).toBe(false);
    expect((await client.traces.list({ partnerId: 'macs' })).items).toHaveLength(0);
  });

  /** The avenant form opened on macs, titled, its first change a quota of T1 set to `maxUsers`. */
  const firstQuotaOfAvenant = async (title: string, maxUsers: string) => {
    await app.press(':', ...'partenaire macs', KEYS.enter);
    await app.waitFor('Convention n° 2019/40/037');
    await app.press('a');
    await app.waitFor('Titre de l’avenant');
    await app.press(...title, KEYS.enter);
    await app.waitFor('Modification n° 1');
    await app.press(KEYS.enter, KEYS.enter, ...'T1', KEYS.enter, ...maxUsers, KEYS.enter, KEYS.enter);
  };

  it('builds an avenant with typed changes and signature dates', async () => {
    await firstQuotaOfAvenant('Avenant 1 : T1 porté à 8', '8');
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
    await app.waitFor('Fait. Trace n°');
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

  it('shows an avenant the operation refuses with its problems, not as an internal error', async () => {
    await firstQuotaOfAvenant('Avenant 2 : T1 porté à 500000', '500000');
    await app.waitFor('Ajouter une autre modification ?');
    await app.press(KEYS.enter);
    await app.waitFor('Signé par la Caf le');
    await app.press(KEYS.enter, KEYS.enter, KEYS.enter);
    const frame = await app.waitFor('Rien n’a été modifié');
    expect(frame).not.toContain('Erreur interne');
    // Named by the question answered, not by a path (« draft.changes[0].maxUsers », then « changes[0].maxUsers »: review 26, 14), and once.
    expect(frame).toContain('✗ Saisie invalide : Modification n° 1 — Nombre maximal d’utilisateurs : au');
    expect(frame).toContain('plus 100\u202f000 attendu');
    expect(frame).not.toContain('changes[0]');
    expect(frame.split('100\u202f000 attendu').length).toBe(2);
  });

  it('goes from an alert to the partner and the row concerned', async () => {
    await app.press('a');
    await app.waitFor('Alertes (47)');
    await app.press('/', ...'amp-h0002', KEYS.enter);
    await app.waitFor('Alertes (1)');
    await app.press(KEYS.enter);
    const detail = await app.waitFor('Règle n°');
    expect(detail).toContain('habilitation amp-h0002 (Jade Roussel, CDAP T13, 06)');
    await app.press(KEYS.enter);
    await app.waitFor('›amp-h0002');
  });

  it('lists every key of the current screen with ?', async () => {
    await app.press('p', '?');
    await app.waitFor('Aide — Partenaires');
    expect(app.frame()).toMatchInlineSnapshot(`
      "╭──────────────────────────────────────────────────────────────────────────────╮
      │ Aide — Partenaires                                                           │
      │  Entrée             ouvrir la fiche du partenaire                            │
      │  /                  filtrer (nom, identifiant, Caf, convention)              │
      │  o                  changer le tri (nom, alertes, places)                    │
      │  n :partenaire-nou… enregistrer un nouveau partenaire et sa convention sign… │
      │  w                  retirer la délégation au partenaire                      │
      │  a                  nouvel avenant                                           │
      │  v                  enregistrer une revue                                    │
      │ Partout                                                                      │
      │  ↑ k ↓ j PgUp PgDn… ligne, page, premier, dernier                            │
      │  ?                  cette aide                                               │
      │  :                  commande : :partenaire amp, :cherche martin, :suivi amp… │
      │  r                  recharger les données                                    │
      │  e                  écrire la liste affichée (filtrée) en CSV ou XLSX        │
      │  Échap / q          retour (q quitte depuis le tableau de bord)              │
      │  Ctrl-C             quitter tout de suite                                    │
      │                                                                              │
      │                                                                              │
      │                                                                              │
      │ ? ou Échap pour fermer                                                       │
      ╰──────────────────────────────────────────────────────────────────────────────╯
      ◆ ui.db · Camille Roux <camille.roux@caf78.fr> · données de 13:02  ? aide"
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
    await app.until(() => exitCodes.length > 0);
    expect(exitCodes).toEqual([0]);
  });

  it('re-lays itself on resize', async () => {
    await app.press('p');
    await app.waitFor('Partenaires (8)');
    app.resize(120, 30);
    await app.waitFor((frame) => frame.split('\n').length === 29 && frame.includes('Métropole d’Aix-Marseille-Provence '));
  });
});

describe('a store that does not answer', () => {
  // Review 42b: with PostgreSQL stopped, the alerts said « Alertes (0) … Aucune alerte. », which a
  // supervisor reads as « all is well ».
  it('says the alerts could not be read, never « Aucune alerte », when the store does not answer', async () => {
    const { app, client, close } = await openDemo();
    client.audit.run = () => Promise.reject(new CafsupError('UNAVAILABLE', 'Base PostgreSQL : serveur injoignable.'));
    await app.press('a');
    const frame = await app.waitFor('Données non chargées');
    expect(frame).toContain('serveur injoignable');
    expect(frame).not.toContain('Aucune alerte');
    await close();
  });

  it('says a partner’s tab could not be read, never « Aucune habilitation »', async () => {
    const { app, client, close } = await openDemo();
    client.habilitations.all = () => Promise.reject(new CafsupError('UNAVAILABLE', 'Base PostgreSQL : serveur injoignable.'));
    await app.press(':', ...'partenaire amp', KEYS.enter, '3');
    const frame = await app.waitFor('Données non chargées');
    expect(frame).not.toContain('Aucune habilitation');
    await close();
  });
});

describe('a read-only session (auditor token or read-only file)', () => {
  it('says « lecture seule », lists no action key in ?, and an action key does nothing', async () => {
    const { app, close } = await openDemo({ canWrite: false });
    expect(app.frame()).toContain('◆ ui.db · lecture seule · Camille Roux · données de 13:02');
    await app.press('?');
    const dashboardHelp = await app.waitFor('Aide — Tableau de bord (lecture seule : aucune action)');
    expect(dashboardHelp).toMatch(/ p +partenaires/);
    expect(dashboardHelp).toMatch(/ a +alertes/);
    await app.press(KEYS.escape, ':partenaire amp\r3?');
    const help = await app.waitFor('Aide — Fiche partenaire');
    expect(help).toContain('filtrer');
    for (const action of ['suspendre', 'réactiver', 'dévalider', 'retirer la délégation', 'nouvel avenant', 'sélectionner']) expect(help).not.toContain(action);
    // Had `s` opened a dialog, `?` would land in its reason and the help would never show.
    await app.press(KEYS.escape, 'jsx ?');
    await app.waitFor('Aide — Fiche partenaire');
    await app.press(KEYS.escape);
    const sheet = await app.waitFor('›amp-h0002');
    expect(sheet).not.toContain('●');
    await close();
  });
});

describe('Ctrl-C', () => {
  it('leaves with exit code 130 from any screen, even with keys still queued', async () => {
    const { app, exitCodes, close } = await openDemo();
    await app.press('p?jjjj', KEYS.ctrlC);
    await app.until(() => exitCodes.length > 0);
    expect(exitCodes).toEqual([130]);
    await close();
  });
});
