import type { GatewayConfigSpec } from '@aigw/api';
import type { LLMRequestCost } from '@aigw/filterapi';

import type { OtherObject } from './kube-types.js';
import type { Loaded, ResourceSet } from './resource-set.js';

/**
 * GatewayConfig, as `aigw translate` and `aigw run` read it: its `globalLLMRequestCosts` apply to
 * every route of the Gateways that name it (annotation `aigateway.envoyproxy.io/gateway-config`);
 * the fields neither generates are refused.
 */

const aiGroup = 'aigateway.envoyproxy.io';

/** Our kinds neither `aigw translate` nor `aigw run` handles. */
const unsupportedKinds = new Set(['MCPRoute']);

/** The Gateway annotation naming its GatewayConfig (in the Gateway's namespace). */
export const gatewayConfigAnnotation = 'aigateway.envoyproxy.io/gateway-config';

/**
 * GatewayConfig fields that would change what is generated and are not generated yet: refused
 * rather than silently dropped. (`spec.extProc`, the sidecar container, is the webhook's.)
 */
export const unsupportedGatewayConfigFields = ['globalRateLimitsFromHeaders', 'forwardProxy'];

/** A GatewayConfig's `globalLLMRequestCosts` as filter config costs (no `routeName`: every route). */
export function globalCosts(spec: GatewayConfigSpec | undefined): LLMRequestCost[] {
  return (spec?.globalLLMRequestCosts ?? []).map((c) => ({
    metadataKey: c.metadataKey,
    type: c.type,
    ...(c.cel === undefined ? {} : { cel: c.cel }),
  }));
}

function isGatewayConfig(other: Loaded<OtherObject>): boolean {
  return (
    other.resource.kind === 'GatewayConfig' && other.resource.apiVersion.startsWith(`${aiGroup}/`)
  );
}

/** The global costs of the GatewayConfig a Gateway (`namespace/name`) names, if any. */
export function gatewayGlobalCosts(resources: ResourceSet, gateway: string): LLMRequestCost[] {
  const found = resources.gateways.find((g) => `${g.namespace}/${g.name}` === gateway);
  const configName = found?.resource.metadata.annotations?.[gatewayConfigAnnotation];
  if (found === undefined || configName === undefined) return [];
  const config = resources.others.find(
    (o) => isGatewayConfig(o) && o.namespace === found.namespace && o.name === configName,
  );
  return globalCosts((config?.resource as { spec?: GatewayConfigSpec } | undefined)?.spec);
}

/**
 * What `aigw translate` (`tool` `aigw`) and `aigw run` (`aigw run`) refuse in the input rather
 * than ignore: MCPRoutes, and the GatewayConfig fields they do not generate.
 */
export function unsupportedObjects(resources: ResourceSet, tool: 'aigw' | 'aigw run'): string[] {
  const problems: string[] = [];
  for (const other of resources.others) {
    const { kind, apiVersion } = other.resource;
    if (!apiVersion.startsWith(`${aiGroup}/`)) continue;
    const where = `${other.file}: ${kind} ${other.namespace}/${other.name}`;
    if (unsupportedKinds.has(kind)) problems.push(`${where}: not supported by ${tool} yet`);
    if (!isGatewayConfig(other)) continue;
    const spec = ((other.resource as { spec?: unknown }).spec ?? {}) as Record<string, unknown>;
    for (const field of unsupportedGatewayConfigFields) {
      if (spec[field] !== undefined) {
        problems.push(`${where}: spec.${field}: not supported by ${tool} yet`);
      }
    }
  }
  return problems;
}
