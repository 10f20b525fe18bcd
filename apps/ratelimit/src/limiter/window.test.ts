import { ratelimit } from '@aigw/proto';
import { describe, expect, it } from 'vitest';
import { unitSeconds, windowStart } from './window.js';

const Unit = ratelimit.RateLimitResponse_RateLimit_Unit;

const units = [
  { unit: Unit.SECOND, name: 'SECOND', seconds: 1 },
  { unit: Unit.MINUTE, name: 'MINUTE', seconds: 60 },
  { unit: Unit.HOUR, name: 'HOUR', seconds: 3600 },
  { unit: Unit.DAY, name: 'DAY', seconds: 86_400 },
  { unit: Unit.WEEK, name: 'WEEK', seconds: 604_800 },
  { unit: Unit.MONTH, name: 'MONTH (30 days)', seconds: 2_592_000 },
  { unit: Unit.YEAR, name: 'YEAR (365 days)', seconds: 31_536_000 },
] as const;

describe('fixed windows aligned to the epoch', () => {
  it.each(units)('$name is $seconds s long', ({ unit, seconds }) => {
    expect(unitSeconds(unit)).toBe(seconds);
  });

  it.each(units)('$name: the last second of a window and the first of the next', ({ seconds }) => {
    const boundary = 1_764_000_000 - (1_764_000_000 % seconds) + seconds;
    expect(windowStart(boundary - 1, seconds)).toBe(boundary - seconds);
    expect(windowStart(boundary, seconds)).toBe(boundary);
    expect(windowStart(boundary + seconds - 1, seconds)).toBe(boundary);
  });

  it('weeks start on Thursdays (1970-01-01 was one), as upstream', () => {
    const start = windowStart(Date.UTC(2026, 10, 27, 12) / 1000, 604_800);
    expect(new Date(start * 1000).toISOString()).toBe('2026-11-26T00:00:00.000Z');
  });

  it('months are 30-day blocks from the epoch, not calendar months', () => {
    const start = windowStart(Date.UTC(2026, 10, 27) / 1000, 2_592_000);
    expect(new Date(start * 1000).toISOString()).toBe('2026-11-03T00:00:00.000Z');
  });

  it('has no window for UNKNOWN', () => {
    expect(unitSeconds(Unit.UNKNOWN)).toBeUndefined();
  });
});
