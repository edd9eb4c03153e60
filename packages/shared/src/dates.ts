/** A calendar date `YYYY-MM-DD`; event timestamps are ISO-8601 with an offset or `Z`. */
export type CalendarDate = string;

const DAY_MS = 86_400_000;
// Dates and timestamps are read by hand, digit by digit: a million-row import validates three
// timestamps per habilitation, and this is ten times faster than a regular expression.
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k++) {
    const digit = text.charCodeAt(at + k) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Reads `YYYY-MM-DD` at the start of `text`; null unless it is a real calendar date. */
function readDate(text: string): [number, number, number] | null {
  if (text.length < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return null;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 0 || month < 0 || day < 0 || !validDayOfMonth(year, month, day)) return null;
  return [year, month, day];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function validDayOfMonth(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** True for a real calendar date written `YYYY-MM-DD` (no 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  return value.length === 10 && readDate(value) !== null;
}

/**
 * Dates cafsup accepts (rules.md, "Inputs that are refused"): an asOf in 9999 would make every rule
 * walk millennia. Here beside the calendar rather than with the schemas (fields.ts): the commands
 * check a date option before anything loads zod, which `--help` never does.
 */
export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2199;

/** True when the text starts with a year inside [FIRST_YEAR, LAST_YEAR]. */
export function isYearInRange(value: string): boolean {
  const year = Number(value.slice(0, 4));
  return year >= FIRST_YEAR && year <= LAST_YEAR;
}

/** A date cafsup takes, wherever it is typed or read: a real calendar date AAAA-MM-JJ within the years above. */
export function isAcceptedDate(value: string): boolean {
  return isCalendarDate(value) && isYearInRange(value);
}

/** What a date must be, in a refusal's words (« date invalide (attendu … ) », « --as-of attend … »). */
export const ACCEPTED_DATE = `AAAA-MM-JJ, date réelle entre ${FIRST_YEAR} et ${LAST_YEAR}`;

function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millis = 0): number {
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (year >= 100) return ms;
  const shifted = new Date(ms);
  shifted.setUTCFullYear(year);
  return shifted.getTime();
}

/** The instant of an ISO-8601 timestamp with offset (`2026-03-05T23:30:00Z`, `…+01:00`), in epoch milliseconds; null when it is not one. */
export function timestampToEpochMs(value: string): number | null {
  const date = readDate(value);
  if (date === null || value.length < 17 || value.charCodeAt(10) !== 84 /* T */ || value.charCodeAt(13) !== 58) return null;
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return null;
  let at = 16;
  let second = 0;
  let millis = 0;
  if (value.charCodeAt(at) === 58 /* : */) {
    second = digitsAt(value, at + 1, 2);
    if (second < 0 || second > 59) return null;
    at += 3;
    if (value.charCodeAt(at) === 46 /* . */) {
      let digits = 0;
      let scale = 100;
      at += 1;
      for (let code = value.charCodeAt(at); code >= 48 && code <= 57; code = value.charCodeAt(++at)) {
        millis += Math.floor((code - 48) * scale);
        scale /= 10;
        digits += 1;
      }
      if (digits === 0 || digits > 9) return null;
    }
  }
  let offsetMinutes = 0;
  const zone = value.charCodeAt(at);
  if (zone === 90 /* Z */) {
    if (value.length !== at + 1) return null;
  } else if (zone === 43 || zone === 45 /* + - */) {
    if (value.length !== at + 6 || value.charCodeAt(at + 3) !== 58) return null;
    const offsetHours = digitsAt(value, at + 1, 2);
    const offsetMins = digitsAt(value, at + 4, 2);
    if (offsetHours < 0 || offsetHours > 14 || offsetMins < 0 || offsetMins > 59) return null;
    offsetMinutes = (zone === 45 ? -1 : 1) * (offsetHours * 60 + offsetMins);
  } else return null;
  return utcMs(date[0], date[1], date[2], hour, minute, second, Math.floor(millis)) - offsetMinutes * 60_000;
}

/** True for an ISO-8601 timestamp with an offset or `Z` whose date and time are real. */
export function isTimestamp(value: string): boolean {
  return timestampToEpochMs(value) !== null;
}

function formatUtcDate(ms: number): CalendarDate {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

function dateToUtcMs(date: CalendarDate): number {
  return utcMs(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
}

// Since 1996 Europe/Paris follows the EU rule: UTC+2 from the last Sunday of March 01:00 UTC
// to the last Sunday of October 01:00 UTC, UTC+1 otherwise. Computing it is ~50× faster than
// Intl, which matters when a million timestamps are imported; other years ask Intl.
const summerTimeBounds = new Map<number, readonly [number, number]>();
// Made when first needed: a time-zone formatter loads ICU's zone data, ~40 ms of every start.
let parisFormatter: Intl.DateTimeFormat | undefined;

function lastSundayAt0100Utc(year: number, monthIndex: number): number {
  const lastDay = Date.UTC(year, monthIndex + 1, 0, 1);
  return lastDay - new Date(lastDay).getUTCDay() * DAY_MS;
}

function parisOffsetMs(ms: number, year: number): number {
  let bounds = summerTimeBounds.get(year);
  if (bounds === undefined) {
    bounds = [lastSundayAt0100Utc(year, 2), lastSundayAt0100Utc(year, 9)];
    summerTimeBounds.set(year, bounds);
  }
  return ms >= bounds[0] && ms < bounds[1] ? 2 * 3_600_000 : 3_600_000;
}

/** The Europe/Paris calendar day of an instant given in epoch milliseconds. */
export function parisDayOfEpochMs(ms: number): CalendarDate {
  const year = new Date(ms).getUTCFullYear();
  if (year >= 1997 && year <= 9998) return formatUtcDate(ms + parisOffsetMs(ms, year));
  parisFormatter ??= new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });
  return parisFormatter.format(new Date(ms));
}

// Made when first needed, and only for years the rule above does not cover (ICU's zone data).
let parisClock: Intl.DateTimeFormat | undefined;

/** The Europe/Paris wall-clock time of an instant given in epoch milliseconds (`09:05`). */
export function parisTimeOfEpochMs(ms: number): string {
  const year = new Date(ms).getUTCFullYear();
  if (year >= 1997 && year <= 9998) {
    const local = new Date(ms + parisOffsetMs(ms, year));
    const [hours, minutes] = [local.getUTCHours(), local.getUTCMinutes()];
    return `${hours < 10 ? '0' : ''}${hours}:${minutes < 10 ? '0' : ''}${minutes}`;
  }
  parisClock ??= new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });
  return parisClock.format(ms);
}

