import type { ratelimit } from '@aigw/proto';

/** A compiled `rate_limit` block with everything the hot path needs precomputed. */
export interface LimitRule {
  readonly requestsPerUnit: number;
  /** Window length in seconds (0 for unlimited rules). */
  readonly unitSeconds: number;
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

/** One node of a domain's descriptor tree. */
export interface DescriptorNode {
  /** Children by composite key: `key` or `key_value`. */
  readonly children: ReadonlyMap<string, DescriptorNode>;
  /** Composite keys of children whose value ends in `*`, in file order (first match wins). */
  readonly wildcardKeys: readonly string[];
  readonly limit: LimitRule | undefined;
  readonly valueToMetric: boolean;
  readonly shareThreshold: boolean;
  /** For `share_threshold` wildcard nodes: the configured value (`files/*`), used in cache keys. */
  readonly wildcardValue: string | undefined;
}

/** Every domain's descriptor tree, built from one directory of config files. */
export interface RuleSet {
  readonly domains: ReadonlyMap<string, DescriptorNode>;
  /** The files it came from (for logs). */
  readonly files: readonly string[];
}

/** A rule set with no domains: every descriptor is unlimited. */
export const emptyRuleSet: RuleSet = { domains: new Map(), files: [] };
