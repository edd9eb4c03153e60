import { useState } from 'react';
import { useNavigation } from '../navigation.js';

/** `/` opens the filter; while it is typed, global keys (q, ?, :) are letters. */
export function useFilterEditing(setFilter: (value: string) => void): { editing: boolean; start(): void; done(keep: boolean): void } {
  const navigation = useNavigation();
  const [editing, setEditing] = useState(false);
  return {
    editing,
    start() {
      setEditing(true);
      navigation.setCapturing(true);
    },
    done(keep) {
      if (!keep) setFilter('');
      setEditing(false);
      navigation.setCapturing(false);
    },
  };
}
