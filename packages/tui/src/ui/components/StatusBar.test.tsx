import { describe, expect, it } from 'vitest';
import { renderApp } from '../testing/render-app.js';
import { StatusBar } from './StatusBar.js';

const ACTOR = { name: 'Camille Roux', email: 'camille.roux@caf78.fr' };
const READ_AT = new Date('2026-12-06T10:42:00Z');
const SOURCE = '/home/camille/supervision/caf78/partenaires-2026.db';

describe('StatusBar at 80 columns', () => {
  // Review 42b, L4: a message hid who acts, the file's folders kept.
  it('keeps who acts beside a message: the folders, the e-mail, the freshness, then the source give way', async () => {
    const bar = (text: string | null) =>
      renderApp(
        <StatusBar
          source={SOURCE}
          actor={ACTOR}
          canWrite
          asOf={undefined}
          readAt={READ_AT}
          message={text === null ? null : { text, tone: 'info' }}
          width={80}
        />,
      );
    const quiet = bar(null);
    expect(await quiet.waitFor('? aide')).toBe('◆ partenaires-2026.db · Camille Roux · données de 11:42  ? aide');
    quiet.unmount();
    const short = bar('Action enregistrée');
    expect(await short.waitFor('✓')).toBe('◆ partenaires-2026.db · Camille Roux · données de 11:42  ✓ Action enregistrée');
    short.unmount();
    const long = bar('Rien n’a été modifié (déjà fait entre-temps) : aucune trace');
    expect(await long.waitFor('✓')).toBe('Camille Roux  ✓ Rien n’a été modifié (déjà fait entre-temps) : aucune trace');
    long.unmount();
  });
});
