import type { LLMRequestCost } from '@aigw/filterapi';
import {
  clientKeysAnnotation,
  gatewayConfigAnnotation,
  globalCosts,
  priceCatalogAnnotation,
  tenantBudgetsFromObjects,
  unsupportedGatewayConfigFields,
  type GatewayConfigSpec,
  type TenantBudgets,
} from '@aigw/gateway-config';

import {
  priceCatalogLabel,
  type KubeObject,
  type ObjectCache,
  type ObjectRef,
  type ReconcileContext,
  type Reconciler,
} from '../runtime/contracts.js';
import { celCostProblem } from './cel-costs.js';
import { isDeleting, labelOf, refOf, routesOfGateway } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { successMessages, syncStatus } from './status.js';

/**
 * What is wrong with a GatewayConfig: the fields `@aigw/gateway-config` does not generate yet
 * (refused rather than silently ignored, as `aigw translate` refuses them) and global costs whose
 * CEL does not compile. A Gateway leaves the global costs of an invalid GatewayConfig out.
 */
export function gatewayConfigProblems(config: KubeObject): string[] {
  const spec = (config.spec ?? {}) as GatewayConfigSpec & Record<string, unknown>;
  const where = labelOf('GatewayConfig', config);
  const problems = unsupportedGatewayConfigFields
    .filter((field) => spec[field] !== undefined)
    .map((field) => `${where}: spec.${field}: not supported by aigw yet`);
  (spec.globalLLMRequestCosts ?? []).forEach((cost, i) => {
    const problem =
      cost.type === 'CEL' && cost.cel !== undefined ? celCostProblem(cost.cel) : undefined;
    if (problem)
      problems.push(`${where}: spec.globalLLMRequestCosts[${String(i)}].cel: ${problem}`);
  });
  return problems;
}

/**
 * The filter config costs a Gateway gets from the GatewayConfig its annotation names (same
 * namespace): its `globalLLMRequestCosts`, none when it is absent or invalid.
 */
export function gatewayGlobalCosts(cache: ObjectCache, gateway: KubeObject): LLMRequestCost[] {
  const name = gateway.metadata.annotations?.[gatewayConfigAnnotation];
  if (name === undefined) return [];
  const config = cache.get('GatewayConfig', gateway.metadata.namespace ?? '', name);
  if (!config || gatewayConfigProblems(config).length > 0) return [];
  return globalCosts(config.spec as GatewayConfigSpec | undefined);
}

/**
 * Queues the GatewayConfigs of `ref`'s namespace whose `annotation` (client keys, price catalog)
 * names `ref` (a Secret, a ConfigMap): they queue their Gateways.
 */
export function enqueueAnnotatedGatewayConfigs(
  context: ReconcileContext,
  { annotation, ref }: { readonly annotation: string; readonly ref: ObjectRef },
): void {
  for (const config of context.cache.list('GatewayConfig', ref.namespace)) {
    if (config.metadata.annotations?.[annotation] === ref.name) {
      context.enqueue(refOf('GatewayConfig', config));
    }
  }
}

/** The Gateway, its GatewayConfig and the Secret and ConfigMap it names, when it names one. */
function budgetInputs(
  cache: ObjectCache,
  gateway: KubeObject,
): { readonly objects: KubeObject[]; readonly mapName: string | undefined } | undefined {
  const namespace = gateway.metadata.namespace ?? '';
  const name = gateway.metadata.annotations?.[gatewayConfigAnnotation];
  const config = name === undefined ? undefined : cache.get('GatewayConfig', namespace, name);
  const annotations = config?.metadata.annotations ?? {};
  const secretName = annotations[clientKeysAnnotation];
  const mapName = annotations[priceCatalogAnnotation];
  if (!config || (secretName === undefined && mapName === undefined)) return undefined;
  const named = [
    secretName === undefined ? undefined : cache.get('Secret', namespace, secretName),
    mapName === undefined ? undefined : cache.get('ConfigMap', namespace, mapName),
  ];
  return {
    objects: [gateway, config, ...named.filter((o): o is KubeObject => o !== undefined)],
    mapName,
  };
}

/**
 * The tenants and price catalog of a Gateway (docs/budgets.md "Tenants and money budgets"): from
 * the client-keys Secret and price-catalog ConfigMap its GatewayConfig names, parsed and checked
 * by `@aigw/gateway-config` as `aigw run` and `aigw translate` do, the missing-price check over
 * `routes` (its valid routes). Undefined when its GatewayConfig carries neither annotation. A
 * missing or unusable Secret or catalog fails closed (no keys; a catalog that prices nothing).
 */
export function gatewayTenantBudgets(
  cache: ObjectCache,
  gateway: KubeObject,
  routes: readonly KubeObject[],
): TenantBudgets | undefined {
  const namespace = gateway.metadata.namespace ?? '';
  const inputs = budgetInputs(cache, gateway);
  if (!inputs) return undefined;
  const budgets = tenantBudgetsFromObjects({
    gateway: `${namespace}/${gateway.metadata.name}`,
    objects: inputs.objects,
    routes,
    backends: new Set(
      cache.list('AIServiceBackend').map((b) => `${b.metadata.namespace ?? ''}/${b.metadata.name}`),
    ),
  });
  const mapName = inputs.mapName;
  // The informer sees only labelled ConfigMaps: say so where one is "not found".
  const notFound = `ConfigMap ${namespace}/${mapName ?? ''} not found`;
  const problems = budgets.problems.map((p) =>
    p.endsWith(notFound) ? `${p} (or not labelled ${priceCatalogLabel})` : p,
  );
  return { config: budgets.config, problems };
}

/** The valid routes of a Gateway: those whose last generation succeeded. */
export function validRoutesOf(
  cache: ObjectCache,
  gateway: KubeObject,
  options: Pick<ResolvedOptions, 'generations'>,
): KubeObject[] {
  return routesOfGateway(cache, gateway.metadata.namespace ?? '', gateway.metadata.name).filter(
    (route) => !isDeleting(route) && options.generations.current(route)?.ok === true,
  );
}

/**
 * GatewayConfig → the Gateways of its namespace whose annotation names it. Its status also
 * carries the tenant and price problems of each of those Gateways (`gatewayTenantBudgets`).
 */
export function gatewayConfigReconciler(options: ResolvedOptions): Reconciler {
  return async (ref, context) => {
    const gateways = context.cache
      .list('Gateway', ref.namespace)
      .filter((g) => g.metadata.annotations?.[gatewayConfigAnnotation] === ref.name);
    for (const gateway of gateways) context.enqueue(refOf('Gateway', gateway));
    const config = context.cache.get('GatewayConfig', ref.namespace, ref.name);
    if (!config) return {};
    const budgetProblems = gateways.flatMap(
      (gateway) =>
        gatewayTenantBudgets(context.cache, gateway, validRoutesOf(context.cache, gateway, options))
          ?.problems ?? [],
    );
    const problems = [...new Set([...gatewayConfigProblems(config), ...budgetProblems])];
    await syncStatus(
      context,
      { kind: 'GatewayConfig', object: config, now: options.now },
      problems.length === 0
        ? { isAccepted: true, message: successMessages.GatewayConfig }
        : { isAccepted: false, message: problems.join('\n') },
    );
    return {};
  };
}
