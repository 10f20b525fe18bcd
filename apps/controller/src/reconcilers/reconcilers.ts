import type { Kind, Reconciler } from '../runtime/contracts.js';
import { aiGatewayRouteReconciler, generatedObjectReconciler } from './ai-gateway-route.js';
import { aiServiceBackendReconciler } from './ai-service-backend.js';
import { backendReconciler } from './backend.js';
import { backendSecurityPolicyReconciler } from './backend-security-policy.js';
import { bundleConfigSecrets } from './config-secrets.js';
import { gatewayConfigReconciler } from './gateway-config.js';
import { gatewayReconciler } from './gateway.js';
import type { ReconcilerOptions, ResolvedOptions } from './options.js';
import { referenceGrantReconciler } from './reference-grant.js';
import { RouteGenerations } from './route-set.js';
import { secretReconciler } from './secret.js';

/** The kinds that have a reconciler (the others are only cached). */
export type ReconciledKind = Exclude<Kind, 'Pod' | 'Deployment' | 'DaemonSet'>;

/**
 * One reconciler per kind, sharing `options`. The event graph: Secret → BackendSecurityPolicy →
 * AIServiceBackend → AIGatewayRoute → Gateway; ReferenceGrant → AIGatewayRoute; GatewayConfig →
 * Gateway; HTTPRoute / HTTPRouteFilter → their AIGatewayRoute; Envoy Gateway Backend →
 * AIServiceBackend.
 */
export function createReconcilers(
  options: ReconcilerOptions = {},
): Readonly<Record<ReconciledKind, Reconciler>> {
  const resolved: ResolvedOptions = {
    rootPrefix: options.rootPrefix,
    now: options.now ?? (() => new Date()),
    configSecrets: options.configSecrets ?? bundleConfigSecrets,
    rotateCredentials: options.rotateCredentials,
    generations: new RouteGenerations(),
  };
  return {
    AIGatewayRoute: aiGatewayRouteReconciler(resolved),
    AIServiceBackend: aiServiceBackendReconciler(resolved),
    BackendSecurityPolicy: backendSecurityPolicyReconciler(resolved),
    GatewayConfig: gatewayConfigReconciler(resolved),
    Gateway: gatewayReconciler(resolved),
    Secret: secretReconciler(),
    ReferenceGrant: referenceGrantReconciler(),
    Backend: backendReconciler(),
    HTTPRoute: generatedObjectReconciler('HTTPRoute'),
    HTTPRouteFilter: generatedObjectReconciler('HTTPRouteFilter'),
  };
}
