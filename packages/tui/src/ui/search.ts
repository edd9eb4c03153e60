import { TRACE_ACTION_LABELS, type Trace } from '@cafsup/shared';

/** Text as `/` and `:cherche` compare it: without accents or case (« Mérignac » matches « merignac »). */
export function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** The rows whose text contains `filter` (normalised); all of them when the filter is empty. */
export function filterRows<T>(rows: readonly T[], filter: string, textOf: (row: T) => string): readonly T[] {
  const needle = normalise(filter.trim());
  return needle === '' ? rows : rows.filter((row) => normalise(textOf(row)).includes(needle));
}

/** The text `/` searches in a trace: who, what (code and French words), on what, why. */
export function traceSearchText(trace: Trace): string {
  return `${trace.partnerId ?? ''} ${trace.actor.name} ${trace.actor.email} ${trace.action} ${TRACE_ACTION_LABELS[trace.action]} ${trace.targetId ?? ''} ${trace.reason}`;
}
