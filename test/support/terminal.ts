import { execFileSync } from 'node:child_process';

let servers = 0;

/**
 * The interface in a real terminal: tmux at a given size. Keys go as a terminal delivers them
 * over SSH: several in one write (`send`, one `send-keys -l`), or by name (`press`: Enter,
 * Escape); nothing sleeps, every step waits for the screen it expects.
 */
export class Terminal {
  private readonly socket = `cafsup-test-${process.pid}-${servers++}`;
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

  async waitFor(text: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`« ${String(text)} » n’apparaît pas. Écran :\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Text in one write, as a paste or a fast typist over SSH; `\r` is Enter. */
  send(burst: string): void {
    this.tmux('send-keys', '-t', this.session, '-l', burst);
  }

  /** One named key (Escape, Enter, C-c). */
  press(key: string): void {
    this.tmux('send-keys', '-t', this.session, key);
  }

  /** The window resized, as a terminal emulator's window dragged wider. */
  resize(size: { columns: number; rows: number }): void {
    this.tmux('resize-window', '-t', this.session, '-x', String(size.columns), '-y', String(size.rows));
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Already gone with its last session.
    }
  }
}
