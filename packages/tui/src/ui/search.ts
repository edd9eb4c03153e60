import { TRACE_ACTION_LABELS, searchFold, type Trace } from '@cafsup/shared';

/** The rows whose text contains `filter` (normalised); all of them when the filter is empty. */
export function filterRows<T>(rows: readonly T[], filter: string, textOf: (row: T) => string): readonly T[] {
  const needle = searchFold(filter.trim());
  return needle === '' ? rows : rows.filter((row) => searchFold(textOf(row)).includes(needle));
}

/** The text `/` searches in a trace: who, what (code and French words), on what, why. */
export function traceSearchText(trace: Trace): string {
  return `${trace.partnerId ?? ''} ${trace.actor.name} ${trace.actor.email} ${trace.action} ${TRACE_ACTION_LABELS[trace.action]} ${trace.targetId ?? ''} ${trace.reason}`;
}
