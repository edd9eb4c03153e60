import { Text, useInput } from 'ink';
import { theme } from '../theme.js';

interface TextInputProps {
  value: string;
  onChange(value: string): void;
  onSubmit?(value: string): void;
  onCancel?(): void;
  placeholder?: string;
  active?: boolean;
}

/** A one-line text field: letters, Backspace, Entrée to submit, Échap to cancel. */
export function TextInput({ value, onChange, onSubmit, onCancel, placeholder = '', active = true }: TextInputProps) {
  useInput(
    (input, key) => {
      if (key.return) onSubmit?.(value);
      else if (key.escape) onCancel?.();
      else if (key.backspace || key.delete) onChange(value.slice(0, -1));
      else if (!key.ctrl && !key.meta && !key.upArrow && !key.downArrow && !key.tab && input !== '') onChange(value + input);
    },
    { isActive: active },
  );
  return value === '' ? (
    <Text color={theme.muted}>{`${placeholder}▏`}</Text>
  ) : (
    <Text>
      {value}
      <Text color={theme.accent}>▏</Text>
    </Text>
  );
}
