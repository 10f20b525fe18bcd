import type {
  AIGatewayRoute,
  AIGatewayRouteV1alpha1,
  AIServiceBackend,
  AIServiceBackendV1alpha1,
  BackendSecurityPolicy,
  BackendSecurityPolicyV1alpha1,
  QuotaPolicy,
} from '@aigw/api';

import type { Backend, BackendTrafficPolicy, Gateway, OtherObject, Secret } from './kube-types.js';

/** A loaded object and where it came from. */
export interface Loaded<T> {
  /** The file it was read from. */
  readonly file: string;
  /** Zero-based position of its document in the file. */
  readonly index: number;
  /** `metadata.namespace`, `default` when the manifest has none (as kubectl applies it). */
  readonly namespace: string;
  /** `metadata.name`. */
  readonly name: string;
  /** Zero-based position among all documents of all files, in input order. */
  readonly position: number;
  /** The validated object; for our CRDs with the CRD defaults applied. */
  readonly resource: T;
  /** The document exactly as written (what `aigw translate` passes through). */
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** AIGatewayRoute in either served version (the specs are identical). */
export type AnyAIGatewayRoute = AIGatewayRoute | AIGatewayRouteV1alpha1;
/** AIServiceBackend in either served version (the specs are identical). */
export type AnyAIServiceBackend = AIServiceBackend | AIServiceBackendV1alpha1;
/** BackendSecurityPolicy in either served version. */
export type AnyBackendSecurityPolicy = BackendSecurityPolicy | BackendSecurityPolicyV1alpha1;

/**
 * Every object of the input files, validated, grouped by kind, in input order, with the
 * cross-references checked (every name an object uses exists, with the keys it needs).
 */
export interface ResourceSet {
  readonly aiGatewayRoutes: readonly Loaded<AnyAIGatewayRoute>[];
  readonly aiServiceBackends: readonly Loaded<AnyAIServiceBackend>[];
  readonly backendSecurityPolicies: readonly Loaded<AnyBackendSecurityPolicy>[];
  readonly quotaPolicies: readonly Loaded<QuotaPolicy>[];
  /** Envoy Gateway `Backend`s (gateway.envoyproxy.io). */
  readonly backends: readonly Loaded<Backend>[];
  readonly backendTrafficPolicies: readonly Loaded<BackendTrafficPolicy>[];
  readonly gateways: readonly Loaded<Gateway>[];
  readonly secrets: readonly Loaded<Secret>[];
  /** Every other object (GatewayClass, BackendTLSPolicy, GatewayConfig, MCPRoute, …). */
  readonly others: readonly Loaded<OtherObject>[];
  /**
   * What the user should know but that does not stop loading, one line each naming the file, the
   * object and the field: `in.yaml: AIServiceBackend default/b: unknown field "spec.timeouts" (ignored)`.
   */
  readonly warnings: readonly string[];
}

/** Object label used in messages: `Kind namespace/name`. */
export function objectLabel(
  kind: string,
  loaded: Pick<Loaded<unknown>, 'namespace' | 'name'>,
): string {
  return `${kind} ${loaded.namespace}/${loaded.name}`;
}
