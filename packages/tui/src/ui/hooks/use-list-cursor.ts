import { useEffect, useRef, useState } from 'react';
import { SELECTION_BINDINGS, commandOf, listMove, type KeyPress } from '../keys.js';

export interface ListCursor {
  cursor: number;
  /** First row shown: the window follows the cursor. */
  offset: number;
  marked: ReadonlySet<string>;
  /**
   * Handles movement, and with `idOf` the selection keys (`espace`, `*`); true when the press
   * was a list key.
   */
  handle(press: KeyPress, idOf?: (index: number) => string): boolean;
  moveTo(index: number): void;
  mark(ids: readonly string[]): void;
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

/** A cursor over `length` rows seen through a window of `height` rows, and the rows marked for an action. */
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
    mark: (ids) => setMarked(new Set(ids)),
    clearMarks: () => setMarked(new Set()),
    handle(press, idOf) {
      const selection = idOf === undefined ? null : commandOf(SELECTION_BINDINGS, press);
      if (selection === 'select' && length > 0) {
        const id = idOf!(position.cursor);
        setMarked((current) => {
          const next = new Set(current);
          if (next.has(id)) next.delete(id);
          else next.add(id);
          return next;
        });
        move((current) => current.cursor + 1);
        return true;
      }
      if (selection === 'selectAll') {
        // `*` again, with every row already marked, clears the selection.
        const all = Array.from({ length }, (_, index) => idOf!(index));
        setMarked((current) => (current.size === all.length && all.every((id) => current.has(id)) ? new Set() : new Set(all)));
        return true;
      }
      const step = listMove(press, visible);
      if (step === null) return false;
      move((current) => (step === 'first' ? 0 : step === 'last' ? size.current.length - 1 : current.cursor + step));
      return true;
    },
  };
}
