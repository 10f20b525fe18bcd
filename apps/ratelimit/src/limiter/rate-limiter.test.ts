import { ratelimit } from '@aigw/proto';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../rules/compile-rules.js';
import { parseRulesFile } from '../rules/load-rules.js';
import type { CounterStore, Increment } from '../store/counter-store.js';
import { MemoryStore } from '../store/memory.js';
import { RateLimiter, hitsFor, type RateLimiterOptions } from './rate-limiter.js';

const Code = ratelimit.RateLimitResponse_Code;
const { OK, OVER_LIMIT } = Code;

const rules = compileRules([
  parseRulesFile(
    'r.yaml',
    `
domain: r
descriptors:
  - key: user
    rate_limit: {unit: minute, requests_per_unit: 3}
  - key: tokens
    rate_limit: {unit: minute, requests_per_unit: 300}
  - key: shadow
    shadow_mode: true
    rate_limit: {unit: minute, requests_per_unit: 1}
  - key: quota
    quota_mode: true
    metadata: {pool: q}
    rate_limit: {unit: minute, requests_per_unit: 1}
  - key: free
    rate_limit: {unlimited: true}
  - key: endpoint
    value: read
    rate_limit: {unit: minute, requests_per_unit: 1, name: read}
  - key: endpoint
    value: read-boost
    rate_limit: {unit: minute, requests_per_unit: 100, replaces: [{name: read}]}
  - key: ten
    rate_limit: {unit: hour, requests_per_unit: 10}
`,
  ),
]);

/** A memory store that records every call. */
class RecordingStore extends MemoryStore {
  readonly calls: Increment[][] = [];
  failing = false;
  override incrementAll(increments: readonly Increment[]): Promise<number[]> {
    this.calls.push([...increments]);
    if (this.failing) return Promise.reject(new Error('down'));
    return super.incrementAll(increments);
  }
}

type Entries = readonly (readonly [string, string])[];

function isEntries(d: Entries | { entries: Entries; hitsAddend?: bigint }): d is Entries {
  return Array.isArray(d);
}

function request(
  descriptors: readonly (Entries | { entries: Entries; hitsAddend?: bigint })[],
  hitsAddend = 0,
): ratelimit.RateLimitRequest {
  return {
    domain: 'r',
    hitsAddend,
    descriptors: descriptors.map((d) => {
      const { entries, hitsAddend: h } = isEntries(d) ? { entries: d, hitsAddend: undefined } : d;
      return {
        entries: entries.map(([key, value]) => ({ key, value })),
        isNegativeHits: false,
        ...(h === undefined ? {} : { hitsAddend: h }),
      };
    }),
  };
}

function setup(options: Partial<RateLimiterOptions> & { at?: number } = {}) {
  let now = options.at ?? Date.UTC(2026, 0, 1, 0, 0, 10);
  const store = new RecordingStore({ now: () => now });
  const limiter = new RateLimiter({
    store,
    rules: () => rules,
    now: () => now,
    ...options,
  });
  return {
    store,
    limiter,
    advance: (ms: number) => {
      now += ms;
    },
    decide: (req: ratelimit.RateLimitRequest) => limiter.shouldRateLimit(req),
  };
}

