import { ratelimit } from '@aigw/proto';
import type { UnitName } from '../rules/schema.js';
import { calendarWindow, type Calendar, type WindowBounds } from './calendar.js';

const Unit = ratelimit.RateLimitResponse_RateLimit_Unit;
type Unit = ratelimit.RateLimitResponse_RateLimit_Unit;

/** Proto unit of each YAML unit name. */
export const unitByName: Readonly<Record<UnitName, Unit>> = {
  second: Unit.SECOND,
  minute: Unit.MINUTE,
  hour: Unit.HOUR,
  day: Unit.DAY,
  week: Unit.WEEK,
  month: Unit.MONTH,
  year: Unit.YEAR,
};

/**
 * Length of a unit's window in seconds, exactly as envoyproxy/ratelimit's `UnitToDivider`: a
 * month is 30 days and a year 365 days, and windows are aligned to the Unix epoch (so a "week"
 * starts on a Thursday, 1970-01-01 being one). Returns undefined for UNKNOWN/unrecognised units.
 * @see https://github.com/envoyproxy/ratelimit/blob/main/src/utils/utilities.go
 */
export function unitSeconds(unit: Unit): number | undefined {
  switch (unit) {
    case Unit.SECOND:
      return 1;
    case Unit.MINUTE:
      return 60;
    case Unit.HOUR:
      return 3600;
    case Unit.DAY:
      return 86_400;
    case Unit.WEEK:
      return 604_800;
    case Unit.MONTH:
      return 2_592_000;
    case Unit.YEAR:
      return 31_536_000;
    case Unit.UNKNOWN:
    case Unit.UNRECOGNIZED:
      return undefined;
  }
}

/** Start of the fixed window containing `nowSeconds` (Unix seconds): `(now / d) * d`. */
export function windowStart(nowSeconds: number, divider: number): number {
  return nowSeconds - (nowSeconds % divider);
}

const OverrideUnit = ratelimit.RateLimitUnit;

/** The response unit of an Envoy descriptor `limit` override's unit (`envoy.type.v3.RateLimitUnit`). */
export function unitOfOverride(unit: ratelimit.RateLimitUnit): Unit {
  switch (unit) {
    case OverrideUnit.SECOND:
      return Unit.SECOND;
    case OverrideUnit.MINUTE:
      return Unit.MINUTE;
    case OverrideUnit.HOUR:
      return Unit.HOUR;
    case OverrideUnit.DAY:
      return Unit.DAY;
    case OverrideUnit.MONTH:
      return Unit.MONTH;
    case OverrideUnit.YEAR:
      return Unit.YEAR;
    case OverrideUnit.UNKNOWN:
    case OverrideUnit.UNRECOGNIZED:
      return Unit.UNKNOWN;
  }
}

/** What a rule's window is: fixed seconds from the epoch, or a calendar unit in a time zone. */
export interface RuleWindow {
  readonly unitSeconds: number;
  readonly calendar?: Calendar | undefined;
}

/** The last calendar window of each rule: most decisions fall in the one before. */
const lastCalendarWindow = new WeakMap<RuleWindow, WindowBounds>();

/**
 * The window of `rule` holding `nowSeconds`: envoyproxy/ratelimit's fixed window, or the
 * calendar window of a rule with `calendar_time_zone`.
 */
export function ruleWindow(rule: RuleWindow, nowSeconds: number): WindowBounds {
  const calendar = rule.calendar;
  if (!calendar) {
    const start = windowStart(nowSeconds, rule.unitSeconds);
    return { start, end: start + rule.unitSeconds };
  }
  const last = lastCalendarWindow.get(rule);
  if (last && last.start <= nowSeconds && nowSeconds < last.end) return last;
  const bounds = calendarWindow(calendar, nowSeconds);
  lastCalendarWindow.set(rule, bounds);
  return bounds;
}
