import { ratelimit } from '@aigw/proto';
import type { RuleSet } from '../rules/rule-set.js';
import { isAdmitted, type CounterStore, type Increment } from '../store/counter-store.js';
import { RateLimitStats } from './limit-stats.js';
import { matchLimit, type MatchedLimit } from './match-limit.js';
import { OverLimitCache } from './over-limit-cache.js';
import { RateLimitError, isRateLimitError } from './rate-limit-error.js';
import {
  descriptorIntent,
  formatReserved,
  reservedMetadataKey,
  type DescriptorIntent,
} from './reservation.js';
import { ruleWindow, type RuleWindow } from './window.js';

const Code = ratelimit.RateLimitResponse_Code;
type Status = ratelimit.RateLimitResponse_DescriptorStatus;
type Descriptor = ratelimit.RateLimitDescriptor;

/** `--fail-mode`: what a decision says when the counter store cannot be reached. */
export type FailMode = 'open' | 'closed';

/** Response header names used when `responseHeaders` is on. */
export const responseHeaderNames = {
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
} as const;

const maxUint32 = 4_294_967_295;

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  readonly store: CounterStore;
  /** The rule set in force (read once per decision, so a reload never splits a decision). */
  readonly rules: () => RuleSet;
  readonly stats?: RateLimitStats;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Prepended to every cache key (envoyproxy/ratelimit's CACHE_KEY_PREFIX). */
  readonly keyPrefix?: string;
  readonly failMode?: FailMode;
  /** Global shadow mode: count everything, never answer OVER_LIMIT overall. */
  readonly shadowMode?: boolean;
  /** Global quota mode: every descriptor is a quota descriptor. */
  readonly quotaMode?: boolean;
  readonly responseHeaders?: boolean;
  readonly responseDynamicMetadata?: boolean;
  /** Fraction of a limit past which hits count as near-limit (default 0.8). */
  readonly nearLimitRatio?: number;
  /** Entries of the over-limit key cache (0 disables it). */
  readonly localCacheSize?: number;
  /** Random extra TTL (0..max seconds) so keys of one window do not all expire at once. */
  readonly expirationJitterMaxSeconds?: number;
  readonly random?: () => number;
  /** Told about store failures (the limiter itself never throws for them). */
  readonly onStoreError?: (err: unknown) => void;
}

interface Slot {
  /** A plain count (envoyproxy/ratelimit), a reservation, or a reconciliation. */
  readonly intent: DescriptorIntent['kind'];
  readonly matched: MatchedLimit | undefined;
  readonly unlimited: boolean;
  readonly hits: number;
  readonly key: string;
  readonly localOver: boolean;
  /** Index of this slot's value in the store reply, -1 when not sent. */
  storeIndex: number;
}

/** The decision plus what the caller may want to log. */
export type Decision = ratelimit.RateLimitResponse;

/** hits of one descriptor: its own `hits_addend` if present (0 = check only), else max(1, request's). */
export function hitsFor(descriptor: Descriptor, requestHitsAddend: number): number {
  if (descriptor.hitsAddend === undefined) return Math.max(1, requestHitsAddend);
  if (descriptor.hitsAddend > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RateLimitError('invalid_request', 'descriptor hits_addend is too large');
  }
  return Number(descriptor.hitsAddend);
}

function validate(request: ratelimit.RateLimitRequest): void {
  if (request.domain === '') {
    throw new RateLimitError('invalid_request', 'rate limit domain must not be empty');
  }
  if (request.descriptors.length === 0) {
    throw new RateLimitError('invalid_request', 'rate limit descriptor list must not be empty');
  }
}

/**
 * The decision engine of envoyproxy/ratelimit, store-agnostic: match each descriptor, drop
 * replaced and unlimited ones, bump every remaining counter in one store call, then grade each
 * against its limit (near/over stats, local over-limit cache, shadow mode) and combine them
 * (any non-quota descriptor over, or every quota descriptor over → OVER_LIMIT).
 * @see https://github.com/envoyproxy/ratelimit/blob/main/src/service/ratelimit.go
 */
