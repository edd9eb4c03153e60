import { isUtf8 } from 'node:buffer';

/**
 * A streaming reader for the dataset document: it walks the top-level object byte by byte
 * and hands back each element of each top-level array as soon as it is complete, parsed
 * with the native JSON.parse. Memory stays bounded by the largest single element, so a
 * file of a million habilitations never sits in memory whole.
 */

export interface JsonPosition {
  line: number;
  column: number;
}

export type DatasetEvent =
  | { kind: 'field'; key: string; value: unknown; at: JsonPosition }
  | { kind: 'element'; section: string; index: number; value: unknown; at: JsonPosition }
  | { kind: 'progress'; bytes: number };

export class JsonSyntaxError extends Error {
  constructor(
    readonly at: JsonPosition,
    readonly reason: string,
  ) {
    super(`JSON invalide ligne ${at.line}, colonne ${at.column} : ${reason}`);
    this.name = 'JsonSyntaxError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** What decoding puts for a byte that is no UTF-8. */
const REPLACEMENT = '\uFFFD';
const NOT_UTF8 = 'caractère qui n’est pas de l’UTF-8 (fichier enregistré en Latin-1 ou Windows-1252 ?) : enregistrez-le en UTF-8';
/** UTF-8's byte-order mark, which Windows editors write before the text; RFC 8259 lets a parser ignore it. */
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf];

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === NEWLINE || byte === 0x0d || byte === 0x09;
}

type State = 'start' | 'keyOrEnd' | 'key' | 'colon' | 'value' | 'arrayFirst' | 'arrayElement' | 'arrayAfterElement' | 'afterValue' | 'end';

/** A value being captured across chunks. */
interface Capture {
  parts: Buffer[];
  start: number;
  at: JsonPosition;
  depth: number;
  inString: boolean;
  escaped: boolean;
  scalar: boolean;
}

