import { describe, expect, it } from 'vitest';
import { addWorkingDays, deskClock, easterSunday, frenchPublicHolidays, isWorkingDay } from './working-days.js';

const LADDER = [
  { order: 2, side: 'caf' as const, name: 'Second Caf', function: null, email: null, phone: null },
  { order: 1, side: 'partner' as const, name: 'Premier partenaire', function: null, email: null, phone: null },
  { order: 1, side: 'caf' as const, name: 'Premier Caf', function: null, email: null, phone: null },
];
const LANDES_DESK = { email: 'cdap@caf40.fr', phone: null, hours: '8h-17h', answerWithinWorkingDays: 2 };

describe('French working days', () => {
  it('computes Easter and the moving holidays', () => {
    expect([2024, 2025, 2026, 2027].map(easterSunday)).toEqual(['2024-03-31', '2025-04-20', '2026-04-05', '2027-03-28']);
    expect(frenchPublicHolidays(2026)).toEqual([
      { date: '2026-01-01', name: 'Jour de l’an' },
      { date: '2026-04-06', name: 'Lundi de Pâques' },
      { date: '2026-05-01', name: 'Fête du Travail' },
      { date: '2026-05-08', name: 'Victoire 1945' },
      { date: '2026-05-14', name: 'Ascension' },
      { date: '2026-05-25', name: 'Lundi de Pentecôte' },
      { date: '2026-07-14', name: 'Fête nationale' },
      { date: '2026-08-15', name: 'Assomption' },
      { date: '2026-11-01', name: 'Toussaint' },
      { date: '2026-11-11', name: 'Armistice 1918' },
      { date: '2026-12-25', name: 'Noël' },
    ]);
  });

  it('skips weekends and holidays: 1 May, 14 July, Easter Monday', () => {
    expect(isWorkingDay('2026-05-01')).toBe(false);
    expect(isWorkingDay('2026-05-04')).toBe(true);
    // Thursday 30 April 2026: Friday 1 May is off, then the weekend.
    expect(addWorkingDays('2026-04-30', 2)).toBe('2026-05-05');
    // Monday 13 July 2026: Tuesday 14 July is off.
    expect(addWorkingDays('2026-07-13', 2)).toBe('2026-07-16');
    // Friday 3 April 2026: the weekend, then Easter Monday 6 April.
    expect(addWorkingDays('2026-04-03', 2)).toBe('2026-04-08');
    // Ascension (Thursday 14 May 2026) and 8 May (a Friday) in one stretch.
    expect(addWorkingDays('2026-05-07', 5)).toBe('2026-05-18');
    expect(addWorkingDays('2026-11-20', 0)).toBe('2026-11-20');
  });
});

describe('the desk clock (contrat art. 3.2, 3.3)', () => {
  it('gives the answer deadline in working days and the Caf rung due once it passes', () => {
    const base = { openedAt: '2026-04-30T15:00:00+02:00', answeredAt: null, desk: LANDES_DESK, ladder: LADDER, side: 'caf' as const };
    expect(deskClock({ ...base, asOf: '2026-05-05' })).toEqual({
      openedOn: '2026-04-30',
      answerDueAt: '2026-05-05',
      escalationFrom: '2026-05-06',
      answered: false,
      overdue: false,
      rungDue: null,
      rungs: [LADDER[2], LADDER[0]],
    });
    const late = deskClock({ ...base, asOf: '2026-05-06' });
    expect([late.overdue, late.rungDue?.name]).toEqual([true, 'Premier Caf']);
    const answered = deskClock({ ...base, answeredAt: '2026-05-04T09:00:00+02:00', asOf: '2026-05-20' });
    expect([answered.answered, answered.overdue, answered.rungDue]).toEqual([true, false, null]);
  });

  it('starts the escalation after the contract’s own delay (Val d’Oise: one month) on the side that owes the answer', () => {
    const desk = { email: null, phone: null, hours: '9h-16h', answerWithinWorkingDays: null, escalateAfterDays: 30 };
    const clock = deskClock({ openedAt: '2026-10-01T10:00:00+02:00', answeredAt: null, desk, ladder: LADDER, side: 'partner', asOf: '2026-10-31' });
    expect([clock.answerDueAt, clock.escalationFrom, clock.overdue, clock.rungDue?.name]).toEqual([null, '2026-10-31', false, 'Premier partenaire']);
    const question = deskClock({
      openedAt: '2026-10-01T10:00:00+02:00',
      answeredAt: null,
      desk: null,
      ladder: [],
      side: 'partner',
      asOf: '2026-10-16',
      dueAt: '2026-10-15',
    });
    expect([question.answerDueAt, question.escalationFrom, question.overdue, question.rungDue]).toEqual(['2026-10-15', '2026-10-16', true, null]);
  });
});
