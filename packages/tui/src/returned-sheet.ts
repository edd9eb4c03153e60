import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CafsupError, longFrenchDate, type CalendarDate } from '@cafsup/shared';
import { XlsxReadError, looksLikeZip, readXlsxRows, rowsAsCsv, sha256 as sha256Of } from '@cafsup/sdk';
import { unreadableReason } from './format.js';

/** A review sheet as the partner returned it, ready for `reviews.recordSheet`. */
export interface ReturnedSheet {
  fileName: string;
  format: 'csv' | 'xlsx';
  /** The SHA-256 of the file's bytes, as returned. */
  sha256: string;
  /** The sheet as text: the CSV itself, or the workbook's first sheet written as CSV (for the preview). */
  sheet: string;
  /** A workbook's bytes in base64, as the SDK takes them (it keeps their SHA-256). */
  workbook?: string;
}

function refuse(file: string, what: string): CafsupError {
  return new CafsupError(
    'VALIDATION',
    `Feuille de revue ${file} : ${what}. Attendu : la feuille de « cafsup review kit » enregistrée en CSV (UTF-8) ou en XLSX.`,
  );
}

/**
 * Reads a returned review sheet: a CSV in UTF-8 (as `review kit --csv` wrote it, or re-saved by
 * a spreadsheet) or an XLSX workbook (`review kit --xlsx`, re-saved by Excel or LibreOffice).
 * Anything else is refused with a French sentence naming the file and what is wrong.
 */
export function returnedSheet(file: string, bytes: Uint8Array): ReturnedSheet {
  const sha256 = sha256Of(bytes);
  const fileName = basename(file);
  if (bytes.length === 0) throw refuse(file, 'le fichier est vide');
  if (looksLikeZip(bytes)) {
    let rows: string[][];
    try {
      rows = readXlsxRows(bytes);
    } catch (error) {
      if (error instanceof XlsxReadError) throw refuse(file, `classeur illisible (${error.message})`);
      throw error;
    }
    return { fileName, format: 'xlsx', sha256, sheet: rowsAsCsv(rows), workbook: Buffer.from(bytes).toString('base64') };
  }
  let text: string;
  try {
    // The byte order mark stays: the text hashed by the SDK is then the file's bytes exactly.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw refuse(file, 'ni un classeur XLSX ni un texte en UTF-8 (un PDF, une image, un CSV en Windows-1252 ?)');
  }
  if (text.includes('\u0000')) throw refuse(file, 'fichier binaire, ni CSV ni XLSX');
  return { fileName, format: 'csv', sha256, sheet: text };
}

/** Reads the file at `file`, then `returnedSheet`; an unreadable file is refused in French too. */
export async function readReturnedSheetFile(file: string): Promise<ReturnedSheet> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw refuse(file, unreadableReason(error));
  }
  return returnedSheet(file, bytes);
}

/**
 * The fields of `reviews.recordSheet` for a returned sheet: the CSV's text, or the workbook's
 * bytes. Either way the SDK keeps the SHA-256 of the file as returned.
 */
export function sheetRecordFields(returned: ReturnedSheet): { sheet: string; fileName: string } | { workbook: string; fileName: string } {
  return returned.workbook === undefined
    ? { sheet: returned.sheet, fileName: returned.fileName }
    : { workbook: returned.workbook, fileName: returned.fileName };
}

/** The reason of the revocations a returned sheet's « non » rows ask for. */
export function sheetRevocationReason(completedAt: CalendarDate): string {
  return `Revue inverse du ${longFrenchDate(completedAt)} : « non » du partenaire (contrat de services, art. 2.2.2)`;
}
