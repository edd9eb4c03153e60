import { MANAGEMENT_MODE_LABELS, escapeForTerminal, isCalendarDate, type ActionResult } from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
import { fit, frenchDate, frenchDateTime, statusWordsOf } from '../format.js';

// The interface's sentences about data: names beside ids, codes as French words, dates in
// fr-FR and Paris time (tui.md, « What a supervisor expects next »).

/** « Name (id) » fitted to `width`: the name is cut, never the id, the handle of the next command. */
export function nameAndId(name: string | undefined, id: string, width: number): string {
  const suffix = ` (${id})`;
  if (name === undefined) return fit(id, width);
  return fit(`${fit(escapeForTerminal(name), Math.max(1, width - suffix.length)).trimEnd()}${suffix}`, width);
}

/** What a field of an action's before/after is called, and how its values read (a status's, by `statusWordsOf`). */
const FIELDS: Record<string, { label: string; value?(value: unknown): string }> = {
  status: { label: 'statut' },
  suspendedAt: { label: 'suspendue le' },
  revokedAt: { label: 'dévalidée le' },
  mustChangePassword: { label: 'mot de passe à changer', value: (value) => (value === true ? 'oui' : 'non') },
  managementMode: { label: 'gestion', value: (value) => MANAGEMENT_MODE_LABELS[value as keyof typeof MANAGEMENT_MODE_LABELS] ?? String(value) },
  delegationWithdrawnAt: { label: 'délégation retirée le' },
};

/** A value of data as a French reader reads it: dates in fr-FR, instants in Paris time, « — » for none. */
export function valueInWords(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  if (typeof value === 'string' && isCalendarDate(value)) return frenchDate(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) return frenchDateTime(value);
  if (typeof value === 'string') return escapeForTerminal(value);
  return escapeForTerminal(JSON.stringify(value));
}

/** Timestamps that say when a status changed: said with the status, not on their own. */
const WHEN_OF_STATUS = new Set(['suspendedAt', 'revokedAt']);

/** The fields that move from `before` to `after`, in words: « statut : active → suspendue le 01/12/2026 13:02 ». */
export function changesInWords(before: unknown, after: unknown): string[] {
  const from = (before ?? {}) as Record<string, unknown>;
  const to = (after ?? {}) as Record<string, unknown>;
  const moved = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((key) => JSON.stringify(from[key]) !== JSON.stringify(to[key]));
  const when = moved.find((key) => WHEN_OF_STATUS.has(key) && to[key] !== null && to[key] !== undefined);
  const statusMoves = moved.includes('status');
  // A user's « actif → suspendu », a habilitation's « active → suspendue » (trial 27: a user's read « active »).
  const statuses = statusWordsOf(to);
  const status = (value: unknown) => statuses[String(value)] ?? valueInWords(value);
  return moved
    .filter((key) => !(statusMoves && key === when))
    .map((key) => {
      if (key === 'status' && when !== undefined) return `statut : ${status(from.status)} → ${status(to.status)} le ${valueInWords(to[when])}`;
      const field = FIELDS[key];
      const say = (value: unknown) => {
        if (key === 'status') return status(value);
        return value === null || value === undefined || field?.value === undefined ? valueInWords(value) : field.value(value);
      };
      // A timestamp that appears says when: « suspendue le 01/12/2026 13:02 ».
      if (field !== undefined && field.value === undefined && (from[key] === null || from[key] === undefined)) return `${field.label} ${say(to[key])}`;
      return `${field?.label ?? key} : ${say(from[key])} → ${say(to[key])}`;
    });
}

/** Who or what an id names, for sentences: « Louise Martin, CDAP T13, 13 ». */
export type Describe = (id: string) => string | undefined;

/** One line per entity of an action's result: its id, what it is, and what changes. */
export function resultInWords(result: ActionResult<Record<string, unknown>>, describe: Describe): string[] {
  const named = (id: string) => {
    const what = describe(id);
    return what === undefined ? id : `${id} (${escapeForTerminal(what)})`;
  };
  return [
    ...result.changed.map(
      (change) =>
        `  ${named(change.id)} : ${changesInWords(change.before, change.after).join(', ')}${change.traceId === null ? '' : `  (trace n° ${change.traceId})`}`,
    ),
    ...result.unchanged.map((item) => `  ${named(item.id)} : inchangé (${escapeForTerminal(item.reason)})`),
  ];
}

/** No preview names more entities than this; the rest are counted. */
const NAMED_IN_PREVIEW = 200;

/** Names for habilitation ids: the holder (person or group), the profile, the département. */
export async function describeHabilitations(client: CafsupClient, ids: readonly string[]): Promise<Describe> {
  const habilitations = await Promise.all(ids.slice(0, NAMED_IN_PREVIEW).map((id) => client.habilitations.get(id).catch(() => null)));
  const holders = new Map<string, string>();
  await Promise.all(
    habilitations.map(async (habilitation) => {
      if (habilitation === null) return;
      if (habilitation.userId !== null)
        holders.set(
          habilitation.id,
          await client.users.get(habilitation.userId).then(
            (user) => user.name,
            () => habilitation.userId!,
          ),
        );
      else
        holders.set(
          habilitation.id,
          await client.groups.get(habilitation.groupId!).then(
            (group) => `groupe ${group.name}`,
            () => `groupe ${habilitation.groupId}`,
          ),
        );
    }),
  );
  const byId = new Map(habilitations.flatMap((habilitation) => (habilitation === null ? [] : [[habilitation.id, habilitation] as const])));
  return (id) => {
    const habilitation = byId.get(id);
    if (habilitation === undefined) return undefined;
    return [holders.get(id), `${habilitation.service} ${habilitation.profile}`, habilitation.departement]
      .filter((part) => part !== null && part !== undefined)
      .join(', ');
  };
}

/** Names for user ids: the person and their e-mail. */
export async function describeUsers(client: CafsupClient, ids: readonly string[]): Promise<Describe> {
  const users = await Promise.all(ids.slice(0, NAMED_IN_PREVIEW).map((id) => client.users.get(id).catch(() => null)));
  const byId = new Map(users.flatMap((user) => (user === null ? [] : [[user.id, `${user.name}, ${user.email}`] as const])));
  return (id) => byId.get(id);
}
