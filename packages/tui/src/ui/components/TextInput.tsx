import { Text } from 'ink';
import { escapeForTerminal } from '@cafsup/shared';
import { useKeys } from '../hooks/use-keys.js';
import { isText } from '../keys.js';
import { theme } from '../theme.js';

interface TextInputProps {
  value: string;
  onChange(value: string): void;
  onSubmit?(value: string): void;
  onCancel?(): void;
  placeholder?: string;
  active?: boolean;
}

/**
 * A one-line text field: text (a paste arrives whole), Backspace, Ctrl-U to clear, Entrée to
 * submit, Échap to cancel. While it listens, every key is its own: `q` or `?` are letters.
 */
export function TextInput({ value, onChange, onSubmit, onCancel, placeholder = '', active = true }: TextInputProps) {
  useKeys(
    (press) => {
      if (press.name === 'return') onSubmit?.(value);
      else if (press.name === 'escape') onCancel?.();
      else if (press.name === 'backspace' || press.name === 'delete') onChange([...value].slice(0, -1).join(''));
      else if (press.ctrl && press.text === 'u') onChange('');
      else if (isText(press)) onChange(value + press.text);
    },
    { active, text: true },
  );
  return value === '' ? (
    <Text color={theme.muted}>{`${placeholder}▏`}</Text>
  ) : (
    <Text>
      {escapeForTerminal(value)}
      <Text color={theme.accent}>▏</Text>
    </Text>
  );
}
