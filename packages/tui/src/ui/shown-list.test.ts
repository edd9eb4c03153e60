import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frenchNumber } from '@cafsup/shared';
import { removeUnfinishedFiles } from '../cli/interrupt.js';
import { XLSX_MAX_ROWS } from '../cli/xlsx.js';
import { writeShownList, type ShownList } from './shown-list.js';

// Ctrl-C (or SIGTERM, SIGHUP) while `e` wrote a list ended the process where no `finally` runs:
// its hidden file stayed in the user's folder, the rows written so far in it (review 43c).
describe('e interrupted', () => {
  it.each(['.csv', '.xlsx'])('leaves no file behind when the process is ended while it writes a %s', async (extension) => {
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-shown-list-'));
    try {
      let seen: string[] | undefined;
      const list: ShownList = {
        headers: ['Habilitation', 'Motif'],
        count: 5000,
        cells(from, to) {
          // The second chunk: the interface has had a turn, in which Ctrl-C ends the process as
          // endBySignal does (its kill left out: this is the test's process).
          if (from > 0 && seen === undefined) {
            removeUnfinishedFiles();
            seen = readdirSync(folder);
          }
          return Array.from({ length: Math.min(to, 5000) - from }, (_, i) => [`h${from + i}`, 'Départ']);
        },
      };
      // The process going on here, the export finds its file gone: refused, nothing written.
      const path = join(folder, `liste${extension}`);
      await expect(writeShownList(list, path, 'Habilitations', { kind: 'local', location: join(folder, 'cafsup.db') })).rejects.toThrow(
        `Écriture impossible : ${path}`,
      );
      expect([seen, readdirSync(folder)]).toEqual([[], []]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('e to a workbook', () => {
  it('refuses a list longer than a spreadsheet holds before putting any row into words, nothing written', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-shown-list-'));
    try {
      const list: ShownList = {
        headers: ['Trace'],
        // With its header, one row more than a sheet holds.
        count: XLSX_MAX_ROWS,
        cells() {
          throw new Error('rows put into words before the refusal');
        },
      };
      const path = join(folder, 'traces.xlsx');
      await expect(writeShownList(list, path, 'Traces', { kind: 'local', location: join(folder, 'cafsup.db') })).rejects.toThrow(
        `cette liste en a ${frenchNumber(XLSX_MAX_ROWS + 1)}`,
      );
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
