import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CafsupClient } from '@cafsup/sdk';
import { openDemo, type Demo } from './testing/demo-session.js';
import { KEYS, type RenderedApp } from './testing/render-app.js';

describe('the records the Caf writes without a form (workflows.md §1) and incidents, in the interface', () => {
  let demo: Demo;
  let client: CafsupClient;
  let app: RenderedApp;

  beforeEach(async () => {
    demo = await openDemo();
    ({ client, app } = demo);
  });

  afterEach(() => demo.close());

  /** Types `:line` and Entrée in one burst, as tmux or a fast typist sends them. */
  async function command(line: string): Promise<void> {
    await app.press(':', ...line, KEYS.enter);
  }

  /** Gives the reason once the preview is there, confirms, and returns the trace number shown. */
  async function confirm(reason: string): Promise<number> {
    await app.press(...reason, KEYS.enter, 'o');
    const done = await app.waitFor('✓ Fait. Trace n°');
    return Number(/Trace n° (\d+)/.exec(done)![1]);
  }

  async function partnerTab(partnerId: string, tab: string): Promise<void> {
    await command(`partenaire ${partnerId}`);
    await app.waitFor(`(${partnerId})`);
    await app.press(tab);
  }

  it('creates a user from the Utilisateurs tab (n), then edits the user under the cursor (m)', async () => {
    await partnerTab('bavans', '4');
    await app.waitFor((frame) => /›.*bavans-u001/.test(frame));
    // The e-mail comes as one paste; Entrée alone takes the proposed role (utilisateur).
    await app.press('n', ...'Lucie Perrin', KEYS.enter, 'lucie.perrin@bavans.fr', KEYS.enter, KEYS.enter, KEYS.enter, ...'25', KEYS.enter, KEYS.enter);
    expect(await app.waitFor('Motif (obligatoire')).toContain('Créerait : bavans-u');
    const created = await confirm('Agent recruté à l’accueil');
    await app.press(KEYS.enter);
    const user = (await client.users.list({ partnerId: 'bavans', limit: 500 })).items.find((row) => row.email === 'lucie.perrin@bavans.fr')!;
    expect(user).toMatchObject({ name: 'Lucie Perrin', role: 'user', departement: '25', function: null });
    expect((await client.traces.list({ partnerId: 'bavans' })).items[0]).toMatchObject({ id: created, targetId: user.id, reason: 'Agent recruté à l’accueil' });

    await app.press('/', ...'lucie', KEYS.enter);
    await app.waitFor((frame) => new RegExp(`›.*${user.id}`).test(frame));
    // The name and the e-mail are offered as they are: Entrée keeps them; « - » empties the département.
    await app.press('m', KEYS.enter, KEYS.enter, ...'Agent d’accueil', KEYS.enter, KEYS.enter, '-', KEYS.enter, KEYS.enter);
    const preview = await app.waitFor('Motif (obligatoire');
    expect(preview).toContain('Fonction : (vide) → Agent d’accueil');
    expect(preview).toContain('Département : 25 → (vide)');
    expect(preview).not.toContain('Prénom et NOM :');
    await confirm('Fonction transmise par le maire');
    expect(await client.users.get(user.id)).toMatchObject({ name: 'Lucie Perrin', function: 'Agent d’accueil', departement: null });

    // h on the Utilisateurs tab proposes the person under the cursor as the holder.
    await app.press(KEYS.enter);
    await app.waitFor((frame) => !frame.includes('✓ Fait'));
    await app.press('h', KEYS.enter, KEYS.enter, ...'T1', KEYS.enter, KEYS.enter, KEYS.enter);
    expect(await app.waitFor('Motif (obligatoire')).toContain(`Accorderait : bavans-h`);
    expect(app.frame()).toContain(`CDAP T1 à ${user.id}`);
    await app.press(KEYS.escape);
  });

  it('grants a habilitation on the centralised Bavans (h), and shows the refusal on a delegated partner with its article', async () => {
    await partnerTab('bavans', '3');
    await app.waitFor('Profil');
    await app.press('h', ...'bavans-u001', KEYS.enter, KEYS.enter, ...'T4', KEYS.enter, KEYS.enter, ...'2027-03-31', KEYS.enter);
    expect(await app.waitFor('Motif (obligatoire')).toContain('Accorderait : ');
    await confirm('Mission de remplacement à l’accueil');
    await app.press(KEYS.enter);
    const granted = (await client.habilitations.list({ partnerId: 'bavans', limit: 500 })).items.filter(
      (row) => row.userId === 'bavans-u001' && row.profile === 'T4' && row.endsAt === '2027-03-31',
    );
    expect(granted).toHaveLength(1);
    // A second T4 on Bavans would go over its quota: refused by the rule, with its article.
    await command('habilitation-nouvelle bavans');
    await app.press(...'bavans-u002', KEYS.enter, KEYS.enter, ...'T4', KEYS.enter, KEYS.enter, KEYS.enter);
    expect((await app.waitFor('Rien n’a été modifié')).replace(/[│\s]+/g, ' ')).toMatch(/Refusé : Quota CDAP T4 atteint : 2 sur 2 \(règle 1, .*art\. 9\.1\)/);
    await app.press(KEYS.enter);
    await app.waitFor((frame) => !frame.includes('Rien n’a été modifié'));

    await command('habilitation-nouvelle amp');
    await app.press(...'amp-u001', KEYS.enter, KEYS.enter, ...'T4', KEYS.enter, KEYS.enter, KEYS.enter);
    const refused = await app.waitFor('Rien n’a été modifié');
    expect(refused.replace(/[│\s]+/g, ' ')).toContain('mode délégué');
    expect(refused.replace(/[│\s]+/g, ' ')).toContain('convention, art. 9.1');
    expect((await client.habilitations.list({ partnerId: 'amp', limit: 500 })).items.some((row) => row.userId === 'amp-u001' && row.profile === 'T4')).toBe(
      false,
    );
  });

  it('creates a group (N) then changes its members (M)', async () => {
    await partnerTab('bavans', '3');
    await app.waitFor('Profil');
    await app.press('N', ...'Accueil', KEYS.enter, ...'bavans-u001, bavans-u002', KEYS.enter);
    expect(await app.waitFor('Motif (obligatoire')).toContain('(2 membres)');
    await confirm('Groupe de l’accueil');
    await app.press(KEYS.enter);
    const [group] = (await client.groups.list({ partnerId: 'bavans' })).items;
    expect(group).toMatchObject({ name: 'Accueil', memberIds: ['bavans-u001', 'bavans-u002'] });
    await app.waitFor((frame) => !frame.includes('✓ Fait'));
    await app.press('M', KEYS.enter, ...'bavans-u002', KEYS.enter);
    expect(await app.waitFor('Motif (obligatoire')).toContain('Membres : bavans-u001, bavans-u002 → bavans-u002');
    await confirm('Départ de l’accueil');
    expect(await client.groups.get(group!.id)).toMatchObject({ name: 'Accueil', memberIds: ['bavans-u002'] });

    // With two groups, M asks which first.
    await app.press(KEYS.enter);
    await command('groupe-nouveau bavans');
    await app.press(...'Instruction', KEYS.enter, KEYS.enter);
    await app.waitFor('Motif (obligatoire');
    await confirm('Groupe de l’instruction');
    await app.press(KEYS.enter);
    await app.waitFor((frame) => !frame.includes('✓ Fait'));
    await app.press('M');
    await app.waitFor('Quel groupe ?');
    await app.press(KEYS.down, KEYS.enter, ...'Instruction RSA', KEYS.enter, ...'bavans-u001', KEYS.enter);
    expect(await app.waitFor('Motif (obligatoire')).toContain('Nom du groupe : Instruction → Instruction RSA');
    await confirm('Groupe renommé');
    const groups = (await client.groups.list({ partnerId: 'bavans' })).items;
    expect(groups.map((row) => [row.name, row.memberIds])).toEqual([
      ['Accueil', ['bavans-u002']],
      ['Instruction RSA', ['bavans-u001']],
    ]);
  });

  it('corrects the partner’s address (i) and its convention’s signature date (c) from the summary', async () => {
    await partnerTab('bavans', '1');
    await app.waitFor('Convention n° GC 130');
    // The address comes as one paste.
    await app.press('i', KEYS.enter, KEYS.enter, KEYS.enter, KEYS.enter, '2 place de la Mairie, 25550 Bavans', KEYS.enter);
    expect((await app.waitFor('Motif (obligatoire')).replace(/[│\s]+/g, ' ')).toContain(
      'Adresse : 1 rue des Fleurs, 25550 Bavans → 2 place de la Mairie, 25550 Bavans',
    );
    await confirm('Adresse corrigée');
    await app.press(KEYS.enter);
    await app.waitFor((frame) => !frame.includes('✓ Fait'));
    await app.press('c', KEYS.enter, ...'2017-07-21', KEYS.enter, KEYS.enter, KEYS.enter, KEYS.enter);
    expect(await app.waitFor('Motif (obligatoire')).toContain('→ 21/07/2017');
    await confirm('Date de signature corrigée');
    const detail = await client.partners.get('bavans');
    expect(detail).toMatchObject({ name: 'Mairie de Bavans', address: '2 place de la Mairie, 25550 Bavans' });
    expect(detail.convention).toMatchObject({ number: 'GC 130', signedAt: '2017-07-21', managementMode: 'centralised' });
  });

  it('registers a new partner and its convention with :partenaire-nouveau, and edits a user by id with :utilisateur-modifier', async () => {
    await command('partenaire-nouveau');
    await app.press(
      ...'mairie-exemple',
      KEYS.enter,
      ...'25',
      KEYS.enter,
      'Mairie d’Exemple',
      KEYS.enter,
      KEYS.enter,
      KEYS.enter,
      ...'25',
      KEYS.enter,
      KEYS.enter,
    );
    // The convention: its number, signed on, no effect date, centralised (the second choice), tacit renewal (oui).
    await app.press(...'GC 200', KEYS.enter, ...'2026-01-15', KEYS.enter, KEYS.enter, KEYS.down, KEYS.enter, KEYS.enter, ...'T1=3 T4', KEYS.enter);
    await app.waitFor('✗ « T4 » : profil=places attendu');
    await app.press('\u0015', ...'t1=3, T4=2', KEYS.enter);
    const created = await app.waitFor('Motif (obligatoire');
    expect(created).toContain('Enregistrerait : mairie-exemple Mairie d’Exemple, convention GC 200');
    expect(created).toContain('CDAP T4 : 2 places');
    await confirm('Convention signée le 15/01/2026');
    const detail = await client.partners.get('mairie-exemple');
    expect(detail).toMatchObject({ name: 'Mairie d’Exemple', kind: 'commune', cafCode: '25', departements: ['25'], address: null });
    expect(detail.convention).toMatchObject({ number: 'GC 200', signedAt: '2026-01-15', effectiveAt: null, managementMode: 'centralised', tacitRenewal: true });
    expect(detail.convention.subscriptions).toMatchObject([
      {
        service: 'CDAP',
        quotas: [
          { profile: 'T1', maxUsers: 3 },
          { profile: 'T4', maxUsers: 2 },
        ],
      },
    ]);

    // Without the record on screen, every question starts empty (or « inchangé »): only the e-mail changes.
    await app.press(KEYS.enter);
    await command('utilisateur-modifier bavans-u002');
    await app.press(KEYS.enter, 'prenom.nom@bavans.fr', KEYS.enter, KEYS.enter, KEYS.enter, KEYS.enter, KEYS.enter);
    const preview = await app.waitFor('Motif (obligatoire');
    expect(preview.replace(/[│\s]+/g, ' ')).toContain('→ prenom.nom@bavans.fr');
    expect(preview).not.toContain('Rôle');
    const before = await client.users.get('bavans-u002');
    await confirm('Adresse personnelle transmise');
    expect(await client.users.get('bavans-u002')).toEqual({ ...before, email: 'prenom.nom@bavans.fr' });

    // Typed again as it now is: the store says nothing changes, so nothing is asked nor written.
    const head = await client.traces.head();
    await app.press(KEYS.enter);
    await command('utilisateur-modifier bavans-u002');
    await app.press(KEYS.enter, 'prenom.nom@bavans.fr', KEYS.enter, KEYS.enter, KEYS.enter, KEYS.enter, KEYS.enter);
    expect(await app.waitFor('Rien à modifier')).toContain('Aucun champ changé.');
    expect(await client.traces.head()).toEqual(head);
  });

  it('records an incident (I) with its opening time, its answer due within the desk’s working days', async () => {
    await command('suivi macs');
    await app.waitFor('I incident');
    // Opened on Friday 20 November at 16:30: two working days later is Tuesday the 24th.
    await app.press('I', ...'Connexion impossible au CDAP depuis ce matin', KEYS.enter, ...'2026-11-20T16:30:00+01:00', KEYS.enter);
    const preview = (await app.waitFor('Motif (facultatif)')).replace(/[│\s]+/g, ' ');
    expect(preview).toContain('Incident n° 1 ouvert le 20/11/2026 : Connexion impossible au CDAP depuis ce matin');
    expect(preview).toContain('réponse du centre de services attendue le 24/11/2026 (2 jours ouvrés après l’ouverture)');
    await app.press(KEYS.enter, 'o');
    await app.waitFor('✓ Fait. Trace n°');
    const [incident] = (await client.questions.list('macs')).filter((question) => question.kind === 'incident');
    expect(incident).toMatchObject({ text: 'Connexion impossible au CDAP depuis ce matin', clock: { openedOn: '2026-11-20', answerDueAt: '2026-11-24' } });
  });
});
