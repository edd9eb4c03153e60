import { useContext, useEffect, useMemo } from 'react';
import { Box, Text } from 'ink';
import { escapeForTerminal } from '@cafsup/shared';
import { fit } from '../../format.js';
import { ShownListsContext } from '../shown-list.js';
import { theme } from '../theme.js';

export interface ColumnSpec<T> {
  header: string;
  /** Fixed width; otherwise the column shares the spare width by `grow`. */
  width?: number;
  grow?: number;
  /**
   * As wide as its longest cell: for ids, the handle of the next command, never cut
   * (tui.md, « Names first »).
   */
  whole?: true;
  /** The column is left out of terminals narrower than this. */
  hideBelow?: number;
  /** Left out, last first, when whole ids leave the growing columns (names) too narrow to read. */
  optional?: true;
  align?: 'left' | 'right';
  /** The cell's text; text from data is escaped by the table. */
  cell(row: T): string;
  colour?(row: T): string | undefined;
}

interface TableProps<T> {
  columns: ColumnSpec<T>[];
  rows: readonly T[];
  cursor: number;
  offset: number;
  /** Rows of data shown (the header takes one more line). */
  height: number;
  width: number;
  idOf?(row: T): string;
  marked?: ReadonlySet<string>;
  focused?: boolean;
  empty: string;
}

const GUTTER = 2;

/** Column widths that fill `width`: fixed ones first, the rest shared by `grow`. */
export function columnWidths(columns: readonly { width?: number; grow?: number }[], width: number): number[] {
  const separators = columns.length - 1;
  const fixed = columns.reduce((sum, column) => sum + (column.width ?? 0), 0);
  const spare = Math.max(0, width - GUTTER - separators - fixed);
  const growTotal = columns.reduce((sum, column) => sum + (column.width === undefined ? (column.grow ?? 1) : 0), 0);
  let given = 0;
  const growing = columns.filter((column) => column.width === undefined).length;
  let seen = 0;
  return columns.map((column) => {
    if (column.width !== undefined) return column.width;
    seen += 1;
    // The last growing column takes the rounding remainder, so rows are exactly `width` wide.
    const share = seen === growing ? spare - given : Math.floor((spare * (column.grow ?? 1)) / growTotal);
    given += share;
    return Math.max(1, share);
  });
}

/** Below this, a name column says too little: optional columns give it their room. */
const READABLE = 16;

/** The columns shown at `width`, the `whole` ones sized to their longest cell. */
function layout<T>(columns: ColumnSpec<T>[], rows: readonly T[], width: number): ColumnSpec<T>[] {
  let shown = columns
    .filter((column) => column.hideBelow === undefined || width >= column.hideBelow)
    .map((column) =>
      column.whole === undefined
        ? column
        : { ...column, width: rows.reduce((longest, row) => Math.max(longest, column.cell(row).length), column.header.length) },
    );
  const growing = () => shown.filter((column) => column.width === undefined).length;
  const spare = () => width - GUTTER - (shown.length - 1) - shown.reduce((sum, column) => sum + (column.width ?? 0), 0);
  while (growing() > 0 && spare() < READABLE * growing()) {
    const last = shown.findLastIndex((column) => column.optional === true);
    if (last === -1) break;
    shown = shown.filter((_, index) => index !== last);
  }
  return shown;
}

/**
 * A list that renders only its visible window, so 100,000 rows cost what 20 do; the cursor
 * row is inverted (and marked with ›), selected rows carry a ● in the gutter.
 */
export function Table<T>({ columns, rows, cursor, offset, height, width, idOf, marked, focused = true, empty }: TableProps<T>) {
  const shown = useMemo(() => layout(columns, rows, width), [columns, rows, width]);
  // `e` writes this list, every row and every column whatever the width, while it has the focus.
  const lists = useContext(ShownListsContext);
  useEffect(() => {
    if (!focused || lists === null) return;
    return lists.offer({
      headers: columns.map((column) => column.header),
      count: rows.length,
      cells: (from, to) => rows.slice(from, to).map((row) => columns.map((column) => column.cell(row))),
    });
  }, [lists, focused, columns, rows]);
  const widths = columnWidths(shown, width);
  const header = shown.map((column, index) => fit(column.header, widths[index]!, column.align)).join(' ');
  const visible = rows.slice(offset, offset + Math.max(0, height));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">{`${' '.repeat(GUTTER)}${header}`}</Text>
      {rows.length === 0 ? <Text color={theme.muted}>{`  ${empty}`}</Text> : null}
      {visible.map((row, index) => {
        const position = offset + index;
        const isCursor = position === cursor && focused;
        const isMarked = idOf !== undefined && marked?.has(idOf(row)) === true;
        const gutter = `${isMarked ? '●' : ' '}${isCursor ? '›' : ' '}`;
        return (
          <Text key={idOf?.(row) ?? position} wrap="truncate" inverse={isCursor}>
            {gutter}
            {shown.map((column, columnIndex) => {
              const text = fit(escapeForTerminal(column.cell(row)), widths[columnIndex]!, column.align);
              const colour = column.colour?.(row);
              return (
                <Text key={columnIndex} {...(colour === undefined ? {} : { color: colour })}>
                  {columnIndex === 0 ? text : ` ${text}`}
                </Text>
              );
            })}
          </Text>
        );
      })}
    </Box>
  );
}
