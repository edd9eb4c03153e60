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

/** A file's name without its folders; a URL as it is (its host is what tells one server from another). */
function shortSource(source: string): string {
  return source.includes('://') ? source : source.slice(source.lastIndexOf('/') + 1);
}

/**
 * The left part in `room` columns. Who acts stays (tui.md: the status bar shows who acts, and a
 * message is most often about what they just did): what gives way first is the file's folders,
 * then the actor's e-mail, then how fresh the data is, then the source, and only then is the
 * name cut (review 42b, L4: at 80 columns a message hid the actor).
 */
function leftPart({ source, actor, canWrite, asOf, readAt }: Omit<StatusBarProps, 'message' | 'width'>, room: number): string {
  const date = asOf === undefined ? [] : [`au ${frenchDate(asOf)}`];
  // Read-only says so first; who reads matters less than who acts, so the name is enough.
  const who = (full: boolean) =>
    canWrite
      ? [actor === null ? 'sans nom d’acteur' : escapeForTerminal(full ? formatActor(actor) : actor.name)]
      : ['lecture seule', ...(actor === null ? [] : [escapeForTerminal(actor.name)])];
  const whole = `◆ ${escapeForTerminal(source)}`;
  const short = `◆ ${escapeForTerminal(shortSource(source))}`;
  const fresh = `données de ${parisTime(readAt)}`;
  const candidates = [
    [whole, ...who(true), ...date, fresh],
    [short, ...who(true), ...date, fresh],
    [short, ...who(false), ...date, fresh],
    [short, ...who(false), ...date],
    [...who(false), ...date],
  ].map((parts) => parts.join(' · '));
  return truncate(candidates.find((text) => text.length <= room) ?? candidates.at(-1)!, room);
}

/**
 * Where the data comes from, who acts (or « lecture seule »), the evaluation date when not
 * today, how fresh the data is, and the last message.
 */
export function StatusBar({ message, width, ...shown }: StatusBarProps) {
  if (message === null)
    return (
      <Text inverse wrap="truncate">
        {`${leftPart(shown, width - '  ? aide'.length)}  ? aide`.padEnd(width)}
      </Text>
    );
  const text = escapeForTerminal(message.text);
  // The left part, a space, then « ✓ » or « ✗ » between spaces and the message: exactly `width`.
  const room = Math.max(10, width - text.length - 4);
  return (
    <Text wrap="truncate">
      <Text inverse>{`${leftPart(shown, room)} `}</Text>
      <Text color={message.tone === 'error' ? theme.danger : theme.success}>{` ${message.tone === 'error' ? '✗' : '✓'} ${text}`}</Text>
    </Text>
  );
}