export async function* readDatasetJson(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<DatasetEvent> {
  let state: State = 'start';
  /** How many bytes of a byte-order mark began the document (it may be split across chunks). */
  let markBytes = 0;
  let line = 1;
  let lineStart = 0; // absolute byte offset where the current line starts
  let offset = 0; // absolute offset of the current chunk's first byte
  let key = '';
  let section = '';
  let index = 0;
  let capture = null as Capture | null;
  let captureTarget = 'field' as 'key' | 'field' | 'element';
  const seenKeys = new Set<string>();

  const position = (absolute: number): JsonPosition => ({ line, column: absolute - lineStart + 1 });
  const fail = (absolute: number, reason: string): never => {
    throw new JsonSyntaxError(position(absolute), reason);
  };

  const finish = (captured: Capture, text: string): DatasetEvent | null => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const problem = locateJsonError(text);
      throw new JsonSyntaxError(shift(captured.at, text, problem.offset), problem.reason);
    }
    if (captureTarget === 'key') {
      key = value as string;
      if (seenKeys.has(key)) throw new JsonSyntaxError(captured.at, `clé « ${key} » répétée`);
      seenKeys.add(key);
      return null;
    }
    if (captureTarget === 'field') return { kind: 'field', key, value, at: captured.at };
    return { kind: 'element', section, index: index++, value, at: captured.at };
  };

  for await (const raw of chunks) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    // Position of the next backslash in this chunk, found once and reused: most chunks have none.
    let nextBackslash = -2;
    let i = 0;
    const length = chunk.length;
    while (i < length) {
      if (capture !== null) {
        // Inside a value: track strings and nesting until it closes.
        const c: Capture = capture;
        let closedAt = -1;
        while (i < length) {
          if (c.inString) {
            if (c.escaped) {
              c.escaped = false;
              i += 1;
              continue;
            }
            // Jump to the next quote or backslash natively: string bodies are most of the bytes.
            const quote = chunk.indexOf(QUOTE, i);
            if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
            const backslash = nextBackslash;
            const stop = quote === -1 ? backslash : backslash === -1 ? quote : Math.min(quote, backslash);
            if (stop === -1) {
              i = length;
              break;
            }
            i = stop + 1;
            if (stop === backslash) c.escaped = true;
            else {
              c.inString = false;
              if (c.depth === 0) {
                closedAt = i;
                break;
              }
            }
            continue;
          }
          const byte = chunk[i]!;
          if (c.scalar) {
            if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isWhitespace(byte)) {
              closedAt = i;
              break;
            }
            i += 1;
            continue;
          }
          if (byte === QUOTE) c.inString = true;
          else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) c.depth += 1;
          else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
            c.depth -= 1;
            if (c.depth === 0) {
              closedAt = i + 1;
              i += 1;
              break;
            }
          } else if (byte === NEWLINE) {
            line += 1;
            lineStart = offset + i + 1;
          }
          i += 1;
        }
        if (closedAt === -1) break;
        const whole = c.parts.length === 0 ? null : Buffer.concat([...c.parts, chunk.subarray(c.start, closedAt)]);
        const text = whole === null ? chunk.toString('utf8', c.start, closedAt) : whole.toString('utf8');
        refuseNotUtf8(c.at, text, whole ?? chunk.subarray(c.start, closedAt));
        capture = null;
        const event = finish(c, text);
        if (event !== null) yield event;
        if (captureTarget === 'key') state = 'colon';
        else if (captureTarget === 'field') state = 'afterValue';
        else state = 'arrayAfterElement';
        continue;
      }

      const byte = chunk[i]!;
      if (isWhitespace(byte)) {
        if (byte === NEWLINE) {
          line += 1;
          lineStart = offset + i + 1;
        }
        i += 1;
        continue;
      }
      const absolute = offset + i;
      const startCapture = (target: typeof captureTarget) => {
        captureTarget = target;
        const opensNested = byte === OPEN_BRACE || byte === OPEN_BRACKET;
        capture = {
          parts: [],
          start: i,
          at: position(absolute),
          depth: opensNested ? 1 : 0,
          inString: byte === QUOTE,
          escaped: false,
          scalar: !opensNested && byte !== QUOTE,
        };
        i += 1;
        // A one-byte scalar at the very end of a chunk is closed by the next chunk's first byte.
      };
      switch (state) {
        case 'start':
          if (absolute === markBytes && byte === BYTE_ORDER_MARK[markBytes]) {
            markBytes += 1;
            i += 1;
            break;
          }
          if (byte !== OPEN_BRACE) fail(absolute, 'le document doit être un objet JSON commençant par {');
          state = 'keyOrEnd';
          i += 1;
          break;
        case 'keyOrEnd':
        case 'key':
          if (byte === CLOSE_BRACE && state === 'keyOrEnd') {
            state = 'end';
            i += 1;
          } else if (byte === QUOTE) startCapture('key');
          else fail(absolute, 'nom de champ entre guillemets attendu');
          break;
        case 'colon':
          if (byte !== COLON) fail(absolute, '« : » attendu après le nom de champ');
          state = 'value';
          i += 1;
          break;
        case 'value':
          if (byte === OPEN_BRACKET) {
            section = key;
            index = 0;
            state = 'arrayFirst';
            i += 1;
          } else startCapture('field');
          break;
        case 'arrayFirst':
          if (byte === CLOSE_BRACKET) {
            yield { kind: 'field', key: section, value: [], at: position(absolute) };
            state = 'afterValue';
            i += 1;
          } else startCapture('element');
          break;
        case 'arrayElement':
          if (byte === CLOSE_BRACKET || byte === COMMA) fail(absolute, 'élément de tableau attendu');
          startCapture('element');
          break;
        case 'arrayAfterElement':
          if (byte === COMMA) state = 'arrayElement';
          else if (byte === CLOSE_BRACKET) state = 'afterValue';
          else fail(absolute, '« , » ou « ] » attendu après un élément');
          i += 1;
          break;
        case 'afterValue':
          if (byte === COMMA) state = 'key';
          else if (byte === CLOSE_BRACE) state = 'end';
          else fail(absolute, '« , » ou « } » attendu');
          i += 1;
          break;
        case 'end':
          fail(absolute, 'contenu inattendu après la fin du document');
      }
    }
    // A value still open at the end of the chunk keeps the chunk's tail and goes on from the next one's start.
    const open = capture;
    if (open !== null) {
      open.parts.push(chunk.subarray(open.start));
      open.start = 0;
    }
    offset += length;
    yield { kind: 'progress', bytes: offset };
  }
  if (state !== 'end') fail(offset, state === 'start' ? 'document vide' : 'fin du fichier inattendue : le document est incomplet');
}

function shift(start: JsonPosition, text: string, charOffset: number): JsonPosition {
  const before = text.slice(0, charOffset);
  const lastNewline = before.lastIndexOf('\n');
  if (lastNewline === -1) return { line: start.line, column: start.column + charOffset };
  let lines = 0;
  for (let k = 0; k < before.length; k++) if (before.charCodeAt(k) === NEWLINE) lines += 1;
  return { line: start.line + lines, column: charOffset - lastNewline };
}

/**
 * Where the first byte that is no UTF-8 lies in `bytes`, in characters of its decoded text (the
 * text before it decodes the same whole or cut there): a byte that starts no sequence, or a
 * sequence cut short, overlong, a surrogate or past U+10FFFF. -1 when there is none. Not the
 * first U+FFFD of the text: the file may hold a real one before (trial 35).
 */
