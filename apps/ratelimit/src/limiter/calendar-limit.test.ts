import { ratelimit } from '@aigw/proto';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../rules/compile-rules.js';
import { parseRulesFile } from '../rules/load-rules.js';
import { RulesError } from '../rules/rules-error.js';
import type { Increment } from '../store/counter-store.js';
import { MemoryStore } from '../store/memory.js';
import { RateLimiter } from './rate-limiter.js';

const { OK, OVER_LIMIT } = ratelimit.RateLimitResponse_Code;

const rules = compileRules([
  parseRulesFile(
    'budgets.yaml',
    `
domain: budgets
descriptors:
  - key: tenant
    rate_limit: {unit: month, requests_per_unit: 1000, calendar_time_zone: Europe/Berlin}
`,
  ),
]);

/** A memory store that records every increment (keys and TTLs). */
class RecordingStore extends MemoryStore {
  readonly calls: Increment[] = [];
  override incrementAll(increments: readonly Increment[]): Promise<number[]> {
    this.calls.push(...increments);
    return super.incrementAll(increments);
  }
}

function setup(startIso: string) {
  let now = Date.parse(startIso);
  const store = new RecordingStore({ now: () => now });
  const limiter = new RateLimiter({ store, rules: () => rules, now: () => now });
  const spend = (tokens: number) =>
    limiter.shouldRateLimit({
      domain: 'budgets',
      hitsAddend: tokens,
      descriptors: [{ entries: [{ key: 'tenant', value: 'acme' }], isNegativeHits: false }],
    });
  return {
    store,
    spend,
    at: (iso: string) => {
      now = Date.parse(iso);
    },
  };
}

const at = (iso: string): number => Date.parse(iso) / 1000;

describe('a calendar-month budget in a time zone (clock injected)', () => {
  it('spends the month until local midnight of the 1st, then starts afresh', async () => {
    const { spend, at: setNow, store } = setup('2027-01-10T12:00:00Z');
    expect((await spend(900)).overallCode).toBe(OK);
    // 31 January, 23:59:59 in Berlin (22:59:59Z): still January's budget.
    setNow('2027-01-31T22:59:59Z');
    const over = await spend(200);
    expect(over.overallCode).toBe(OVER_LIMIT);
    // One second before Berlin's February: the reset is one second away.
    expect(over.statuses[0]?.durationUntilReset?.seconds).toBe(1n);
    // Midnight in Berlin: a new window, a new counter (UTC is still 31 January).
    setNow('2027-01-31T23:00:00Z');
    const february = await spend(200);
    expect(february.overallCode).toBe(OK);
    expect(february.statuses[0]?.limitRemaining).toBe(800);
    // The counter keys carry the local month's first instant; a key lives as long as its month.
    const keys = [...new Set(store.calls.map((c) => c.key))];
    expect(keys).toEqual([
      `budgets_tenant_acme_${String(at('2026-12-31T23:00:00Z'))}`,
      `budgets_tenant_acme_${String(at('2027-01-31T23:00:00Z'))}`,
    ]);
    expect(store.calls.at(-1)?.ttlSeconds).toBe(28 * 86_400);
  });

  it('counts a DST month to its real end: March in Berlin has 743 hours', async () => {
    const { spend } = setup('2027-03-01T00:00:00Z');
    const response = await spend(1);
    // From 01:00 CET on 1 March to 00:00 CEST on 1 April (22:00Z on 31 March).
    expect(response.statuses[0]?.durationUntilReset?.seconds).toBe(
      BigInt(at('2027-03-31T22:00:00Z') - at('2027-03-01T00:00:00Z')),
    );
  });

  it('refuses a calendar window on a unit under a day, or an unknown zone, when the rules load', () => {
    const load = (rateLimit: string) => () =>
      parseRulesFile(
        'bad.yaml',
        `domain: d\ndescriptors:\n  - key: k\n    rate_limit: ${rateLimit}\n`,
      );
    expect(load('{unit: hour, requests_per_unit: 1, calendar_time_zone: UTC}')).toThrow(
      /calendar window needs the unit day, week, month or year, not "hour"/,
    );
    expect(load('{unit: month, requests_per_unit: 1, calendar_time_zone: Mars/Base}')).toThrow(
      RulesError,
    );
    expect(load('{unit: month, requests_per_unit: 1, calendar_time_zone: Mars/Base}')).toThrow(
      /unknown time zone "Mars\/Base"/,
    );
  });
});
