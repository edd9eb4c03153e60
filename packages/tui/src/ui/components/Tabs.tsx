import { Text } from 'ink';
import { theme } from '../theme.js';

/** The tabs of a sheet, numbered for the 1–8 keys; the current one inverted and bracketed. */
export function Tabs({ labels, current }: { labels: readonly string[]; current: number }) {
  return (
    <Text wrap="truncate-end">
      {labels.map((label, index) => (
        <Text key={label} inverse={index === current} color={index === current ? theme.accent : undefined}>
          {`${index === 0 ? '' : ' '}${index === current ? `[${index + 1}:${label}]` : `${index + 1}:${label}`}`}
        </Text>
      ))}
    </Text>
  );
}
