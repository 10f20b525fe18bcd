import type {
  BackendSecurityPolicySpec,
  LocalPolicyTargetReference,
  SecretObjectReference,
} from '@aigw/api';

import { secretKeys, type SecretKeys } from './secrets.js';
import { objectLabel, type Loaded, type ResourceSet } from './resource-set.js';

/** `namespace/name` keyed lookup over one kind. */
export function byName<T>(items: readonly Loaded<T>[]): ReadonlyMap<string, Loaded<T>> {
  return new Map(items.map((item) => [`${item.namespace}/${item.name}`, item]));
}

/** Where a problem is: `<file>: <Kind> <ns>/<name>`. */
function at(kind: string, item: Loaded<unknown>): string {
  return `${item.file}: ${objectLabel(kind, item)}`;
}

const inferencePoolGroup = 'inference.networking.k8s.io';

/** What resources are loaded for: `aigw run` (standalone) or `aigw translate` (kubernetes). */
export type Target = 'standalone' | 'kubernetes';

/** Whether an AIServiceBackend's backendRef names a core Kubernetes Service. */
export function isServiceRef(ref: { readonly group?: string; readonly kind?: string }): boolean {
  return (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service';
}

/**
 * Checks that every name an object uses exists: route parentRefs → Gateways (when the input has
 * any), route backendRefs → AIServiceBackends, AIServiceBackend backendRef → Backend (a Service
 * only for `kubernetes`, where the cluster resolves it), policy
 * targetRefs → AIServiceBackends (one BackendSecurityPolicy per backend), secretRefs → Secrets
 * with the key the credential needs. Returns one message per problem.
 */
export function checkReferences(set: ResourceSet, target: Target = 'standalone'): string[] {
  return [
    ...checkRoutes(set),
    ...checkServiceBackends(set, target),
    ...checkSecurityPolicies(set, target),
    ...checkQuotaPolicies(set),
    ...checkTrafficPolicies(set),
    ...unsupportedFields(set),
  ];
}

/**
 * Fields our CRDs accept (they are part of upstream's API) that neither `aigw run` nor the
 * extproc acts on yet: refused rather than silently ignored, naming the file, object and field.
 */
function unsupportedFields(set: ResourceSet): string[] {
  const refuse = (where: string, field: string): string =>
    `${where}: ${field}: not supported by aigw yet`;
  return [
    ...set.aiGatewayRoutes.flatMap((route) =>
      (route.resource.spec?.rateLimitsFromHeaders ?? []).length > 0
        ? [refuse(at('AIGatewayRoute', route), 'spec.rateLimitsFromHeaders')]
        : [],
    ),
    ...set.aiServiceBackends.flatMap((backend) =>
      backend.resource.spec?.responseBodyMutation === undefined
        ? []
        : [refuse(at('AIServiceBackend', backend), 'spec.responseBodyMutation')],
    ),
    ...set.backendSecurityPolicies.flatMap((policy) => {
      const spec = policy.resource.spec as BackendSecurityPolicySpec | undefined;
      return spec?.gcpCredentials?.isPassthrough === true
        ? [refuse(at('BackendSecurityPolicy', policy), 'spec.gcpCredentials.isPassthrough')]
        : [];
    }),
  ];
}

function checkRoutes(set: ResourceSet): string[] {
  const problems: string[] = [];
  const backends = byName(set.aiServiceBackends);
  const gateways = byName(set.gateways);
  for (const route of set.aiGatewayRoutes) {
    const where = at('AIGatewayRoute', route);
    const spec = route.resource.spec;
    spec?.parentRefs?.forEach((parent, i) => {
      const key = `${parent.namespace ?? route.namespace}/${parent.name}`;
      if (gateways.size > 0 && (parent.kind ?? 'Gateway') === 'Gateway' && !gateways.has(key)) {
        problems.push(`${where}: spec.parentRefs[${String(i)}].name: Gateway ${key} not found`);
      }
    });
    spec?.rules.forEach((rule, i) => {
      rule.backendRefs?.forEach((ref, j) => {
        const field = `spec.rules[${String(i)}].backendRefs[${String(j)}]`;
        if (ref.group === inferencePoolGroup || ref.kind === 'InferencePool') {
          problems.push(
            `${where}: ${field}.kind: InferencePool backends are not supported by aigw`,
          );
          return;
        }
        const key = `${ref.namespace ?? route.namespace}/${ref.name}`;
        if (!backends.has(key)) {
          problems.push(`${where}: ${field}.name: AIServiceBackend ${key} not found`);
        }
      });
    });
  }
  return problems;
}

function checkServiceBackends(set: ResourceSet, target: Target): string[] {
  const backends = byName(set.backends);
  return set.aiServiceBackends.flatMap((backend) => {
    const ref = backend.resource.spec?.backendRef;
    if (!ref) return [];
    const key = `${ref.namespace ?? backend.namespace}/${ref.name}`;
    if (isServiceRef(ref)) {
      // The HTTPRoute a cluster gets references the Service as is (upstream copies the ref);
      // aigw run has no cluster DNS or endpoints to turn a Service name into addresses.
      return target === 'kubernetes'
        ? []
        : [
            `${at('AIServiceBackend', backend)}: spec.backendRef: Service ${key} cannot be resolved outside a cluster; ` +
              'aigw run needs an Envoy Gateway Backend (group gateway.envoyproxy.io, kind Backend) with the address ' +
              '(use aigw translate to deploy this object to Kubernetes)',
          ];
    }
    return backends.has(key)
      ? []
      : [`${at('AIServiceBackend', backend)}: spec.backendRef.name: Backend ${key} not found`];
  });
}

function checkTargets(
  kind: string,
  item: Loaded<unknown>,
  context: { targets: readonly LocalPolicyTargetReference[]; set: ResourceSet },
): string[] {
  const backends = byName(context.set.aiServiceBackends);
  return context.targets.flatMap((target, i) => {
    const field = `spec.targetRefs[${String(i)}]`;
    if (target.kind !== 'AIServiceBackend') {
      return [`${at(kind, item)}: ${field}.kind: ${target.kind} targets are not supported by aigw`];
    }
    const key = `${item.namespace}/${target.name}`;
    return backends.has(key)
      ? []
      : [`${at(kind, item)}: ${field}.name: AIServiceBackend ${key} not found`];
  });
}

/** The Secret references of a policy: field path → reference and the keys it may carry. */
export function policySecretRefs(
  spec: BackendSecurityPolicySpec,
): { field: string; ref: SecretObjectReference; keys: SecretKeys }[] {
  const refs: { field: string; ref: SecretObjectReference; keys: SecretKeys }[] = [];
  const push = (field: string, ref: SecretObjectReference | undefined, keys: SecretKeys): void => {
    if (ref) refs.push({ field: `spec.${field}`, ref, keys });
  };
  push('apiKey.secretRef', spec.apiKey?.secretRef, secretKeys.apiKey);
  push('azureAPIKey.secretRef', spec.azureAPIKey?.secretRef, secretKeys.apiKey);
  push('anthropicAPIKey.secretRef', spec.anthropicAPIKey?.secretRef, secretKeys.apiKey);
  push(
    'awsCredentials.credentialsFile.secretRef',
    spec.awsCredentials?.credentialsFile?.secretRef,
    secretKeys.awsCredentials,
  );
  push(
    'azureCredentials.clientSecretRef',
    spec.azureCredentials?.clientSecretRef,
    secretKeys.azureCredentials,
  );
  push(
    'gcpCredentials.credentialsFile.secretRef',
    spec.gcpCredentials?.credentialsFile?.secretRef,
    secretKeys.gcpCredentials,
  );
  return refs;
}

/**
 * The OIDC client secrets of a policy's token exchanges (AWS, Azure, GCP workload identity):
 * `aigw run` exchanges them itself, so they must be among its files; for Kubernetes the
 * controller reads them from the cluster.
 */
export function oidcSecretRefs(
  spec: BackendSecurityPolicySpec,
): { field: string; ref: SecretObjectReference; keys: SecretKeys }[] {
  const wif = spec.gcpCredentials?.workloadIdentityFederationConfig;
  const exchanges = [
    ['awsCredentials.oidcExchangeToken', spec.awsCredentials?.oidcExchangeToken],
    ['azureCredentials.oidcExchangeToken', spec.azureCredentials?.oidcExchangeToken],
    ['gcpCredentials.workloadIdentityFederationConfig.oidcExchangeToken', wif?.oidcExchangeToken],
  ] as const;
  return exchanges.flatMap(([field, exchange]) =>
    exchange
      ? [
          {
            field: `spec.${field}.oidc.clientSecret`,
            ref: exchange.oidc.clientSecret,
            keys: secretKeys.oidcClientSecret,
          },
        ]
      : [],
  );
}

function checkSecurityPolicies(set: ResourceSet, target: Target): string[] {
  const problems: string[] = [];
  const secrets = byName(set.secrets);
  const targeted = new Map<string, string>();
  for (const policy of set.backendSecurityPolicies) {
    const where = at('BackendSecurityPolicy', policy);
    const spec = policy.resource.spec as BackendSecurityPolicySpec | undefined;
    if (!spec) continue;
    const targets = spec.targetRefs ?? [];
    problems.push(...checkTargets('BackendSecurityPolicy', policy, { targets, set }));
    targets.forEach((target, i) => {
      const key = `${policy.namespace}/${target.name}`;
      const first = targeted.get(key);
      if (first !== undefined) {
        problems.push(
          `${where}: spec.targetRefs[${String(i)}].name: AIServiceBackend ${key} already has BackendSecurityPolicy ${first}`,
        );
      }
      targeted.set(key, `${policy.namespace}/${policy.name}`);
    });
    const refs = [
      ...policySecretRefs(spec),
      ...(target === 'standalone' ? oidcSecretRefs(spec) : []),
    ];
    for (const { field, ref, keys } of refs) {
      const key = `${ref.namespace ?? policy.namespace}/${ref.name}`;
      const secret = secrets.get(key);
      if (!secret) {
        problems.push(`${where}: ${field}.name: Secret ${key} not found`);
        continue;
      }
      const present = new Set([
        ...Object.keys(secret.resource.data ?? {}),
        ...Object.keys(secret.resource.stringData ?? {}),
      ]);
      if (!keys.some((k) => present.has(k))) {
        const wanted = keys.map((k) => `"${k}"`).join(' or ');
        problems.push(`${where}: ${field}.name: Secret ${key} has no key ${wanted}`);
      }
    }
  }
  return problems;
}

function checkQuotaPolicies(set: ResourceSet): string[] {
  return set.quotaPolicies.flatMap((policy) =>
    checkTargets('QuotaPolicy', policy, { targets: policy.resource.spec?.targetRefs ?? [], set }),
  );
}

function checkTrafficPolicies(set: ResourceSet): string[] {
  const routes = byName(set.aiGatewayRoutes);
  const gateways = byName(set.gateways);
  return set.backendTrafficPolicies.flatMap((policy) => {
    const spec = policy.resource.spec;
    const targets = spec.targetRefs ?? (spec.targetRef ? [spec.targetRef] : []);
    return targets.flatMap((target, i) => {
      const key = `${policy.namespace}/${target.name}`;
      const field = `spec.targetRefs[${String(i)}].name`;
      if (target.kind === 'HTTPRoute' && !routes.has(key)) {
        return [
          `${at('BackendTrafficPolicy', policy)}: ${field}: no AIGatewayRoute ${key} generates HTTPRoute ${key}`,
        ];
      }
      if (target.kind === 'Gateway' && gateways.size > 0 && !gateways.has(key)) {
        return [`${at('BackendTrafficPolicy', policy)}: ${field}: Gateway ${key} not found`];
      }
      return [];
    });
  });
}
