import { isDatasetSection, type DatasetSection, type Problem } from '@cafsup/shared';
import { workerFile } from '../workers/file.js';
import { checkElement, type Checked } from './checks.js';
import { JsonSyntaxError, type DatasetEvent, type JsonPosition } from './json-reader.js';
import { HABILITATION_WRITTEN, USER_WRITTEN, habilitationValues, userValues, type HabilitationRow } from './rows.js';

/**
 * What the import reads, in the document's order: the dataset checked and mapped, one element
 * or one block of rows at a time. A stream of bytes is parsed, checked and mapped in a worker
 * thread, so that on two cores the parsing of the next rows overlaps the writing of these.
 */
export type Segment =
  | { kind: 'progress'; bytes: number }
  | { kind: 'field'; key: string; value: unknown }
  | { kind: 'invalid'; section: DatasetSection; index: number; problems: Problem[]; id: string | null }
  | { kind: 'entity'; section: Exclude<DatasetSection, 'users' | 'habilitations'>; index: number; value: unknown }
  | ({ kind: 'rows' } & PackedRows);

/**
 * Consecutive valid users or habilitations (from `first` on), packed so that passing them from
 * the worker costs little: a structured clone of a million small objects takes seconds, one
 * number array and one string per block almost nothing. Each field is a number, a code into a
 * dictionary of repeated strings (partner ids, statuses, profiles…; `codes` holds the entries
 * new in this block) or a text whose length is in `numbers` and whose characters follow in
 * `text`. -1 stands for null.
 */
export interface PackedRows {
  section: 'users' | 'habilitations';
  first: number;
  count: number;
  numbers: Float64Array;
  text: string;
  codes: string[];
}

type Kind = 'number' | 'code' | 'text';

const USER_KINDS: Record<(typeof USER_WRITTEN)[number], Kind> = {
  id: 'text',
  partner_id: 'code',
  name: 'text',
  email: 'text',
  email_norm: 'text',
  mailbox: 'text',
  function: 'text',
  role: 'code',
  status: 'code',
  created_at: 'text',
  last_login_at: 'text',
  password_changed_at: 'text',
  must_change_password: 'number',
  mission_end_at: 'text',
  disabled_at: 'text',
  departement: 'code',
  seen_day: 'text',
  password_day: 'text',
  devalidated_day: 'text',
};

/** A habilitation's user and group travel as their ids: the import gives their keys. */
const HABILITATION_KINDS: Record<Exclude<keyof HabilitationRow, 'key'>, Kind> = {
  id: 'text',
  partner_id: 'code',
  user_id: 'text',
  group_id: 'text',
  service: 'code',
  profile: 'code',
  departement: 'code',
  status: 'code',
  granted_at: 'text',
  granted_ms: 'number',
  suspended_at: 'text',
  suspended_day: 'text',
  revoked_at: 'text',
  revoked_day: 'text',
  ends_at: 'text',
};

/**
 * The kinds of a packed row's fields, in the order of the statement that writes it
 * (`USER_INSERT`, `HABILITATION_INSERT`): an unpacked row is its parameters, a habilitation's
 * user and group ids standing where their keys go.
 */
const KINDS: Record<PackedRows['section'], readonly Kind[]> = {
  users: USER_WRITTEN.map((column) => USER_KINDS[column]),
  habilitations: HABILITATION_WRITTEN.map((column) => HABILITATION_KINDS[column === 'user_key' ? 'user_id' : column === 'group_key' ? 'group_id' : column]),
};

/** A checked row's fields in the order of `KINDS`. */
function packedValues(checked: Extract<Checked, { ok: true; section: PackedRows['section'] }>): unknown[] {
  if (checked.section === 'users') return userValues(checked.row);
  return habilitationValues(checked.row, checked.row.user_id, checked.row.group_id);
}

/** Rows in one block: enough to make a statement's round trip worth it, few enough to stay small. */
const BLOCK_ROWS = 2000;
/** Segments handed on at once (a message from the worker). */
const SEGMENTS_PER_MESSAGE = 256;

