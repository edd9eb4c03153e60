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
import { dialectOf, type Sql } from '../store/engine/engine.js';

const CHUNK_CHARS = 1 << 16;

/**
 * One query per section, each in an explicit order so that both engines write the same bytes:
 * the row key (import order, kept when an entity is replaced) where the table has one, else the
 * primary key (PostgreSQL has no rowid).
 */
function sectionQueries(db: Sql): Record<DatasetSection, { sql: string; toEntity: (row: never) => unknown }> {
  const d = dialectOf(db);
  return {
    cafs: { sql: 'SELECT doc FROM cafs ORDER BY code', toEntity: (row: { doc: string }) => JSON.parse(row.doc) as unknown },
    partners: { sql: 'SELECT doc FROM partners ORDER BY id', toEntity: (row: { doc: string }) => JSON.parse(row.doc) as unknown },
    conventions: {
      sql: `SELECT c.doc, (SELECT ${d.jsonArrayAgg(d.json('a.doc'), 'a.number')} FROM (SELECT doc, number FROM avenants a WHERE a.partner_id = c.partner_id ORDER BY number) a) AS avenants
          FROM conventions c ORDER BY c.partner_id`,
      toEntity: (row: { doc: string; avenants: string }) => ({ ...(JSON.parse(row.doc) as object), avenants: JSON.parse(row.avenants) as unknown }),
    },
    users: { sql: 'SELECT * FROM users ORDER BY key', toEntity: (row: UserRow) => rowToUser(row) },
    groups: {
      sql: `SELECT g.id, g.partner_id, g.name,
            (SELECT ${d.jsonArrayAgg('m.id', 'm.position')} FROM (SELECT u.id, m.position FROM group_members m JOIN users u ON u.key = m.user_key
               WHERE m.group_key = g.key ORDER BY m.position) m) AS member_ids
          FROM groups g ORDER BY g.key`,
      toEntity: groupFromRow,
    },
    habilitations: {
      sql: `SELECT ${HABILITATION_COLUMNS} FROM ${HABILITATION_FROM} ORDER BY h.key`,
      toEntity: (row: HabilitationRow) => rowToHabilitation(row),
    },
    reviews: { sql: 'SELECT * FROM reviews ORDER BY key', toEntity: reviewFromRow },
  };
}

/**
 * Writes the whole store as a dataset document (dataset.md), one entity per line, in chunks
 * of about 64 KiB. Run it on a connection of its own, already inside one read snapshot, so
 * that the document is consistent: each section is a query of its own (on PostgreSQL, an
 * iteration outside a transaction would open a snapshot per section).
 */
export async function* exportDataset(db: Sql): AsyncGenerator<string> {
  let buffer = `{\n  "format": ${JSON.stringify(DATASET_FORMAT)},\n  "version": ${DATASET_VERSION}`;
  for (const [section, query] of Object.entries(sectionQueries(db))) {
    buffer += `,\n  ${JSON.stringify(section)}: [`;
    let first = true;
    for await (const row of db.iterate(query.sql)) {
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
