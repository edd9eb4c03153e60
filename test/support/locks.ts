import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * A copy of the store `source` at `copy`, held by another connection as another process would:
 * a rollback journal and a write under way, so that every other connection, even a reader, waits
 * for it. Close it to let go.
 */
export function lockedCopy(source: string, copy: string): Database.Database {
  copyFileSync(source, copy);
  const holder = new Database(copy);
  holder.pragma('journal_mode = DELETE');
  holder.exec('BEGIN EXCLUSIVE');
  holder.exec("UPDATE meta SET value = value WHERE key = 'trace_head'");
  return holder;
}
