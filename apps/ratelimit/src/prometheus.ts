import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { LimitCounters, RateLimitStats, ServiceCounters } from './limiter/limit-stats.js';

const help: Readonly<Record<keyof ServiceCounters, string>> = {
  configLoadSuccess: 'Rule configurations loaded.',
  configLoadError: 'Rule configurations refused (the last good one stays).',
  storeError: 'Decisions whose counter store (Redis) failed.',
  serviceError: 'Requests answered with a gRPC error.',
  globalShadowMode: 'Over-limit decisions answered OK because of the global shadow mode.',
  failOpen: 'Decisions answered OK because the store failed (fail-open).',
  failClosed: 'Decisions answered OVER_LIMIT because the store failed (fail-closed).',
  domainNotFound: 'Requests for a domain no rule names.',
};

const ruleHelp: Readonly<Record<keyof LimitCounters, string>> = {
  totalHits: 'Hits charged to the rule (hits_addend summed).',
  overLimit: 'Hits over the rule limit.',
  nearLimit: 'Hits within the limit past the near-limit ratio.',
  overLimitWithLocalCache: 'Hits refused from the over-limit cache, without Redis.',
  withinLimit: 'Hits within the limit.',
  shadowMode: 'Over-limit hits answered OK because the rule is in shadow mode.',
};

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The limiter's Prometheus metrics on `prom-client`, read from its in-process counters at scrape
 * time (nothing on the decision path): per service counter `aigw_ratelimit_<name>_total`, per
 * rule key `aigw_ratelimit_rule_<name>_total{key}` (envoyproxy/ratelimit's stats, the keys bounded
 * by {@link RateLimitStats}), `aigw_ratelimit_store_up` and the process's own metrics. Loaded only
 * with `--metrics-address`.
 */
export class RateLimitMetrics {
  readonly registry = new Registry();

  constructor(stats: RateLimitStats, isStoreUp: () => boolean) {
    collectDefaultMetrics({ register: this.registry, prefix: 'aigw_ratelimit_' });
    const registers = [this.registry];
    for (const name of Object.keys(help) as (keyof ServiceCounters)[]) {
      new Counter({
        name: `aigw_ratelimit_${snake(name)}_total`,
        help: help[name],
        registers,
        collect() {
          this.reset();
          this.inc(stats.service[name]);
        },
      });
    }
    for (const name of Object.keys(ruleHelp) as (keyof LimitCounters)[]) {
      new Counter({
        name: `aigw_ratelimit_rule_${snake(name)}_total`,
        help: ruleHelp[name],
        labelNames: ['key'],
        registers,
        collect() {
          this.reset();
          for (const [key, counters] of stats.limits()) this.inc({ key }, counters[name]);
        },
      });
    }
    new Gauge({
      name: 'aigw_ratelimit_store_up',
      help: '1 while the counter store (Redis, or memory) answers, else 0.',
      registers,
      collect() {
        this.set(isStoreUp() ? 1 : 0);
      },
    });
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
