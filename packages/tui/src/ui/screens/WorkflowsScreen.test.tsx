import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type CafsupClient } from '@cafsup/sdk';
import { buildDemoDataset } from '../../demo/demo-data.js';
import { App } from '../App.js';
import { KEYS, renderApp, type RenderedApp } from '../testing/render-app.js';

const TODAY = '2026-11-22';
const ACTOR = { name: 'Camille Roux', email: 'camille.roux@caf78.fr' };

describe('the partner’s supervision file (workflows.md) in the interface', () => {
  let dir: string;
  let client: CafsupClient;
  let app: RenderedApp;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cafsup-ui-workflows-'));
    const now = new Date(`${TODAY}T10:00:00Z`);
    client = createClient({ database: join(dir, 'ui.db'), actor: ACTOR, now: () => now });
    await client.dataset.import(buildDemoDataset({ partners: 8, today: TODAY }), { reason: 'Jeu de démonstration des tests' });
    await client.requests.add('bavans', {
      kind: 'habilitation',
      receivedAt: '2026-11-20',
      form: { name: 'Paule Valade', email: 'paule.valade@bavans.fr', departement: '25', profile: 'T4', temporary: true, endsAt: '2027-03-31' },
    });
    await client.questions.add('bavans', { text: 'Qui utilise le profil T19 ?', flags: ['PROFILE_NOT_ELIGIBLE'], dueAt: '2026-12-04' });
    app = renderApp(<App session={{ client, source: 'ui.db', actor: ACTOR, canWrite: true, today: TODAY }} onExit={() => undefined} />);
    await app.waitFor('Quotas dépassés');
  });

  afterEach(async () => {
    app.unmount();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

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
});
