import { Text } from 'ink';
import type { CafsupError } from '@cafsup/shared';
import { theme } from '../theme.js';
import { Spinner, WAITING_LABEL } from './Spinner.js';

/** The line above a list: the spinner while loading, « en attente » when slow, the error in French when a load failed. */
export function LoadState({ loading, slow = false, error }: { loading: boolean; slow?: boolean; error: CafsupError | null }) {
  if (error !== null) return <Text color={theme.danger} wrap="truncate">{`✗ ${error.message}`}</Text>;
  if (slow) return <Spinner label={WAITING_LABEL} />;
  return loading ? <Spinner /> : null;
}

/**
 * What an empty list says: nothing while it loads, `empty` once read, and when it could not be
 * read (server down, database busy) that it was not: never « Aucune alerte », which a supervisor
 * reads as « all is well » (review 42b, PostgreSQL stopped).
 */
export function emptyListText(load: { loading: boolean; error: unknown; data?: unknown }, empty: string): string {
  if (load.loading) return '';
  // Rows read before a failed reload are still shown (the error says they are the previous ones).
  return load.error !== null && load.data === undefined ? 'Données non chargées (voir l’erreur en haut) : r pour réessayer.' : empty;
}
