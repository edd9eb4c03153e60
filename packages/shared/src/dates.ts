/** A calendar date `YYYY-MM-DD`; event timestamps are ISO-8601 with an offset or `Z`. */
export type CalendarDate = string;

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function validDayOfMonth(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** True for a real calendar date written `YYYY-MM-DD` (no 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  return match !== null && validDayOfMonth(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** The instant of an ISO-8601 timestamp with offset, in epoch milliseconds; null when it is not one. */
export function timestampToEpochMs(value: string): number | null {
  const match = TIMESTAMP_PATTERN.exec(value);
  if (match === null) return null;
  const [, y, mo, d, h, mi, s, fraction, zone, zh, zm] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (!validDayOfMonth(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const offsetHours = Number(zh);
    const offsetMins = Number(zm);
    if (offsetHours > 14 || offsetMins > 59) return null;
    offsetMinutes = (zone!.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const shifted = new Date(utc);
  if (year < 100) shifted.setUTCFullYear(year);
  return shifted.getTime() - offsetMinutes * 60_000;
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
  const year = Number(date.slice(0, 4));
  const ms = Date.UTC(year, Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  if (year >= 100) return ms;
  const shifted = new Date(ms);
  shifted.setUTCFullYear(year);
  return shifted.getTime();
}

// Since 1996 Europe/Paris follows the EU rule: UTC+2 from the last Sunday of March 01:00 UTC
// to the last Sunday of October 01:00 UTC, UTC+1 otherwise. Computing it is ~50× faster than
// Intl, which matters when a million timestamps are imported; other years ask Intl.
const summerTimeBounds = new Map<number, readonly [number, number]>();
const parisFormatter = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

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
  return parisFormatter.format(new Date(ms));
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
