import { describe, expect, it } from 'vitest';
import { addMonths, daysBetween, isCalendarDate, parisDay, parisDayOfEpochMs, parisTimeOfEpochMs, timestampToEpochMs, todayInParis } from './dates.js';

describe('addMonths', () => {
  it.each([
    ['2025-11-30', 3, '2026-02-28'],
    ['2024-11-30', 3, '2025-02-28'],
    ['2023-11-30', 3, '2024-02-29'],
    ['2025-01-31', 1, '2025-02-28'],
    ['2025-03-31', 1, '2025-04-30'],
    ['2025-05-15', 12, '2026-05-15'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2026-03-31', -1, '2026-02-28'],
    ['2026-05-22', -6, '2025-11-22'],
    ['2026-01-15', -13, '2024-12-15'],
  ])('%s + %i months = %s', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });
});

describe('parisDay', () => {
  it('reads 23:30 UTC on 5 March as 6 March in Paris (winter, UTC+1)', () => {
    expect(parisDay('2026-03-05T23:30:00Z')).toBe('2026-03-06');
  });
  it('reads 22:30 UTC in July as the next day in Paris (summer, UTC+2)', () => {
    expect(parisDay('2026-07-14T22:30:00Z')).toBe('2026-07-15');
    expect(parisDay('2026-07-14T21:59:59Z')).toBe('2026-07-14');
  });
  it('switches at 01:00 UTC on the last Sundays of March and October', () => {
    expect(parisDay('2026-03-29T00:59:59Z')).toBe('2026-03-29');
    expect(parisDay('2026-03-28T22:59:59Z')).toBe('2026-03-28');
    expect(parisDay('2026-03-28T23:00:00Z')).toBe('2026-03-29');
    expect(parisDay('2026-10-24T21:59:59Z')).toBe('2026-10-24');
    expect(parisDay('2026-10-24T22:00:00Z')).toBe('2026-10-25');
    expect(parisDay('2026-10-25T22:59:59Z')).toBe('2026-10-25');
    expect(parisDay('2026-10-25T23:00:00Z')).toBe('2026-10-26');
  });
  it('honours the offset written in the timestamp', () => {
    expect(parisDay('2026-03-06T00:30:00+01:00')).toBe('2026-03-06');
    expect(parisDay('2026-03-05T19:00:00-05:00')).toBe('2026-03-06');
  });
  it('agrees with Intl on 20,000 instants spread over 1990–2060', () => {
    const intl = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });
    const start = Date.UTC(1990, 0, 1);
    const span = Date.UTC(2060, 0, 1) - start;
    let seed = 42;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const ms = start + Math.floor((seed / 2 ** 31) * span);
      expect(parisDayOfEpochMs(ms)).toBe(intl.format(new Date(ms)));
    }
  });
  it('tells the Paris time as Intl does, around the changes of time and on 20,000 instants over 1990–2060', () => {
    const intl = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });
    const instants = ['2026-03-29T00:59:59Z', '2026-03-29T01:00:00Z', '2026-10-25T00:59:59Z', '2026-10-25T01:00:00Z', '2026-12-31T23:30:00Z'].map(Date.parse);
    const start = Date.UTC(1990, 0, 1);
    const span = Date.UTC(2060, 0, 1) - start;
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      instants.push(start + Math.floor((seed / 2 ** 31) * span));
    }
    for (const ms of instants) expect(parisTimeOfEpochMs(ms), new Date(ms).toISOString()).toBe(intl.format(ms));
  });
  it('gives today in Paris from the injected clock', () => {
    expect(todayInParis(new Date('2026-11-21T23:15:00Z'))).toBe('2026-11-22');
  });
});

describe('validation of dates and timestamps', () => {
  it.each(['2026-02-29', '2026-13-01', '2026-04-31', '26-01-01', '2026-1-01', ''])('refuses the date %j', (value) => {
    expect(isCalendarDate(value)).toBe(false);
  });
  it('accepts 29 February of a leap year', () => expect(isCalendarDate('2024-02-29')).toBe(true));
  it.each(['2026-02-30T10:00:00Z', '2026-03-05T24:00:00Z', '2026-03-05T10:00:00', '2026-03-05 10:00:00Z', '2026-03-05T10:00:00+25:00'])(
    'refuses the timestamp %j',
    (value) => expect(timestampToEpochMs(value)).toBeNull(),
  );
  it('reads fractions and offsets', () => {
    expect(timestampToEpochMs('2026-03-05T23:30:00.250+01:00')).toBe(Date.UTC(2026, 2, 5, 22, 30, 0, 250));
  });
});

describe('daysBetween', () => {
  it('counts calendar days across DST and years', () => {
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(daysBetween('2025-11-22', '2026-11-22')).toBe(365);
    expect(daysBetween('2026-11-22', '2026-11-21')).toBe(-1);
  });
});