describe('RateLimiter decisions', () => {
  it('counts in a fixed window: OK with limit_remaining, then OVER_LIMIT; resets next window', async () => {
    const { decide, advance } = setup();
    const codes: number[] = [];
    const remaining: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await decide(request([[['user', 'alice']]]));
      codes.push(response.overallCode);
      remaining.push(response.statuses[0]!.limitRemaining);
    }
    expect(codes).toEqual([OK, OK, OK, OVER_LIMIT]);
    expect(remaining).toEqual([2, 1, 0, 0]);
    const over = await decide(request([[['user', 'alice']]]));
    expect(over.statuses[0]).toMatchObject({
      code: OVER_LIMIT,
      currentLimit: { requestsPerUnit: 3, unit: ratelimit.RateLimitResponse_RateLimit_Unit.MINUTE },
      durationUntilReset: { seconds: 50n, nanos: 0 },
    });
    advance(50_000);
    expect((await decide(request([[['user', 'alice']]]))).overallCode).toBe(OK);
  });

  it('keeps other values in their own counters', async () => {
    const { decide } = setup();
    for (let i = 0; i < 3; i++) await decide(request([[['user', 'alice']]]));
    expect((await decide(request([[['user', 'bob']]]))).overallCode).toBe(OK);
  });

  it('uses envoyproxy/ratelimit cache keys: <prefix><domain>_<k>_<v>_<windowStart>', async () => {
    const { decide, store } = setup({ keyPrefix: 'pre:' });
    await decide(request([[['user', 'alice']], [['ten', 'x']]]));
    const windowMinute = Date.UTC(2026, 0, 1) / 1000;
    expect(store.calls[0]).toEqual([
      { key: `pre:r_user_alice_${String(windowMinute)}`, hits: 1, ttlSeconds: 60 },
      { key: `pre:r_ten_x_${String(windowMinute)}`, hits: 1, ttlSeconds: 3600 },
    ]);
  });

  it('charges token counts: request hits_addend, and a per-descriptor 0 only checks', async () => {
    const { decide, store } = setup();
    const check = request([{ entries: [['tokens', 'team']], hitsAddend: 0n }]);
    expect((await decide(check)).overallCode).toBe(OK);
    expect(store.calls[0]?.[0]?.hits).toBe(0);
    await decide(request([{ entries: [['tokens', 'team']], hitsAddend: 120n }]));
    await decide(request([{ entries: [['tokens', 'team']], hitsAddend: 120n }]));
    const third = await decide(check);
    expect(third.overallCode).toBe(OK);
    expect(third.statuses[0]?.limitRemaining).toBe(60);
    await decide(request([[['tokens', 'team']]], 120));
    expect((await decide(check)).overallCode).toBe(OVER_LIMIT);
  });

  it.each([
    { descriptor: undefined, request: 0, hits: 1 },
    { descriptor: undefined, request: 7, hits: 7 },
    { descriptor: 0n, request: 7, hits: 0 },
    { descriptor: 5n, request: 7, hits: 5 },
  ])(
    'hits: descriptor $descriptor, request $request → $hits',
    ({ descriptor, request: r, hits }) => {
      expect(
        hitsFor(
          {
            entries: [],
            isNegativeHits: false,
            ...(descriptor === undefined ? {} : { hitsAddend: descriptor }),
          },
          r,
        ),
      ).toBe(hits);
    },
  );

  it('drops a replaced limit when the replacing one matches in the same request', async () => {
    const { decide, store } = setup();
    await decide(request([[['endpoint', 'read']]]));
    expect((await decide(request([[['endpoint', 'read']]]))).overallCode).toBe(OVER_LIMIT);
    const both = await decide(request([[['endpoint', 'read']], [['endpoint', 'read-boost']]]));
    expect(both.overallCode).toBe(OK);
    expect(both.statuses[0]).toEqual({ code: OK, limitRemaining: 0 });
    expect(store.calls.at(-1)).toHaveLength(1);
  });

  it('answers unlimited descriptors locally with MaxUint32 remaining', async () => {
    const { decide, store } = setup();
    const response = await decide(request([[['free', 'x']]]));
    expect(response.statuses[0]).toEqual({ code: OK, limitRemaining: 4_294_967_295 });
    expect(store.calls).toHaveLength(0);
  });

  it('shadow mode: counts and reports stats but answers OK', async () => {
    const { decide, limiter } = setup();
    await decide(request([[['shadow', 'x']]]));
    const response = await decide(request([[['shadow', 'x']]]));
    expect(response.overallCode).toBe(OK);
    expect(response.statuses[0]?.code).toBe(OK);
    expect(limiter.stats.limit('r.shadow')).toMatchObject({
      shadowMode: 1,
      overLimit: 1,
      totalHits: 2,
    });
  });

  it('global shadow mode turns an overall OVER_LIMIT into OK', async () => {
    const { decide, limiter } = setup({ shadowMode: true });
    await decide(request([[['endpoint', 'read']]]));
    const response = await decide(request([[['endpoint', 'read']]]));
    expect(response.overallCode).toBe(OK);
    expect(response.statuses[0]?.code).toBe(OVER_LIMIT);
    expect(limiter.stats.service.globalShadowMode).toBe(1);
  });

  it('quota mode: over limit only when every quota descriptor is', async () => {
    const { decide } = setup({ responseDynamicMetadata: true });
    await decide(request([[['quota', 'a']]]));
    const oneOver = await decide(request([[['quota', 'a']], [['quota', 'b']]]));
    expect(oneOver.overallCode).toBe(OK);
    expect(oneOver.statuses.map((s) => s.code)).toEqual([OVER_LIMIT, OK]);
    expect(oneOver.dynamicMetadata).toMatchObject({
      domain: 'r',
      quotaModeEnabled: true,
      quotaModeViolations: [0],
      metadata: { pool: 'q' },
    });
    const allOver = await decide(request([[['quota', 'a']], [['quota', 'b']]]));
    expect(allOver.overallCode).toBe(OVER_LIMIT);
  });

  it('quota mode does not shield a non-quota descriptor that is over', async () => {
    const { decide } = setup();
    await decide(request([[['endpoint', 'read']]]));
    const response = await decide(request([[['endpoint', 'read']], [['quota', 'z']]]));
    expect(response.overallCode).toBe(OVER_LIMIT);
  });

  it('global quota mode makes every descriptor a quota descriptor', async () => {
    const { decide } = setup({ quotaMode: true });
    await decide(request([[['endpoint', 'read']]]));
    expect((await decide(request([[['endpoint', 'read']], [['user', 'u']]]))).overallCode).toBe(OK);
  });

  it('remembers over-limit keys locally and stops asking the store for them', async () => {
    const { decide, store, limiter, advance } = setup({ localCacheSize: 10 });
    await decide(request([[['endpoint', 'read']]]));
    await decide(request([[['endpoint', 'read']]]));
    const calls = store.calls.length;
    const response = await decide(request([[['endpoint', 'read']]]));
    expect(response.overallCode).toBe(OVER_LIMIT);
    expect(store.calls.length).toBe(calls);
    expect(limiter.stats.limit('r.endpoint_read').overLimitWithLocalCache).toBe(1);
    advance(60_000);
    expect((await decide(request([[['endpoint', 'read']]]))).overallCode).toBe(OK);
  });

  it('splits near-limit and over-limit hits as upstream', async () => {
    const { decide, limiter } = setup();
    for (let i = 0; i < 9; i++) await decide(request([[['ten', 'x']]]));
    expect(limiter.stats.limit('r.ten').nearLimit).toBe(1);
    await decide(request([[['ten', 'x']]], 3));
    expect(limiter.stats.limit('r.ten')).toMatchObject({
      totalHits: 12,
      nearLimit: 2,
      overLimit: 2,
      withinLimit: 9,
    });
  });

  it('adds x-ratelimit headers for the tightest descriptor when enabled', async () => {
    const { decide } = setup({ responseHeaders: true });
    const response = await decide(request([[['ten', 'x']], [['user', 'u']]]));
    expect(response.responseHeadersToAdd.map((h) => [h.key, h.value])).toEqual([
      ['x-ratelimit-limit', '3'],
      ['x-ratelimit-remaining', '2'],
      ['x-ratelimit-reset', '50'],
    ]);
  });

  it('reports an over-limit descriptor in the headers even if another is tighter', async () => {
    const { decide } = setup({ responseHeaders: true });
    await decide(request([[['endpoint', 'read']]]));
    const response = await decide(request([[['endpoint', 'read']], [['ten', 'x']]]));
    expect(response.responseHeadersToAdd[1]).toMatchObject({
      key: 'x-ratelimit-remaining',
      value: '0',
    });
    expect(response.responseHeadersToAdd[0]).toMatchObject({ value: '1' });
  });

  it('answers OK for an unknown domain and counts domain_not_found', async () => {
    const { limiter } = setup();
    const response = await limiter.shouldRateLimit({ ...request([[['a', 'b']]]), domain: 'other' });
    expect(response.overallCode).toBe(OK);
    expect(limiter.stats.service.domainNotFound).toBe(1);
  });

  it.each([
    {
      name: 'empty domain',
      req: { ...request([[['a', 'b']]]), domain: '' },
      message: /domain must not be empty/,
    },
    { name: 'no descriptors', req: request([]), message: /descriptor list must not be empty/ },
    {
      name: 'huge hits_addend',
      req: request([{ entries: [['user', 'u']], hitsAddend: 2n ** 60n }]),
      message: /too large/,
    },
  ])('rejects $name as invalid_request', async ({ req, message }) => {
    const { limiter } = setup();
    await expect(limiter.shouldRateLimit(req)).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(message) as unknown,
    });
  });

  it('fails open by default when the store is down', async () => {
    const { decide, store, limiter } = setup();
    store.failing = true;
    const response = await decide(request([[['user', 'u']]]));
    expect(response.overallCode).toBe(OK);
    expect(limiter.stats.service).toMatchObject({ storeError: 1, failOpen: 1 });
  });

  it('fails closed when configured, except for shadow rules and unlimited ones', async () => {
    const { decide, store } = setup({ failMode: 'closed' });
    store.failing = true;
    expect((await decide(request([[['user', 'u']]]))).overallCode).toBe(OVER_LIMIT);
    expect((await decide(request([[['shadow', 'u']]]))).overallCode).toBe(OK);
    expect((await decide(request([[['free', 'u']]]))).overallCode).toBe(OK);
  });

  it('reads the rule set once per decision, so a reload applies to the next one', async () => {
    let current = rules;
    const store: CounterStore = new MemoryStore();
    const limiter = new RateLimiter({ store, rules: () => current });
    expect(
      (await limiter.shouldRateLimit(request([[['user', 'u']]]))).statuses[0]?.currentLimit,
    ).toBeDefined();
    current = compileRules([]);
    expect(
      (await limiter.shouldRateLimit(request([[['user', 'u']]]))).statuses[0]?.currentLimit,
    ).toBeUndefined();
  });

  it('forgets locally cached over-limit keys when the rules change', async () => {
    let current = rules;
    let now = Date.UTC(2026, 0, 1, 0, 0, 10);
    const limiter = new RateLimiter({
      store: new MemoryStore({ now: () => now }),
      rules: () => current,
      now: () => now,
      localCacheSize: 10,
    });
    const check = request([{ entries: [['endpoint', 'read']], hitsAddend: 0n }]);
    await limiter.shouldRateLimit(request([[['endpoint', 'read']]]));
    await limiter.shouldRateLimit(request([[['endpoint', 'read']]]));
    expect((await limiter.shouldRateLimit(check)).overallCode).toBe(OVER_LIMIT);
    current = compileRules([
      parseRulesFile(
        'r.yaml',
        'domain: r\ndescriptors:\n  - key: endpoint\n    value: read\n    rate_limit: {unit: minute, requests_per_unit: 5}\n',
      ),
    ]);
    now += 1000;
    expect((await limiter.shouldRateLimit(check)).overallCode).toBe(OK);
  });

  it('refunds with is_negative_hits, also for a key cached as over limit', async () => {
    const { decide } = setup({ localCacheSize: 10 });
    await decide(request([{ entries: [['tokens', 'r']], hitsAddend: 400n }]));
    expect(
      (await decide(request([{ entries: [['tokens', 'r']], hitsAddend: 0n }]))).overallCode,
    ).toBe(OVER_LIMIT);
    const back = request([{ entries: [['tokens', 'r']], hitsAddend: 200n }]);
    back.descriptors[0]!.isNegativeHits = true;
    await decide(back);
    const refund = request([{ entries: [['tokens', 'r']], hitsAddend: 50n }]);
    refund.descriptors[0]!.isNegativeHits = true;
    expect((await decide(refund)).statuses[0]?.limitRemaining).toBe(150);
  });

  it.each([
    ['second', 1],
    ['minute', 60],
    ['hour', 3600],
    ['day', 86_400],
    ['week', 604_800],
    ['month', 2_592_000],
    ['year', 31_536_000],
  ] as const)(
    '%s windows: over at the last second, fresh at the first of the next',
    async (unit, seconds) => {
      const unitRules = compileRules([
        parseRulesFile(
          'u.yaml',
          `domain: r\ndescriptors:\n  - key: u\n    rate_limit: {unit: ${unit}, requests_per_unit: 1}\n`,
        ),
      ]);
      const boundary = (Math.floor(1_764_000_000 / seconds) + 1) * seconds;
      let now = (boundary - 1) * 1000 + 999;
      const limiter = new RateLimiter({
        store: new MemoryStore({ now: () => now }),
        rules: () => unitRules,
        now: () => now,
        localCacheSize: 10,
      });
      const req = request([[['u', 'x']]]);
      const first = await limiter.shouldRateLimit(req);
      expect(first.statuses[0]?.durationUntilReset?.seconds).toBe(1n);
      expect((await limiter.shouldRateLimit(req)).overallCode).toBe(OVER_LIMIT);
      now = boundary * 1000;
      const next = await limiter.shouldRateLimit(req);
      expect(next.overallCode).toBe(OK);
      expect(next.statuses[0]?.durationUntilReset?.seconds).toBe(BigInt(seconds));
    },
  );
});
