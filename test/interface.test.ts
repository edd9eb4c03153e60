import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAFSUP_BIN, CliSandbox } from './support/cli.js';

/** The interface in a real terminal: tmux at 80×24, keys sent as a person types them. */
class Terminal {
  private readonly socket = `cafsup-test-${process.pid}`;
  private readonly session = 'cafsup';

  constructor(command: string, env: Record<string, string>, size = { columns: 80, rows: 24 }) {
    const variables = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    this.tmux('new-session', '-d', '-s', this.session, '-x', String(size.columns), '-y', String(size.rows), ...variables, command);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.session);
  }

  async waitFor(text: string | RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`« ${String(text)} » n’apparaît pas. Écran :\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Keys by tmux name (Enter, Escape) or literal text, with a person's pace between them. */
  async keys(...keys: string[]): Promise<void> {
    for (const key of keys) {
      if (/^[A-Z][a-z]+$|^C-.$/.test(key)) this.tmux('send-keys', '-t', this.session, key);
      else this.tmux('send-keys', '-t', this.session, '-l', key);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Already gone with its last session.
    }
  }
}

describe('cafsup in a real terminal', () => {
  const sandbox = new CliSandbox();
  let terminal: Terminal;
  const actor = 'Camille Roux <camille.roux@caf78.fr>';

  beforeAll(() => {
    expect(sandbox.run(['demo']).status).toBe(0);
    const env = sandbox.env();
    terminal = new Terminal(`'${process.execPath}' '${CAFSUP_BIN}'; echo "SORTIE=$?"; sleep 60`, {
      CAFSUP_DB: env.CAFSUP_DB!,
      CAFSUP_CONFIG_DIR: env.CAFSUP_CONFIG_DIR!,
      CAFSUP_ACTOR: actor,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
    });
  });
  afterAll(() => {
    terminal.close();
    sandbox.cleanup();
  });

  it('filters the partners, opens one, reads its quotas, suspends a habilitation with a reason; the CLI reads the trace back', async () => {
    await terminal.waitFor('Quotas dépassés');
    await terminal.keys('p');
    await terminal.waitFor('Partenaires (30)');
    await terminal.keys('/', 'marseille', 'Enter');
    const filtered = await terminal.waitFor('Partenaires (1 sur 30)');
    expect(filtered).toContain('Métropole d’Aix-Marseille-Pr');
    await terminal.keys('Enter');
    await terminal.waitFor('Convention n° 2023/M/2907 — en vigueur');
    await terminal.keys('2');
    const quotas = await terminal.waitFor('DÉPASSÉ +3');
    expect(quotas).toMatch(/CDAP T13 +[█▓░]+ 23\/20 \(actifs 22\) DÉPASSÉ \+3/);
    await terminal.keys('3');
    await terminal.waitFor('amp-h0001');
    await terminal.keys('j');
    await terminal.waitFor('›amp-h0002');
    await terminal.keys('s');
    await terminal.waitFor('Motif (obligatoire');
    await terminal.keys('Département 06 hors convention', 'Enter');
    await terminal.waitFor('confirmer ? (o/n)');
    await terminal.keys('o');
    const done = await terminal.waitFor(/Fait\. Trace n° \d+/);
    const traceId = Number(/Trace n° (\d+)/.exec(done)![1]);
    await terminal.keys('Escape');
    await terminal.waitFor(/›amp-h0002 .*suspendue/);
    await terminal.keys('q', 'q', 'q');
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
    expect(sandbox.json(['habilitations', 'amp', '--status', 'suspended']).habilitations.map((h: { id: string }) => h.id)).toContain('amp-h0002');
  });
});
