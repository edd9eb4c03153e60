import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { render } from 'ink';

/**
 * A terminal of fixed size for Ink (ink-testing-library's is 100 columns wide): frames as the
 * user would see them at 80×24, keys typed one by one.
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

export const KEYS = { enter: '\r', escape: '\u001b', down: '\u001b[B', up: '\u001b[A', tab: '\t', ctrlC: '\u0003', backspace: '\u007f', pageDown: '\u001b[6~' } as const;

export interface RenderedApp {
  frame(): string;
  /** Types keys one at a time, letting the application render between them. */
  press(...keys: string[]): Promise<void>;
  /** Waits until the frame shows `text` (or the predicate holds); fails with the last frame. */
  waitFor(expected: string | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
  resize(columns: number, rows: number): void;
  rerender(node: ReactElement): void;
  /** Types one key without waiting (for timing). */
  type(key: string): void;
  unmount(): void;
  renderCount(): number;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  return {
    frame,
    async press(...keys) {
      for (const key of keys) {
        stdin.type(key);
        // Escape alone is held back by Ink's parser for a moment (it may start a sequence).
        await tick(key === KEYS.escape ? 120 : 60);
      }
    },
    async waitFor(expected, timeoutMs = 3000) {
      const holds = typeof expected === 'string' ? (text: string) => text.includes(expected) : expected;
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (holds(frame())) return frame();
        await tick(10);
      }
      throw new Error(`Écran attendu introuvable (${typeof expected === 'string' ? expected : 'condition'}). Dernier écran :\n${frame()}`);
    },
    resize: (newColumns, newRows) => stdout.resize(newColumns, newRows),
    type: (key) => stdin.type(key),
    rerender: (next) => instance.rerender(next),
    unmount: () => instance.unmount(),
    renderCount: () => stdout.frames.length,
  };
}
