import { describe, expect, it } from 'vitest';
import { frenchCsv, readReturnedSheet } from './review-kit.js';

describe('the review sheet', () => {
  it('writes for French spreadsheets: BOM, `;`, CRLF, quotes, and no cell read as a formula nor a fraction as a date', () => {
    expect(
      frenchCsv([
        ['Personne', 'Motif'],
        ['=HYPERLINK("x")', 'a;b'],
        ['-3', -3],
        ['@moi', null],
        ['3/9', '!5/4'],
      ]),
    ).toBe('\ufeffPersonne;Motif\r\n"\'=HYPERLINK(""x"")";"a;b"\r\n\'-3;-3\r\n\'@moi;\r\n\'3/9;!5/4\r\n');
  });

  it('reads the decisions back, as a spreadsheet re-saves the sheet, and names each problem by its line', () => {
    const sheet = [
      'Habilitation;Personne;À conserver (oui/non);Motif',
      'amp-h0001;Jean;Oui;',
      'amp-h0002;"Dupont; Marie";non;"départ ""sans délai"""',
      'amp-h0003;Paul;;',
      'amp-h0004;Léa;peut-être;',
    ].join('\n');
    expect(readReturnedSheet(sheet)).toEqual({
      decisions: [
        { line: 2, habilitationId: 'amp-h0001', keep: true, motive: null },
        { line: 3, habilitationId: 'amp-h0002', keep: false, motive: 'départ "sans délai"' },
        { line: 4, habilitationId: 'amp-h0003', keep: null, motive: null },
        { line: 5, habilitationId: 'amp-h0004', keep: null, motive: null },
      ],
      problems: [{ path: 'sheet[5]', message: '« peut-être » : attendu oui ou non dans « À conserver (oui/non) »' }],
    });
    expect(readReturnedSheet('Personne;Motif\r\nJean;\r\n').problems).toEqual([
      { path: 'sheet[1]', message: 'colonne « Habilitation » introuvable dans la feuille retournée' },
      { path: 'sheet[1]', message: 'colonne « À conserver (oui/non) » introuvable dans la feuille retournée' },
    ]);
  });
});
