import type { LLMRequestCost } from '@aigw/filterapi';

import type { Plan } from './plan.js';

/** The rate limits of a plan: the limiter's rules and the matching Envoy route entries. */
export interface RateLimitResult {
  /** The apps/ratelimit rules file (one domain), when anything is limited. */
  readonly rules: object | undefined;
  /** Envoy `RateLimit` entries per rule id (for RateLimitPerRoute). */
  readonly routeRateLimits: ReadonlyMap<string, readonly object[]>;
  /** Filter-config costs the limits charge (quota cost expressions). */
  readonly costs: readonly LLMRequestCost[];
  readonly needsRateLimit: boolean;
  /** `<file>: <Kind> <ns>/<name>` of every object that needs the limiter. */
  readonly owners: readonly string[];
  readonly problems: readonly string[];
}

/** TODO(6/7): QuotaPolicy and BackendTrafficPolicy limits land in the next commit. */
export function buildRateLimits(plan: Plan): RateLimitResult {
  return {
    rules: undefined,
    routeRateLimits: new Map(),
    costs: [],
    needsRateLimit: plan.rules.length < 0,
    owners: [],
    problems: [],
  };
}
