/**
 * GatewayConfig: per-Gateway settings for the external processor (container env and resources),
 * gateway-wide request costs and an optional forward proxy. A Gateway refers to it with the
 * annotation `aigateway.envoyproxy.io/gateway-config` (same namespace).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/api/v1beta1/gateway_config.go
 */
import type { KindDef, VersionDef } from '../crd.js';
import { any, arr, intOrStr, map, obj, str } from '../schema/dsl.js';
import { condition, llmRequestCost, rateLimitFromHeader } from './common.js';

const quantity = intOrStr({
  pattern: String.raw`^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`,
});

/**
 * Envoy Gateway's `KubernetesContainerSpec`: env, image and resources are modelled; other
 * fields (securityContext, volumeMounts, ...) are kept as given.
 */
const containerSpec = obj(
  {
    env: arr(
      obj(
        { name: str(), value: str(), valueFrom: any() },
        { typeName: 'EnvVar', required: ['name'] },
      ),
    ),
    image: str(),
    resources: obj(
      {
        claims: arr(
          obj({ name: str(), request: str() }, { typeName: 'ResourceClaim', required: ['name'] }),
          {
            listType: 'map',
            listMapKeys: ['name'],
          },
        ),
        limits: map(quantity),
        requests: map(quantity),
      },
      { typeName: 'ResourceRequirements' },
    ),
  },
  { typeName: 'KubernetesContainerSpec', preserveUnknown: true },
);

/** GatewayConfig spec (identical in v1alpha1 and v1beta1). */
export const gatewayConfigSpec = obj(
  {
    extProc: obj({ kubernetes: containerSpec }, { typeName: 'GatewayConfigExtProc' }),
    globalLLMRequestCosts: arr(llmRequestCost, { listType: 'map', listMapKeys: ['metadataKey'] }),
    globalRateLimitsFromHeaders: arr(rateLimitFromHeader, {
      maxItems: 36,
      listType: 'map',
      listMapKeys: ['metadataKey'],
    }),
    forwardProxy: obj(
      { address: str({ minLength: 1, description: 'host:port of the HTTP CONNECT proxy.' }) },
      { typeName: 'GatewayConfigForwardProxy', required: ['address'] },
    ),
  },
  { typeName: 'GatewayConfigSpec' },
);

const status = obj(
  { conditions: arr(condition, { maxItems: 8, listType: 'map', listMapKeys: ['type'] }) },
  { typeName: 'GatewayConfigStatus' },
);

const version = (name: VersionDef['name']): VersionDef => ({
  name,
  storage: name === 'v1beta1',
  deprecated: name === 'v1alpha1',
  spec: gatewayConfigSpec,
  status,
});

/** The GatewayConfig kind (short name `gwconfig`). */
export const gatewayConfigKind: KindDef = {
  kind: 'GatewayConfig',
  plural: 'gatewayconfigs',
  singular: 'gatewayconfig',
  shortNames: ['gwconfig'],
  description: 'Gateway-level settings for the AI Gateway external processor.',
  versions: [version('v1alpha1'), version('v1beta1')],
};
