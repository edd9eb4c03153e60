import { createReadStream } from 'node:fs';
import { DATASET_SECTION_NAMES } from '@cafsup/shared';
import type { DatasetEvent } from './json-reader.js';

/** Anything `dataset.import` accepts: a parsed document, its text or bytes, a stream of bytes, or a file path. */
export type DatasetSource = { path: string } | string | Uint8Array | AsyncIterable<Uint8Array> | Record<string, unknown>;

const READ_CHUNK = 1 << 20;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Walks an already parsed document as the streaming reader would, so both paths validate alike. */
function* documentEvents(document: Record<string, unknown>): Generator<DatasetEvent> {
  const at = { line: 0, column: 0 };
  for (const [key, value] of Object.entries(document)) {
    if ((DATASET_SECTION_NAMES as string[]).includes(key) && Array.isArray(value)) {
      if (value.length === 0) yield { kind: 'field', key, value, at };
      for (let index = 0; index < value.length; index++) yield { kind: 'element', section: key, index, value: value[index], at };
    } else yield { kind: 'field', key, value, at };
  }
}

/** A `{ path }` source: the file of that name, read as a stream. */
export function isPathSource(source: DatasetSource): source is { path: string } {
  return typeof source === 'object' && typeof (source as { path?: unknown }).path === 'string' && Object.keys(source).length === 1;
}

export function toDatasetInput(source: DatasetSource): AsyncIterable<Uint8Array> | Iterable<DatasetEvent> {
  if (typeof source === 'string') return once(Buffer.from(source, 'utf8'));
  if (source instanceof Uint8Array) return once(source);
  if (Symbol.asyncIterator in source) return source as AsyncIterable<Uint8Array>;
  if (isPathSource(source)) return createReadStream(source.path, { highWaterMark: READ_CHUNK });
  return documentEvents(source);
}
