import { gatewayConfigAnnotation } from '@aigw/gateway-config';

import type { IndexedObjectCache } from './cache.js';
import type { KubeObject } from './contracts.js';

/**
 * The secondary indexes of upstream's `ApplyIndexing`, by the same names. Keys are
 * `<name>.<namespace>` (namespace defaulting to the indexed object's) unless noted.
 */
export const indexNames = {
  /** AIGatewayRoute by each `rules[].backendRefs[]` (AIServiceBackend). */
  backendToReferencingAIGatewayRoute: 'BackendToReferencingAIGatewayRoute',
  /** AIGatewayRoute by each Gateway `parentRefs[]`. */
  gatewayToReferencingAIGatewayRoute: 'GWAPIGatewayToReferencingAIGatewayRoute',
  /**
   * BackendSecurityPolicy by each Secret it reads (API keys, AWS / GCP credentials files, Azure
   * client secret, OIDC client secrets) and, for OIDC kinds, `<bspName>.<ns>` as upstream.
   */
  secretToReferencingBackendSecurityPolicy: 'SecretToReferencingBackendSecurityPolicy',
  /** BackendSecurityPolicy by each `targetRefs[]` AIServiceBackend. */
  backendToTargetingBackendSecurityPolicy: 'AIServiceBackendToTargetingBackendSecurityPolicy',
  /** Gateway by the value of its `aigateway.envoyproxy.io/gateway-config` annotation (`<name>.<namespace>`). */
  gatewayToGatewayConfig: 'GatewayToGatewayConfig',
  /** ReferenceGrant by `<grantNamespace>.<to.kind>` for each `spec.to[]`. */
  referenceGrantToTargetKind: 'ReferenceGrantToTargetKind',
} as const;

/** `<name>.<namespace>`, the key form of every index. */
export function indexKey(name: string, namespace: string): string {
  return `${name}.${namespace}`;
}

type Loose = Record<string, unknown>;

function record(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Loose)
    : undefined;
}

function records(value: unknown): Loose[] {
  return Array.isArray(value) ? value.map(record).filter((v): v is Loose => v !== undefined) : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function spec(object: KubeObject): Loose {
  return record(object['spec']) ?? {};
}

/** `name.namespace` of a `{ name, namespace? }` reference, namespace defaulting to `object`'s. */
function refKey(ref: unknown, object: KubeObject): string | undefined {
  const r = record(ref);
  const name = str(r?.['name']);
  if (!name) return undefined;
  return indexKey(name, str(r?.['namespace']) ?? object.metadata.namespace ?? '');
}

function defined(keys: (string | undefined)[]): string[] {
  return keys.filter((k): k is string => k !== undefined);
}

/** See {@link indexNames.backendToReferencingAIGatewayRoute}. */
export function routeBackendKeys(route: KubeObject): readonly string[] {
  return defined(
    records(spec(route)['rules']).flatMap((rule) =>
      records(rule['backendRefs']).map((ref) => refKey(ref, route)),
    ),
  );
}

/** See {@link indexNames.gatewayToReferencingAIGatewayRoute}; non-Gateway parents are skipped. */
export function routeGatewayKeys(route: KubeObject): readonly string[] {
  return defined(
    records(spec(route)['parentRefs'])
      .filter((ref) => (str(ref['kind']) ?? 'Gateway') === 'Gateway')
      .filter(
        (ref) => (str(ref['group']) ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io',
      )
      .map((ref) => refKey(ref, route)),
  );
}

/** The OIDC settings of the policy's AWS, Azure or GCP workload-identity credentials. */
function oidcConfigs(s: Loose): Loose[] {
  const gcp = record(s['gcpCredentials']);
  return [
    record(s['awsCredentials']),
    record(s['azureCredentials']),
    record(gcp?.['workloadIdentityFederationConfig']),
  ]
    .map((c) => record(record(c?.['oidcExchangeToken'])?.['oidc']))
    .filter((o): o is Loose => o !== undefined);
}

/** See {@link indexNames.secretToReferencingBackendSecurityPolicy}. */
export function policySecretKeys(policy: KubeObject): readonly string[] {
  const s = spec(policy);
  const at = (...path: string[]): unknown =>
    path.reduce<unknown>((value, key) => record(value)?.[key], s);
  const hasOwnToken =
    at('awsCredentials', 'oidcExchangeToken') !== undefined ||
    at('azureCredentials', 'oidcExchangeToken') !== undefined;
  return defined([
    refKey(at('apiKey', 'secretRef'), policy),
    refKey(at('azureAPIKey', 'secretRef'), policy),
    refKey(at('anthropicAPIKey', 'secretRef'), policy),
    refKey(at('awsCredentials', 'credentialsFile', 'secretRef'), policy),
    refKey(at('gcpCredentials', 'credentialsFile', 'secretRef'), policy),
    refKey(at('azureCredentials', 'clientSecretRef'), policy),
    ...oidcConfigs(s).map((oidc) => refKey(oidc['clientSecret'], policy)),
    // Upstream keys OIDC policies by their own name: the rotated token's Secret is named after it.
    hasOwnToken ? indexKey(policy.metadata.name, policy.metadata.namespace ?? '') : undefined,
  ]);
}

/** See {@link indexNames.backendToTargetingBackendSecurityPolicy}. */
export function policyTargetKeys(policy: KubeObject): readonly string[] {
  const namespace = policy.metadata.namespace ?? '';
  return defined(
    records(spec(policy)['targetRefs'])
      .filter((ref) => (str(ref['kind']) ?? 'AIServiceBackend') === 'AIServiceBackend')
      .map((ref) => {
        const name = str(ref['name']);
        return name && indexKey(name, namespace);
      }),
  );
}

/** See {@link indexNames.gatewayToGatewayConfig}. */
export function gatewayConfigKeys(gateway: KubeObject): readonly string[] {
  const name = str(gateway.metadata.annotations?.[gatewayConfigAnnotation]);
  return name ? [indexKey(name, gateway.metadata.namespace ?? '')] : [];
}

/** See {@link indexNames.referenceGrantToTargetKind}. */
export function referenceGrantKeys(grant: KubeObject): readonly string[] {
  const namespace = grant.metadata.namespace ?? '';
  return defined(
    records(spec(grant)['to']).map((to) => {
      const kind = str(to['kind']);
      return kind && `${namespace}.${kind}`;
    }),
  );
}

/** Registers every index of {@link indexNames} on `cache`. */
export function registerStandardIndexes(cache: IndexedObjectCache): void {
  cache.index('AIGatewayRoute', indexNames.backendToReferencingAIGatewayRoute, routeBackendKeys);
  cache.index('AIGatewayRoute', indexNames.gatewayToReferencingAIGatewayRoute, routeGatewayKeys);
  cache.index(
    'BackendSecurityPolicy',
    indexNames.secretToReferencingBackendSecurityPolicy,
    policySecretKeys,
  );
  cache.index(
    'BackendSecurityPolicy',
    indexNames.backendToTargetingBackendSecurityPolicy,
    policyTargetKeys,
  );
  cache.index('Gateway', indexNames.gatewayToGatewayConfig, gatewayConfigKeys);
  cache.index('ReferenceGrant', indexNames.referenceGrantToTargetKind, referenceGrantKeys);
}
