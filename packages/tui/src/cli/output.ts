import Table from 'cli-table3';
import { SEVERITIES, SEVERITY_LABELS, type Severity, type SeveritySummary } from '@cafsup/shared';
import { colourEnabled, paint, type Colour } from './ansi.js';
import { count, truncate } from '../format.js';

export const SEVERITY_COLOURS: Record<Severity, Colour> = { critical: 'red', high: 'yellow', medium: 'blue', low: 'grey' };

/** Severity always in words, in colour only where colour is allowed. */
/** Flags by severity in words (« 1 critique, 2 élevée, … »). */
export function severitySummaryText(summary: SeveritySummary, colour = colourEnabled(process.stdout)): string {
  return SEVERITIES.map((severity) => `${count(summary[severity])} ${severityText(severity, colour)}`).join(', ');
}

export function severityText(severity: Severity, colour = colourEnabled(process.stdout)): string {
  return paint(colour, SEVERITY_COLOURS[severity], SEVERITY_LABELS[severity]);
}


export interface Column {
  header: string;
  /** Share of the spare width this column may take; fixed-width columns have none. */
  grow?: number;
  width?: number;
  align?: 'left' | 'right';
}

/**
 * A table that fits the terminal (80 columns when piped): long cells are cut with an
 * ellipsis, never wrapped mid-word; piped output has no colour codes.
 */
export function table(columns: Column[], rows: string[][], totalWidth = Math.min(process.stdout.columns ?? 80, 120)): string {
  const colour = colourEnabled(process.stdout);
  const borders = columns.length + 1;
  const padding = columns.length * 2;
  const natural = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const fixed = columns.map((column, index) => column.width ?? (column.grow === undefined ? natural[index]! : 0));
  const spare = Math.max(0, totalWidth - borders - padding - fixed.reduce((a, b) => a + b, 0));
  const growTotal = columns.reduce((sum, column) => sum + (column.grow ?? 0), 0);
  const widths = columns.map((column, index) =>
    column.grow === undefined ? fixed[index]! : Math.max(4, Math.min(natural[index]!, Math.floor((spare * column.grow) / growTotal))),
  );
  const rendered = new Table({
    head: columns.map((column, index) => truncate(column.header, widths[index]!)),
    colWidths: widths.map((width) => width + 2),
    colAligns: columns.map((column) => column.align ?? 'left'),
    style: { head: colour ? ['bold'] : [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
    wordWrap: false,
  });
  for (const row of rows) rendered.push(row.map((cell, index) => truncate(cell, widths[index]!)));
  return rendered.toString();
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
