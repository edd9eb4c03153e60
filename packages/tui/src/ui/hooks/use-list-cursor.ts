import { useEffect, useRef, useState } from 'react';
import type { Key } from 'ink';
import { listMove } from '../keys.js';

export interface ListCursor {
  cursor: number;
  /** First row shown: the window follows the cursor. */
  offset: number;
  marked: ReadonlySet<string>;
  /** Handles movement and `espace`; true when the key was a list key. */
  handle(input: string, key: Key, idOf?: (index: number) => string): boolean;
  moveTo(index: number): void;
  clearMarks(): void;
}

interface Position {
  cursor: number;
  offset: number;
}

function place(target: number, current: Position, length: number, visible: number): Position {
  const cursor = Math.max(0, Math.min(length - 1, target));
  const offset = cursor < current.offset ? cursor : cursor >= current.offset + visible ? cursor - visible + 1 : current.offset;
  return { cursor, offset: Math.max(0, Math.min(offset, Math.max(0, length - visible))) };
}

/**
 * A cursor over `length` rows seen through a window of `height` rows. Moves are functional
 * updates on the latest position: a held key sends presses faster than Ink re-subscribes
 * input handlers, and a handler from the previous render must still move from where the
 * cursor now is.
 */
export function useListCursor(length: number, height: number): ListCursor {
  const visible = Math.max(1, height);
  const [position, setPosition] = useState<Position>({ cursor: 0, offset: 0 });
  const [marked, setMarked] = useState<ReadonlySet<string>>(new Set());
  const size = useRef({ length, visible });
  size.current = { length, visible };

  const move = (to: (current: Position) => number) =>
    setPosition((current) => (size.current.length === 0 ? { cursor: 0, offset: 0 } : place(to(current), current, size.current.length, size.current.visible)));

  useEffect(() => move((current) => current.cursor), [length, visible]);

  return {
    cursor: position.cursor,
    offset: position.offset,
    marked,
    moveTo: (index) => move(() => index),
    clearMarks: () => setMarked(new Set()),
    handle(input, key, idOf) {
      if (input === ' ' && idOf !== undefined && length > 0) {
        const id = idOf(position.cursor);
        setMarked((current) => {
          const next = new Set(current);
          if (next.has(id)) next.delete(id);
          else next.add(id);
          return next;
        });
        move((current) => current.cursor + 1);
        return true;
      }
      const step = listMove(input, key, visible);
      if (step === null) return false;
      move((current) => (step === 'first' ? 0 : step === 'last' ? size.current.length - 1 : current.cursor + step));
      return true;
    },
  };
}
