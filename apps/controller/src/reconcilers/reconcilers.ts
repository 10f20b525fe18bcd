import { gatewayNamespaceLabel } from '@aigw/gateway-config';

import {
  gatewayNameLabel,
  owningGatewayNameLabel,
  owningGatewayNamespaceLabel,
  type Kind,
  type Reconciler,
} from '../runtime/contracts.js';
import { aiGatewayRouteReconciler, generatedObjectReconciler } from './ai-gateway-route.js';
import { aiServiceBackendReconciler } from './ai-service-backend.js';
import { backendReconciler } from './backend.js';
import { backendSecurityPolicyReconciler } from './backend-security-policy.js';
import { configMapReconciler } from './config-map.js';
import { bundleConfigSecrets } from './config-secrets.js';
import { gatewayConfigReconciler } from './gateway-config.js';
import { gatewayReconciler } from './gateway.js';
import {
  defaultEnvoyGatewayNamespace,
  type ReconcilerOptions,
  type ResolvedOptions,
} from './options.js';
import { QuotaCosts } from './quota-costs.js';
import { quotaPolicyReconciler } from './quota-policy.js';
import { referenceGrantReconciler } from './reference-grant.js';
import { RouteGenerations } from './route-set.js';
import { secretReconciler } from './secret.js';
import { gatewayOwnedReconciler } from './workloads.js';

/** The kinds that have a reconciler: all of them. */
export type ReconciledKind = Kind;

const owningGateway = { name: owningGatewayNameLabel, namespace: owningGatewayNamespaceLabel };
const ourGateway = { name: gatewayNameLabel, namespace: gatewayNamespaceLabel };

/**
 * One reconciler per kind, sharing `options`. The event graph: Secret → BackendSecurityPolicy →
 * AIServiceBackend → AIGatewayRoute → Gateway; ReferenceGrant → AIGatewayRoute; GatewayConfig →
 * Gateway; Secret (client keys) / ConfigMap (price catalog) → GatewayConfig; QuotaPolicy → every Gateway (and a Gateway whose quota costs changed → every Gateway
 * and QuotaPolicy); HTTPRoute / HTTPRouteFilter → their AIGatewayRoute; Envoy Gateway Backend →
 * AIServiceBackend; the proxies' Deployments / DaemonSets and the extproc's Role / RoleBinding →
 * their Gateway.
 */
export function createReconcilers(
  options: ReconcilerOptions = {},
): Readonly<Record<ReconciledKind, Reconciler>> {
  const resolved: ResolvedOptions = {
    rootPrefix: options.rootPrefix,
    now: options.now ?? (() => new Date()),
    configSecrets: options.configSecrets ?? bundleConfigSecrets,
    rotateCredentials: options.rotateCredentials,
    envoyGatewayNamespace: options.envoyGatewayNamespace ?? defaultEnvoyGatewayNamespace,
    generations: new RouteGenerations(),
    quotaCosts: new QuotaCosts(),
    rateLimitConfig: options.rateLimitConfig,
  };
  return {
    AIGatewayRoute: aiGatewayRouteReconciler(resolved),
    AIServiceBackend: aiServiceBackendReconciler(resolved),
    BackendSecurityPolicy: backendSecurityPolicyReconciler(resolved),
    GatewayConfig: gatewayConfigReconciler(resolved),
    QuotaPolicy: quotaPolicyReconciler(resolved),
    Gateway: gatewayReconciler(resolved),
    Secret: secretReconciler(),
    ConfigMap: configMapReconciler(),
    ReferenceGrant: referenceGrantReconciler(),
    Backend: backendReconciler(),
    HTTPRoute: generatedObjectReconciler('HTTPRoute'),
    HTTPRouteFilter: generatedObjectReconciler('HTTPRouteFilter'),
    Deployment: gatewayOwnedReconciler('Deployment', owningGateway),
    DaemonSet: gatewayOwnedReconciler('DaemonSet', owningGateway),
    Role: gatewayOwnedReconciler('Role', ourGateway),
    RoleBinding: gatewayOwnedReconciler('RoleBinding', ourGateway),
  };
}
