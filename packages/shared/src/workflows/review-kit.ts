import { z } from '../zod.js';
import { lazySchema } from '../lazy.js';
import { withReason } from '../actions.js';
import type { CalendarDate } from '../dates.js';
import { calendarDateSchema, departementSchema, idSchema } from '../fields.js';
import { escapeForTerminal } from '../terminal.js';
import { longFrenchDate } from '../wording.js';
import { reviewerSchema, safeTextSchema } from '../text.js';

// The yearly reverse review as a campaign (contrat de services, art. 2.2.2: « le gestionnaire
// principal d'habilitations est tenu de faire chaque année une revue inverse d'habilitations …
// et d'en transmettre le résultat à la Caf comme preuve »): a pre-filled sheet of every held
// habilitation that the partner's administrator returns with « à conserver » filled in.

/** One held habilitation on the sheet. */
export interface ReviewKitRow {
  habilitationId: string;
  /** The person, or the group (« groupe … ») the habilitation is given to. */
  person: string;
  userId: string | null;
  groupId: string | null;
  email: string | null;
  function: string | null;
  service: string;
  profile: string;
  profileLabel: string | null;
  departement: string | null;
  status: string;
  grantedAt: string;
  lastLoginAt: string | null;
  /** The habilitation's `endsAt`, else its user's `missionEndAt`. */
  missionEndAt: CalendarDate | null;
  /** The flags that concern the row, in words (« 1 Quota dépassé »). */
  flags: string[];
}

export interface ReviewKit {
  partnerId: string;
  partnerName: string;
  asOf: CalendarDate;
  /** The contract's administrator and deputy (partner side), to whom the sheet goes. */
  recipients: { role: 'administrator' | 'deputy'; name: string; email: string }[];
  rows: ReviewKitRow[];
}

/** The columns the partner fills in: whether to keep the row, and why. */
export const KEEP_HEADER = 'À conserver (oui/non)';
export const MOTIVE_HEADER = 'Motif';
const ID_HEADER = 'Habilitation';

const STATUS_WORDS: Record<string, string> = { active: 'active', suspended: 'suspendue', revoked: 'dévalidée' };

/** The sheet's columns: French headers, one cell each. */
export const REVIEW_KIT_COLUMNS: readonly { header: string; cell: (row: ReviewKitRow) => string }[] = [
  { header: ID_HEADER, cell: (row) => row.habilitationId },
  { header: 'Personne', cell: (row) => row.person },
  { header: 'Mél', cell: (row) => row.email ?? '' },
  { header: 'Fonction', cell: (row) => row.function ?? '' },
  { header: 'Service', cell: (row) => row.service },
  { header: 'Profil', cell: (row) => row.profile },
  { header: 'Libellé du profil', cell: (row) => row.profileLabel ?? '' },
  { header: 'Département', cell: (row) => row.departement ?? '' },
  { header: 'Statut', cell: (row) => STATUS_WORDS[row.status] ?? row.status },
  { header: 'Accordée le', cell: (row) => row.grantedAt.slice(0, 10) },
  { header: 'Dernière connexion', cell: (row) => row.lastLoginAt?.slice(0, 10) ?? '' },
  { header: 'Fin de mission', cell: (row) => row.missionEndAt ?? '' },
  { header: 'Alertes', cell: (row) => row.flags.join(' ; ') },
  { header: KEEP_HEADER, cell: () => '' },
  { header: MOTIVE_HEADER, cell: () => '' },
];

/**
 * A cell a spreadsheet would read as a formula (or whose first character it would eat), or as a
 * date: « 3/9 » (3 places of 9) opens in French Excel as the 3rd of September (review 42d).
 */
const NOT_TEXT = /^[=+\-@\t\r]|^\d+\/\d+$/;

