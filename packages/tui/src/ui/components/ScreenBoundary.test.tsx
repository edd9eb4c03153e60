import { Text } from 'ink';
import { describe, expect, it, vi } from 'vitest';
import { renderApp } from '../testing/render-app.js';
import { ScreenBoundary } from './ScreenBoundary.js';

function Broken(): never {
  throw new Error('données inattendues');
}

describe('ScreenBoundary', () => {
  it('shows a French sentence instead of a stack trace, and a new screen starts afresh', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const app = renderApp(
      <ScreenBoundary resetKey="a">
        <Broken />
      </ScreenBoundary>,
    );
    const frame = await app.waitFor('erreur interne');
    expect(frame).toMatchInlineSnapshot(`
      "✗ Cet écran a rencontré une erreur interne : données inattendues
      Échap pour revenir, : pour aller ailleurs. Rien n’a été modifié par cette
      erreur."
    `);
    expect(frame).not.toMatch(/\bat \w/);
    app.rerender(
      <ScreenBoundary resetKey="b">
        <Text>écran suivant</Text>
      </ScreenBoundary>,
    );
    await app.waitFor('écran suivant');
    app.unmount();
    quiet.mockRestore();
  });
});
