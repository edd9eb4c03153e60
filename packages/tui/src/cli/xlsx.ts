import { crc32, createDeflateRaw } from 'node:zlib';
import { CafsupError, frenchNumber } from '@cafsup/shared';
import type { Cell } from './output.js';

// A minimal XLSX writer (ECMA-376, SpreadsheetML): a zip of a few XML parts, one worksheet per
// list. No dependency: what is needed here — text and number cells, a bold frozen header row,
// column widths — fits in a page, and spreadsheet packages on npm are large or unmaintained.
// Strings are inline (`t="inlineStr"`), so a cell is never read as a formula.

export interface Sheet {
  /** 31 characters at most, none of []:*?/\ (Excel refuses the workbook otherwise). */
  name: string;
  /** The header row first. */
  rows: Cell[][];
}

/** XML 1.0 forbids most control characters even as references: they become visible escapes. */
function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** A1-style column letters: 0 → A, 25 → Z, 26 → AA. */
function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

function sheetName(name: string, taken: Set<string>): string {
  const base = name.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Feuille';
  let unique = base;
  for (let n = 2; taken.has(unique.toLowerCase()); n++) unique = `${base.slice(0, 31 - String(n).length - 1)} ${n}`;
  taken.add(unique.toLowerCase());
  return unique;
}

/** A calendar date as a spreadsheet's serial day (days since 1899-12-30, Excel's and LibreOffice's epoch). */
function serialDay(date: string): number {
  const [year, month, day] = date.slice(0, 10).split('-').map(Number) as [number, number, number];
  return (Date.UTC(year, month - 1, day) - Date.UTC(1899, 11, 30)) / 86_400_000;
}

let paris: Intl.DateTimeFormat | undefined;

/** A moment as a serial day and fraction of its Paris wall-clock time (a workbook has no time zones). */
function serialMoment(timestamp: string): number {
  paris ??= new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Paris',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const parts = Object.fromEntries(paris.formatToParts(new Date(timestamp)).map((part) => [part.type, part.value]));
  return serialDay(`${parts.year}-${parts.month}-${parts.day}`) + (Number(parts.hour) * 60 + Number(parts.minute)) / 1440;
}

/** About how many characters a cell shows, for its column's width. */
function cellWidth(cell: Cell): number {
  if (cell === null) return 0;
  if (typeof cell === 'object') return 'date' in cell ? 10 : 16;
  return String(cell).length;
}

/** Each column's width: what its widest cell shows, within 8 and 60 characters. */
function columnWidths(rows: readonly Cell[][]): number[] {
  // A loop, not `Math.max(...cells)`: a list of ~125,000 rows or more overflowed the call stack.
  const widths = (rows[0] ?? []).map(() => 8);
  for (const row of rows) {
    for (let column = 0; column < widths.length; column++) widths[column] = Math.max(widths[column]!, Math.min(60, cellWidth(row[column] ?? null) + 2));
  }
  return widths;
}

/**
 * A worksheet's XML, a row at a time: a list of a million rows is never one string (V8's stop
 * at 2^29 characters, and its text twice over in memory was the most of an export's).
 */
function* worksheet(rows: readonly Cell[][]): Generator<string> {
  const widths = columnWidths(rows);
  yield (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>' +
    (widths.length === 0 ? '' : `<cols>${widths.map((width, c) => `<col min="${c + 1}" max="${c + 1}" width="${width}" customWidth="1"/>`).join('')}</cols>`) +
    '<sheetData>'
  );
  for (let r = 0; r < rows.length; r++) {
    const line = rows[r]!.map((cell, c) => {
      const ref = `${columnName(c)}${r + 1}`;
      const style = r === 0 ? ' s="1"' : '';
      if (cell === null) return '';
      if (typeof cell === 'number') return `<c r="${ref}"${style}><v>${cell}</v></c>`;
      if (typeof cell === 'object')
        return 'date' in cell ? `<c r="${ref}" s="2"><v>${serialDay(cell.date)}</v></c>` : `<c r="${ref}" s="3"><v>${serialMoment(cell.at)}</v></c>`;
      return `<c r="${ref}"${style} t="inlineStr"><is><t xml:space="preserve">${xmlText(cell)}</t></is></c>`;
    }).join('');
    yield `<row r="${r + 1}">${line}</row>`;
  }
  yield '</sheetData></worksheet>';
}

/** A part of the package: its name and its text, whole or in pieces. */
type Part = readonly [name: string, text: string | Iterable<string>];

