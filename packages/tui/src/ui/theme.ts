import type { Severity } from '@cafsup/shared';

/**
 * Colours as meanings, one place: every colour has a word or a symbol beside it, so that
 * NO_COLOR and monochrome terminals lose nothing (tui.md).
 */
export const theme = {
  accent: 'cyan',
  muted: 'gray',
  danger: 'red',
  warning: 'yellow',
  info: 'blue',
  success: 'green',
  selection: 'cyan',
} as const;

export const SEVERITY_COLOUR: Record<Severity, string> = { critical: 'red', high: 'yellow', medium: 'blue', low: 'gray' };

/** A symbol per severity, readable without colour. */
export const SEVERITY_SYMBOL: Record<Severity, string> = { critical: '!!', high: '! ', medium: '~ ', low: '. ' };
