import {
  AVENANT_SIGNING_LABELS,
  HABILITATION_STATUS_LABELS,
  MANAGEMENT_MODE_LABELS,
  SEVERITIES,
  USER_STATUS_LABELS,
  avenantSigning,
  countOf,
  escapeForTerminal,
  fileProblem,
  frenchNumber,
  parisDay,
  parisTimeOfEpochMs,
  type ActionResult,
  type AvenantView,
  type Severity,
  type SeveritySummary,
  type Trace,
} from '@cafsup/shared';

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

/** French number formatting (narrow no-break space for thousands). */
export const count = frenchNumber;

/** A calendar date as a French reader writes it (22/11/2026). */
export function frenchDate(date: string | null): string {
  if (date === null) return '—';
  const [year, month, day] = date.slice(0, 10).split('-');
  return `${day}/${month}/${year}`;
}

/** The Paris time of an instant (13:02), whatever the machine's zone. */
export function parisTime(instant: Date): string {
  return parisTimeOfEpochMs(instant.getTime());
}

/** A timestamp as its Paris day and time (22/11/2026 10:05), whatever the machine's zone. */
export function frenchDateTime(timestamp: string): string {
  return `${frenchDate(parisDay(timestamp))} ${parisTime(new Date(timestamp))}`;
}

/** The words of the fields an action changes (the SDK's `before`/`after`). */
const CHANGED_FIELD_LABELS: Record<string, string> = {
  status: 'statut',
  suspendedAt: 'suspension',
  revokedAt: 'dévalidation',
  mustChangePassword: 'changement de mot de passe imposé',
  managementMode: 'mode de gestion',
  delegationWithdrawnAt: 'retrait de délégation',
};

/**
 * The words of a changed entity's statuses: a habilitation's (« suspendue ») or a user's
 * (« suspendu »), told by the fields its state carries.
 */
export function statusWordsOf(after: Record<string, unknown>): Readonly<Record<string, string>> {
  return 'revokedAt' in after || 'suspendedAt' in after ? HABILITATION_STATUS_LABELS : USER_STATUS_LABELS;
}

/** A changed value in words: dates in fr-FR, statuses and modes by their French label. */
function shown(key: string, value: unknown, statuses: Readonly<Record<string, string>>): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  if (key === 'status') return statuses[text] ?? text;
  if (key === 'managementMode') return MANAGEMENT_MODE_LABELS[text as 'delegated'] ?? text;
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) return frenchDateTime(text);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return frenchDate(text);
  return escapeForTerminal(text);
}

/** What an action changed (or would change), one line per entity, naming only the fields that move, in French. */
export function describeActionResult(result: ActionResult<Record<string, unknown>>): string[] {
  return [
    ...result.changed.map((change) => {
      const statuses = statusWordsOf(change.after);
      const fields = Object.keys(change.after).filter((key) => JSON.stringify(change.before[key] ?? null) !== JSON.stringify(change.after[key] ?? null));
      const moves = fields
        .map((key) => `${CHANGED_FIELD_LABELS[key] ?? key} ${shown(key, change.before[key], statuses)} → ${shown(key, change.after[key], statuses)}`)
        .join(', ');
      return `  ${escapeForTerminal(change.id)} : ${moves}${change.traceId === null ? '' : `  (trace n° ${change.traceId})`}`;
    }),
    ...result.unchanged.map((item) => `  ${escapeForTerminal(item.id)} : inchangé (${escapeForTerminal(item.reason)})`),
  ];
}

const SEVERITY_INITIALS: Record<Severity, string> = { critical: 'C', high: 'E', medium: 'M', low: 'F' };

/** Flags by severity in a few characters (« 1C 2E »: critique, élevée, moyenne, faible), « — » when none. */
export function severityCounts(summary: SeveritySummary): string {
  const parts = SEVERITIES.filter((severity) => summary[severity] > 0).map((severity) => `${summary[severity]}${SEVERITY_INITIALS[severity]}`);
  return parts.length === 0 ? '—' : parts.join(' ');
}

/** Where an avenant stands at the evaluation date, in the words of every list that shows it. */
export function avenantStanding(avenant: AvenantView): string {
  if (avenant.applies) return `en vigueur depuis le ${frenchDate(avenant.effectiveFrom)}`;
  if (avenant.signed) return `signé, effet le ${frenchDate(avenant.effectiveFrom)}`;
  // One side signed: said, rather than « non signé » beside that side's date (trial 21, F10).
  return `PROJET (${AVENANT_SIGNING_LABELS[avenantSigning(avenant)]})`;
}

/** Why a file cannot be read, in words (a refusal said « (ENOENT) »; trial 22, F8). */
export function unreadableReason(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'fichier introuvable';
  return fileProblem(error) ?? `illisible (${(error as Error).message})`;
}

/** Why a file could not be written, in French (trial 36). */
export function unwritableReason(error: unknown): string {
  // Its folder exists (checkOutputFile): one where no file can be made (/proc), or gone meanwhile.
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'impossible d’y créer un fichier';
  return fileProblem(error) ?? `écriture refusée par le système (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
}

/** A trace's target as the trail shows it; an import names none: the decisions it changed, if any (trial 22, F10). */
export function traceTarget(trace: Trace): string {
  if (trace.targetId !== null) return trace.targetId;
  const total = (trace.details as { decisionChangesTotal?: unknown } | null)?.decisionChangesTotal;
  return trace.action === 'dataset.import' && typeof total === 'number' && total > 0 ? countOf(total, 'décision changée', 'décisions changées') : '—';
}
