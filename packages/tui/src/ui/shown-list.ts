import { createContext } from 'react';
import { existsSync } from 'node:fs';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { CafsupError, countOf, frenchCsv, frenchCsvLines, hardLinksRefused } from '@cafsup/shared';
import type { TransportInfo } from '@cafsup/sdk';
import { removedIfEnded } from '../cli/interrupt.js';

/** The list a screen shows, as `e` writes it (tui.md, « Exports of the current view »): its headers and each row's cells, whole. */
export interface ShownList {
  headers: string[];
  count: number;
  /** The cells of rows `from` to `to` (excluded). */
  cells(from: number, to: number): string[][];
}

/** Where the table on screen offers its list to `e`: the last one offered, until it goes. */
export interface ShownLists {
  offer(list: ShownList): () => void;
  current(): ShownList | null;
}

export const ShownListsContext = createContext<ShownLists | null>(null);

export function shownLists(): ShownLists {
  let shown: ShownList | null = null;
  return {
    offer(list) {
      shown = list;
      return () => {
        if (shown === list) shown = null;
      };
    },
    current: () => shown,
  };
}

/** The file `e` proposes, in the folder cafsup was started from: `cafsup-alertes-2026-12-06.csv`. */
export function shownListFileName(title: string, day: string): string {
  const words = title
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `cafsup-${words}-${day}.csv`;
}

/** Rows put into words between two turns of the interface: 115,644 alerts at once held it ~0.5 s (review 42d). */
const CHUNK = 2_000;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** The list's rows, a chunk at a time, the interface answering keys (Ctrl-C) between them. */
async function* chunks(list: ShownList): AsyncGenerator<string[][]> {
  for (let from = 0; from < list.count; from += CHUNK) {
    yield list.cells(from, from + CHUNK);
    await turn();
  }
}

/**
 * Writes `list` to `path`: CSV for French spreadsheets (`.csv`) or a workbook (`.xlsx`), whole
 * or not at all, readable by its owner only. Never over an existing file, even one made while
 * it writes: the file is written aside (created, never followed if a link is there) and linked
 * to its name, which fails if the name is taken. Nor over the local store. The interface asks
 * no « o/n » here: another name is one key away. Returns the sentence the status bar shows.
 */
export async function writeShownList(list: ShownList, path: string, sheet: string, store: Pick<TransportInfo, 'kind' | 'location'>): Promise<string> {
  const extension = extname(path).toLowerCase();
  if (extension !== '.csv' && extension !== '.xlsx') {
    throw new CafsupError('VALIDATION', `Fichier « ${path} » : son nom finit par .csv (tableur français) ou .xlsx (classeur).`);
  }
  // Loaded when a list is written: every table offers its list, and the first frame loads no SDK (startup.test.ts).
  const [{ isPostgresUrl }, { notWritten, refuseMissingFolder, refuseStoreFile }, { refuseLongSheet, workbook }] = await Promise.all([
    import('@cafsup/sdk'),
    import('../cli/files.js'),
    import('../cli/xlsx.js'),
  ]);
  // The store's own file ends otherwise than .csv or .xlsx unless named so: refused all the same.
  if (store.kind === 'local' && !isPostgresUrl(store.location)) await refuseStoreFile(store.location, path);
  refuseMissingFolder(path);
  const taken = () => new CafsupError('CONFLICT', `Le fichier ${path} existe déjà : donnez un autre nom (rien n’a été écrit).`, { path });
  if (existsSync(path)) throw taken();
  // Before its rows are put into words: a list too long for a workbook is refused at once.
  if (extension === '.xlsx') refuseLongSheet(list.count + 1);
  try {
    const aside = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}-${Date.now()}.tmp`);
    const file = await open(aside, 'wx', 0o600);
    const forget = removedIfEnded(aside);
    try {
      if (extension === '.csv') {
        // The BOM once, at the top of the file, with the headers.
        await file.write(frenchCsv([list.headers]));
        for await (const rows of chunks(list)) await file.write(frenchCsvLines(rows));
      } else {
        const rows: string[][] = [list.headers];
        for await (const chunk of chunks(list)) rows.push(...chunk);
        await file.write(await workbook([{ name: sheet, rows }]));
      }
      await file.sync();
      await file.close();
      try {
        await link(aside, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw taken();
        // A file system without hard links (some network mounts): renamed into place after one more look.
        if (!hardLinksRefused(error) || existsSync(path)) throw error;
        await rename(aside, path);
      }
    } finally {
      await file.close().catch(() => undefined);
      await rm(aside, { force: true });
      forget();
    }
  } catch (error) {
    // A folder this account may not write, a disk full: said as the CLI's exports say it.
    if (error instanceof CafsupError) throw error;
    throw notWritten(path, error);
  }
  return `${countOf(list.count, 'ligne écrite', 'lignes écrites')} dans ${resolve(path)}`;
}
