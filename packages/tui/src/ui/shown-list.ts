import { createContext } from 'react';
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { CafsupError, countOf, frenchCsv } from '@cafsup/shared';
import type { TransportInfo } from '@cafsup/sdk';

/** The list a screen shows, as `e` writes it (tui.md, « Exports of the current view »): its headers and each row's cells, whole. */
export interface ShownList {
  headers: string[];
  rows(): string[][];
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

/**
 * Writes `list` to `path`: CSV for French spreadsheets (`.csv`) or a workbook (`.xlsx`), whole
 * or not at all, readable by its owner only (the CLI's writers). Never over an existing file
 * (the interface asks no « o/n » here: another name is one key away), nor over the local store.
 * Returns the sentence the status bar shows.
 */
export async function writeShownList(list: ShownList, path: string, sheet: string, store: Pick<TransportInfo, 'kind' | 'location'>): Promise<string> {
  const extension = extname(path).toLowerCase();
  if (extension !== '.csv' && extension !== '.xlsx') {
    throw new CafsupError('VALIDATION', `Fichier « ${path} » : son nom finit par .csv (tableur français) ou .xlsx (classeur).`);
  }
  // Loaded when a list is written: every table offers its list, and the first frame loads no SDK (startup.test.ts).
  const [{ isPostgresUrl }, { refuseMissingFolder, refuseStoreFile, writeFileAtomically }, { workbook }] = await Promise.all([
    import('@cafsup/sdk'),
    import('../cli/files.js'),
    import('../cli/xlsx.js'),
  ]);
  if (store.kind === 'local' && !isPostgresUrl(store.location)) await refuseStoreFile(store.location, path);
  refuseMissingFolder(path);
  if (existsSync(path)) throw new CafsupError('CONFLICT', `Le fichier ${path} existe déjà : donnez un autre nom (rien n’a été écrit).`, { path });
  const rows = [list.headers, ...list.rows()];
  // A worksheet's name: 31 characters at most, none of []:*?/\ (Excel refuses the workbook otherwise).
  const bytes = extension === '.csv' ? frenchCsv(rows) : workbook([{ name: sheet.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31), rows }]);
  await writeFileAtomically(path, [bytes]);
  return `${countOf(rows.length - 1, 'ligne écrite', 'lignes écrites')} dans ${resolve(path)}`;
}
