import type {
  AIGatewayRoute,
  AIGatewayRouteV1alpha1,
  AIServiceBackend,
  AIServiceBackendV1alpha1,
  BackendSecurityPolicy,
  BackendSecurityPolicyV1alpha1,
  GatewayConfig,
  GatewayConfigV1alpha1,
  MCPRoute,
  MCPRouteV1alpha1,
  QuotaPolicy,
} from './gen/types.generated.js';

/** Any resource of group aigateway.envoyproxy.io, in any served version. */
export type AnyResource =
  | AIGatewayRoute
  | AIGatewayRouteV1alpha1
  | AIServiceBackend
  | AIServiceBackendV1alpha1
  | BackendSecurityPolicy
  | BackendSecurityPolicyV1alpha1
  | GatewayConfig
  | GatewayConfigV1alpha1
  | MCPRoute
  | MCPRouteV1alpha1
  | QuotaPolicy;
