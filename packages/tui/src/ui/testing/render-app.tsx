import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { render } from 'ink';

/**
 * A terminal of fixed size for Ink (ink-testing-library's is 100 columns wide): frames as the
 * user would see them at 80×24, keys sent in bursts as a terminal sends them.
 */
class TerminalOutput extends EventEmitter {
  readonly isTTY = true;
  readonly frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write(frame: string): boolean {
    this.frames.push(frame);
    return true;
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

class TerminalInput extends EventEmitter {
  readonly isTTY = true;
  private readonly pending: string[] = [];
  setRawMode(): this {
    return this;
  }
  setEncoding(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  read(): string | null {
    return this.pending.shift() ?? null;
  }
  type(data: string): void {
    this.pending.push(data);
    this.emit('readable');
  }
}

export const KEYS = {
  enter: '\r',
  escape: '\u001b',
  down: '\u001b[B',
  up: '\u001b[A',
  tab: '\t',
  ctrlC: '\u0003',
  backspace: '\u007f',
  pageDown: '\u001b[6~',
} as const;

export interface RenderedApp {
  frame(): string;
  /**
   * Writes keys as a terminal sends a burst: all in one read, except that a lone Escape ends
   * its read (a key right after it would make it Alt+key, in a terminal as here).
   */
  press(...keys: string[]): Promise<void>;
  /** Waits until the frame shows `text` (or the predicate holds); fails with the last frame. */
  waitFor(expected: string | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Waits until `condition` holds (an exit code, a write), with a deadline. */
  until(condition: () => boolean, timeoutMs?: number): Promise<void>;
  resize(columns: number, rows: number): void;
  rerender(node: ReactElement): void;
  /** Writes one chunk without waiting (for timing). */
  type(chunk: string): void;
  unmount(): void;
  renderCount(): number;
  /** Settles when the app ends: with its error, when it ends with one. */
  exited(): Promise<unknown>;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Ink holds a lone Escape until its next setImmediate (it may start a sequence): one turn of the loop.
const afterImmediate = () => new Promise((resolve) => setImmediate(resolve));

export function renderApp(node: ReactElement, { columns = 80, rows = 24 } = {}): RenderedApp {
  const stdout = new TerminalOutput(columns, rows);
  const stdin = new TerminalInput();
  const instance = render(node, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new TerminalOutput(columns, rows) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  // In debug mode every render writes the whole frame; the last one is the screen.
  const frame = () => (stdout.frames.at(-1) ?? '').replace(/\n+$/, '');
  const until = async (condition: () => boolean, timeoutMs: number, failure: () => string) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(failure());
      await tick(10);
    }
  };
  return {
    frame,
    async press(...keys) {
      let burst = '';
      for (const key of keys) {
        burst += key;
        if (key !== KEYS.escape) continue;
        stdin.type(burst);
        burst = '';
        await afterImmediate();
      }
      if (burst !== '') stdin.type(burst);
    },
    async waitFor(expected, timeoutMs = 5000) {
      const holds = typeof expected === 'string' ? (text: string) => text.includes(expected) : expected;
      await until(
        () => holds(frame()),
        timeoutMs,
        () => `Écran attendu introuvable (${typeof expected === 'string' ? expected : 'condition'}). Dernier écran :\n${frame()}`,
      );
      return frame();
    },
    until: (condition, timeoutMs = 5000) => until(condition, timeoutMs, () => 'Condition attendue non remplie à temps'),
    resize: (newColumns, newRows) => stdout.resize(newColumns, newRows),
    type: (chunk) => stdin.type(chunk),
    rerender: (next) => instance.rerender(next),
    unmount: () => instance.unmount(),
    renderCount: () => stdout.frames.length,
    exited: () => instance.waitUntilExit(),
  };
}
