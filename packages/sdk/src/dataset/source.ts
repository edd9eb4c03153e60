import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { CafsupError, DATASET_SECTION_NAMES, fileProblem } from '@cafsup/shared';
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

/** A file that cannot be opened or read, said in French (NOT_FOUND when missing); any other error as it is. */
function unreadableFile(path: string, error: unknown): unknown {
  if (typeof (error as { syscall?: unknown } | null)?.syscall !== 'string') return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return new CafsupError('NOT_FOUND', `Fichier introuvable : ${path}.`, { path }, { cause: error });
  return new CafsupError('VALIDATION', `Fichier illisible : ${path} (${fileProblem(error) ?? String(code)}).`, { path }, { cause: error });
}

/**
 * A `{ path }` source's file opened to be sent as it is (over HTTP): a file that cannot be opened,
 * or a folder, is refused here in French, before anything is sent (it was « Serveur injoignable :
 * EISDIR », or Node's « Unhandled 'error' event » for a missing file).
 */
export async function openedFile(path: string): Promise<AsyncIterable<Uint8Array>> {
  let handle: FileHandle | undefined;
  try {
    // Loaded for an import over HTTP alone, not with every command (test/startup.test.ts).
    handle = await process.getBuiltinModule('node:fs/promises').open(path, 'r');
    if ((await handle.stat()).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR', syscall: 'read' });
  } catch (error) {
    await handle?.close();
    throw unreadableFile(path, error);
  }
  return handle.createReadStream({ highWaterMark: READ_CHUNK });
}

/**
 * A `{ path }` source's bytes, the file opened only when they are read, its failure to open or
 * read said in French. Opened at once, a stream that no one read yet (the input refused first, the
 * store's lock awaited) had no listener for its open's error: a missing file ended the process
 * with Node's « Unhandled 'error' event » and a stack trace (review 41).
 */
export async function* fileBytes(path: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) yield chunk;
  } catch (error) {
    throw unreadableFile(path, error);
  } finally {
    stream.destroy();
  }
}

export function toDatasetInput(source: DatasetSource): AsyncIterable<Uint8Array> | Iterable<DatasetEvent> {
  if (typeof source === 'string') return once(Buffer.from(source, 'utf8'));
  if (source instanceof Uint8Array) return once(source);
  if (Symbol.asyncIterator in source) return source as AsyncIterable<Uint8Array>;
  if (isPathSource(source)) return fileBytes(source.path);
  return documentEvents(source);
}
