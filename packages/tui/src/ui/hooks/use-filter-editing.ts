import { useState } from 'react';

/** `/` opens the filter; while it is typed, the text field has every key. */
export function useFilterEditing(setFilter: (value: string) => void): { editing: boolean; start(): void; done(keep: boolean): void } {
  const [editing, setEditing] = useState(false);
  return {
    editing,
    start: () => setEditing(true),
    done(keep) {
      if (!keep) setFilter('');
      setEditing(false);
    },
  };
}
