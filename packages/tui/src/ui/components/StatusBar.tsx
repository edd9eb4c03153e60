import { Text } from 'ink';
import { escapeForTerminal, formatActor, type Actor } from '@cafsup/shared';
import { frenchDate, parisTime, truncate } from '../../format.js';
import { theme } from '../theme.js';

interface StatusBarProps {
  source: string;
  actor: Actor | null;
  canWrite: boolean;
  asOf: string | undefined;
  /** When the data on screen was read. */
  readAt: Date;
  message: { text: string; tone: 'info' | 'error' } | null;
  width: number;
}

/**
 * Where the data comes from, who acts (or « lecture seule »), the evaluation date when not
 * today, how fresh the data is, and the last message.
 */
export function StatusBar({ source, actor, canWrite, asOf, readAt, message, width }: StatusBarProps) {
  const parts = [
    `◆ ${escapeForTerminal(source)}`,
    // Read-only says so first; who reads matters less than who acts, so the name is enough.
    ...(canWrite
      ? [actor === null ? 'sans nom d’acteur' : escapeForTerminal(formatActor(actor))]
      : ['lecture seule', ...(actor === null ? [] : [escapeForTerminal(actor.name)])]),
    ...(asOf === undefined ? [] : [`au ${frenchDate(asOf)}`]),
    `données de ${parisTime(readAt)}`,
  ];
  const left = parts.join(' · ');
  if (message === null)
    return (
      <Text inverse wrap="truncate">
        {truncate(`${left}  ? aide`, width).padEnd(width)}
      </Text>
    );
  const text = escapeForTerminal(message.text);
  // The left part, a space, then « ✓ » or « ✗ » between spaces and the message: exactly `width`.
  const room = Math.max(10, width - text.length - 4);
  return (
    <Text wrap="truncate">
      <Text inverse>{`${truncate(left, room)} `}</Text>
      <Text color={message.tone === 'error' ? theme.danger : theme.success}>{` ${message.tone === 'error' ? '✗' : '✓'} ${text}`}</Text>
    </Text>
  );
}
