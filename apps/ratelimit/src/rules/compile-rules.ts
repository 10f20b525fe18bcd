import { ratelimit } from '@aigw/proto';
import type { CalendarUnit } from '../limiter/calendar.js';
import { unitByName, unitSeconds } from '../limiter/window.js';
import { z } from 'zod';
import { RulesError } from './rules-error.js';
import type { DescriptorNode, LimitRule, RuleSet, WildcardEntry } from './rule-set.js';
import type { DescriptorSpec, RulesFile } from './schema.js';

/** A parsed config file and where it came from. */
export interface NamedRulesFile {
  readonly file: string;
  readonly rules: RulesFile;
}

/** Options of {@link compileRules}. */
export interface CompileOptions {
  /**
   * envoyproxy/ratelimit's `MERGE_DOMAIN_CONFIG`: files naming the same domain add their
   * top-level descriptors to it instead of being refused (a `key`/`value` pair defined in two of
   * them is still an error). Default false.
   */
  readonly mergeDomains?: boolean;
}

interface MutableNode {
  readonly children: Map<string, MutableNode>;
  readonly wildcards: WildcardEntry[];
  readonly limit: LimitRule | undefined;
  readonly valueToMetric: boolean;
  readonly shareThreshold: boolean;
  readonly wildcardPattern: string | undefined;
}

/** A domain being built, with the file each top-level descriptor came from (for merge errors). */
interface DomainBuild {
  readonly root: MutableNode;
  readonly file: string;
  readonly origins: Map<string, string>;
}

function compileLimit(spec: DescriptorSpec, statKey: string): LimitRule | undefined {
  const limit = spec.rate_limit;
  if (limit === undefined) return undefined;
  const unit =
    limit.unit === undefined
      ? ratelimit.RateLimitResponse_RateLimit_Unit.UNKNOWN
      : unitByName[limit.unit];
  const calendar =
    limit.calendarTimeZone === undefined || limit.unit === undefined
      ? undefined
      : { unit: limit.unit as CalendarUnit, timeZone: limit.calendarTimeZone };
  return {
    requestsPerUnit: limit.requestsPerUnit,
    unitSeconds: unitSeconds(unit) ?? 0,
    ...(calendar ? { calendar } : {}),
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

function emptyNode(): MutableNode {
  return {
    children: new Map(),
    wildcards: [],
    limit: undefined,
    valueToMetric: false,
    shareThreshold: false,
    wildcardPattern: undefined,
  };
}

/**
 * Adds `specs` to `level` as envoyproxy/ratelimit's `loadDescriptors` does: the map key is
 * `key` or `key_value`; any such key holding a `*` is also a wildcard, tried in file order.
 */
function loadLevel(options: {
  file: string;
  specs: readonly DescriptorSpec[];
  parentKey: string;
  path: readonly (string | number)[];
  level: MutableNode;
  /** Top level only: which file defined each key (merged domains span several files). */
  origins?: Map<string, string>;
}): void {
  const { file, level, origins } = options;
  options.specs.forEach((spec, index) => {
    const finalKey = spec.value === undefined ? spec.key : `${spec.key}_${spec.value}`;
    const statKey = `${options.parentKey}.${finalKey}`;
    const path = [...options.path, index];
    if (level.children.has(finalKey)) {
      const origin = origins?.get(finalKey) ?? file;
      const where = origin === file ? '' : ` (already defined in ${origin})`;
      throw new RulesError({
        code: 'duplicate_descriptor',
        file,
        issues: [
          {
            path: z.core.toDotPath(path),
            message: `duplicate descriptor composite key '${statKey}'${where}`,
          },
        ],
      });
    }
    const wildcard = finalKey.includes('*');
    const node: MutableNode = {
      ...emptyNode(),
      limit: compileLimit(spec, statKey),
      valueToMetric: spec.value_to_metric,
      shareThreshold: spec.share_threshold,
      wildcardPattern: spec.share_threshold && wildcard ? finalKey : undefined,
    };
    loadLevel({
      file,
      specs: spec.descriptors,
      parentKey: statKey,
      path: [...path, 'descriptors'],
      level: node,
    });
    level.children.set(finalKey, node);
    origins?.set(finalKey, file);
    if (wildcard) level.wildcards.push({ key: finalKey, parts: finalKey.split('*') });
  });
}

/**
 * Builds the lookup trees from validated files, in the order given. Fails with a
 * {@link RulesError} naming the file (and the path in it) on a domain defined in two files
 * (unless `mergeDomains`) or a descriptor `key`/`key_value` repeated at one level.
 */
export function compileRules(
  files: readonly NamedRulesFile[],
  options: CompileOptions = {},
): RuleSet {
  const domains = new Map<string, DomainBuild>();
  for (const { file, rules } of files) {
    let build = domains.get(rules.domain);
    if (build !== undefined && options.mergeDomains !== true) {
      throw new RulesError({
        code: 'duplicate_domain',
        file,
        issues: [
          {
            path: 'domain',
            message:
              `duplicate domain '${rules.domain}' in config file (already defined in ` +
              `${build.file}; --merge-domain-config merges such files)`,
          },
        ],
      });
    }
    if (build === undefined) {
      build = { root: emptyNode(), file, origins: new Map() };
      domains.set(rules.domain, build);
    }
    loadLevel({
      file,
      specs: rules.descriptors,
      parentKey: rules.domain,
      path: ['descriptors'],
      level: build.root,
      origins: build.origins,
    });
  }
  const trees = new Map<string, DescriptorNode>();
  for (const [domain, build] of domains) trees.set(domain, build.root);
  return { domains: trees, files: files.map((entry) => entry.file) };
}
