import { Text } from 'ink';
import { formatActor, type Actor } from '@cafsup/shared';
import { frenchDate, truncate } from '../../format.js';
import { theme } from '../theme.js';

interface StatusBarProps {
  source: string;
  actor: Actor | null;
  asOf: string | undefined;
  message: { text: string; tone: 'info' | 'error' } | null;
  width: number;
}

/** Where the data comes from, who acts, the evaluation date when not today, and the last message. */
export function StatusBar({ source, actor, asOf, message, width }: StatusBarProps) {
  const parts = [`◆ ${source}`, actor === null ? 'lecture seule' : formatActor(actor), ...(asOf === undefined ? [] : [`au ${frenchDate(asOf)}`])];
  const left = parts.join(' · ');
  if (message === null) return <Text inverse wrap="truncate">{truncate(`${left}  ? aide`, width).padEnd(width)}</Text>;
  const room = Math.max(10, width - message.text.length - 3);
  return (
    <Text wrap="truncate">
      <Text inverse>{`${truncate(left, room)} `}</Text>
      <Text color={message.tone === 'error' ? theme.danger : theme.success}>{` ${message.tone === 'error' ? '✗' : '✓'} ${message.text}`}</Text>
    </Text>
  );
}