interface OpenBlock {
  section: PackedRows['section'];
  first: number;
  count: number;
  /** Filled up to `filled` in the writer's scratch array, copied out when the block closes. */
  filled: number;
  text: string[];
  codes: string[];
}

/** No code taken yet (-1): the first value of the field is looked up. */
const lastCodedNone = (): { value: unknown; code: number } => ({ value: null, code: -1 });

/** Turns dataset events into segments: checks each element, packs valid rows into blocks. */
export class SegmentWriter {
  private segments: Segment[] = [];
  private rows = 0;
  private block: OpenBlock | null = null;
  private readonly codes = new Map<string, number>();
  /**
   * The numbers of the open block, written in place: enough for BLOCK_ROWS rows of the widest
   * section, allocated once (a block cut short after one row, by an invalid element, cost a
   * whole array of its own: review 28, L2).
   */
  private readonly scratch = new Float64Array(BLOCK_ROWS * Math.max(KINDS.users.length, KINDS.habilitations.length));
  /**
   * The last code each field of each section took, and its text: consecutive rows mostly share
   * their partner, service, profile and status, and a comparison costs less than a look-up.
   */
  private readonly lastCoded = { users: KINDS.users.map(lastCodedNone), habilitations: KINDS.habilitations.map(lastCodedNone) };

  /** Enough segments are waiting to be handed on. */
  get ready(): boolean {
    return this.segments.length >= SEGMENTS_PER_MESSAGE || this.rows >= BLOCK_ROWS;
  }

  push(event: DatasetEvent): void {
    if (event.kind === 'progress') this.add({ kind: 'progress', bytes: event.bytes });
    else if (event.kind === 'field') this.add({ kind: 'field', key: event.key, value: event.value });
    else if (isDatasetSection(event.section)) {
      const { section, index } = event;
      const checked = checkElement(section, index, event.value);
      if (!checked.ok) this.add({ kind: 'invalid', section, index, problems: checked.problems, id: checked.id });
      else if (checked.section === 'users' || checked.section === 'habilitations') this.pack(checked.section, index, packedValues(checked));
      else this.add({ kind: 'entity', section: checked.section, index, value: checked.entity });
    }
  }

  /** The segments waiting, handed on (the last block closed). */
  take(): Segment[] {
    this.close();
    const segments = this.segments;
    this.segments = [];
    this.rows = 0;
    return segments;
  }

  private add(segment: Segment): void {
    this.close();
    this.segments.push(segment);
  }

  private pack(section: PackedRows['section'], index: number, values: unknown[]): void {
    const kinds = KINDS[section];
    let block = this.block;
    if (block === null || block.section !== section || block.first + block.count !== index || block.count >= BLOCK_ROWS) {
      this.close();
      block = this.block = { section, first: index, count: 0, filled: 0, text: [], codes: [] };
    }
    const numbers = this.scratch;
    const lastCoded = this.lastCoded[section];
    let at = block.filled;
    for (let f = 0; f < kinds.length; f++) {
      const kind = kinds[f];
      const value = values[f];
      if (kind === 'number') numbers[at++] = value as number;
      else if (value === null) numbers[at++] = -1;
      else if (kind === 'text') {
        numbers[at++] = (value as string).length;
        block.text.push(value as string);
      } else {
        const last = lastCoded[f]!;
        if (last.code === -1 || value !== last.value) {
          let code = this.codes.get(value as string);
          if (code === undefined) {
            code = this.codes.size;
            this.codes.set(value as string, code);
            block.codes.push(value as string);
          }
          last.value = value;
          last.code = code;
        }
        numbers[at++] = last.code;
      }
    }
    block.filled = at;
    block.count += 1;
    this.rows += 1;
  }

  private close(): void {
    const block = this.block;
    if (block === null) return;
    this.block = null;
    this.segments.push({
      kind: 'rows',
      section: block.section,
      first: block.first,
      count: block.count,
      // A copy of its own, to its size: its buffer is handed over whole.
      numbers: this.scratch.slice(0, block.filled),
      text: block.text.join(''),
      codes: block.codes,
    });
  }
}

