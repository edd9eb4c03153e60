import { useEffect, useState } from 'react';
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

/** A cursor over `length` rows seen through a window of `height` rows. */
export function useListCursor(length: number, height: number): ListCursor {
  const [cursor, setCursor] = useState(0);
  const [offset, setOffset] = useState(0);
  const [marked, setMarked] = useState<ReadonlySet<string>>(new Set());
  const visible = Math.max(1, height);

  const moveTo = (target: number) => {
    const next = Math.max(0, Math.min(length - 1, target));
    setCursor(next);
    setOffset((current) => (next < current ? next : next >= current + visible ? next - visible + 1 : current));
  };

  useEffect(() => {
    if (length === 0) {
      setCursor(0);
      setOffset(0);
    } else if (cursor >= length || offset > Math.max(0, length - visible)) moveTo(Math.min(cursor, length - 1));
  }, [length, visible]);

  return {
    cursor,
    offset: Math.min(offset, Math.max(0, length - visible)),
    marked,
    moveTo,
    clearMarks: () => setMarked(new Set()),
    handle(input, key, idOf) {
      if (input === ' ' && idOf !== undefined && length > 0) {
        const id = idOf(cursor);
        setMarked((current) => {
          const next = new Set(current);
          if (next.has(id)) next.delete(id);
          else next.add(id);
          return next;
        });
        moveTo(cursor + 1);
        return true;
      }
      const step = listMove(input, key, visible);
      if (step === null) return false;
      moveTo(step === 'first' ? 0 : step === 'last' ? length - 1 : cursor + step);
      return true;
    },
  };
}
