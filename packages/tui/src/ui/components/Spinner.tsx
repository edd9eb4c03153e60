import { useEffect, useState } from 'react';
import { Text } from 'ink';
import { theme } from '../theme.js';

/** After this long a load is « en attente » rather than loading, and Échap cancels it. */
export const SLOW_AFTER_MS = 800;
/** What a load waiting past SLOW_AFTER_MS says. */
export const WAITING_LABEL = 'en attente… (Échap pour annuler)';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Shown beside the data being refreshed, never instead of it. */
export function Spinner({ label = 'chargement…' }: { label?: string }) {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setFrame((current) => (current + 1) % FRAMES.length), 100);
    return () => clearInterval(timer);
  }, []);
  return <Text color={theme.accent}>{`${FRAMES[frame]} ${label}`}</Text>;
}
