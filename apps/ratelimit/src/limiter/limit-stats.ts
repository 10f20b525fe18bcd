/** Counters of one limit (envoyproxy/ratelimit's per-rule stats), incremented by hits. */
export interface LimitCounters {
  totalHits: number;
  overLimit: number;
  nearLimit: number;
  overLimitWithLocalCache: number;
  withinLimit: number;
  shadowMode: number;
}

/** Service-wide counters. */
export interface ServiceCounters {
  configLoadSuccess: number;
  configLoadError: number;
  storeError: number;
  serviceError: number;
  globalShadowMode: number;
  failOpen: number;
  failClosed: number;
  domainNotFound: number;
}

const overflowKey = '_overflow';

/**
 * In-process statistics: per-rule counters keyed like envoyproxy/ratelimit's
 * (`<domain>.<key_value>...`) and service counters. The number of rule keys is bounded
 * (`detailed_metric` can create one per request value); past the bound hits go to `_overflow`.
 */
export class RateLimitStats {
  readonly service: ServiceCounters = {
    configLoadSuccess: 0,
    configLoadError: 0,
    storeError: 0,
    serviceError: 0,
    globalShadowMode: 0,
    failOpen: 0,
    failClosed: 0,
    domainNotFound: 0,
  };
  readonly #limits = new Map<string, LimitCounters>();
  readonly #maxKeys: number;

  constructor(maxKeys = 10_000) {
    this.#maxKeys = maxKeys;
  }

  /** The counters of one stats key, created on first use. */
  limit(statKey: string): LimitCounters {
    let counters = this.#limits.get(statKey);
    if (counters) return counters;
    const key = this.#limits.size >= this.#maxKeys ? overflowKey : statKey;
    counters = this.#limits.get(key);
    if (!counters) {
      counters = {
        totalHits: 0,
        overLimit: 0,
        nearLimit: 0,
        overLimitWithLocalCache: 0,
        withinLimit: 0,
        shadowMode: 0,
      };
      this.#limits.set(key, counters);
    }
    return counters;
  }

  /** A copy of every per-rule counter. */
  limits(): ReadonlyMap<string, Readonly<LimitCounters>> {
    return new Map([...this.#limits].map(([key, counters]) => [key, { ...counters }]));
  }
}
