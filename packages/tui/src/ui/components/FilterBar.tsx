import { Text } from 'ink';
import { theme } from '../theme.js';
import { TextInput } from './TextInput.js';

interface FilterBarProps {
  value: string;
  editing: boolean;
  onChange(value: string): void;
  onDone(keep: boolean): void;
}

/** The `/` filter: typed in place, Entrée keeps it, Échap clears it. */
export function FilterBar({ value, editing, onChange, onDone }: FilterBarProps) {
  if (!editing) return value === '' ? null : <Text color={theme.muted}>{`filtre : ${value}  (/ pour changer)`}</Text>;
  return (
    <Text>
      <Text color={theme.accent}>/ </Text>
      <TextInput value={value} onChange={onChange} onSubmit={() => onDone(true)} onCancel={() => onDone(false)} placeholder="filtrer…" />
    </Text>
  );
}
