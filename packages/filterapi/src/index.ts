/**
 * @aigw/filterapi: the controller-to-extproc configuration contract.
 *
 * The controller (or `aigw run`) writes a {@link FilterConfig} as YAML; the extproc reads it
 * with {@link readFilterConfigFile} or {@link parseFilterConfig} and hot-reloads it, keeping
 * the last good config when a new one is rejected. No Kubernetes types, no I/O besides
 * `readFilterConfigFile`, no logging.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/filterapi/filterconfig.go
 */
export {
  assembleConfigBundle,
  ConfigBundleError,
  ConfigBundleIndexSchema,
  configBundleIndexKey,
  configBundleIndexName,
  configBundlePartKey,
  configBundlePartName,
  configBundlePartPath,
  defaultMaxPartBytes,
  defaultMaxParts,
  isConfigBundleError,
  legacyConfigSecretName,
  legacyFilterConfigKey,
  parseConfigBundleIndex,
  sha256Hex,
  toConfigBundle,
  type ConfigBundle,
  type ConfigBundleErrorCode,
  type ConfigBundleIndex,
  type ConfigBundleOptions,
  type ConfigBundlePart,
  type GatewayName,
} from './bundle.js';
export { parseFilterConfig, type ParseFilterConfigOptions } from './config.js';
export {
  FilterConfigError,
  isFilterConfigError,
  type FilterConfigErrorCode,
  type FilterConfigErrorOptions,
  type FilterConfigIssue,
} from './errors.js';
export { readFilterConfigFile } from './load.js';
export { backendByName, serviceBackendOf, type ServiceBackendName } from './runtime.js';
export {
  authKind,
  backendAuthKinds,
  backendSchemaNames,
  budgetUnits,
  costCelVariables,
  defaultModelNameHeader,
  defaultTenantHeader,
  FilterConfigSchema,
  gatewayOwnedHeaders,
  llmRequestCostTypes,
  maxHeaderMutations,
  responsesApiModes,
  type AwsAuth,
  type AzureAuth,
  type Backend,
  type BackendAuth,
  type BackendAuthKind,
  type BackendSchemaName,
  type BodyMutation,
  type FilterConfig,
  type FilterConfigInput,
  type Routes,
  type TokenReservation,
  type Tenants,
  type Prices,
  type Price,
  type GcpAuth,
  type HeaderMutation,
  type KeyFileAuth,
  type KeySourceAuth,
  type LLMRequestCost,
  type LLMRequestCostType,
  type Model,
  type VersionedApiSchema,
} from './schema.js';
export { filterConfigVersion } from './version.js';
