/**
 * Calendar windows (an extension of envoyproxy/ratelimit's fixed windows): a `day`, `week`,
 * `month` or `year` that starts at local midnight in a time zone — the calendar month in
 * Europe/Berlin runs from 1 March 00:00 CET to 1 April 00:00 CEST, 743 hours — instead of a fixed
 * number of seconds aligned to the Unix epoch. Weeks start on Monday. Time zone rules come from
 * the runtime's ICU data (`Intl`).
 */

/** The units a calendar window can have. */
export const calendarUnits = ['day', 'week', 'month', 'year'] as const;
export type CalendarUnit = (typeof calendarUnits)[number];

/** A calendar window's unit and IANA time zone. */
export interface Calendar {
  readonly unit: CalendarUnit;
  readonly timeZone: string;
}

/** A window: `[start, end)` in Unix seconds. */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether `timeZone` is an IANA time zone the runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** The wall-clock date and time at `ms` in `timeZone`, as if it were UTC (ms). */
function wallClock(ms: number, timeZone: string): { readonly asUtc: number } & LocalDate {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const year = parts.year ?? 1970;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  const asUtc = Date.UTC(year, month - 1, day, parts.hour, parts.minute, parts.second);
  return { asUtc, year, month, day };
}

/**
 * The Unix time (ms) of local midnight starting `year-month-day` in `timeZone` (the day may
 * overflow: 32 January is 1 February). Two passes over the zone's offset, so a midnight just after
 * a DST change lands right; a midnight a DST gap skips maps to the first instant after it.
 */
function localMidnight(date: LocalDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  let utc = wall;
  for (let pass = 0; pass < 2; pass++) utc = wall - (wallClock(utc, timeZone).asUtc - utc);
  return utc;
}

/** The calendar window holding `nowSeconds`. */
export function calendarWindow(calendar: Calendar, nowSeconds: number): WindowBounds {
  const { year, month, day } = wallClock(nowSeconds * 1000, calendar.timeZone);
  let from: LocalDate;
  let to: LocalDate;
  switch (calendar.unit) {
    case 'day':
      from = { year, month, day };
      to = { year, month, day: day + 1 };
      break;
    case 'week': {
      // Monday first: getUTCDay() is 0 on Sunday.
      const sinceMonday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
      from = { year, month, day: day - sinceMonday };
      to = { year, month, day: day - sinceMonday + 7 };
      break;
    }
    case 'month':
      from = { year, month, day: 1 };
      to = { year, month: month + 1, day: 1 };
      break;
    case 'year':
      from = { year, month: 1, day: 1 };
      to = { year: year + 1, month: 1, day: 1 };
      break;
  }
  return {
    start: Math.floor(localMidnight(from, calendar.timeZone) / 1000),
    end: Math.floor(localMidnight(to, calendar.timeZone) / 1000),
  };
}
