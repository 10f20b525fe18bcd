import type {
  AIGatewayRouteRule,
  AIGatewayRouteRuleBackendRef,
  BackendSecurityPolicySpec,
  HTTPHeaderMatch,
} from '@aigw/api';
import { defaultModelNameHeader } from '@aigw/filterapi';

import type { Backend } from './kube-types.js';
import { byName } from './references.js';
import type {
  AnyAIGatewayRoute,
  AnyAIServiceBackend,
  AnyBackendSecurityPolicy,
  Loaded,
  ResourceSet,
} from './resource-set.js';

/** The header the router-level extproc writes the request's model into. */
export const modelHeader = defaultModelNameHeader;

/** Rule request timeout when the route sets none (upstream's default). */
export const defaultRequestTimeout = '60s';

/** One backendRef of a rule, resolved down to the Envoy Gateway Backend. */
export interface PlannedRef {
  /** `<ns>/<AIServiceBackend>/route/<route>/rule/<i>/ref/<j>`: filterapi name and endpoint metadata. */
  readonly name: string;
  readonly index: number;
  readonly ref: AIGatewayRouteRuleBackendRef;
  readonly serviceBackend: Loaded<AnyAIServiceBackend>;
  readonly backend: Loaded<Backend>;
  /** The BackendSecurityPolicy targeting the AIServiceBackend, if any. */
  readonly policy: Loaded<AnyBackendSecurityPolicy> | undefined;
  /** Failover tier as given (0 first). */
  readonly priority: number;
  readonly weight: number;
}

/** One AIGatewayRoute rule. */
export interface PlannedRule {
  readonly route: Loaded<AnyAIGatewayRoute>;
  readonly index: number;
  readonly rule: AIGatewayRouteRule;
  /** `<ns>/<route>/rule/<i>`: the Envoy cluster of the rule and the summary's route name. */
  readonly id: string;
  /** The rule's matches; an empty list matches every request. */
  readonly matches: readonly (readonly HTTPHeaderMatch[])[];
  readonly refs: readonly PlannedRef[];
  /** Gateway API duration (defaults applied). */
  readonly requestTimeout: string;
}

/** Every rule of every route, in input order, with everything it references resolved. */
export interface Plan {
  readonly resources: ResourceSet;
  readonly rules: readonly PlannedRule[];
}

/** The filterapi backend name upstream uses (`PerRouteRuleRefBackendName`). */
export function backendName(options: {
  namespace: string;
  backend: string;
  route: string;
  rule: number;
  ref: number;
}): string {
  const { namespace, backend, route, rule, ref } = options;
  return `${namespace}/${backend}/route/${route}/rule/${String(rule)}/ref/${String(ref)}`;
}

function policiesByBackend(
  set: ResourceSet,
): ReadonlyMap<string, Loaded<AnyBackendSecurityPolicy>> {
  const out = new Map<string, Loaded<AnyBackendSecurityPolicy>>();
  for (const policy of set.backendSecurityPolicies) {
    const spec = policy.resource.spec as BackendSecurityPolicySpec | undefined;
    for (const target of spec?.targetRefs ?? []) {
      out.set(`${policy.namespace}/${target.name}`, policy);
    }
  }
  return out;
}

/**
 * Resolves every rule's backendRefs (AIServiceBackend → Backend, policy). `loadResources` checked
 * the references, so a miss here is a programming error.
 */
export function planRoutes(set: ResourceSet): Plan {
  const serviceBackends = byName(set.aiServiceBackends);
  const backends = byName(set.backends);
  const policies = policiesByBackend(set);
  const rules: PlannedRule[] = [];
  for (const route of set.aiGatewayRoutes) {
    route.resource.spec?.rules.forEach((rule, index) => {
      const refs = (rule.backendRefs ?? []).map((ref, j): PlannedRef => {
        const key = `${ref.namespace ?? route.namespace}/${ref.name}`;
        const serviceBackend = mustGet(serviceBackends, key, 'AIServiceBackend');
        const backendRef = serviceBackend.resource.spec?.backendRef;
        const backendKey = `${backendRef?.namespace ?? serviceBackend.namespace}/${backendRef?.name ?? ''}`;
        return {
          name: backendName({
            namespace: serviceBackend.namespace,
            backend: serviceBackend.name,
            route: route.name,
            rule: index,
            ref: j,
          }),
          index: j,
          ref,
          serviceBackend,
          backend: mustGet(backends, backendKey, 'Backend'),
          policy: policies.get(key),
          priority: ref.priority ?? 0,
          weight: ref.weight ?? 1,
        };
      });
      rules.push({
        route,
        index,
        rule,
        id: `${route.namespace}/${route.name}/rule/${String(index)}`,
        matches: (rule.matches ?? []).map((m) => m.headers ?? []),
        refs,
        requestTimeout: rule.timeouts?.request ?? defaultRequestTimeout,
      });
    });
  }
  return { resources: set, rules };
}

function mustGet<T>(map: ReadonlyMap<string, T>, key: string, kind: string): T {
  const value = map.get(key);
  if (value === undefined) throw new Error(`internal: ${kind} ${key} vanished after loading`);
  return value;
}

/** The exact model names a rule matches (`x-ai-eg-model` Exact matches), in order. */
export function exactModels(rule: PlannedRule): string[] {
  return rule.matches.flatMap((headers) =>
    headers
      .filter((h) => h.name.toLowerCase() === modelHeader && (h.type ?? 'Exact') === 'Exact')
      .map((h) => h.value),
  );
}

/** What a rule matches on the model header, for summaries: exact names, regexes as `~regex`. */
export function modelPatterns(rule: PlannedRule): string[] {
  const out = rule.matches.flatMap((headers) =>
    headers
      .filter((h) => h.name.toLowerCase() === modelHeader)
      .map((h) => ((h.type ?? 'Exact') === 'Exact' ? h.value : `~${h.value}`)),
  );
  return out.length > 0 ? out : ['*'];
}
