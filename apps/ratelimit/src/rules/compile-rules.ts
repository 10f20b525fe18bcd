import { ratelimit } from '@aigw/proto';
import { unitByName, unitSeconds } from '../limiter/window.js';
import { RulesError, formatPath } from './rules-error.js';
import type { DescriptorNode, LimitRule, RuleSet } from './rule-set.js';
import type { DescriptorSpec, RulesFile } from './schema.js';

/** A parsed config file and where it came from. */
export interface NamedRulesFile {
  readonly file: string;
  readonly rules: RulesFile;
}

interface MutableNode {
  readonly children: Map<string, MutableNode>;
  readonly wildcardKeys: string[];
  readonly limit: LimitRule | undefined;
  readonly valueToMetric: boolean;
  readonly shareThreshold: boolean;
  readonly wildcardValue: string | undefined;
}

function compileLimit(spec: DescriptorSpec, statKey: string): LimitRule | undefined {
  const limit = spec.rate_limit;
  if (limit === undefined) return undefined;
  const unit =
    limit.unit === undefined
      ? ratelimit.RateLimitResponse_RateLimit_Unit.UNKNOWN
      : unitByName[limit.unit];
  return {
    requestsPerUnit: limit.requestsPerUnit,
    unitSeconds: unitSeconds(unit) ?? 0,
    unlimited: limit.unlimited,
    shadowMode: spec.shadow_mode,
    quotaMode: spec.quota_mode,
    name: limit.name,
    replaces: limit.replaces,
    detailedMetric: spec.detailed_metric,
    statKey,
    metadata: spec.metadata,
    currentLimit: { name: limit.name, requestsPerUnit: limit.requestsPerUnit, unit },
  };
}

function compileLevel(options: {
  file: string;
  specs: readonly DescriptorSpec[];
  parentKey: string;
  path: readonly (string | number)[];
}): MutableNode['children'] {
  const children = new Map<string, MutableNode>();
  options.specs.forEach((spec, index) => {
    const finalKey = spec.value === undefined ? spec.key : `${spec.key}_${spec.value}`;
    const statKey = `${options.parentKey}.${finalKey}`;
    const path = [...options.path, index];
    if (children.has(finalKey)) {
      throw new RulesError({
        code: 'duplicate_descriptor',
        file: options.file,
        issues: [
          { path: formatPath(path), message: `duplicate descriptor composite key '${statKey}'` },
        ],
      });
    }
    const node: MutableNode = {
      children: compileLevel({
        file: options.file,
        specs: spec.descriptors,
        parentKey: statKey,
        path: [...path, 'descriptors'],
      }),
      wildcardKeys: [],
      limit: compileLimit(spec, statKey),
      valueToMetric: spec.value_to_metric,
      shareThreshold: spec.share_threshold,
      wildcardValue: spec.share_threshold ? spec.value : undefined,
    };
    for (const [childKey] of node.children) {
      if (childKey.endsWith('*')) node.wildcardKeys.push(childKey);
    }
    children.set(finalKey, node);
  });
  return children;
}

function rootNode(children: Map<string, MutableNode>): DescriptorNode {
  return {
    children,
    wildcardKeys: [...children.keys()].filter((key) => key.endsWith('*')),
    limit: undefined,
    valueToMetric: false,
    shareThreshold: false,
    wildcardValue: undefined,
  };
}

/**
 * Builds the lookup trees from validated files. Fails with a {@link RulesError} naming the file
 * on a domain defined twice or a descriptor `key`/`key_value` repeated at one level.
 */
export function compileRules(files: readonly NamedRulesFile[]): RuleSet {
  const domains = new Map<string, DescriptorNode>();
  for (const { file, rules } of files) {
    if (domains.has(rules.domain)) {
      throw new RulesError({
        code: 'duplicate_domain',
        file,
        issues: [{ path: 'domain', message: `duplicate domain '${rules.domain}' in config file` }],
      });
    }
    const children = compileLevel({
      file,
      specs: rules.descriptors,
      parentKey: rules.domain,
      path: ['descriptors'],
    });
    domains.set(rules.domain, rootNode(children));
  }
  return { domains, files: files.map((entry) => entry.file) };
}
