// What the floors read of a dataset and how they write its habilitations: shared by
// floor-import.mjs and floor-layout.mjs, so that both floors read and write alike.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** cafsup's habilitations columns but its key, with their PostgreSQL types (schema.ts). */
export const HABILITATION_COLUMNS = [
  ['id', 'text'],
  ['partner_id', 'text'],
  ['user_key', 'int8'],
  ['group_key', 'int8'],
  ['service', 'text'],
  ['profile', 'text'],
  ['departement', 'text'],
  ['status', 'text'],
  ['granted_at', 'text'],
  ['granted_ms', 'int8'],
  ['suspended_at', 'text'],
  ['suspended_day', 'text'],
  ['revoked_at', 'text'],
  ['revoked_day', 'text'],
];

/** The records of the dataset's `sections` arrays, one per line (generate.mjs writes them so), as [section, record]. */
export async function* datasetRecords(file, sections) {
  let section = null;
  for await (const line of createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity })) {
    const opening = /^ {2}"(\w+)": \[/.exec(line);
    if (opening !== null) section = opening[1];
    else if (sections.includes(section) && line.startsWith('    {')) yield [section, JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line)];
  }
}

/** A habilitation's cells in HABILITATION_COLUMNS' order, its user's and group's keys given. */
export function habilitationCells(h, userKey, groupKey) {
  return [
    h.id,
    h.partnerId,
    userKey,
    groupKey,
    h.service,
    h.profile,
    h.departement,
    h.status,
    h.grantedAt,
    Date.parse(h.grantedAt),
    h.suspendedAt,
    h.suspendedAt?.slice(0, 10) ?? null,
    h.revokedAt,
    h.revokedAt?.slice(0, 10) ?? null,
  ];
}