export class RateLimiter {
  readonly stats: RateLimitStats;
  readonly #options: RateLimiterOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #localCache: OverLimitCache;
  readonly #nearRatio: number;
  readonly #prefix: string;
  #rules: RuleSet | undefined;

  constructor(options: RateLimiterOptions) {
    this.#options = options;
    this.stats = options.stats ?? new RateLimitStats();
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#localCache = new OverLimitCache(options.localCacheSize ?? 0);
    this.#nearRatio = options.nearLimitRatio ?? 0.8;
    this.#prefix = options.keyPrefix ?? '';
  }

  /** Decides one `ShouldRateLimit` call. Rejects only with a `RateLimitError` for bad input. */
  async shouldRateLimit(request: ratelimit.RateLimitRequest): Promise<Decision> {
    validate(request);
    const rules = this.#options.rules();
    if (rules !== this.#rules) {
      // Keys known over limit under the old rules may be within a raised limit now.
      this.#rules = rules;
      this.#localCache.clear();
    }
    if (!rules.domains.has(request.domain)) this.stats.service.domainNotFound++;
    const nowMs = this.#now();
    const nowSeconds = Math.floor(nowMs / 1000);
    const slots = this.#plan({ request, rules, nowSeconds });
    const increments: Increment[] = [];
    for (const slot of slots) {
      if (slot.key === '' || slot.localOver || !slot.matched) continue;
      slot.storeIndex = increments.length;
      const rule = slot.matched.rule;
      // A reservation counts only if it fits (shadow-mode limits count it always, like any hit).
      const conditional = slot.intent === 'reserve' && !rule.shadowMode;
      increments.push({
        key: slot.key,
        hits: slot.hits,
        ttlSeconds: this.#ttl(slot.matched),
        ...(conditional ? { reserveWithin: rule.requestsPerUnit } : {}),
      });
    }
    const values = await this.#increment(increments);
    const statuses = slots.map((slot) => this.#grade({ slot, values, nowSeconds }));
    const response = this.#respond({ request, slots, statuses, nowSeconds });
    if (slots.some((slot) => slot.intent === 'reserve')) {
      await this.#settleReservations({ slots, values, response, nowSeconds });
    }
    return response;
  }

  /**
   * All or nothing: an admitted request whose every reservation was counted reports what it
   * reserved (dynamic metadata `aigw_reserved`, which the stream-done call sends back to
   * reconcile); otherwise the reservations that were counted are given back, and nothing is
   * reported, so the stream-done call charges the full usage.
   */
  async #settleReservations(options: {
    slots: readonly Slot[];
    values: number[] | undefined;
    response: Decision;
    nowSeconds: number;
  }): Promise<void> {
    const { slots, values, response } = options;
    const { charged, isComplete } = chargedReservations(slots, values);
    if (isComplete && response.overallCode === Code.OK) {
      const hits = slots.find((slot) => slot.intent === 'reserve')?.hits ?? 0;
      response.dynamicMetadata = {
        ...response.dynamicMetadata,
        [reservedMetadataKey]: formatReserved(hits, options.nowSeconds),
      };
      return;
    }
    const refunds = charged
      .filter((slot) => slot.hits > 0)
      .map((slot) => ({ key: slot.key, hits: -slot.hits, ttlSeconds: this.#ttlOf(slot) }));
    // A failed refund leaves the reservation counted until its window ends: under-serving, never
    // overspending.
    if (refunds.length > 0) await this.#increment(refunds);
  }

  #plan(options: {
    request: ratelimit.RateLimitRequest;
    rules: RuleSet;
    nowSeconds: number;
  }): Slot[] {
    const { request, rules, nowSeconds } = options;
    const replaced = new Set<string>();
    const split = request.descriptors.map(descriptorIntent);
    const matches = split.map(({ descriptor }) => {
      const matched = matchLimit({ rules, domain: request.domain, descriptor });
      for (const name of matched?.rule.replaces ?? []) replaced.add(name);
      return matched;
    });
    return split.map(({ descriptor, intent }, index) => {
      const requested = hitsFor(descriptor, request.hitsAddend);
      let matched = matches[index];
      const unlimited = matched?.rule.unlimited === true;
      if (unlimited || (matched && matched.rule.name !== '' && replaced.has(matched.rule.name))) {
        matched = undefined;
      }
      const key = matched
        ? this.#cacheKey({ domain: request.domain, descriptor, matched, nowSeconds })
        : '';
      const hits = reconciled({ intent, requested, matched, nowSeconds });
      if (matched) this.stats.limit(matched.statKey).totalHits += Math.max(0, hits);
      const localOver = this.#isCachedOver({ intent, descriptor, key, nowSeconds });
      const signed = intent.kind === 'count' && descriptor.isNegativeHits ? -hits : hits;
      return {
        intent: intent.kind,
        matched,
        unlimited,
        hits: signed,
        key,
        localOver,
        storeIndex: -1,
      };
    });
  }

  #isCachedOver(options: {
    intent: DescriptorIntent;
    descriptor: Descriptor;
    key: string;
    nowSeconds: number;
  }): boolean {
    const { intent, descriptor, key } = options;
    // A refund (negative hits) must reach the store even for a key cached as over limit.
    // Reservations and reconciliations move counters both ways: the cache is not for them.
    if (intent.kind !== 'count' || key === '' || descriptor.isNegativeHits) return false;
    return this.#localCache.has(key, options.nowSeconds * 1000);
  }

  /** `<prefix><domain>_<k1>_<v1>_..._<windowStart>` (envoyproxy/ratelimit's cache key). */
  #cacheKey(options: {
    domain: string;
    descriptor: Descriptor;
    matched: MatchedLimit;
    nowSeconds: number;
  }): string {
    const { matched } = options;
    let key = `${this.#prefix}${options.domain}_`;
    const entries = options.descriptor.entries;
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index];
      if (!entry) continue;
      key += `${entry.key}_${matched.sharedValues?.[index] ?? entry.value}_`;
    }
    return key + String(ruleWindow(matched.rule, options.nowSeconds).start);
  }

  #ttlOf(slot: Slot): number {
    return slot.matched ? this.#ttl(slot.matched) : 1;
  }

  #ttl(matched: MatchedLimit): number {
    const jitterMax = this.#options.expirationJitterMaxSeconds ?? 0;
    const jitter = jitterMax > 0 ? Math.floor(this.#random() * jitterMax) : 0;
    const { start, end } = ruleWindow(matched.rule, Math.floor(this.#now() / 1000));
    return end - start + jitter;
  }

  async #increment(increments: readonly Increment[]): Promise<number[] | undefined> {
    if (increments.length === 0) return [];
    try {
      return await this.#options.store.incrementAll(increments);
    } catch (err) {
      this.stats.service.storeError++;
      this.#options.onStoreError?.(err);
      if (isRateLimitError(err) && err.code === 'invalid_request') throw err;
      return undefined;
    }
  }

  #grade(options: { slot: Slot; values: number[] | undefined; nowSeconds: number }): Status {
    const { slot, values, nowSeconds } = options;
    const matched = slot.matched;
    if (slot.unlimited) return { code: Code.OK, limitRemaining: maxUint32 };
    if (!matched) return { code: Code.OK, limitRemaining: 0 };
    const rule = matched.rule;
    const counters = this.stats.limit(matched.statKey);
    const hits = Math.max(0, slot.hits);
    const window = ruleWindow(rule, nowSeconds);
    const reset = { seconds: BigInt(window.end - nowSeconds), nanos: 0 };
    let over: boolean;
    let remaining = 0;
    if (slot.localOver) {
      over = true;
      counters.overLimit += hits;
      counters.overLimitWithLocalCache += hits;
    } else {
      const after = values?.[slot.storeIndex];
      if (after === undefined) return this.#failed(slot, reset);
      over = isOver(slot, after);
      if (over) {
        this.#countOver({ matched, after, hits });
        if (slot.intent === 'count') this.#localCache.add(slot.key, window.end * 1000);
      } else {
        remaining = rule.requestsPerUnit - after;
        if (slot.hits < 0) this.#localCache.delete(slot.key);
        this.#countNear({ matched, after, hits });
        counters.withinLimit += hits;
      }
    }
    let code = over ? Code.OVER_LIMIT : Code.OK;
    if (over && rule.shadowMode) {
      code = Code.OK;
      counters.shadowMode += hits;
    }
    return {
      code,
      currentLimit: rule.currentLimit,
      limitRemaining: remaining,
      durationUntilReset: reset,
    };
  }

  /** Store unreachable: fail open (as if unlimited) or closed (over limit). */
  #failed(slot: Slot, reset: { seconds: bigint; nanos: number }): Status {
    const rule = slot.matched?.rule;
    if ((this.#options.failMode ?? 'open') === 'open' || !rule) {
      this.stats.service.failOpen++;
      return { code: Code.OK, limitRemaining: 0 };
    }
    this.stats.service.failClosed++;
    return {
      code: rule.shadowMode ? Code.OK : Code.OVER_LIMIT,
      currentLimit: rule.currentLimit,
      limitRemaining: 0,
      durationUntilReset: reset,
    };
  }

  #countOver(options: { matched: MatchedLimit; after: number; hits: number }): void {
    const { matched, after, hits } = options;
    const counters = this.stats.limit(matched.statKey);
    const limit = matched.rule.requestsPerUnit;
    const before = after - hits;
    if (before >= limit) {
      counters.overLimit += hits;
      return;
    }
    // Part of the hits crossed the limit; the rest of them were in the near-limit band.
    const near = Math.floor(limit * this.#nearRatio);
    counters.overLimit += after - limit;
    counters.nearLimit += limit - Math.max(near, before);
  }

  #countNear(options: { matched: MatchedLimit; after: number; hits: number }): void {
    const { matched, after, hits } = options;
    const near = Math.floor(matched.rule.requestsPerUnit * this.#nearRatio);
    if (after <= near) return;
    const before = after - hits;
    this.stats.limit(matched.statKey).nearLimit += before >= near ? hits : after - near;
  }

  #respond(options: {
    request: ratelimit.RateLimitRequest;
    slots: readonly Slot[];
    statuses: Status[];
    nowSeconds: number;
  }): Decision {
    const { request, slots, statuses, nowSeconds } = options;
    let failed = 0;
    let quota = 0;
    const quotaViolations: number[] = [];
    let tightest = -1;
    let tightestRemaining = maxUint32;
    statuses.forEach((status, index) => {
      if (status.currentLimit && status.limitRemaining < tightestRemaining) {
        tightest = index;
        tightestRemaining = status.limitRemaining;
      }
      if (slots[index]?.unlimited === true) return;
      const isQuota =
        this.#options.quotaMode === true || slots[index]?.matched?.rule.quotaMode === true;
      const over = status.code === Code.OVER_LIMIT;
      if (isQuota) {
        quota++;
        if (over) quotaViolations.push(index);
      } else if (over) {
        failed++;
        tightest = index;
        tightestRemaining = 0;
      }
    });
    let overallCode =
      failed > 0 || (quota > 0 && quotaViolations.length === quota) ? Code.OVER_LIMIT : Code.OK;
    if (overallCode === Code.OVER_LIMIT && this.#options.shadowMode === true) {
      overallCode = Code.OK;
      this.stats.service.globalShadowMode++;
    }
    const response: Decision = {
      overallCode,
      statuses,
      responseHeadersToAdd: [],
      requestHeadersToAdd: [],
      rawBody: Buffer.alloc(0),
    };
    const tightestSlot = slots[tightest];
    const tightestStatus = statuses[tightest];
    if (
      this.#options.responseHeaders === true &&
      tightestSlot?.matched &&
      tightestStatus?.currentLimit
    ) {
      response.responseHeadersToAdd = this.#headers({
        status: tightestStatus,
        window: tightestSlot.matched.rule,
        nowSeconds,
      });
    }
    if (this.#options.responseDynamicMetadata === true) {
      response.dynamicMetadata = this.#metadata({
        request,
        slots,
        statuses,
        quota,
        quotaViolations,
      });
    }
    return response;
  }

  #headers(options: {
    status: Status;
    window: RuleWindow;
    nowSeconds: number;
  }): ratelimit.RateLimitResponse['responseHeadersToAdd'] {
    const { status } = options;
    const empty = Buffer.alloc(0);
    return [
      {
        key: responseHeaderNames.limit,
        value: String(status.currentLimit?.requestsPerUnit ?? 0),
        rawValue: empty,
      },
      { key: responseHeaderNames.remaining, value: String(status.limitRemaining), rawValue: empty },
      {
        key: responseHeaderNames.reset,
        value: String(ruleWindow(options.window, options.nowSeconds).end - options.nowSeconds),
        rawValue: empty,
      },
    ];
  }

  /** `RateLimitResponse.dynamic_metadata` as envoyproxy/ratelimit's RESPONSE_DYNAMIC_METADATA. */
  #metadata(options: {
    request: ratelimit.RateLimitRequest;
    slots: readonly Slot[];
    statuses: readonly Status[];
    quota: number;
    quotaViolations: readonly number[];
  }): Record<string, unknown> {
    const { request } = options;
    const metadata: Record<string, unknown> = {
      domain: request.domain,
      descriptors: request.descriptors.map((descriptor) => ({
        entries: descriptor.entries.map((entry) => `${entry.key}=${entry.value}`),
        ...(descriptor.hitsAddend === undefined
          ? {}
          : { hitsAddend: Number(descriptor.hitsAddend) }),
      })),
      quotaModeEnabled: options.quota > 0,
    };
    if (request.hitsAddend !== 0) metadata.hitsAddend = request.hitsAddend;
    if (options.quotaViolations.length > 0)
      metadata.quotaModeViolations = [...options.quotaViolations];
    const merged: Record<string, unknown> = {};
    options.statuses.forEach((status, index) => {
      const extra = options.slots[index]?.matched?.rule.metadata;
      if (status.code !== Code.OVER_LIMIT && extra) mergeInto(merged, extra);
    });
    if (Object.keys(merged).length > 0) metadata.metadata = merged;
    return metadata;
  }
}

