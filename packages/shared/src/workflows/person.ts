import { z } from '../zod.js';
import { lazySchema } from '../lazy.js';
import { withReason } from '../actions.js';
import type { CalendarDate } from '../dates.js';
import { idSchema } from '../fields.js';
import { safeTextSchema } from '../text.js';
import type { Trace } from '../trace.js';
import type { Group, User } from '../user.js';
import type { Habilitation } from '../habilitation.js';
import { HABILITATION_STATUS_LABELS, TRACE_ACTION_LABELS, USER_STATUS_LABELS } from '../labels.js';
import { longFrenchDate } from '../wording.js';
import { describeDecisionChange, type DecisionChange } from '../dataset.js';

// A person's own traces (contrat de services, art. 5.3.4: users ask for their traces through their
// line manager and the partner's administrator; RGPD art. 15 for AMP, loi 78-17 art. 39 for the
// other contracts): every decision trace about the person, their habilitations (direct or through
// a group) and their groups, and their current rights, as an extract handed to the partner's
// habilitation manager. The request itself is recorded.

// Which text a contract names is not in the dataset (AMP's contract, seed 001, names RGPD art. 15;
// seeds 002–004 name loi 78-17 art. 39): the extract cites both, each with the contracts that use it.
export const PERSON_EXTRACT_ARTICLE =
  'contrat de services, art. 5.3.4 (règlement (UE) 2016/679, art. 15, ou loi n° 78-17 du 6 janvier 1978, art. 39, selon le contrat)';

export const personExtractInputSchema = lazySchema(() =>
  withReason(
    {
      userId: idSchema,
      /** Who asked: the person (name), through whom (the manager or administrator who passed it on). */
      requestedBy: safeTextSchema(200).trim().min(1, 'qui demande : obligatoire'),
      through: safeTextSchema(200).trim().min(1).optional(),
    },
    { defaulted: true },
  ),
);
export type PersonExtractInput = z.input<typeof personExtractInputSchema>;

/**
 * A trace as an extract gives it. Where its content is masked (what an import changed for
 * others, a form that names others too) it comes without its hashes, `null`: they cover the
 * whole trace, and would let a guess about what is masked be confirmed (trial 22, F6).
 */
export type ExtractTrace = Omit<Trace, 'hash' | 'prevHash'> & { hash: string | null; prevHash: string | null };

/** The extract: the person, their rights now, and every trace that concerns them, oldest first. */
export interface PersonExtract {
  article: string;
  asOf: CalendarDate;
  user: User;
  partner: { id: string; name: string };
  groups: Group[];
  /** Held habilitations giving the person something, directly or through a group. */
  rights: (Habilitation & { via: 'direct' | 'group' })[];
  traces: ExtractTrace[];
  request: { requestedBy: string; through: string | null; recordedAt: string; recordedBy: string };
}

let parisClock: Intl.DateTimeFormat | undefined;

/** An instant as a French reader writes it, in Paris time: « 22/11/2026 11:00 ». */
function frenchInstant(at: string): string {
  parisClock ??= new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });
  return parisClock.format(new Date(at)).replace(',', '');
}

function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|');
}

/** What a trace is about: its target; for an import, what it changed of the person's (the extract keeps only that). */
function traceObject(trace: ExtractTrace): string {
  if (trace.action !== 'dataset.import') return trace.targetId ?? '';
  const changes = (trace.details as { decisionChanges?: DecisionChange[] } | null)?.decisionChanges ?? [];
  return changes.map((change) => describeDecisionChange(change)).join(' ; ');
}

/** The extract in Markdown (a text ready to print or turn into a PDF). */
export function personExtractMarkdown(extract: PersonExtract): string {
  const { user } = extract;
  const rights = extract.rights.map(
    (right) =>
      `| ${cell(right.id)} | ${cell(right.service)} | ${cell(right.profile)} | ${cell(right.departement ?? '')} | ${HABILITATION_STATUS_LABELS[right.status]} | ${right.via === 'direct' ? 'directe' : `groupe ${cell(right.groupId ?? '')}`} | ${frenchInstant(right.grantedAt)} | ${right.endsAt === null ? '' : longFrenchDate(right.endsAt)} |`,
  );
  const traces = extract.traces.map(
    (trace) =>
      `| ${trace.id} | ${frenchInstant(trace.at)} | ${TRACE_ACTION_LABELS[trace.action]} | ${cell(traceObject(trace))} | ${cell(`${trace.actor.name} <${trace.actor.email}>`)} | ${cell(trace.reason)} |`,
  );
  return [
    `# Extrait des traces de ${user.name}`,
    '',
    `Au titre du ${extract.article}.`,
    '',
    `- Partenaire : ${extract.partner.name} (${extract.partner.id})`,
    `- Utilisateur : ${user.id}, ${user.email}, ${USER_STATUS_LABELS[user.status]}`,
    `- Demande de : ${extract.request.requestedBy}${extract.request.through === null ? '' : `, transmise par ${extract.request.through}`}`,
    `- Enregistrée le ${frenchInstant(extract.request.recordedAt)} par ${extract.request.recordedBy}`,
    `- Groupes : ${extract.groups.length === 0 ? 'aucun' : extract.groups.map((group) => `${group.name} (${group.id})`).join(', ')}`,
    '',
    `## Droits détenus au ${longFrenchDate(extract.asOf)}`,
    '',
    ...(rights.length === 0
      ? ['Aucune habilitation détenue.']
      : ['| habilitation | service | profil | département | statut | attribution | accordée le | fin |', '|---|---|---|---|---|---|---|---|', ...rights]),
    '',
    `## Traces (${extract.traces.length})`,
    '',
    ...(traces.length === 0 ? ['Aucune trace.'] : ['| n° | date | action | objet | par | motif |', '|---|---|---|---|---|---|', ...traces]),
    '',
  ].join('\n');
}
