import { Box, Text } from 'ink';
import { GLOBAL_BINDINGS, SCREEN_BINDINGS, type Binding, type ScreenName } from '../keys.js';
import { theme } from '../theme.js';

const SCREEN_TITLES: Record<ScreenName, string> = {
  dashboard: 'Tableau de bord',
  partners: 'Partenaires',
  partner: 'Fiche partenaire',
  alerts: 'Alertes',
  traces: 'Traces',
  workflows: 'Suivi du partenaire',
};

function Lines({ bindings, width }: { bindings: Binding[]; width: number }) {
  return (
    <>
      {bindings.map((binding) => (
        <Text key={binding.keys} wrap="truncate">
          <Text color={theme.accent}>{`  ${binding.keys.padEnd(20)}`}</Text>
          {` ${binding.label}`.slice(0, Math.max(0, width - 22))}
        </Text>
      ))}
    </>
  );
}

/** Every key of the current screen, then the global ones (`?` or Échap closes). */
export function HelpOverlay({ screen, canWrite, width }: { screen: ScreenName; canWrite: boolean; width: number }) {
  const own = (SCREEN_BINDINGS[screen] as Binding[]).filter((binding) => canWrite || binding.action !== true);
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={width}>
      <Text bold>{`Aide — ${SCREEN_TITLES[screen]}`}</Text>
      <Lines bindings={own} width={width - 4} />
      <Text bold>Partout</Text>
      <Lines bindings={GLOBAL_BINDINGS} width={width - 4} />
      <Text color={theme.muted}>? ou Échap pour fermer</Text>
    </Box>
  );
}
