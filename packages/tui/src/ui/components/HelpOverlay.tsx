import { Box, Text } from 'ink';
import { fit } from '../../format.js';
import { useKeys } from '../hooks/use-keys.js';
import { GLOBAL_BINDINGS, LIST_BINDINGS, SCREEN_BINDINGS, commandOf, type Binding, type ScreenName } from '../keys.js';
import { theme } from '../theme.js';

export const SCREEN_TITLES: Record<ScreenName, string> = {
  dashboard: 'Tableau de bord',
  partners: 'Partenaires',
  partner: 'Fiche partenaire',
  alerts: 'Alertes',
  traces: 'Traces',
  search: 'Recherche',
  workflows: 'Suivi du partenaire',
};

const LIST_SUMMARY: Binding = {
  keys: Object.values(LIST_BINDINGS)
    .map((binding) => binding.keys)
    .join(' '),
  label: 'ligne, page, premier, dernier',
  on: [],
};

type Line = { heading: string } | Binding;

/** One column of keys; `short` (two columns on a narrow terminal) says each in its footer's words. */
function Column({ lines, width, short }: { lines: Line[]; width: number; short: boolean }) {
  const keysWidth = Math.min(18, Math.max(8, Math.floor(width / 3)));
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((line, index) =>
        'heading' in line ? (
          <Text key={index} bold>
            {line.heading}
          </Text>
        ) : (
          <Text key={index} wrap="truncate">
            <Text color={theme.accent}>{` ${fit(line.command === undefined ? line.keys : `${line.keys} ${line.command}`, keysWidth)}`}</Text>
            {fit(` ${short ? (line.footer ?? line.label) : line.label}`, Math.max(0, width - keysWidth - 1))}
          </Text>
        ),
      )}
    </Box>
  );
}

/**
 * Every key of the current screen, then the global ones, in two columns when one does not fit
 * the terminal's height (`?`, `q` or Échap closes).
 */
export function HelpOverlay({
  screen,
  canWrite,
  width,
  height,
  onClose,
}: {
  screen: ScreenName;
  canWrite: boolean;
  width: number;
  height: number;
  onClose(): void;
}) {
  useKeys((press) => {
    const command = commandOf(GLOBAL_BINDINGS, press);
    if (command === 'help' || command === 'back') onClose();
  });
  const own = Object.values(SCREEN_BINDINGS[screen] as Record<string, Binding>).filter((binding) => canWrite || binding.action !== true);
  const lines: Line[] = [...own, { heading: 'Partout' }, ...(screen === 'dashboard' ? [] : [LIST_SUMMARY]), ...Object.values(GLOBAL_BINDINGS)];
  const room = Math.max(1, height - 4);
  const columns = lines.length > room ? 2 : 1;
  const perColumn = Math.ceil(lines.length / columns);
  const inner = width - 4;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={width} height={height}>
      <Text bold wrap="truncate">{`Aide — ${SCREEN_TITLES[screen]}${canWrite ? '' : ' (lecture seule : aucune action)'}`}</Text>
      <Box>
        {Array.from({ length: columns }, (_, column) => (
          <Column
            key={column}
            lines={lines.slice(column * perColumn, (column + 1) * perColumn)}
            width={Math.floor(inner / columns)}
            short={columns > 1 && width < 120}
          />
        ))}
      </Box>
      <Box flexGrow={1} />
      <Text color={theme.muted}>? ou Échap pour fermer</Text>
    </Box>
  );
}
