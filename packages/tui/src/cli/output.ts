import { SEVERITIES, SEVERITY_LABELS, escapeForTerminal, frenchCsv, frenchNumber, plural, type Severity, type SeveritySummary } from '@cafsup/shared';
import { colourEnabled, paint, type Colour } from './ansi.js';
import { frenchDate, frenchDateTime, truncate } from '../format.js';

export const SEVERITY_COLOURS: Record<Severity, Colour> = { critical: 'red', high: 'yellow', medium: 'blue', low: 'grey' };

/** Flags by severity in words that agree with their number (« 1 critique, 2 élevées, … »), coloured where allowed. */
export function severitySummaryText(summary: SeveritySummary, colour = colourEnabled(process.stdout)): string {
  return SEVERITIES.map(
    (severity) => `${frenchNumber(summary[severity])} ${paint(colour, SEVERITY_COLOURS[severity], plural(summary[severity], SEVERITY_LABELS[severity]))}`,
  ).join(', ');
}

/** Severity always in words, in colour only where colour is allowed. */
export function severityText(severity: Severity, colour = colourEnabled(process.stdout)): string {
  return paint(colour, SEVERITY_COLOURS[severity], SEVERITY_LABELS[severity]);
}

/** The terminal's width; a pseudo-terminal without a size (script, some CI) reports 0: COLUMNS, else 80. */
function terminalWidth(): number {
  return process.stdout.columns || Number(process.env.COLUMNS) || 80;
}

interface TableColumn {
  header: string;
  /** Share of the spare width this column may take; fixed-width columns have none. */
  grow?: number;
  width?: number;
  align?: 'left' | 'right';
}

/**
 * A table that fits the terminal: long cells are cut with an ellipsis, never wrapped mid-word,
 * then tinted (so that a cut never splits a colour code). Piped (the tables inside `partner`
 * and `dashboard`; lists go out as TSV), cells stay whole and carry no colour codes. Cells are
 * text already made safe for a terminal.
 */
function table(columns: TableColumn[], rows: { text: string; colour: Colour | null }[][], totalWidth = Math.min(terminalWidth(), 120)): string {
  const colour = colourEnabled(process.stdout);
  const borders = columns.length + 1;
  const padding = columns.length * 2;
  // A loop, not `Math.max(...)` over the rows: ~125,000 rows or more overflowed the call stack.
  const natural = columns.map((column) => column.header.length);
  for (const row of rows) for (let index = 0; index < natural.length; index++) natural[index] = Math.max(natural[index]!, (row[index]?.text ?? '').length);
  const fixed = columns.map((column, index) => column.width ?? (column.grow === undefined ? natural[index]! : 0));
  const spare = Math.max(0, totalWidth - borders - padding - fixed.reduce((a, b) => a + b, 0));
  const growTotal = columns.reduce((sum, column) => sum + (column.grow ?? 0), 0);
  // Piped, nothing is cut: the reader is a program that needs every id whole.
  const widths =
    process.stdout.isTTY !== true
      ? natural
      : columns.map((column, index) =>
          column.grow === undefined ? fixed[index]! : Math.max(4, Math.min(natural[index]!, Math.floor((spare * column.grow) / growTotal))),
        );
  const rule = (left: string, cross: string, right: string) => `${left}${widths.map((width) => '─'.repeat(width + 2)).join(cross)}${right}`;
  // Padded on the text as cut, then tinted: a colour code takes no column.
  const line = (cells: { text: string; tint: (text: string) => string }[]) =>
    `│${cells
      .map(({ text, tint }, index) => {
        const cut = truncate(text, widths[index]!);
        const padding = ' '.repeat(widths[index]! - cut.length);
        return ` ${columns[index]!.align === 'right' ? `${padding}${tint(cut)}` : `${tint(cut)}${padding}`} `;
      })
      .join('│')}│`;
  return [
    rule('┌', '┬', '┐'),
    line(columns.map((column) => ({ text: column.header, tint: (text: string) => paint(colour, 'bold', text) }))),
    rule('├', '┼', '┤'),
    ...rows.map((row) =>
      line(row.map((cell) => ({ text: cell.text, tint: (text: string) => (cell.colour === null ? text : paint(colour, cell.colour, text)) }))),
    ),
    rule('└', '┴', '┘'),
  ].join('\n');
}

/** The JSON of `--json` (shared, as the store keeps the audit's flags in the same form). */
export { jsonText as json } from '@cafsup/shared';

