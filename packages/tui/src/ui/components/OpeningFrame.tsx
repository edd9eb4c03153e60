import { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { truncate } from '../../format.js';
import { useKeys } from '../hooks/use-keys.js';
import { frameHeight, useTerminalSize } from '../hooks/use-terminal-size.js';
import type { Route } from '../navigation.js';
import { DashboardHeading } from './DashboardHeading.js';
import { SLOW_AFTER_MS, Spinner, WAITING_LABEL } from './Spinner.js';

/**
 * The interface while the SDK loads and the store opens: the first screen's frame with its
 * spinner, drawn at once rather than after them. The keys typed meanwhile wait in the dispatcher
 * (a waiting listener holds them) and go, in order, to the first screen once it is there.
 * An opening that takes longer than a moment (a server that does not answer, a database locked
 * elsewhere) says « en attente… (Échap pour annuler) », and Échap gives up (`onCancel`): the
 * transport would otherwise hold the screen for its whole timeout (trial 25, M2).
 */
export function OpeningFrame({ route, onCancel }: { route: Route; onCancel(): void }) {
  const { columns, rows } = useTerminalSize();
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setSlow(true), SLOW_AFTER_MS);
    return () => clearTimeout(timer);
  }, []);
  // Every other key waits for the screens. Échap is never held (KeyDispatcher): before the wait is
  // said, it reaches the global keys, which do nothing yet.
  useKeys(
    (press) => {
      if (!slow || press.name !== 'escape') return false;
      onCancel();
      return true;
    },
    { waiting: true },
  );
  const height = frameHeight(rows);
  const spinner = slow ? <Spinner label={WAITING_LABEL} /> : <Spinner />;
  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Box height={height - 1}>{route.screen === 'dashboard' ? <DashboardHeading asOf={undefined}>{spinner}</DashboardHeading> : spinner}</Box>
      <Text inverse wrap="truncate">
        {truncate('◆ ouverture de la base…', columns).padEnd(columns)}
      </Text>
    </Box>
  );
}
