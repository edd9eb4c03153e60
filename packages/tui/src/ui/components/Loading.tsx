import { Text } from 'ink';
import type { CafsupError } from '@cafsup/shared';
import { theme } from '../theme.js';
import { Spinner } from './Spinner.js';

/** The line above a list: the spinner while loading, the error in French when a load failed. */
export function LoadState({ loading, error }: { loading: boolean; error: CafsupError | null }) {
  if (error !== null) return <Text color={theme.danger} wrap="truncate">{`✗ ${error.message}`}</Text>;
  return loading ? <Spinner /> : null;
}
