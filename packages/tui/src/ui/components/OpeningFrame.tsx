import { Box, Text } from 'ink';
import { truncate } from '../../format.js';
import { useKeys } from '../hooks/use-keys.js';
import { frameHeight, useTerminalSize } from '../hooks/use-terminal-size.js';
import type { Route } from '../navigation.js';
import { DashboardHeading } from './DashboardHeading.js';
import { Spinner } from './Spinner.js';

/**
 * The interface while the SDK loads and the store opens: the first screen's frame with its
 * spinner, drawn at once rather than after them. The keys typed meanwhile wait in the dispatcher
 * (a waiting listener holds them) and go, in order, to the first screen once it is there.
 */
export function OpeningFrame({ route }: { route: Route }) {
  const { columns, rows } = useTerminalSize();
  // Nothing here acts on a key: each one waits for the screens (Échap, never held, reaches the global keys, which do nothing yet).
  useKeys(() => false, { waiting: true });
  const height = frameHeight(rows);
  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Box height={height - 1}>
        {route.screen === 'dashboard' ? (
          <DashboardHeading asOf={undefined}>
            <Spinner />
          </DashboardHeading>
        ) : (
          <Spinner />
        )}
      </Box>
      <Text inverse wrap="truncate">
        {truncate('◆ ouverture de la base…', columns).padEnd(columns)}
      </Text>
    </Box>
  );
}