/**
 * Unpacks the rows of a block, in order, each as the parameters of its statement (`KINDS`) with
 * `spare` empty places after them; `codes` is the dictionary so far, which the block extends.
 */
export function unpackRows(block: PackedRows, codes: string[], spare = 0): unknown[][] {
  for (const code of block.codes) codes.push(code);
  const kinds = KINDS[block.section];
  const { numbers, text } = block;
  const rows = new Array<unknown[]>(block.count);
  let at = 0;
  let cursor = 0;
  for (let r = 0; r < block.count; r++) {
    const row = new Array<unknown>(kinds.length + spare);
    for (let f = 0; f < kinds.length; f++) {
      const kind = kinds[f];
      const number = numbers[at++]!;
      if (kind === 'number') row[f] = number;
      else if (number === -1) row[f] = null;
      else if (kind === 'code') row[f] = codes[number];
      else {
        row[f] = text.slice(cursor, cursor + number);
        cursor += number;
      }
    }
    rows[r] = row;
  }
  return rows;
}

/** Messages between the import and its reader worker. */
export type ToReader = { type: 'chunk'; bytes: Uint8Array } | { type: 'end' } | { type: 'ack' };
export type FromReader =
  | { type: 'pull' }
  | { type: 'segments'; segments: Segment[] }
  | { type: 'done' }
  | { type: 'error'; syntax: { at: JsonPosition; reason: string } | null; message: string };

/** The reader worker's young generation, in MB (V8's default is 16 to 48). */
const READER_YOUNG_MB = 8;

/** Messages the worker may send ahead of the import: bounds the rows waiting in memory. */
export const READER_CREDITS = 4;

/** The segments of a document: bytes are read in a worker thread, an already parsed document here. */
export function datasetSegments(source: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>): AsyncIterable<Segment> {
  return Symbol.asyncIterator in source ? fromWorker(source) : fromEvents(source);
}

async function* fromEvents(events: Iterable<DatasetEvent>): AsyncGenerator<Segment> {
  const writer = new SegmentWriter();
  for (const event of events) {
    writer.push(event);
    if (!writer.ready) continue;
    yield* writer.take();
    // The event loop's turn between batches, as the reader thread's messages give one: a
    // document was otherwise walked in one go, and a stop signal waited for the end of the
    // import, then was lost (trial 38b: `cafsup demo`).
    await new Promise((resolve) => setImmediate(resolve));
  }
  yield* writer.take();
}

async function* fromWorker(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Segment> {
  // node:worker_threads loads when an import starts, not with this module: every command loads
  // the SDK's index, few import. A small young generation: the reader's garbage is short-lived,
  // and the import's peak memory counts.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const worker = new Worker(workerFile('dataset-reader'), { resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_MB } });
  const source = chunks[Symbol.asyncIterator]();
  const inbox: FromReader[] = [];
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    notify();
  };
  // The worker pulls the next chunk as it starts on one: reading the file overlaps parsing.
  const send = async () => {
    try {
      const next = await source.next();
      if (next.done === true) worker.postMessage({ type: 'end' } satisfies ToReader);
      else {
        // A copy of its own: a chunk may be a view into a larger buffer, which would be cloned whole.
        const bytes = new Uint8Array(next.value);
        worker.postMessage({ type: 'chunk', bytes } satisfies ToReader, [bytes.buffer]);
      }
    } catch (error) {
      fail(error);
    }
  };
  worker.on('message', (message: FromReader) => {
    if (message.type === 'pull') void send();
    else {
      inbox.push(message);
      notify();
    }
  });
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('dataset reader exited')));
  try {
    for (;;) {
      while (inbox.length === 0 && failure === null) await new Promise<void>((resolve) => (wake = resolve));
      const message = inbox.shift();
      if (message === undefined) throw failure!.error;
      if (message.type === 'done') return;
      if (message.type === 'error') throw message.syntax === null ? new Error(message.message) : new JsonSyntaxError(message.syntax.at, message.syntax.reason);
      if (message.type === 'segments') {
        yield* message.segments;
        worker.postMessage({ type: 'ack' } satisfies ToReader);
      }
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
    await source.return?.();
  }
}
