import { describe, expect, it } from 'vitest';
import { calendarWindow, isTimeZone } from './calendar.js';

const at = (iso: string): number => Date.parse(iso) / 1000;
const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
const bounds = (w: { start: number; end: number }): [string, string] => [iso(w.start), iso(w.end)];

describe('calendar windows (clock injected, never slept)', () => {
  it('a calendar month in a time zone, across the month boundary', () => {
    const berlin = { unit: 'month', timeZone: 'Europe/Berlin' } as const;
    // 31 January 23:59:59 local (UTC+1) is still January; one second later is February.
    expect(bounds(calendarWindow(berlin, at('2027-01-31T22:59:59Z')))).toEqual([
      '2026-12-31T23:00:00.000Z',
      '2027-01-31T23:00:00.000Z',
    ]);
    expect(bounds(calendarWindow(berlin, at('2027-01-31T23:00:00Z')))).toEqual([
      '2027-01-31T23:00:00.000Z',
      '2027-02-28T23:00:00.000Z',
    ]);
    // In UTC it would already be February at 00:30Z on 1 February only; in New York not yet.
    const newYork = { unit: 'month', timeZone: 'America/New_York' } as const;
    expect(iso(calendarWindow(newYork, at('2027-02-01T00:30:00Z')).start)).toBe(
      '2027-01-01T05:00:00.000Z',
    );
  });

  it('a month with a DST change is 743 or 745 hours long, the days around it 23 and 25', () => {
    const march = calendarWindow(
      { unit: 'month', timeZone: 'Europe/Berlin' },
      at('2027-03-15T12:00:00Z'),
    );
    expect((march.end - march.start) / 3600).toBe(31 * 24 - 1);
    // The month after starts at 00:00 CEST (UTC+2).
    expect(iso(march.end)).toBe('2027-03-31T22:00:00.000Z');
    const october = calendarWindow(
      { unit: 'month', timeZone: 'Europe/Berlin' },
      at('2027-10-15T12:00:00Z'),
    );
    expect((october.end - october.start) / 3600).toBe(31 * 24 + 1);
    const springDay = calendarWindow(
      { unit: 'day', timeZone: 'Europe/Berlin' },
      at('2027-03-28T12:00:00Z'),
    );
    expect((springDay.end - springDay.start) / 3600).toBe(23);
    const autumnDay = calendarWindow(
      { unit: 'day', timeZone: 'America/New_York' },
      at('2027-11-07T12:00:00Z'),
    );
    expect((autumnDay.end - autumnDay.start) / 3600).toBe(25);
  });

  it('a week starts on Monday at local midnight; a year on 1 January', () => {
    // Wednesday 2027-01-06 in Tokyo (UTC+9, no DST).
    const week = calendarWindow(
      { unit: 'week', timeZone: 'Asia/Tokyo' },
      at('2027-01-06T03:00:00Z'),
    );
    expect(bounds(week)).toEqual(['2027-01-03T15:00:00.000Z', '2027-01-10T15:00:00.000Z']);
    const year = calendarWindow({ unit: 'year', timeZone: 'UTC' }, at('2027-07-01T00:00:00Z'));
    expect(bounds(year)).toEqual(['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']);
  });

  it('contains its instant, and the next window starts where it ends', () => {
    const calendar = { unit: 'day', timeZone: 'Australia/Lord_Howe' } as const; // 30-min DST
    for (let t = at('2027-04-01T00:00:00Z'); t < at('2027-04-10T00:00:00Z'); t += 3_541) {
      const w = calendarWindow(calendar, t);
      expect(w.start <= t && t < w.end).toBe(true);
      expect(calendarWindow(calendar, w.end).start).toBe(w.end);
    }
  });

  it('knows the IANA time zones the runtime knows', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
