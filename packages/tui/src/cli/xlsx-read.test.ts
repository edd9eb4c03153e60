import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CafsupError, readReturnedSheet } from '@cafsup/shared';
import { returnedSheet, sheetRecordFields } from '../returned-sheet.js';
import { XLSX_MAX_ROWS, workbook, zip } from './xlsx.js';
import { XlsxReadError, readXlsxRows } from '@cafsup/sdk';

/** A zip whose entries are stored (method 0) and whose local headers carry an extra field, as some writers do. */
function storedZip(entries: [string, string][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text, 'utf8');
    const fileName = Buffer.from(name, 'utf8');
    const extra = Buffer.from([0x55, 0x54, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, extra, data);
    centrals.push(central, fileName);
    offset += 30 + fileName.length + extra.length + data.length;
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

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/**
 * A review sheet as Excel or LibreOffice saves it: shared strings (one in rich-text runs, one
 * with a phonetic hint), an inline string, numbers (the département), a boolean, a cached
 * formula result, a skipped cell and row, entities and an `_x000D_` escape; the sheet is the
 * second part of the package and not named sheet1.
 */
function spreadsheetSaved(): [string, string][] {
  const shared = ['Habilitation', 'Département', 'À conserver (oui/non)', 'Motif', 'amp-h0001', 'oui', 'amp-h0002', 'non', 'Parti le 3/11 &amp; non remplacé'];
  const si = shared.map((text) => `<si><t>${text}</t></si>`);
  si[7] = '<si><r><rPr><b/></rPr><t>n</t></r><r><t xml:space="preserve">on</t></r></si>';
  si[5] = '<si><t>oui</t><rPh sb="0" eb="1"><t>ウイ</t></rPh></si>';
  return [
    ['[Content_Types].xml', '<Types/>'],
    ['_rels/.rels', '<Relationships/>'],
    ['xl/workbook.xml', `<workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="Revue inverse" sheetId="1" r:id="rId7"/></sheets></workbook>`],
    [
      'xl/_rels/workbook.xml.rels',
      `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/styles" Target="styles.xml"/><Relationship Id="rId7" Type="${REL}/worksheet" Target="/xl/worksheets/revue.xml"/></Relationships>`,
    ],
    ['xl/sharedStrings.xml', `<sst xmlns="${MAIN}" count="${si.length}" uniqueCount="${si.length}">${si.join('')}</sst>`],
    [
      'xl/worksheets/revue.xml',
      `<x:worksheet xmlns:x="${MAIN}"><x:cols><x:col min="1" max="1" width="12"/></x:cols><x:sheetData>` +
        '<x:row r="1" spans="1:4"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c><x:c r="C1" t="s"><x:v>2</x:v></x:c><x:c r="D1" t="s"><x:v>3</x:v></x:c></x:row>' +
        '<x:row r="2"><x:c r="A2" t="s"><x:v>4</x:v></x:c><x:c r="B2" s="3"><x:v>25</x:v></x:c><x:c r="C2" t="s"><x:v>5</x:v></x:c></x:row>' +
        '<x:row r="4"><x:c r="A4" t="inlineStr"><x:is><x:t>amp-h0002</x:t></x:is></x:c><x:c r="B4" t="str"><x:f>"0"&amp;"6"</x:f><x:v>06</x:v></x:c><x:c r="C4" t="s"><x:v>7</x:v></x:c><x:c r="D4" t="s"><x:v>8</x:v></x:c><x:c r="E4" t="b"><x:v>1</x:v></x:c></x:row>' +
        '<x:row r="5"><x:c r="A5" t="inlineStr"><x:is><x:t>ligne_x000D_deux</x:t></x:is></x:c><x:c r="C5"/><x:c r="D5"><x:v>0.5</x:v></x:c></x:row>' +
        '</x:sheetData></x:worksheet>',
    ],
  ];
}

describe('the XLSX reader (a returned review sheet)', () => {
  it('reads back what the project’s writer wrote: text, numbers, dates as serial days, empty cells', async () => {
    const rows = readXlsxRows(
      await workbook([
        {
          name: 'Revue inverse',
          rows: [
            ['Habilitation', 'Personne', 'Département', 'Accordée le', 'Motif'],
            ['amp-h0001', 'Louise <Martin> & fils', 25, { date: '2026-11-22' }, null],
            ['=cmd', 'ligne\nsuivante', 0.5, null, 'non'],
          ],
        },
      ]),
    );
    expect(rows).toEqual([
      ['Habilitation', 'Personne', 'Département', 'Accordée le', 'Motif'],
      ['amp-h0001', 'Louise <Martin> & fils', '25', '46348'],
      ['=cmd', 'ligne\nsuivante', '0.5', '', 'non'],
    ]);
  });

  it('writes a list of 300,000 rows, giving the program turns meanwhile (the interface’s e stays responsive)', async () => {
    // 300,000 rows overflowed the call stack (the columns' widths); the whole sheet was one string.
    const rows = [['Habilitation', 'Motif'], ...Array.from({ length: 300_000 }, (_, i) => [`h${i}`, i % 7 === 1 ? 'Départ « été »' : i])];
    let turns = 0;
    let counting = true;
    const count = () => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const bytes = await workbook([{ name: 'Traces', rows }]);
    counting = false;
    const read = readXlsxRows(bytes);
    expect(read).toHaveLength(300_001);
    expect(read.slice(1, 3)).toEqual([
      ['h0', '0'],
      ['h1', 'Départ « été »'],
    ]);
    expect(read.at(-1)).toEqual(['h299999', '299999']);
    // A turn at least every 64 K characters of the sheet (~10 MB here): the old writer gave none.
    expect(turns).toBeGreaterThan(20);
  });
  // Past it, Excel and LibreOffice open the workbook « not loaded completely », its last rows gone.
  it('refuses a sheet longer than a spreadsheet holds, 1,048,576 rows with the header, naming both counts', async () => {
    const row = ['h1', 'Motif'];
    const rows = Array.from({ length: XLSX_MAX_ROWS + 1 }, () => row);
    await expect(workbook([{ name: 'Traces', rows }])).rejects.toThrow(
      new CafsupError(
        'VALIDATION',
        'Classeur XLSX : une feuille tient 1\u202f048\u202f576 lignes au plus, en-tête compris (Excel, LibreOffice) ; cette liste en a 1\u202f048\u202f577. Réduisez-la, ou écrivez-la en CSV : rien n’a été écrit.',
        { rows: XLSX_MAX_ROWS + 1, max: XLSX_MAX_ROWS },
      ),
    );
  });

  it('reads a sheet as a spreadsheet saves it: shared strings, rich text, inline strings, numbers, gaps, a prefix', async () => {
    const expected = [
      ['Habilitation', 'Département', 'À conserver (oui/non)', 'Motif'],
      ['amp-h0001', '25', 'oui'],
      [],
      ['amp-h0002', '06', 'non', 'Parti le 3/11 & non remplacé', 'VRAI'],
      ['ligne\rdeux', '', '', '0.5'],
    ];
    expect(readXlsxRows(await zip(spreadsheetSaved()))).toEqual(expected);
    expect(readXlsxRows(storedZip(spreadsheetSaved()))).toEqual(expected);
  });

  it('says what is wrong with a zip that is not a workbook, or a damaged one', async () => {
    const notAWorkbook = await zip([['mimetype', 'application/vnd.oasis.opendocument.spreadsheet']]);
    expect(() => readXlsxRows(notAWorkbook)).toThrow(new XlsxReadError('ce n’est pas un classeur XLSX (xl/workbook.xml absent)'));
    const truncated = (await zip(spreadsheetSaved())).subarray(0, 200);
    expect(() => readXlsxRows(truncated)).toThrow(XlsxReadError);
    expect(() => readXlsxRows(Buffer.from('Habilitation;Motif\r\n'))).toThrow(new XlsxReadError('ce n’est pas un classeur XLSX (pas une archive zip)'));
  });
});

describe('a returned review sheet, CSV or XLSX', () => {
  const header = ['Habilitation', 'Personne', 'À conserver (oui/non)', 'Motif'];
  const lines = [header, ['amp-h0001', 'Louise Martin', 'oui', ''], ['amp-h0002', 'Jade; « Roussel »', 'non', 'Partie le 3/11, "non remplacée"']];
  const csv = `\ufeff${lines.map((cells) => cells.map((cell) => (/[;"]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(';')).join('\r\n')}\r\n`;
  const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

  it('gives the SDK the same decisions from the XLSX as from the CSV, and the digest of the file’s own bytes', async () => {
    const csvBytes = Buffer.from(csv, 'utf8');
    const xlsxBytes = await workbook([{ name: 'Revue inverse', rows: lines }]);
    const fromCsv = returnedSheet('/tmp/revue-amp.csv', csvBytes);
    const fromXlsx = returnedSheet('/tmp/revue-amp.xlsx', xlsxBytes);
    expect(fromCsv).toMatchObject({ fileName: 'revue-amp.csv', format: 'csv', sha256: sha(csvBytes), sheet: csv });
    expect(fromXlsx).toMatchObject({ fileName: 'revue-amp.xlsx', format: 'xlsx', sha256: sha(xlsxBytes) });
    expect(readReturnedSheet(fromXlsx.sheet)).toEqual(readReturnedSheet(fromCsv.sheet));
    expect(readReturnedSheet(fromXlsx.sheet).decisions).toEqual([
      { line: 2, habilitationId: 'amp-h0001', keep: true, motive: null },
      { line: 3, habilitationId: 'amp-h0002', keep: false, motive: 'Partie le 3/11, "non remplacée"' },
    ]);
    // The CSV's text is its bytes (the BOM kept): the SDK's digest of it is the file's.
    expect(sha(Buffer.from(fromCsv.sheet, 'utf8'))).toBe(fromCsv.sha256);
    expect(sheetRecordFields(fromXlsx)).toEqual({ workbook: Buffer.from(xlsxBytes).toString('base64'), fileName: 'revue-amp.xlsx' });
  });

  it('refuses a file that is neither, naming the file and what is wrong', async () => {
    const refusal = (bytes: Uint8Array) => {
      try {
        returnedSheet('revue.pdf', bytes);
      } catch (error) {
        return { code: (error as CafsupError).code, message: (error as CafsupError).message };
      }
      return null;
    };
    const attendu = 'Attendu : la feuille de « cafsup review kit » enregistrée en CSV (UTF-8) ou en XLSX.';
    expect(refusal(Buffer.from([0x25, 0x50, 0x44, 0x46, 0xe2, 0xe3, 0xcf, 0xd3]))).toEqual({
      code: 'VALIDATION',
      message: `Feuille de revue revue.pdf : ni un classeur XLSX ni un texte en UTF-8 (un PDF, une image, un CSV en Windows-1252 ?). ${attendu}`,
    });
    expect(refusal(Buffer.alloc(0))).toEqual({ code: 'VALIDATION', message: `Feuille de revue revue.pdf : le fichier est vide. ${attendu}` });
    expect(refusal(await zip([['content.xml', '<office:document/>']]))?.message).toBe(
      `Feuille de revue revue.pdf : classeur illisible (ce n’est pas un classeur XLSX (xl/workbook.xml absent)). ${attendu}`,
    );
  });
});
