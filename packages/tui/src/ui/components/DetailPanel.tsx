import { Box, Text } from 'ink';
import { useState } from 'react';
import { useDetail } from '../hooks/use-detail.js';
import { useKeys } from '../hooks/use-keys.js';
import { GLOBAL_BINDINGS, commandOf, listMove } from '../keys.js';
import { useNavigation, type DetailRequest } from '../navigation.js';
import { theme } from '../theme.js';
import { LoadState } from './Loading.js';

/** The detail of a row, over the screen: ↑↓ scroll, Entrée goes to the row, Échap or q closes. */
export function DetailPanel({ request, width, height, onClose }: { request: DetailRequest; width: number; height: number; onClose(): void }) {
  const navigation = useNavigation();
  const detail = useDetail(request);
  const [offset, setOffset] = useState(0);
  const room = Math.max(1, height - 4);
  const lines = detail.data?.lines ?? [];
  useKeys(
    (press) => {
      const step = listMove(press, room);
      if (step !== null) {
        const last = Math.max(0, lines.length - room);
        return setOffset((current) => (step === 'first' ? 0 : step === 'last' ? last : Math.max(0, Math.min(last, current + step))));
      }
      if (press.name === 'return' && detail.data?.go != null) return navigation.push(detail.data.go);
      if (commandOf(GLOBAL_BINDINGS, press) === 'back') return onClose();
      // The help and `:` stay reachable; other keys do nothing here.
      return commandOf(GLOBAL_BINDINGS, press) === null;
    },
    { waiting: detail.loading && detail.data === undefined },
  );
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1} width={width} height={height}>
      <Text bold wrap="truncate">
        {`${detail.data?.title ?? 'Détail'}  `}
        <LoadState loading={detail.loading} slow={detail.slow} error={detail.error} />
      </Text>
      {lines.slice(offset, offset + room).map((line, index) => (
        <Text key={offset + index} wrap="truncate">
          {line}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text color={theme.muted} wrap="truncate">{`${detail.data?.go == null ? '' : 'Entrée aller à la ligne · '}↑↓ défiler · Échap fermer`}</Text>
    </Box>
  );
}
