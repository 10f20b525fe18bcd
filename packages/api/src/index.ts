/**
 * @aigw/api: the CRDs of group `aigateway.envoyproxy.io` (AIGatewayRoute, AIServiceBackend,
 * BackendSecurityPolicy, GatewayConfig, MCPRoute in v1alpha1 and v1beta1; QuotaPolicy in
 * v1alpha1), defined once in a schema DSL (`src/kinds`) from which `scripts/generate.ts` writes
 * the CRD YAML in `deploy/crds` and the TS types in `src/gen`, and from which the zod validators
 * are built at run time (CEL rules evaluated with cel-js).
 *
 * @see https://github.com/envoyproxy/ai-gateway/tree/main/api
 */
export {
  apiVersions,
  deprecationWarning,
  group,
  toCrd,
  type ApiVersionName,
  type KindDef,
  type VersionDef,
} from './crd.js';
export { kindNames, kinds, type KindName } from './kinds/all.js';
export { validateManifests, type ManifestResult } from './manifests.js';
export { apiSchemaNames, llmRequestCostTypes } from './kinds/common.js';
export { backendSecurityPolicyTypes } from './kinds/backend-security-policy.js';
export type { ObjectMeta } from './meta.js';
export type { AnyResource } from './resources.js';
export {
  aiGatewayRouteSchema,
  aiServiceBackendSchema,
  backendSecurityPolicySchema,
  backendSecurityPolicyV1alpha1Schema,
  gatewayConfigSchema,
  mcpRouteSchema,
  quotaPolicySchema,
} from './schemas.js';
export {
  lookupVersion,
  validateResource,
  type ValidateOptions,
  type ValidationResult,
} from './validate.js';
export type * from './gen/types.generated.js';
