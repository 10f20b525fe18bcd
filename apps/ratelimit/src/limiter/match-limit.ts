import type { ratelimit } from '@aigw/proto';
import type { DescriptorNode, LimitRule, RuleSet } from '../rules/rule-set.js';
import { RateLimitError } from './rate-limit-error.js';
import { unitOfOverride, unitSeconds } from './window.js';

/** The limit a request descriptor matched, with what its cache and stats keys need. */
export interface MatchedLimit {
  readonly rule: LimitRule;
  /**
   * Per entry index, the configured wildcard value to use in the cache key instead of the request
   * value (`share_threshold`); undefined when no entry shares a threshold.
   */
  readonly sharedValues: readonly (string | undefined)[] | undefined;
  /** Stats key (differs from `rule.statKey` with `detailed_metric` / `value_to_metric`). */
  readonly statKey: string;
}

type Entry = ratelimit.RateLimitDescriptor_Entry;

interface LevelMatch {
  readonly node: DescriptorNode | undefined;
  readonly wildcardKey: string | undefined;
  readonly usedValue: boolean;
}

/**
 * True when `value` matches a `*` pattern split on `*` (`parts`): it starts with the first
 * segment, ends with the last, and holds the middle ones in order, none overlapping; each `*`
 * matches any run of characters, including none (envoyproxy/ratelimit's `wildcardMatch`).
 */
export function wildcardMatch(parts: readonly string[], value: string): boolean {
  const first = parts[0] ?? '';
  if (parts.length === 1) return first === value;
  const last = parts[parts.length - 1] ?? '';
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let fixed = 0;
  for (const part of parts) fixed += part.length;
  if (value.length < fixed) return false;
  let from = first.length;
  const to = value.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    const at = value.indexOf(part, from);
    if (at < 0 || at + part.length > to) return false;
    from = at + part.length;
  }
  return true;
}

/** `text` without a leading `prefix` (Go's `strings.TrimPrefix`). */
function trimPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

/**
 * Exact `key_value`, then the first wildcard (in file order) whose pattern matches `key_value`,
 * then the bare `key` (default). As upstream, patterns match the whole composite key.
 */
function matchLevel(parent: DescriptorNode, entry: Entry): LevelMatch {
  const finalKey = `${entry.key}_${entry.value}`;
  const exact = parent.children.get(finalKey);
  if (exact) return { node: exact, wildcardKey: undefined, usedValue: true };
  for (const wildcard of parent.wildcards) {
    if (wildcardMatch(wildcard.parts, finalKey)) {
      return {
        node: parent.children.get(wildcard.key),
        wildcardKey: wildcard.key,
        usedValue: true,
      };
    }
  }
  return { node: parent.children.get(entry.key), wildcardKey: undefined, usedValue: false };
}

/** The stats segment of one level for `value_to_metric` (mirrors envoyproxy/ratelimit). */
function metricSegment(options: {
  entry: Entry;
  level: LevelMatch;
  shared: string | undefined;
}): string {
  const { entry, level, shared } = options;
  const withValue = entry.value === '' ? entry.key : `${entry.key}_${entry.value}`;
  if (!level.node) return entry.key;
  if (shared !== undefined) return `${entry.key}_${shared}`;
  if (level.wildcardKey !== undefined) {
    if (level.node.valueToMetric) return withValue;
    return `${entry.key}_${trimPrefix(level.wildcardKey, `${entry.key}_`)}`;
  }
  if (level.usedValue) return withValue;
  return level.node.valueToMetric ? withValue : entry.key;
}

function overrideLimit(options: {
  domain: string;
  entries: readonly Entry[];
  override: ratelimit.RateLimitDescriptor_RateLimitOverride;
}): MatchedLimit {
  const { override } = options;
  const unit = unitOfOverride(override.unit);
  const seconds = unitSeconds(unit);
  if (seconds === undefined) {
    throw new RateLimitError(
      'invalid_request',
      `descriptor limit override has an unknown unit (${String(override.unit)})`,
    );
  }
  const path = options.entries
    .map((entry) => (entry.value === '' ? entry.key : `${entry.key}_${entry.value}`))
    .join('.');
  const statKey = `${options.domain}.${path}`;
  return {
    rule: {
      requestsPerUnit: override.requestsPerUnit,
      unitSeconds: seconds,
      unlimited: false,
      shadowMode: false,
      quotaMode: false,
      name: '',
      replaces: [],
      detailedMetric: false,
      statKey,
      metadata: undefined,
      currentLimit: { name: '', requestsPerUnit: override.requestsPerUnit, unit },
    },
    sharedValues: undefined,
    statKey,
  };
}

function detailedKey(options: {
  domain: string;
  entries: readonly Entry[];
  shared: readonly (string | undefined)[] | undefined;
}): string {
  let key = options.domain;
  options.entries.forEach((entry, index) => {
    const shared = options.shared?.[index];
    if (shared !== undefined) key += `.${entry.key}_${shared}`;
    else key += entry.value === '' ? `.${entry.key}` : `.${entry.key}_${entry.value}`;
  });
  return key;
}

interface Walk {
  readonly found: LimitRule | undefined;
  readonly shared: (string | undefined)[] | undefined;
  readonly metricKey: string;
}

/** Walks the tree one entry per level; only a limit at exactly the request's depth applies. */
function walk(options: { root: DescriptorNode; domain: string; entries: readonly Entry[] }): Walk {
  const { entries } = options;
  let parent = options.root;
  let found: LimitRule | undefined;
  let shared: (string | undefined)[] | undefined;
  let metricKey = options.domain;
  for (const [index, entry] of entries.entries()) {
    const level = matchLevel(parent, entry);
    const node = level.node;
    if (level.wildcardKey !== undefined && node?.wildcardPattern !== undefined) {
      shared ??= new Array<string | undefined>(entries.length).fill(undefined);
      shared[index] = trimPrefix(node.wildcardPattern, `${entry.key}_`);
    }
    metricKey += `.${metricSegment({ entry, level, shared: shared?.[index] })}`;
    if (node?.limit && index === entries.length - 1) found = node.limit;
    if (!node || node.children.size === 0) break;
    parent = node;
  }
  return { found, shared, metricKey };
}

/**
 * Finds the limit for one request descriptor the way envoyproxy/ratelimit's `GetLimit` does: an
 * unknown domain has no limits; a descriptor `limit` override from Envoy wins; otherwise the
 * tree is walked one entry per level (exact value, then the first matching `*` pattern, then
 * the default key) and only a limit at exactly the request's depth applies.
 * @see https://github.com/envoyproxy/ratelimit/blob/main/src/config/config_impl.go
 */
export function matchLimit(options: {
  rules: RuleSet;
  domain: string;
  descriptor: ratelimit.RateLimitDescriptor;
}): MatchedLimit | undefined {
  const { domain, descriptor } = options;
  const root = options.rules.domains.get(domain);
  if (!root) return undefined;
  const entries = descriptor.entries;
  if (descriptor.limit) return overrideLimit({ domain, entries, override: descriptor.limit });
  const { found, shared, metricKey } = walk({ root, domain, entries });
  if (!found) return undefined;
  let statKey = found.statKey;
  if (found.detailedMetric) statKey = detailedKey({ domain, entries, shared });
  else if (metricKey !== found.statKey) statKey = metricKey;
  return { rule: found, sharedValues: shared, statKey };
}
