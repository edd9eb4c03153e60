import { parisDay, parisTimeOfEpochMs, type CalendarDate } from './dates.js';

// French wording of the rules' sentences (flag messages, contract terms): dates as a French
// reader writes them and plurals that agree (cli.md: « 2 alertes élevées », never « (s) »).

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

/** A calendar date in a French sentence: « 15 octobre 2026 », « 1er mars 2027 ». */
export function longFrenchDate(date: CalendarDate): string {
  const day = Number(date.slice(8, 10));
  return `${day === 1 ? '1er' : day} ${MONTHS[Number(date.slice(5, 7)) - 1]} ${Number(date.slice(0, 4))}`;
}

/** An instant in a French sentence, at its Paris day and time: « 3 décembre 2026 à 05:57 ». */
export function longFrenchInstant(timestamp: string): string {
  return `${longFrenchDate(parisDay(timestamp))} à ${parisTimeOfEpochMs(Date.parse(timestamp))}`;
}
