import type Database from 'better-sqlite3';
import { DATASET_FORMAT, DATASET_VERSION, type DatasetSection } from '@cafsup/shared';
import {
  HABILITATION_COLUMNS,
  HABILITATION_FROM,
  groupFromRow,
  reviewFromRow,
  rowToHabilitation,
  rowToUser,
  type HabilitationRow,
  type UserRow,
} from './rows.js';

const CHUNK_CHARS = 1 << 16;

const SECTION_QUERIES: Record<DatasetSection, { sql: string; toEntity: (row: never) => unknown }> = {
  cafs: { sql: 'SELECT doc FROM cafs ORDER BY rowid', toEntity: (row: { doc: string }) => JSON.parse(row.doc) as unknown },
  partners: { sql: 'SELECT doc FROM partners ORDER BY rowid', toEntity: (row: { doc: string }) => JSON.parse(row.doc) as unknown },
  conventions: {
    sql: `SELECT c.doc, (SELECT json_group_array(json(a.doc)) FROM (SELECT doc FROM avenants a WHERE a.partner_id = c.partner_id ORDER BY number) a) AS avenants
          FROM conventions c ORDER BY c.rowid`,
    toEntity: (row: { doc: string; avenants: string }) => ({ ...(JSON.parse(row.doc) as object), avenants: JSON.parse(row.avenants) as unknown }),
  },
  users: { sql: 'SELECT * FROM users ORDER BY key', toEntity: (row: UserRow) => rowToUser(row) },
  groups: {
    sql: `SELECT g.id, g.partner_id, g.name,
            (SELECT json_group_array(u.id) FROM (SELECT user_key FROM group_members m WHERE m.group_key = g.key ORDER BY position) m
               JOIN users u ON u.key = m.user_key) AS member_ids
          FROM groups g ORDER BY g.key`,
    toEntity: groupFromRow,
  },
  habilitations: {
    sql: `SELECT ${HABILITATION_COLUMNS} FROM ${HABILITATION_FROM} ORDER BY h.key`,
    toEntity: (row: HabilitationRow) => rowToHabilitation(row),
  },
  reviews: { sql: 'SELECT * FROM reviews ORDER BY key', toEntity: reviewFromRow },
};

/**
 * Writes the whole store as a dataset document (dataset.md), one entity per line, in chunks
 * of about 64 KiB. Run it on a connection of its own inside a read transaction so that the
 * document is one consistent snapshot.
 */
export function* exportDataset(db: Database.Database): Generator<string> {
  let buffer = `{\n  "format": ${JSON.stringify(DATASET_FORMAT)},\n  "version": ${DATASET_VERSION}`;
  for (const [section, query] of Object.entries(SECTION_QUERIES)) {
    buffer += `,\n  ${JSON.stringify(section)}: [`;
    let first = true;
    for (const row of db.prepare(query.sql).iterate()) {
      buffer += `${first ? '\n    ' : ',\n    '}${JSON.stringify(query.toEntity(row as never))}`;
      first = false;
      if (buffer.length >= CHUNK_CHARS) {
        yield buffer;
        buffer = '';
      }
    }
    buffer += first ? ']' : '\n  ]';
  }
  yield `${buffer}\n}\n`;
}
