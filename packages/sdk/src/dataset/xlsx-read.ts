// A minimal XLSX reader (ECMA-376, SpreadsheetML), the counterpart of `xlsx.ts`: the first
// worksheet's cells as text, enough to read back a review sheet that a partner returned after
// saving it in Excel or LibreOffice. No dependency: a zip's central directory, inflateRaw, and
// the few elements a worksheet's values live in (shared strings, inline strings, numbers).

/** Why a file cannot be read as a workbook, in French (the caller names the file). */
export class XlsxReadError extends Error {}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;

/** True when the bytes start like a zip archive (an XLSX workbook is one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** The entries of a zip archive, by name, inflated on demand. */
function zipEntries(bytes: Uint8Array): Map<string, () => Buffer> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-directory record is in the last 22 + 65,535 bytes (its comment may be that long).
  let end = -1;
  for (let at = buffer.length - 22; at >= Math.max(0, buffer.length - 22 - 0xffff); at--) {
    if (buffer.readUInt32LE(at) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end === -1) throw new XlsxReadError('archive zip incomplète (fin du répertoire introuvable)');
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  const entries = new Map<string, () => Buffer>();
  for (let index = 0; index < count; index++) {
    if (at + 46 > buffer.length || buffer.readUInt32LE(at) !== CENTRAL_HEADER) throw new XlsxReadError('répertoire de l’archive zip illisible');
    const method = buffer.readUInt16LE(at + 10);
    const packedSize = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const localAt = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    entries.set(name, () => {
      // The local header repeats the name and may carry another extra field: its own lengths count.
      if (localAt + 30 > buffer.length || buffer.readUInt32LE(localAt) !== LOCAL_HEADER) throw new XlsxReadError(`entrée ${name} de l’archive illisible`);
      const start = localAt + 30 + buffer.readUInt16LE(localAt + 26) + buffer.readUInt16LE(localAt + 28);
      const packed = buffer.subarray(start, start + packedSize);
      if (method === 0) return packed;
      if (method !== 8) throw new XlsxReadError(`entrée ${name} compressée d’une manière non prise en charge (méthode ${method})`);
      try {
        // node:zlib loads here, at a workbook's first compressed entry: every command loads this
        // module (the SDK's index) and few read a workbook, so none pays for zlib at start.
        return process.getBuiltinModule('node:zlib').inflateRawSync(packed);
      } catch {
        throw new XlsxReadError(`entrée ${name} de l’archive corrompue`);
      }
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text as the characters it stands for; OOXML's `_xHHHH_` escapes (control characters) too. */
function xmlValue(text: string): string {
  return text
    .replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, name: string) => {
      if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/_x([0-9a-f]{4})_/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The attributes of one start tag. */
function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of tag.matchAll(/([\w:]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) found.set(match[1]!.replace(/^\w+:/, ''), xmlValue(match[3] ?? match[4] ?? ''));
  return found;
}

/**
 * The text of a string item (`<si>`, `<is>`): its `<t>` elements, those of rich-text runs
 * included, in order; phonetic hints (`<rPh>`, East Asian readings) are not part of the value.
 */
function stringItem(xml: string): string {
  const withoutPhonetics = xml.replace(/<(\w+:)?rPh\b[\s\S]*?<\/(\w+:)?rPh>/g, '');
  return [...withoutPhonetics.matchAll(/<(?:\w+:)?t(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?t>/g)].map((match) => xmlValue(match[1]!)).join('');
}

/** A1-style column letters as an index: A → 0, Z → 25, AA → 26. */
function columnIndex(reference: string): number | null {
  const letters = /^([A-Z]+)\d*$/i.exec(reference)?.[1];
  if (letters === undefined) return null;
  let index = 0;
  for (const letter of letters.toUpperCase()) index = index * 26 + (letter.charCodeAt(0) - 64);
  return index - 1;
}

/** The path of the workbook's first sheet, from the workbook and its relationships. */
function firstSheetPath(entries: Map<string, () => Buffer>): string {
  const text = (name: string) => entries.get(name)?.().toString('utf8');
  const workbook = text('xl/workbook.xml');
  if (workbook === undefined) throw new XlsxReadError('ce n’est pas un classeur XLSX (xl/workbook.xml absent)');
  const sheet = /<(?:\w+:)?sheet\s[^>]*>/.exec(workbook)?.[0];
  const relationId = sheet === undefined ? undefined : attributes(sheet).get('id');
  const relations = text('xl/_rels/workbook.xml.rels') ?? '';
  for (const match of relations.matchAll(/<(?:\w+:)?Relationship\s[^>]*>/g)) {
    const relation = attributes(match[0]);
    if (relation.get('Id') !== relationId) continue;
    const target = relation.get('Target') ?? '';
    // Targets are relative to xl/, or absolute from the package's root.
    return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
  }
  if (entries.has('xl/worksheets/sheet1.xml')) return 'xl/worksheets/sheet1.xml';
  throw new XlsxReadError('le classeur n’a aucune feuille');
}

/**
 * The cells of the first worksheet of an XLSX workbook, as text, row by row (empty rows and
 * cells kept in place). Strings (shared or inline) as written; numbers as their stored value
 * (`25`, `0.5`); booleans as VRAI/FAUX; formulas as their cached result.
 */
export function readXlsxRows(bytes: Uint8Array): string[][] {
  if (!looksLikeZip(bytes)) throw new XlsxReadError('ce n’est pas un classeur XLSX (pas une archive zip)');
  const entries = zipEntries(bytes);
  const path = firstSheetPath(entries);
  const sheet = entries.get(path)?.().toString('utf8');
  if (sheet === undefined) throw new XlsxReadError(`feuille ${path} absente du classeur`);
  const sharedXml = entries.get('xl/sharedStrings.xml')?.().toString('utf8') ?? '';
  const shared = [...sharedXml.matchAll(/<(?:\w+:)?si\b[^>]*>([\s\S]*?)<\/(?:\w+:)?si>|<(?:\w+:)?si\b[^>]*\/>/g)].map((match) => stringItem(match[1] ?? ''));

  const rows: string[][] = [];
  for (const rowMatch of sheet.matchAll(/<(?:\w+:)?row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?row>)/g)) {
    const rowNumber = Number(attributes(rowMatch[1]!).get('r') ?? rows.length + 1);
    const cells: string[] = [];
    for (const cellMatch of (rowMatch[2] ?? '').matchAll(/<(?:\w+:)?c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?c>)/g)) {
      const attrs = attributes(cellMatch[1]!);
      const body = cellMatch[2] ?? '';
      const column = columnIndex(attrs.get('r') ?? '') ?? cells.length;
      const value = /<(?:\w+:)?v(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?v>/.exec(body)?.[1];
      let text: string;
      switch (attrs.get('t')) {
        case 's':
          text = shared[Number(value)] ?? '';
          break;
        case 'inlineStr':
          text = stringItem(/<(?:\w+:)?is\b[^>]*>([\s\S]*?)<\/(?:\w+:)?is>/.exec(body)?.[1] ?? '');
          break;
        case 'b':
          text = value === undefined ? '' : value.trim() === '1' ? 'VRAI' : 'FAUX';
          break;
        default:
          // Numbers, cached formula results (`str`), errors (`e`): the stored value as written.
          text = value === undefined ? '' : xmlValue(value);
      }
      while (cells.length < column) cells.push('');
      cells[column] = text;
    }
    while (rows.length < rowNumber - 1) rows.push([]);
    rows[rowNumber - 1] = cells;
  }
  return rows;
}

/** One CSV cell as the kit writes it: quoted when it holds the separator, a quote or a line break. */
function csvCell(text: string): string {
  return /[;"\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A workbook's rows as the CSV text the returned-sheet reader takes (`;`, CRLF). */
export function rowsAsCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((cells) => cells.map(csvCell).join(';')).join('\r\n');
}