function csvCell(cell: string | number | null): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  // A leading apostrophe makes the cell text in Excel and LibreOffice: data a partner controls never runs.
  // Control characters from data are shown escaped, as on a terminal (a CSV is often just cat).
  const text = escapeForTerminal(NOT_TEXT.test(cell) ? `'${cell}` : cell);
  return /[";\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * CSV as French Excel and LibreOffice open it with a double click (cli.md, « Spreadsheets »):
 * UTF-8 with a BOM (without it Excel reads the Windows code page and breaks accents), `;`
 * between cells (`,` is the decimal mark), CRLF line ends, no text cell read as a formula.
 */
export function frenchCsv(lines: readonly (readonly (string | number | null)[])[]): string {
  return `\ufeff${frenchCsvLines(lines)}`;
}

/** `frenchCsv`'s lines without its BOM: the rest of a file written a piece at a time. */
export function frenchCsvLines(lines: readonly (readonly (string | number | null)[])[]): string {
  return lines.map((cells) => `${cells.map(csvCell).join(';')}\r\n`).join('');
}

export function reviewKitCsv(kit: ReviewKit): string {
  return frenchCsv([REVIEW_KIT_COLUMNS.map((column) => column.header), ...kit.rows.map((row) => REVIEW_KIT_COLUMNS.map((column) => column.cell(row)))]);
}

function markdownCell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|');
}