/**
 * A value a list shows in one column: text, a number, a calendar date (`{ date }`) or a moment
 * (`{ at }`, shown in Europe/Paris), or nothing. Text outputs write dates in fr-FR; a workbook
 * keeps numbers and dates as such, so that a spreadsheet sorts and sums them.
 */
export type Cell = string | number | { date: string } | { at: string } | null;

/** One column of a list: the JSON field it shows, its French header, and its cell in words. */
export interface Column<Row> {
  field: string;
  header: string;
  cell: (row: Row) => Cell;
  /** How the terminal table sizes and tints it. */
  table?: { grow?: number; width?: number; align?: 'left' | 'right'; colour?: (row: Row) => Colour | null };
  /** A column for the terminal table only (a compact summary), or for data only (TSV, spreadsheets). */
  only?: 'table' | 'data';
}

/**
 * The rows of a list command, declared once: the terminal table, piped TSV, `--csv`, `--xlsx`,
 * `--json FIELDS` and `--quiet` are all drawn from it.
 */
export interface RowSpec<Row> {
  /** The key of the rows in the command's JSON (`partners`, `flags`…). */
  key: string;
  /** The worksheet's name in a workbook (31 characters at most). */
  sheet: string;
  /** What `--quiet` prints, one a line; none: `--quiet` prints nothing. */
  id?: (row: Row) => string;
  columns: Column<Row>[];
}

/** The JSON fields a list's rows offer, in column order (`--json FIELDS`, the help). */
export function fieldsOf<Row>(spec: RowSpec<Row>): string[] {
  return [...new Set(spec.columns.map((column) => column.field))];
}

/** The columns of TSV and spreadsheets: every datum, in words, none of the table's summaries. */
function dataColumns<Row>(spec: RowSpec<Row>): Column<Row>[] {
  return spec.columns.filter((column) => column.only !== 'table');
}

function cellText(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  if (typeof cell === 'string') return cell;
  return 'date' in cell ? frenchDate(cell.date) : frenchDateTime(cell.at);
}

/** The terminal table of a list: text from data escaped, colour only on a terminal. */
export function listTable<Row>(spec: RowSpec<Row>, rows: readonly Row[]): string {
  const shown = spec.columns.filter((column) => column.only !== 'data');
  return table(
    shown.map((column) => ({ header: column.header, ...column.table })),
    rows.map((row) => shown.map((column) => ({ text: escapeForTerminal(cellText(column.cell(row))), colour: column.table?.colour?.(row) ?? null }))),
  );
}

/**
 * Piped output: tab-separated, a header line, every value whole (never cut with « … »); control
 * characters (tabs and newlines included) come out escaped, so one row is one line.
 */
export function tsv<Row>(spec: RowSpec<Row>, rows: readonly Row[]): string {
  const columns = dataColumns(spec);
  const line = (cells: string[]) => cells.map(escapeForTerminal).join('\t');
  return [line(columns.map((column) => column.header)), ...rows.map((row) => line(columns.map((column) => cellText(column.cell(row)))))].join('\n');
}

/** CSV for French spreadsheets: the one writer of shared (`frenchCsv`). */
export function csv<Row>(spec: RowSpec<Row>, rows: readonly Row[]): string {
  const columns = dataColumns(spec);
  // Text and numbers as they are (the writer keeps text from being a formula), dates in words.
  const value = (cell: Cell) => (cell === null || typeof cell === 'string' || typeof cell === 'number' ? cell : cellText(cell));
  return frenchCsv([columns.map((column) => column.header), ...rows.map((row) => columns.map((column) => value(column.cell(row))))]);
}

/** The cells of a list for a workbook: headers, then each row. */
export function sheetOf<Row>(spec: RowSpec<Row>, rows: readonly Row[]): { name: string; rows: Cell[][] } {
  const columns = dataColumns(spec);
  return { name: spec.sheet, rows: [columns.map((column) => column.header), ...rows.map((row) => columns.map((column) => column.cell(row)))] };
}

/** The command's JSON with each row cut down to `fields` (`--json id,name`); the rest of the envelope stays. */
export function pickFields(value: unknown, key: string, fields: readonly string[]): unknown {
  const envelope = value as Record<string, unknown>;
  const rows = envelope[key] as Record<string, unknown>[];
  return { ...envelope, [key]: rows.map((row) => Object.fromEntries(fields.map((field) => [field, row[field] ?? null]))) };
}
