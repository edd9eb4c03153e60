import type { Caller } from '../operations/execute.js';
import { operationSpec, type Operation } from '../operations/table.js';

/** What one server process keeps of its answers: enough for the pages and dashboards polled, never a whole audit twice over. */
const KEPT_BYTES = 32 << 20;
/** An answer larger than this (a national audit) is sent but not kept: it would push out hundreds of pages. */
const LARGEST_KEPT = 2 << 20;

/**
 * The JSON text of the server's reads, kept while the trail's head does not move. A cache
 * checked against the database at every request, so nothing a server needs is held only in its
 * memory (operations.md, "Horizontal scale"). Every change to what a `keptAnswer` operation reads is traced, so the head read by
 * the request's token check — in the same trip to the store — says whether a kept text is still
 * the answer; with the day (its default `asOf`) and the caller's role and Cafs, the input names
 * it. The head of every process's store is the database's, so a write through another server
 * process, or the command line, makes the next request here compute again.
 */
export class KeptAnswers {
  private version = '';
  /** Oldest first: a kept text read again moves to the end. */
  private readonly texts = new Map<string, string>();
  private bytes = 0;

  /**
   * What names an answer among those kept: the input, with the day (its default `asOf`) and the
   * caller's role and Cafs. Null for an operation whose answer depends on more than traced data:
   * it is computed each time.
   */
  keyOf(name: Operation, input: unknown, caller: Caller, today: string): string | null {
    return operationSpec(name).keptAnswer === true ? JSON.stringify([name, input, caller.role, caller.cafCodes, today]) : null;
  }

  /** The text kept under `key`, when the head is still `version`, the one the request's credential was checked at. */
  get(version: string, key: string): string | undefined {
    if (version !== this.version) this.forgetAll(version);
    const kept = this.texts.get(key);
    if (kept !== undefined) {
      this.texts.delete(key);
      this.texts.set(key, kept);
    }
    return kept;
  }

  /** Keeps a text computed at the head `version`: only if no later request saw the head move meanwhile. */
  offer(version: string, key: string, json: string): void {
    if (version === this.version) this.keep(key, json);
  }

  private keep(key: string, json: string): void {
    if (json.length > LARGEST_KEPT) return;
    // Two requests for the same answer may both have computed it (PostgreSQL runs them at once).
    this.bytes -= this.texts.get(key)?.length ?? 0;
    this.texts.delete(key);
    for (const [oldest, text] of this.texts) {
      if (this.bytes + json.length <= KEPT_BYTES) break;
      this.texts.delete(oldest);
      this.bytes -= text.length;
    }
    this.texts.set(key, json);
    this.bytes += json.length;
  }

  private forgetAll(version: string): void {
    this.texts.clear();
    this.bytes = 0;
    this.version = version;
  }
}
