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
