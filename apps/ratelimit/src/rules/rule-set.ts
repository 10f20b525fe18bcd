import type { ratelimit } from '@aigw/proto';
import type { Calendar } from '../limiter/calendar.js';

/** A compiled `rate_limit` block with everything the hot path needs precomputed. */
export interface LimitRule {
  readonly requestsPerUnit: number;
  /** Window length in seconds (0 for unlimited rules). */
  readonly unitSeconds: number;
  /** A calendar window instead of the fixed one (`calendar_time_zone`); absent otherwise. */
  readonly calendar?: Calendar | undefined;
  readonly unlimited: boolean;
  readonly shadowMode: boolean;
  readonly quotaMode: boolean;
  /** `rate_limit.name` ('' when unnamed): what `replaces` refers to. */
  readonly name: string;
  readonly replaces: readonly string[];
  readonly detailedMetric: boolean;
  /** Stats key: `<domain>.<key>_<value>.<key>...` as configured (envoyproxy/ratelimit's FullKey). */
  readonly statKey: string;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  /** The `current_limit` reported to Envoy; shared, never mutated. */
  readonly currentLimit: ratelimit.RateLimitResponse_RateLimit;
}

/**
 * A child whose composite key holds a `*` anywhere (`path_/api/*`, `midWild_bar*b`): each `*`
 * matches any run of characters, including none. The pattern is split once, at load time.
 */
export interface WildcardEntry {
  /** The composite key as configured: `key_value*`. */
  readonly key: string;
  /** `key` split on `*`: literal segments that must appear in this order. */
  readonly parts: readonly string[];
}

/** One node of a domain's descriptor tree. */
export interface DescriptorNode {
  /** Children by composite key: `key` or `key_value`. */
  readonly children: ReadonlyMap<string, DescriptorNode>;
  /** Children whose composite key holds a `*`, in file order (the first match wins). */
  readonly wildcards: readonly WildcardEntry[];
  readonly limit: LimitRule | undefined;
  readonly valueToMetric: boolean;
  readonly shareThreshold: boolean;
  /**
   * For `share_threshold` wildcard nodes: the composite key as configured (`files_files/*`);
   * the part after the request's `key_` (`files/*`) replaces the request value in cache keys.
   */
  readonly wildcardPattern: string | undefined;
}

/** Every domain's descriptor tree, built from one directory of config files. */
export interface RuleSet {
  readonly domains: ReadonlyMap<string, DescriptorNode>;
  /** The files it came from (for logs). */
  readonly files: readonly string[];
}

/** A rule set with no domains: every descriptor is unlimited. */
export const emptyRuleSet: RuleSet = { domains: new Map(), files: [] };