/** The reservations a store reply counted, and whether that is all of them. */
function chargedReservations(
  slots: readonly Slot[],
  values: readonly number[] | undefined,
): { charged: Slot[]; isComplete: boolean } {
  const charged: Slot[] = [];
  let isComplete = values !== undefined;
  for (const slot of slots) {
    if (slot.intent !== 'reserve' || !slot.matched || slot.storeIndex < 0) continue;
    const after = values?.[slot.storeIndex];
    // A shadow-mode limit counted it even over the limit.
    const isCounted = slot.matched.rule.shadowMode || (after !== undefined && !isOver(slot, after));
    if (after !== undefined && isCounted) charged.push(slot);
    else isComplete = false;
  }
  return { charged, isComplete };
}

/**
 * Whether a slot is over its limit with the counter at `after`: a reservation when it was not
 * admitted (shadow-mode limits count it like any hit), anything else past the limit.
 */
function isOver(slot: Slot, after: number): boolean {
  const rule = slot.matched?.rule;
  if (!rule) return false;
  const limit = rule.requestsPerUnit;
  if (slot.intent === 'reserve' && !rule.shadowMode) {
    return !isAdmitted({ after, hits: slot.hits, limit });
  }
  return after > limit;
}

/**
 * The hits a descriptor adds. A count or a reservation: its `hits_addend`. A reconciliation
 * (stream done, `hits_addend` = the real usage): the difference to what was reserved (negative =
 * a refund) when the reservation's window is still the current one; otherwise the whole usage, in
 * the current window, as charge-after would (the reserving window is over, its counter moot).
 */
function reconciled(options: {
  intent: DescriptorIntent;
  requested: number;
  matched: MatchedLimit | undefined;
  nowSeconds: number;
}): number {
  const { intent, requested, matched, nowSeconds } = options;
  if (intent.kind !== 'reconcile' || !matched || intent.reservedAt === undefined) return requested;
  const sameWindow =
    ruleWindow(matched.rule, intent.reservedAt).start ===
    ruleWindow(matched.rule, nowSeconds).start;
  return sameWindow ? requested - intent.reserved : requested;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge where the first writer of a scalar wins (envoyproxy/ratelimit's mergeMetadata). */
function mergeInto(
  target: Record<string, unknown>,
  source: Readonly<Record<string, unknown>>,
): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (existing === undefined) target[key] = isPlainObject(value) ? structuredClone(value) : value;
    else if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value);
  }
}
