import { SEVERITIES, parisDay, type ActionResult, type Severity, type SeveritySummary } from '@cafsup/shared';

/** Formatting a French supervisor reads, shared by the plain commands and the interface. */

const ELLIPSIS = '…';

/** Cuts to `width` characters, marking the cut with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}${ELLIPSIS}`;
}

/** Pads or cuts to exactly `width` characters. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  return align === 'right' ? cut.padStart(width) : cut.padEnd(width);
}

let numbers: Intl.NumberFormat | undefined;

/** French number formatting (narrow no-break space for thousands). */
export function count(value: number): string {
  numbers ??= new Intl.NumberFormat('fr-FR');
  return numbers.format(value);
}

/** A calendar date as a French reader writes it (22/11/2026). */
export function frenchDate(date: string | null): string {
  if (date === null) return '—';
  const [year, month, day] = date.slice(0, 10).split('-');
  return `${day}/${month}/${year}`;
}

let clock: Intl.DateTimeFormat | undefined;

/** The Paris time of an instant (13:02), whatever the machine's zone. */
export function parisTime(instant: Date): string {
  clock ??= new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });
  return clock.format(instant);
}

/** A timestamp as its Paris day and time (22/11/2026 10:05), whatever the machine's zone. */
export function frenchDateTime(timestamp: string): string {
  return `${frenchDate(parisDay(timestamp))} ${parisTime(new Date(timestamp))}`;
}

function shown(value: unknown): string {
  return value === null || value === undefined ? '∅' : String(value);
}

/** What an action changed (or would change), one line per entity, naming only the fields that move. */
export function describeActionResult(result: ActionResult<Record<string, unknown>>): string[] {
  return [
    ...result.changed.map((change) => {
      const fields = Object.keys(change.after).filter((key) => shown(change.before[key]) !== shown(change.after[key]));
      const moves = fields.map((key) => `${key} ${shown(change.before[key])} → ${shown(change.after[key])}`).join(', ');
      return `  ${change.id} : ${moves}${change.traceId === null ? '' : `  (trace n° ${change.traceId})`}`;
    }),
    ...result.unchanged.map((item) => `  ${item.id} : inchangé (${item.reason})`),
  ];
}

const SEVERITY_INITIALS: Record<Severity, string> = { critical: 'C', high: 'E', medium: 'M', low: 'F' };

/** Flags by severity in a few characters (« 1C 2E »: critique, élevée, moyenne, faible), « — » when none. */
export function severityCounts(summary: SeveritySummary): string {
  const parts = SEVERITIES.filter((severity) => summary[severity] > 0).map((severity) => `${summary[severity]}${SEVERITY_INITIALS[severity]}`);
  return parts.length === 0 ? '—' : parts.join(' ');
}

/** Where an avenant stands at the evaluation date, in the words of every list that shows it. */
export function avenantStanding(avenant: { applies: boolean; signed: boolean; effectiveFrom: string | null }): string {
  if (avenant.applies) return `en vigueur depuis le ${frenchDate(avenant.effectiveFrom)}`;
  return avenant.signed ? `signé, effet le ${frenchDate(avenant.effectiveFrom)}` : 'PROJET (non signé)';
}
