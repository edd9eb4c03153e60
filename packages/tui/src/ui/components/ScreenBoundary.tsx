import { Component, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import { theme } from '../theme.js';

interface ScreenBoundaryProps {
  /** Changes when the user moves elsewhere, so a failed screen gets a fresh start. */
  resetKey: string;
  children: ReactNode;
}

/**
 * A screen that fails shows one French sentence instead of Ink's stack trace, and the rest of
 * the application (status bar, Échap, :) keeps working.
 */
export class ScreenBoundary extends Component<ScreenBoundaryProps, { error: Error | null; key: string }> {
  override state = { error: null as Error | null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  static getDerivedStateFromProps(props: ScreenBoundaryProps, state: { error: Error | null; key: string }) {
    return props.resetKey === state.key ? null : { error: null, key: props.resetKey };
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    return (
      <Box flexDirection="column">
        <Text color={theme.danger}>{`✗ Cet écran a rencontré une erreur interne : ${this.state.error.message}`}</Text>
        <Text color={theme.muted}>Échap pour revenir, : pour aller ailleurs. Rien n’a été modifié par cette erreur.</Text>
      </Box>
    );
  }
}
