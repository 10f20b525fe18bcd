/**
 * Per-kind zod schemas (the v1beta1 shapes, plus v1alpha1 where it differs). Each validates a
 * whole manifest and applies the CRD defaults; issues carry the API server's wording with a
 * `{{path}}` placeholder; use {@link validateResource} for finished messages.
 */
import type { z } from 'zod';
import type { KindDef, VersionDef } from './crd.js';
import type {
  AIGatewayRoute,
  AIServiceBackend,
  BackendSecurityPolicy,
  BackendSecurityPolicyV1alpha1,
  GatewayConfig,
  MCPRoute,
  QuotaPolicy,
} from './gen/types.generated.js';
import { aiGatewayRouteKind } from './kinds/ai-gateway-route.js';
import { aiServiceBackendKind } from './kinds/ai-service-backend.js';
import { backendSecurityPolicyKind } from './kinds/backend-security-policy.js';
import { gatewayConfigKind } from './kinds/gateway-config.js';
import { mcpRouteKind } from './kinds/mcp-route.js';
import { quotaPolicyKind } from './kinds/quota-policy.js';
import { resourceSchema } from './validate.js';

function versionOf(def: KindDef, name: VersionDef['name']): VersionDef {
  const version = def.versions.find((v) => v.name === name);
  if (!version) throw new Error(`${def.kind} has no version ${name}`);
  return version;
}

// The schemas are built from the DSL at run time, so zod cannot infer their output; the casts
// name the generated type that the same DSL produced.
const schemaFor = <T>(def: KindDef, name: VersionDef['name']): z.ZodType<T> =>
  resourceSchema(def, versionOf(def, name)) as z.ZodType<T>;

/** AIGatewayRoute (v1beta1). */
export const aiGatewayRouteSchema = schemaFor<AIGatewayRoute>(aiGatewayRouteKind, 'v1beta1');
/** AIServiceBackend (v1beta1). */
export const aiServiceBackendSchema = schemaFor<AIServiceBackend>(aiServiceBackendKind, 'v1beta1');
/** BackendSecurityPolicy (v1beta1). */
export const backendSecurityPolicySchema = schemaFor<BackendSecurityPolicy>(
  backendSecurityPolicyKind,
  'v1beta1',
);
/** BackendSecurityPolicy (v1alpha1: at most 3 properties, no credentialOverride, strict GCP). */
export const backendSecurityPolicyV1alpha1Schema = schemaFor<BackendSecurityPolicyV1alpha1>(
  backendSecurityPolicyKind,
  'v1alpha1',
);
/** GatewayConfig (v1beta1). */
export const gatewayConfigSchema = schemaFor<GatewayConfig>(gatewayConfigKind, 'v1beta1');
/** MCPRoute (v1beta1). */
export const mcpRouteSchema = schemaFor<MCPRoute>(mcpRouteKind, 'v1beta1');
/** QuotaPolicy (v1alpha1, its only version). */
export const quotaPolicySchema = schemaFor<QuotaPolicy>(quotaPolicyKind, 'v1alpha1');
