import { addDays, daysBetween, parisDay, type CalendarDate } from '../dates.js';
import { orderedEscalation, type EscalationContact, type EscalationSide, type ServiceDesk } from '../caf.js';

// The service desk's clock (contrat de services, art. 3.2, 3.3 and 4): answers are owed in French
// working days (seed 002, Landes: « dans un délai de deux jours ouvrés »), Monday to Friday
// except the public holidays of metropolitan France (Code du travail, art. L3133-1). The
// Alsace-Moselle and overseas holidays are left out (workflows.md, section 5).

/** Easter Sunday of a Gregorian year (the anonymous algorithm of Meeus, Jones and Butcher). */
export function easterSunday(year: number): CalendarDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export interface PublicHoliday {
  date: CalendarDate;
  name: string;
}

/** The eleven public holidays of metropolitan France in `year`, in date order. */
export function frenchPublicHolidays(year: number): PublicHoliday[] {
  const fixed = (monthDay: string, name: string): PublicHoliday => ({ date: `${String(year).padStart(4, '0')}-${monthDay}`, name });
  const easter = easterSunday(year);
  return [
    fixed('01-01', 'Jour de l’an'),
    { date: addDays(easter, 1), name: 'Lundi de Pâques' },
    fixed('05-01', 'Fête du Travail'),
    fixed('05-08', 'Victoire 1945'),
    { date: addDays(easter, 39), name: 'Ascension' },
    { date: addDays(easter, 50), name: 'Lundi de Pentecôte' },
    fixed('07-14', 'Fête nationale'),
    fixed('08-15', 'Assomption'),
    fixed('11-01', 'Toussaint'),
    fixed('11-11', 'Armistice 1918'),
    fixed('12-25', 'Noël'),
  ].sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
}

const holidaysByYear = new Map<number, Map<CalendarDate, string>>();

/** The public holiday falling on `date`, or null. */
export function publicHolidayOn(date: CalendarDate): string | null {
  const year = Number(date.slice(0, 4));
  let holidays = holidaysByYear.get(year);
  if (holidays === undefined) {
    holidays = new Map(frenchPublicHolidays(year).map((holiday) => [holiday.date, holiday.name]));
    holidaysByYear.set(year, holidays);
  }
  return holidays.get(date) ?? null;
}

/** 0 = Sunday … 6 = Saturday. */
function weekday(date: CalendarDate): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Monday to Friday and not a public holiday. */
export function isWorkingDay(date: CalendarDate): boolean {
  const day = weekday(date);
  return day !== 0 && day !== 6 && publicHolidayOn(date) === null;
}

/** The `count`-th working day after `date` (`date` itself never counts: the day a request arrives is not a day of answer). */
export function addWorkingDays(date: CalendarDate, count: number): CalendarDate {
  let current = date;
  for (let remaining = count; remaining > 0;) {
    current = addDays(current, 1);
    if (isWorkingDay(current)) remaining -= 1;
  }
  return current;
}

/** Where a case stands on the desk's clock at `asOf`. */
export interface DeskClock {
  /** The Paris day the case was opened. */
  openedOn: CalendarDate;
  /** The last day of the answer (working days of the desk), or null when the contract sets none. */
  answerDueAt: CalendarDate | null;
  /**
   * From when the escalation may start when nothing was answered (contrat art. 3.3): the
   * contract's own delay (Val d'Oise: « dans un délai d'1 mois », 30 days) when it has one, else
   * the day after the answer deadline; null when the contract sets neither.
   */
  escalationFrom: CalendarDate | null;
  answered: boolean;
  /** Unanswered and past its answer deadline at `asOf`. */
  overdue: boolean;
  /** The first rung to call, on the side that owes the answer, once the escalation may start; else null. */
  rungDue: EscalationContact | null;
  /** The rungs of that side, in the order the contract lists them. */
  rungs: EscalationContact[];
}

/**
 * The clock of one case: an incident the Caf's desk must answer (side `caf`) or a question the
 * partner must answer (side `partner`). `dueAt` overrides the desk's delay (a question's own
 * answer date). The escalation proposes the first rung of the side that owes the answer: the
 * contracts order the rungs (« dans l'ordre présenté ») but give no delay between them.
 */
export function deskClock(input: {
  openedAt: string;
  answeredAt: string | null;
  desk: ServiceDesk | null;
  ladder: readonly EscalationContact[];
  side: EscalationSide;
  asOf: CalendarDate;
  dueAt?: CalendarDate | null;
}): DeskClock {
  const openedOn = parisDay(input.openedAt);
  const workingDays = input.desk?.answerWithinWorkingDays ?? null;
  const answerDueAt = input.dueAt ?? (workingDays === null ? null : addWorkingDays(openedOn, workingDays));
  const escalateAfterDays = input.desk?.escalateAfterDays ?? null;
  const escalationFrom = escalateAfterDays !== null ? addDays(openedOn, escalateAfterDays) : answerDueAt === null ? null : addDays(answerDueAt, 1);
  const answered = input.answeredAt !== null && parisDay(input.answeredAt) <= input.asOf;
  const overdue = !answered && answerDueAt !== null && daysBetween(answerDueAt, input.asOf) > 0;
  const rungs = orderedEscalation(input.ladder).filter((rung) => rung.side === input.side);
  const rungDue = !answered && escalationFrom !== null && escalationFrom <= input.asOf ? (rungs[0] ?? null) : null;
  return { openedOn, answerDueAt, escalationFrom, answered, overdue, rungDue, rungs };
}