function notUtf8At(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!;
    const following = lead < 0x80 ? 0 : lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
    // The second byte's range is what rules out overlong forms, surrogates and code points past U+10FFFF (RFC 3629, § 4).
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    let valid = following >= 0;
    for (let k = 1; valid && k <= following; k++) {
      const next = bytes[i + k];
      valid = next !== undefined && next >= (k === 1 ? low : 0x80) && next <= (k === 1 ? high : 0xbf);
    }
    if (!valid) return Buffer.from(bytes.buffer, bytes.byteOffset, i).toString('utf8').length;
    i += following + 1;
  }
  return -1;
}

/**
 * Refuses `text`, decoded from `bytes` and starting at `at`, when a byte of it is no UTF-8:
 * decoding put U+FFFD for it, and a file saved in Latin-1 or Windows-1252 was taken, its accented
 * letters replaced. Checked only then, as it is rare.
 */
function refuseNotUtf8(at: JsonPosition, text: string, bytes: Uint8Array): void {
  if (text.includes(REPLACEMENT) && !isUtf8(bytes)) throw new JsonSyntaxError(shift(at, text, notUtf8At(bytes)), NOT_UTF8);
}

/**
 * A small JSON file's bytes (a form, changes, an operation's input, a request's body) as text. A
 * file saved in Latin-1 or Windows-1252 is refused at its first such byte, as an import refuses
 * it, rather than its accented letters taken as U+FFFD (trial 35).
 */
export function utf8Text(bytes: Uint8Array): string {
  // The byte-order mark Notepad writes is no text (RFC 8259 lets a parser ignore it), as in an import.
  const start = BYTE_ORDER_MARK.every((byte, i) => bytes[i] === byte) ? BYTE_ORDER_MARK.length : 0;
  const body = bytes.subarray(start);
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  refuseNotUtf8({ line: 1, column: 1 }, text, body);
  return text;
}

/**
 * A whole JSON text given on the command line or in a small file (a form, changes, an
 * operation's input), parsed; where it is not JSON, a JsonSyntaxError in French with its line
 * and column, as an import says it, not JSON.parse's English.
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const problem = locateJsonError(text);
    throw new JsonSyntaxError(shift({ line: 1, column: 1 }, text, problem.offset), problem.reason);
  }
}

/** Finds where a JSON text stops being valid and why (only run when JSON.parse failed). */
export function locateJsonError(text: string): { offset: number; reason: string } {
  let pos = 0;
  const error = (reason: string): never => {
    throw Object.assign(new Error(reason), { offset: pos });
  };
  const skip = () => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos]!)) pos += 1;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, pos)) pos += word.length;
    else error('valeur invalide');
  };
  const string = () => {
    pos += 1;
    while (pos < text.length) {
      const char = text[pos]!;
      if (char === '"') {
        pos += 1;
        return;
      }
      if (char === '\\') {
        const next = text[pos + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) error('séquence \\u invalide');
          pos += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) pos += 2;
        else error('échappement invalide dans une chaîne');
      } else if (char.charCodeAt(0) < 0x20) error('caractère de contrôle dans une chaîne');
      else pos += 1;
    }
    error('chaîne non terminée');
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (match === null || match[0] === '' || match[0] === '-') error('nombre invalide');
    pos += match![0].length;
  };
  const value = (): void => {
    skip();
    const char = text[pos];
    if (char === '{') {
      pos += 1;
      skip();
      if (text[pos] === '}') {
        pos += 1;
        return;
      }
      for (;;) {
        skip();
        if (text[pos] !== '"') error('nom de champ entre guillemets attendu');
        string();
        skip();
        if (text[pos] !== ':') error('« : » attendu');
        pos += 1;
        value();
        skip();
        if (text[pos] === ',') pos += 1;
        else if (text[pos] === '}') {
          pos += 1;
          return;
        } else error('« , » ou « } » attendu');
      }
    }
    if (char === '[') {
      pos += 1;
      skip();
      if (text[pos] === ']') {
        pos += 1;
        return;
      }
      for (;;) {
        value();
        skip();
        if (text[pos] === ',') pos += 1;
        else if (text[pos] === ']') {
          pos += 1;
          return;
        } else error('« , » ou « ] » attendu');
      }
    }
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return number();
    error(char === undefined ? 'valeur manquante' : 'valeur invalide');
  };
  try {
    value();
    skip();
    if (pos < text.length) error('contenu inattendu');
    return { offset: pos, reason: 'JSON invalide' };
  } catch (caught) {
    return { offset: (caught as { offset: number }).offset, reason: (caught as Error).message };
  }
}
