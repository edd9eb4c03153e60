import { parentPort } from 'node:worker_threads';
import { JsonSyntaxError, readDatasetJson } from '../dataset/json-reader.js';
import { READER_CREDITS, SegmentWriter, type FromReader, type Segment, type ToReader } from '../dataset/segments.js';

// The import's reader (segments.ts): parses the bytes it is sent, checks and maps each element,
// and sends the segments back, at most READER_CREDITS messages ahead of the import.

const port = parentPort!;
const post = (message: FromReader, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const chunks: (Uint8Array | null)[] = [];
let credits = READER_CREDITS;
let wake: (() => void) | null = null;
port.on('message', (message: ToReader) => {
  if (message.type === 'ack') credits += 1;
  else chunks.push(message.type === 'chunk' ? message.bytes : null);
  wake?.();
  wake = null;
});
const until = async (ready: () => boolean) => {
  while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
};

async function* input(): AsyncGenerator<Uint8Array> {
  post({ type: 'pull' });
  for (;;) {
    await until(() => chunks.length > 0);
    const chunk = chunks.shift()!;
    if (chunk === null) return;
    post({ type: 'pull' });
    yield chunk;
  }
}

async function send(segments: Segment[]): Promise<void> {
  await until(() => credits > 0);
  credits -= 1;
  post(
    { type: 'segments', segments },
    segments.flatMap((segment) => (segment.kind === 'rows' ? [segment.numbers.buffer as ArrayBuffer] : [])),
  );
}

/**
 * Reads the document, then lets the thread end. A function rather than the module's own
 * top-level awaits, for the reason store-worker.ts gives: an import refused early ends this
 * worker (`terminate`) as it may still be starting.
 */
async function read(): Promise<void> {
  try {
    const writer = new SegmentWriter();
    for await (const event of readDatasetJson(input())) {
      writer.push(event);
      if (writer.ready) await send(writer.take());
    }
    await send(writer.take());
    post({ type: 'done' });
  } catch (error) {
    post({ type: 'error', syntax: error instanceof JsonSyntaxError ? { at: error.at, reason: error.reason } : null, message: String(error) });
  }
  // Nothing more to receive: the thread may end.
  port.close();
}

void read();