/** The parts of the package, in the order a reader expects (content types first). */
function parts(sheets: readonly Sheet[]): Part[] {
  const taken = new Set<string>();
  const names = sheets.map((sheet) => sheetName(sheet.name, taken));
  const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
  return [
    [
      '[Content_Types].xml',
      `${xml}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        sheets
          .map(
            (_, i) =>
              `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
          )
          .join('') +
        '</Types>',
    ],
    [
      '_rels/.rels',
      `${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        `<Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      'xl/workbook.xml',
      `${xml}<workbook xmlns="${main}" xmlns:r="${rel}"><sheets>` +
        names.map((name, i) => `<sheet name="${xmlText(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
        '</sheets></workbook>',
    ],
    [
      'xl/_rels/workbook.xml.rels',
      `${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${rel}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('') +
        `<Relationship Id="rId${sheets.length + 1}" Type="${rel}/styles" Target="styles.xml"/></Relationships>`,
    ],
    [
      'xl/styles.xml',
      // Cell styles: 0 the default, 1 bold (the header row), 2 a date (format 14, the reader's
      // short date: 22/11/2026 in French), 3 a date and time (dd/mm/yyyy hh:mm).
      `${xml}<styleSheet xmlns="${main}">` +
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/></numFmts>' +
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>' +
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
        '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
        '</styleSheet>',
    ],
    ...sheets.map((sheet, i): Part => [`xl/worksheets/sheet${i + 1}.xml`, worksheet(sheet.rows)]),
  ];
}

/** Text gathered into pieces of about this many characters before each is deflated. */
const PIECE = 1 << 16;

/**
 * A part's text deflated, with its CRC-32 and length. zlib works on libuv's threads, a piece at a
 * time: the program's own thread gets a turn between pieces, and the interface stays responsive
 * while it writes a large list (a national list of alerts held it 2 s at once).
 */
async function deflated(text: string | Iterable<string>): Promise<{ packed: Buffer; crc: number; length: number }> {
  const deflater = createDeflateRaw();
  const packed: Buffer[] = [];
  deflater.on('data', (chunk: Buffer) => packed.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    deflater.once('end', resolve);
    deflater.once('error', reject);
  });
  // Awaited once the text is sent: an error before then must not go unhandled meanwhile (the
  // write that meets it rejects too, and ends the loop).
  ended.catch(() => undefined);
  let crc = 0;
  let length = 0;
  const send = (piece: string) => {
    const data = Buffer.from(piece, 'utf8');
    crc = crc32(data, crc);
    length += data.length;
    return new Promise<void>((resolve, reject) => deflater.write(data, (error) => (error ? reject(error) : resolve())));
  };
  let gathered = '';
  for (const piece of typeof text === 'string' ? [text] : text) {
    gathered += piece;
    if (gathered.length >= PIECE) {
      await send(gathered);
      gathered = '';
    }
  }
  if (gathered !== '') await send(gathered);
  deflater.end();
  await ended;
  return { packed: Buffer.concat(packed), crc, length };
}

/** A zip archive (deflate), as the XLSX package format requires; no ZIP64 (a list of cafsup fits in 4 GiB). */
export async function zip(entries: readonly Part[]): Promise<Buffer> {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // 1980-01-01 00:00, the zip epoch: the same input gives the same bytes.
  const dosTime = 0;
  const dosDate = (1 << 5) | 1;
  for (const [name, text] of entries) {
    const { packed, crc, length } = await deflated(text);
    const fileName = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // names in UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(length, 22);
    local.writeUInt16LE(fileName.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, packed);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The rows a worksheet holds at most, its header's included (Excel's and LibreOffice's limit). */
export const XLSX_MAX_ROWS = 1_048_576;

/**
 * Refuses a sheet of more rows (its header's included) than a spreadsheet holds, before anything
 * is written: Excel opened it « not loaded completely », its last rows gone, where the command
 * had said them all written. The interface's `e` asks before it puts a long list into words.
 */
export function refuseLongSheet(rows: number): void {
  if (rows > XLSX_MAX_ROWS) {
    throw new CafsupError(
      'VALIDATION',
      `Classeur XLSX : une feuille tient ${frenchNumber(XLSX_MAX_ROWS)} lignes au plus, en-tête compris (Excel, LibreOffice) ; cette liste en a ${frenchNumber(rows)}. Réduisez-la, ou écrivez-la en CSV : rien n’a été écrit.`,
      { rows, max: XLSX_MAX_ROWS },
    );
  }
}

/** The bytes of an XLSX workbook holding these sheets, none longer than a spreadsheet holds. */
export async function workbook(sheets: readonly Sheet[]): Promise<Buffer> {
  for (const sheet of sheets) refuseLongSheet(sheet.rows.length);
  return zip(parts(sheets));
}
