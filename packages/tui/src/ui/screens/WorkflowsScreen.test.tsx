import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CafsupClient } from '@cafsup/sdk';
import { TODAY, openDemo, type Demo } from '../testing/demo-session.js';
import { KEYS, type RenderedApp } from '../testing/render-app.js';

describe('the partner’s supervision file (workflows.md) in the interface', () => {
  let demo: Demo;
  let client: CafsupClient;
  let app: RenderedApp;

  beforeEach(async () => {
    demo = await openDemo({
      prepare: async (client) => {
        await client.requests.add('bavans', {
          kind: 'habilitation',
          receivedAt: '2026-11-20',
          form: { name: 'Paule Valade', email: 'paule.valade@bavans.fr', departement: '25', profile: 'T4', temporary: true, endsAt: '2027-03-31' },
        });
        await client.questions.add('bavans', { text: 'Qui utilise le profil T19 ?', flags: ['PROFILE_NOT_ELIGIBLE'], dueAt: '2026-12-04' });
      },
    });
    ({ client, app } = demo);
  });

  afterEach(() => demo.close());

  /** Types `:line` and Entrée in one burst, as tmux or a fast typist sends them. */
  async function command(line: string): Promise<void> {
    await app.press(':', ...line, KEYS.enter);
  }

  it('opens with :suivi and from the partner sheet with f: the ladder, the questions, the register', async () => {
    await command('suivi bavans');
    const frame = await app.waitFor('Registre des formulaires (1)');
    expect(frame.split('\n').slice(0, 13)).toEqual([
      'Suivi de bavans : escalade, questions, formulaires',
      'Réponse du partenaire attendue au plus tard le 4 décembre 2026 : attendre avant…',
      '  ✓ interroger le partenaire sur la pertinence des habilitations — convention, …',
      '  · suspendre à titre conservatoire les habilitations en cause — convention, ar…',
      '    forcer la modification des mots de passe — convention, art. 9.2 (aucun comp…',
      '    retirer la délégation (la Caf reprend la gestion) — contrat de services, ar…',
      '  · mettre en demeure par lettre recommandée (un mois pour s’y conformer) — con…',
      '    clore : dévalider tout ce qui est détenu et désactiver les gestionnaires — …',
      'Questions et incidents (1)',
      '  n° 1 question du 22/11/2026, réponse due 04/12/2026 : en attente — Qui utilis…',
      'Registre des formulaires (1)',
      '  n° 1 demande individuelle d’habilitation, reçue le 20/11/2026 : reçue',
      '',
    ]);
    await app.press(KEYS.escape);
    await command('partenaire bavans');
    await app.waitFor('Convention n° GC 130');
    await app.press('f');
    await app.waitFor('Suivi de bavans');
  });

  it('asks the partner a question and records the answer from the supervision screen, the ladder’s step in the preview', async () => {
    await command('suivi bavans');
    await app.waitFor('i interroger');
    await app.press('i', ...'Pourquoi un profil T4 sans mission ?', KEYS.enter, ...'quota_exceeded, nope', KEYS.enter);
    await app.waitFor('✗ règle inconnue : NOPE');
    await app.press('\u0015', ...'QUOTA_EXCEEDED', KEYS.enter, ...'2026-12-07', KEYS.enter);
    const preview = await app.waitFor('Motif (facultatif)');
    expect(preview).toContain('Échelle d’escalade — Réponse du partenaire attendue au plus tard le 4');
    expect(preview).toContain('Question n° 2 : Pourquoi un profil T4 sans mission ?');
    await app.press(KEYS.enter, 'o');
    await app.waitFor('✓ Fait. Trace n°');
    await app.press(KEYS.enter);
    await app.waitFor('Questions et incidents (2)');
    // Two questions wait for an answer: the dialog asks which.
    await app.press('c', KEYS.down, KEYS.enter, ...'Mission de remplacement jusqu’en mars', KEYS.enter);
    await app.waitFor('Réponse à la question n° 2 : Mission de remplacement jusqu’en mars');
    await app.press(KEYS.enter, 'o');
    await app.waitFor('✓ Fait. Trace n°');
    const questions = await client.questions.list('bavans');
    expect(questions.map((question) => [question.number, question.flags, question.dueAt, question.answer])).toEqual([
      [1, ['PROFILE_NOT_ELIGIBLE'], '2026-12-04', null],
      [2, ['QUOTA_EXCEEDED'], '2026-12-07', 'Mission de remplacement jusqu’en mars'],
    ]);
  });

  it('records a designation (replacing an administrator) and a deletion of two people « perte ou vol » with :formulaire', async () => {
    await command('formulaire bavans designation');
    await app.press(KEYS.down, KEYS.enter, ...'Léa Morel', KEYS.enter, ...'Secrétaire générale', KEYS.enter, ...'03 81 00 00 00', KEYS.enter);
    await app.press(...'lea.morel@bavans.fr', KEYS.enter, KEYS.down, KEYS.enter, ...'Ancien Suppléant', KEYS.enter, ...'ancien@bavans.fr', KEYS.enter);
    await app.press(KEYS.enter, KEYS.enter);
    expect(await app.waitFor('Motif (facultatif)')).toContain('remplace Ancien Suppléant <ancien@bavans.fr>');
    await app.press(KEYS.enter, 'o');
    await app.waitFor('✓ Fait. Trace n°');
    await app.press(KEYS.enter);
    await command('formulaire bavans deletion');
    await app.press(...'Inès Dumont', KEYS.enter, ...'ines.dumont@bavans.fr', KEYS.enter, KEYS.enter, KEYS.down, KEYS.enter);
    await app.press(...'Hugo Durand', KEYS.enter, ...'hugo.durand@bavans.fr', KEYS.enter, ...'Agent', KEYS.enter, KEYS.enter);
    await app.press(KEYS.down, KEYS.enter, ...'2026-11-18', KEYS.enter, KEYS.enter, KEYS.enter);
    expect(await app.waitFor('Motif (facultatif)')).toContain('perte ou vol : oui ; départ le 18/11/2026');
    await app.press(KEYS.enter, 'o');
    await app.waitFor('✓ Fait. Trace n°');
    const requests = await client.requests.list('bavans');
    expect(requests.map((request) => [request.kind, request.receivedAt, request.form])).toEqual([
      ['habilitation', '2026-11-20', expect.anything()],
      [
        'designation',
        TODAY,
        {
          role: 'deputy',
          name: 'Léa Morel',
          function: 'Secrétaire générale',
          email: 'lea.morel@bavans.fr',
          phone: '03 81 00 00 00',
          replaces: { name: 'Ancien Suppléant', email: 'ancien@bavans.fr' },
        },
      ],
      [
        'deletion',
        TODAY,
        {
          people: [
            { name: 'Inès Dumont', email: 'ines.dumont@bavans.fr', function: null },
            { name: 'Hugo Durand', email: 'hugo.durand@bavans.fr', function: 'Agent' },
          ],
          lossOrTheft: true,
          departedAt: '2026-11-18',
        },
      ],
    ]);
  });

  it('gives a person’s extract from the Utilisateurs tab (T), and says what a : command lacks', async () => {
    await command('partenaire bavans');
    await app.waitFor('Convention n° GC 130');
    await app.press('4');
    await app.waitFor((frame) => /›.*bavans-u001/.test(frame));
    await app.press('T', ...'l’agent', KEYS.enter, ...'Le maire', KEYS.enter);
    expect(await app.waitFor('Motif (facultatif)')).toContain('Extrait de 0 trace et 1 habilitation détenue pour bavans-u001');
    await app.press(KEYS.enter, 'o');
    const done = await app.waitFor('SHA-256 de l’extrait');
    // The digest wraps in the dialog: read it with the borders and line breaks taken out.
    const sha = /SHA-256del’extrait:([0-9a-f]{64})/.exec(done.replace(/[│\s]/g, ''))?.[1];
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    const trace = (await client.traces.list({ partnerId: 'bavans' })).items[0]!;
    expect(trace).toMatchObject({ targetId: 'bavans-u001', after: { sha256: sha } });
    await app.press(KEYS.escape);
    await command('appliquer bavans');
    await app.waitFor('Usage : :appliquer ID N');
    await command('formulaire bavans nimporte');
    await app.waitFor('Usage : :formulaire ID [designation|habilitation|deletion]');
  });
});