/** The sheet for an e-mail: a short letter and the table, « à conserver » left blank. */
export function reviewKitMarkdown(kit: ReviewKit): string {
  const to = kit.recipients.map((recipient) => `${recipient.name} <${recipient.email}>`).join(', ');
  const columns = REVIEW_KIT_COLUMNS;
  return [
    `# Revue inverse des habilitations — ${kit.partnerName}`,
    '',
    `Destinataires : ${to === '' ? 'administrateur du partenaire (non désigné dans la convention)' : to}`,
    '',
    `Au titre du contrat de services, art. 2.2.2, merci d’indiquer pour chacune des ${kit.rows.length} habilitations détenues au ${longFrenchDate(kit.asOf)} si elle est à conserver (oui/non) et, sinon, le motif, puis de retourner ce tableau à la Caf comme preuve de la revue.`,
    '',
    `| ${columns.map((column) => markdownCell(column.header)).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...kit.rows.map((row) => `| ${columns.map((column) => markdownCell(column.cell(row))).join(' | ')} |`),
    '',
  ].join('\n');
}

/** One decision read back from a returned sheet. */
export interface SheetDecision {
  /** The line of the sheet (1 = headers). */
  line: number;
  habilitationId: string;
  keep: boolean | null;
  motive: string | null;
}

/** Splits CSV text (`;` or `,`, quoted cells, CRLF or LF) into lines of cells. */
function parseCsv(text: string): string[][] {
  const source = text.startsWith('\ufeff') ? text.slice(1) : text;
  const firstLine = source.slice(0, source.search(/\r?\n|$/));
  const separator = firstLine.includes(';') ? ';' : ',';
  const lines: string[][] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < source.length; index++) {
    const character = source[index]!;
    if (quoted) {
      if (character === '"' && source[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else cell += character;
    } else if (character === '"' && cell === '') quoted = true;
    else if (character === separator) {
      cells.push(cell);
      cell = '';
    } else if (character === '\n' || character === '\r') {
      if (character === '\r' && source[index + 1] === '\n') index += 1;
      cells.push(cell);
      lines.push(cells);
      cells = [];
      cell = '';
    } else cell += character;
  }
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    lines.push(cells);
  }
  return lines;
}

const YES = new Set(['oui', 'o', 'yes', 'x']);
const NO = new Set(['non', 'n', 'no']);

/**
 * Reads the decisions of a returned sheet (the CSV of `reviewKitCsv`, re-saved by a spreadsheet):
 * columns found by their headers; problems name the line. The apostrophe that kept a cell from
 * being a formula is dropped.
 */
export function readReturnedSheet(text: string): { decisions: SheetDecision[]; problems: { path: string; message: string }[] } {
  const lines = parseCsv(text).filter((cells) => cells.some((cell) => cell.trim() !== ''));
  const problems: { path: string; message: string }[] = [];
  const headers = (lines[0] ?? []).map((header) => header.trim());
  const at = (header: string) => headers.indexOf(header);
  const [idColumn, keepColumn, motiveColumn] = [at(ID_HEADER), at(KEEP_HEADER), at(MOTIVE_HEADER)];
  for (const [column, header] of [
    [idColumn, ID_HEADER],
    [keepColumn, KEEP_HEADER],
  ] as const) {
    if (column === -1) problems.push({ path: 'sheet[1]', message: `colonne « ${header} » introuvable dans la feuille retournée` });
  }
  if (problems.length > 0) return { decisions: [], problems };
  const decisions: SheetDecision[] = [];
  // The line each habilitation was first read on: one listed twice (« oui » then « non », or
  // the same row copied) has no single answer, so the sheet is refused rather than counted twice.
  const firstLine = new Map<string, number>();
  lines.slice(1).forEach((cells, index) => {
    const line = index + 2;
    const unescape = (value: string | undefined) => (value ?? '').trim().replace(/^'(?=[=+\-@])/, '');
    const habilitationId = unescape(cells[idColumn]);
    const keepText = unescape(cells[keepColumn]).toLowerCase();
    const motive = motiveColumn === -1 ? '' : unescape(cells[motiveColumn]);
    if (habilitationId === '') {
      problems.push({ path: `sheet[${line}]`, message: 'identifiant d’habilitation manquant' });
      return;
    }
    const earlier = firstLine.get(habilitationId);
    if (earlier !== undefined) {
      problems.push({ path: `sheet[${line}]`, message: `habilitation ${habilitationId} en double (lignes ${earlier} et ${line})` });
      return;
    }
    firstLine.set(habilitationId, line);
    let keep: boolean | null = null;
    if (YES.has(keepText)) keep = true;
    else if (NO.has(keepText)) keep = false;
    else if (keepText !== '') problems.push({ path: `sheet[${line}]`, message: `« ${keepText} » : attendu oui ou non dans « ${KEEP_HEADER} »` });
    decisions.push({ line, habilitationId, keep, motive: motive === '' ? null : motive });
  });
  return { decisions, problems };
}

/** `reviews.campaign`: reviews due within `within` days of `asOf`, or overdue. */
export const reviewCampaignInputSchema = lazySchema(() =>
  z.strictObject({
    asOf: calendarDateSchema.optional(),
    within: z.number().int().min(0).max(366).default(30),
    cafCode: departementSchema.optional(),
  }),
);
export type ReviewCampaignInput = z.input<typeof reviewCampaignInputSchema>;

/** One partner of the campaign. */
export interface ReviewDue {
  partnerId: string;
  partnerName: string;
  cafCode: string;
  lastReviewAt: CalendarDate | null;
  dueAt: CalendarDate;
  overdue: boolean;
  /** Days until `dueAt` (negative when overdue). */
  daysLeft: number;
  administrator: { name: string; email: string } | null;
  deputy: { name: string; email: string } | null;
}

export interface ReviewCampaign {
  asOf: CalendarDate;
  within: number;
  reviews: ReviewDue[];
  overdue: number;
}

/** `reviews.recordSheet`: the returned sheet as the proof of the review. */
export const reviewSheetRecordSchema = lazySchema(() =>
  withReason(
    {
      completedAt: calendarDateSchema,
      reviewer: reviewerSchema,
      /** The returned sheet as text: the CSV of the kit, re-saved by a spreadsheet. */
      sheet: z.string().min(1, 'feuille vide').max(20_000_000, 'feuille trop grande (20 Mo au plus)').optional(),
      /** Or the returned workbook's bytes (XLSX) in base64: the SHA-256 kept is then the one of those bytes. */
      workbook: z
        .string()
        .min(1, 'classeur vide')
        .max(27_000_000, 'classeur trop grand (20 Mo au plus)')
        .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'classeur attendu en base64')
        .optional(),
      fileName: safeTextSchema(255).optional(),
    },
    { defaulted: true },
  ).refine((record) => (record.sheet === undefined) !== (record.workbook === undefined), {
    message: 'donnez la feuille (sheet, CSV) ou le classeur (workbook, XLSX en base64), l’un des deux',
    path: ['sheet'],
  }),
);
export type ReviewSheetRecord = z.input<typeof reviewSheetRecordSchema>;

export const reviewKitInputSchema = lazySchema(() => z.strictObject({ partnerId: idSchema, asOf: calendarDateSchema.optional() }));
