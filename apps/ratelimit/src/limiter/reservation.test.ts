import { ratelimit } from '@aigw/proto';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../rules/compile-rules.js';
import { parseRulesFile } from '../rules/load-rules.js';
import type { Increment } from '../store/counter-store.js';
import { MemoryStore } from '../store/memory.js';
import { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
import { descriptorIntent, formatReserved, reservedMetadataKey } from './reservation.js';

const { OK, OVER_LIMIT } = ratelimit.RateLimitResponse_Code;

const rules = compileRules([
  parseRulesFile(
    'r.yaml',
    `
domain: r
descriptors:
  - key: limit
    value: budget
    rate_limit: {unit: minute, requests_per_unit: 1000}
  - key: limit
    value: small
    rate_limit: {unit: minute, requests_per_unit: 100}
  - key: limit
    value: shadow
    shadow_mode: true
    rate_limit: {unit: minute, requests_per_unit: 100}
`,
  ),
]);

class RecordingStore extends MemoryStore {
  readonly calls: Increment[][] = [];
  override incrementAll(increments: readonly Increment[]): Promise<number[]> {
    this.calls.push([...increments]);
    return super.incrementAll(increments);
  }
}

type Entry = readonly [string, string];

function descriptor(entries: readonly Entry[], hits: number): ratelimit.RateLimitDescriptor {
  return {
    entries: entries.map(([key, value]) => ({ key, value })),
    isNegativeHits: false,
    hitsAddend: BigInt(hits),
  };
}

const reserve = (limit: string, hits: number) =>
  descriptor(
    [
      ['limit', limit],
      ['aigw_reserve', '1'],
    ],
    hits,
  );
const reconcile = (limit: string, reserved: string, usage: number) =>
  descriptor(
    [
      ['limit', limit],
      ['aigw_reserved', reserved],
    ],
    usage,
  );
const check = (limit: string) => descriptor([['limit', limit]], 0);

function setup(options: Partial<RateLimiterOptions> = {}) {
  // 10 s into a minute.
  let now = Date.UTC(2026, 0, 1, 0, 0, 10);
  const store = new RecordingStore({ now: () => now });
  const limiter = new RateLimiter({ store, rules: () => rules, now: () => now, ...options });
  const decide = (...descriptors: ratelimit.RateLimitDescriptor[]) =>
    limiter.shouldRateLimit({ domain: 'r', hitsAddend: 0, descriptors });
  /** The counter of a limit now (a check-only call). */
  const counter = async (limit: string) => {
    const response = await decide(check(limit));
    const remaining = response.statuses[0]?.limitRemaining ?? 0;
    return (limit === 'budget' ? 1000 : 100) - remaining;
  };
  return {
    store,
    limiter,
    decide,
    counter,
    nowSeconds: () => Math.floor(now / 1000),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('descriptorIntent', () => {
  it('leaves a descriptor without a reservation entry alone (envoyproxy/ratelimit semantics)', () => {
    const d = check('budget');
    expect(descriptorIntent(d)).toEqual({ intent: { kind: 'count' }, descriptor: d });
  });

  it.each([
    { value: '120@1767225610', reserved: 120, reservedAt: 1767225610 },
    { value: '0', reserved: 0, reservedAt: undefined },
    { value: '35', reserved: 35, reservedAt: undefined },
  ])('reads aigw_reserved=$value', ({ value, reserved, reservedAt }) => {
    const split = descriptorIntent(reconcile('budget', value, 10));
    expect(split.intent).toEqual({ kind: 'reconcile', reserved, reservedAt });
    expect(split.descriptor.entries).toEqual([{ key: 'limit', value: 'budget' }]);
    expect(split.descriptor.hitsAddend).toBe(10n);
  });

  it('refuses a malformed aigw_reserved value as a bad request', () => {
    expect(() => descriptorIntent(reconcile('budget', 'lots', 1))).toThrow(
      expect.objectContaining({ code: 'invalid_request' }) as Error,
    );
  });
});

describe('RateLimiter token reservations', () => {
  it('admits a reservation that fits, counts it and reports it in dynamic metadata', async () => {
    const { decide, counter, nowSeconds } = setup();
    const response = await decide(reserve('budget', 300));
    expect(response.overallCode).toBe(OK);
    expect(response.statuses[0]?.limitRemaining).toBe(700);
    expect(response.dynamicMetadata).toEqual({
      [reservedMetadataKey]: formatReserved(300, nowSeconds()),
    });
    expect(await counter('budget')).toBe(300);
  });

  it('refuses a reservation that does not fit and does not count it (charge-after would)', async () => {
    const { decide, counter } = setup();
    await decide(reserve('budget', 800));
    const refused = await decide(reserve('budget', 300));
    expect(refused.overallCode).toBe(OVER_LIMIT);
    expect(refused.dynamicMetadata).toBeUndefined();
    expect(await counter('budget')).toBe(800);
    // What is left still admits a smaller request.
    expect((await decide(reserve('budget', 200))).overallCode).toBe(OK);
    expect(await counter('budget')).toBe(1000);
    // A full budget refuses even an empty reservation.
    expect((await decide(reserve('budget', 0))).overallCode).toBe(OVER_LIMIT);
  });

  it('reconciles at stream end: refunds an overestimate, tops up an underestimate', async () => {
    const { decide, counter } = setup();
    const first = await decide(reserve('budget', 300));
    const reserved = String(first.dynamicMetadata?.[reservedMetadataKey]);
    await decide(reconcile('budget', reserved, 120));
    expect(await counter('budget')).toBe(120);
    const second = await decide(reserve('budget', 100));
    await decide(reconcile('budget', String(second.dynamicMetadata?.[reservedMetadataKey]), 250));
    expect(await counter('budget')).toBe(370);
  });

  it('charges the whole usage when nothing was reserved (aigw_reserved=0: refused or store down)', async () => {
    const { decide, counter } = setup();
    await decide(reconcile('budget', '0', 90));
    expect(await counter('budget')).toBe(90);
  });

  it('charges the whole usage in the current window when the reserving window is over', async () => {
    const { decide, counter, advance } = setup();
    const first = await decide(reserve('budget', 300));
    advance(60_000);
    await decide(reconcile('budget', String(first.dynamicMetadata?.[reservedMetadataKey]), 120));
    expect(await counter('budget')).toBe(120);
  });

  it('is all or nothing across limits: a refused one gives back the others', async () => {
    const { decide, counter } = setup();
    await decide(reserve('small', 80));
    const response = await decide(reserve('budget', 50), reserve('small', 50));
    expect(response.overallCode).toBe(OVER_LIMIT);
    expect(response.statuses.map((s) => s.code)).toEqual([OK, OVER_LIMIT]);
    expect(response.dynamicMetadata).toBeUndefined();
    expect(await counter('budget')).toBe(0);
    expect(await counter('small')).toBe(80);
  });

  it('gives back reservations when a plain descriptor is over in the same request', async () => {
    const { decide, counter } = setup();
    await decide(descriptor([['limit', 'small']], 101));
    const response = await decide(reserve('budget', 50), check('small'));
    expect(response.overallCode).toBe(OVER_LIMIT);
    expect(await counter('budget')).toBe(0);
  });

  it('counts a reservation on a shadow-mode limit always, and answers OK', async () => {
    const { decide, counter } = setup();
    await decide(reserve('shadow', 90));
    const response = await decide(reserve('shadow', 50));
    expect(response.overallCode).toBe(OK);
    const reserved = String(response.dynamicMetadata?.[reservedMetadataKey]);
    expect(reserved).toMatch(/^50@/);
    // Both were counted (140): giving the second back leaves the first.
    await decide(reconcile('shadow', reserved, 0));
    expect(await counter('shadow')).toBe(90);
  });

  it('global shadow mode: a refused reservation is given back and nothing reported', async () => {
    const { decide, counter } = setup({ shadowMode: true });
    await decide(reserve('small', 80));
    const response = await decide(reserve('budget', 50), reserve('small', 50));
    expect(response.overallCode).toBe(OK);
    expect(response.dynamicMetadata).toBeUndefined();
    expect(await counter('budget')).toBe(0);
  });

  it('never uses the over-limit cache for reservations: a refund reopens the budget', async () => {
    const { decide, counter } = setup({ localCacheSize: 100 });
    const first = await decide(reserve('small', 100));
    expect((await decide(reserve('small', 1))).overallCode).toBe(OVER_LIMIT);
    await decide(reconcile('small', String(first.dynamicMetadata?.[reservedMetadataKey]), 40));
    expect(await counter('small')).toBe(40);
    expect((await decide(reserve('small', 60))).overallCode).toBe(OK);
  });

  it('fails open without counting or reporting a reservation when the store is down', async () => {
    const { decide, store } = setup();
    store.incrementAll = () => Promise.reject(new Error('down'));
    const response = await decide(reserve('budget', 50));
    expect(response.overallCode).toBe(OK);
    expect(response.dynamicMetadata).toBeUndefined();
  });

  it('keeps the --response-dynamic-metadata fields beside the reservation', async () => {
    const { decide } = setup({ responseDynamicMetadata: true });
    const response = await decide(reserve('budget', 5));
    expect(response.dynamicMetadata).toMatchObject({
      domain: 'r',
      [reservedMetadataKey]: expect.stringMatching(/^5@\d+$/) as string,
    });
  });

  it('sends one conditional store operation per reservation', async () => {
    const { decide, store } = setup();
    await decide(reserve('budget', 5));
    expect(store.calls[0]).toEqual([
      expect.objectContaining({ hits: 5, reserveWithin: 1000 }) as Increment,
    ]);
  });
});
