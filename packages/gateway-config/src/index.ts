/**
 * @aigw/gateway-config: pure generation from our CRs (AIGatewayRoute, AIServiceBackend,
 * BackendSecurityPolicy, QuotaPolicy) plus Envoy Gateway Backends, Gateways and Secrets: the
 * Envoy bootstrap and file-based dynamic resources of `aigw run`, the extproc filter config, the
 * rate-limit rules, and the Kubernetes objects the controller creates (`aigw translate`).
 * No I/O, no logging, no environment: callers read files and pass the environment in.
 */
export { isResourceError, ResourceError } from './errors.js';
export { loadResources, type SourceFile } from './resources.js';
export {
  compareListOrder,
  resourcesFromObjects,
  tenantBudgetsFromObjects,
  translateObjects,
  type FromObjectsOptions,
  type TenantBudgetsFromObjectsOptions,
  type TranslatedObjects,
} from './from-objects.js';
export type {
  AnyAIGatewayRoute,
  AnyAIServiceBackend,
  AnyBackendSecurityPolicy,
  Loaded,
  ResourceSet,
} from './resource-set.js';
export type {
  Backend,
  BackendEndpoint,
  BackendTrafficPolicy,
  Gateway,
  OtherObject,
  Secret,
} from './kube-types.js';
export {
  gatewayConfigAnnotation,
  globalCosts,
  unsupportedGatewayConfigFields,
} from './gateway-configs.js';
export {
  clientKeysAnnotation,
  clientKeysRequiredAnnotation,
  failClosedTenantBudgets,
  gatewayTenantBudgets,
  priceCatalogAnnotation,
  priceCatalogKey,
  pricedRulesOfRoutes,
  type GatewayTenantBudgetsOptions,
  type PricedRule,
  type TenantBudgets,
} from './tenant-budgets.js';
export {
  mergeFilterConfigs,
  type FilterConfigCommonOptions,
  type ModelEntry,
  type RouteFilterConfig,
} from './filter-config.js';
export {
  buildStandalone,
  credentialsDir,
  xdsFiles,
  type RouteSummary,
  type StandaloneConfig,
  type StandaloneOptions,
  type StandaloneXds,
} from './standalone.js';
export type * from './envoy/types.js';
export type { GatewayConfigSpec } from '@aigw/api';
export type {
  RateLimitDescriptor,
  RateLimitRules,
  RateLimitUnit,
  RateLimitValue,
} from './rate-limit.js';
export { extProcFilter, upstreamHttpFilters } from './envoy/ext-proc.js';
export { localReplyConfig, localReplyHeader } from './envoy/local-reply.js';
export {
  envoyGatewayNames,
  filterNames as envoyFilterNames,
  metadataKeys,
  metadataNamespace as dynamicMetadataNamespace,
  rateLimitDomain,
  typeUrl,
  xdsMetadataNamespace,
} from './envoy/names.js';
export {
  defaultEndpointLayout,
  EndpointPrefixError,
  formatEndpointPrefixes,
  isEndpointPrefixError,
  joinPath,
  parseEndpointPrefixes,
  parseRootPrefix,
  type EndpointLayout,
  type EndpointPrefixErrorCode,
  type EndpointPrefixes,
} from './envoy/endpoint-prefixes.js';
export { substituteEnv, type SubstituteEnvOptions } from './substitute-env.js';
export type {
  AIGatewayRouteOwnerReference,
  GeneratedObject,
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteBackendRule,
  HTTPRouteExtensionRefFilter,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteNotFoundRule,
  KubernetesObject,
  PassedThroughObject,
} from './kubernetes-objects.js';
export {
  filterConfigKey,
  manifestsToYaml,
  translateResources,
  translateToKubernetes,
  type TranslateOptions,
  type Translation,
} from './translate.js';
export {
  configSecretNames,
  configSecrets,
  filterConfigRoleLabel,
  gatewayLabels,
  gatewayNameLabel,
  gatewayNamespaceLabel,
  type ConfigSecret,
  type ConfigSecrets,
  type ConfigSecretsOptions,
  type FilterConfigRole,
} from './config-secrets.js';