/** `day(ts)` of rules.md: the calendar day of a timestamp in Europe/Paris. */
export function parisDay(timestamp: string): CalendarDate {
  const ms = timestampToEpochMs(timestamp);
  if (ms === null) throw new RangeError(`not a timestamp: ${timestamp}`);
  return parisDayOfEpochMs(ms);
}

/** Today in Europe/Paris at the instant `now`: the default `asOf`. */
export function todayInParis(now: Date): CalendarDate {
  return parisDayOfEpochMs(now.getTime());
}

/** `days(a, b)`: calendar days from `a` to `b` (negative when `b` is earlier). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return Math.round((dateToUtcMs(to) - dateToUtcMs(from)) / DAY_MS);
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return formatUtcDate(dateToUtcMs(date) + days * DAY_MS);
}

/** Same day of month `months` later, clamped to that month's last day (2025-11-30 + 3 = 2026-02-28). */
export function addMonths(date: CalendarDate, months: number): CalendarDate {
  const year = Number(date.slice(0, 4));
  const monthIndex = Number(date.slice(5, 7)) - 1 + months;
  const targetYear = year + Math.floor(monthIndex / 12);
  const targetMonth = (((monthIndex % 12) + 12) % 12) + 1;
  const day = Math.min(Number(date.slice(8, 10)), daysInMonth(targetYear, targetMonth));
  return `${String(targetYear).padStart(4, '0')}-${String(targetMonth).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The later of two dates (plain string order is date order for `YYYY-MM-DD`). */
export function laterDate(a: CalendarDate, b: CalendarDate): CalendarDate {
  return a >= b ? a : b;
}
