import type { KindDef } from '../crd.js';
import { aiGatewayRouteKind } from './ai-gateway-route.js';
import { aiServiceBackendKind } from './ai-service-backend.js';
import { backendSecurityPolicyKind } from './backend-security-policy.js';
import { gatewayConfigKind } from './gateway-config.js';
import { mcpRouteKind } from './mcp-route.js';
import { quotaPolicyKind } from './quota-policy.js';

/** Every kind of the group, in a fixed order. */
export const kinds: readonly KindDef[] = [
  aiGatewayRouteKind,
  aiServiceBackendKind,
  backendSecurityPolicyKind,
  gatewayConfigKind,
  mcpRouteKind,
  quotaPolicyKind,
];

/** Kind names. */
export const kindNames = [
  'AIGatewayRoute',
  'AIServiceBackend',
  'BackendSecurityPolicy',
  'GatewayConfig',
  'MCPRoute',
  'QuotaPolicy',
] as const;

/** One of {@link kindNames}. */
export type KindName = (typeof kindNames)[number];
