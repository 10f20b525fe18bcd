import {
  gatewayConfigAnnotation,
  mergeFilterConfigs,
  type RouteFilterConfig,
  type TenantBudgets,
} from '@aigw/gateway-config';
import type { FilterConfigInput, LLMRequestCost } from '@aigw/filterapi';

import type { Kind, KubeObject, ReconcileContext, Reconciler } from '../runtime/contracts.js';
import { applyIfChanged, digested, isApplied } from './apply.js';
import type {
  ConfigPlacement,
  ConfigSecrets,
  ConfigSecretsPlan,
  GatewayFilterConfig,
} from './config-secrets.js';
import { gatewayGlobalCosts, gatewayTenantBudgets } from './gateway-config.js';
import { conditionsOf, isDeleting, refOf, routesOfGateway } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { enqueueQuotaDependents } from './quota-policy.js';
import type { QuotaCostsResult } from './quota-costs.js';
import { gatherRoute, generateRoute } from './route-set.js';
import {
  extprocAccess,
  extprocAccessName,
  gatewayWorkloads,
  type GatewayWorkloads,
} from './workloads.js';

/** A Gateway's merged filter config, with the route shares and global costs it was merged from. */
interface GatewayConfigShares extends GatewayFilterConfig {
  readonly shares: readonly RouteFilterConfig[];
  readonly extraCosts: readonly LLMRequestCost[];
  /** The QuotaPolicies' token estimate (reserving budgets), if any. */
  readonly tokenReservation: FilterConfigInput['tokenReservation'];
  /** Tenants and prices from its GatewayConfig (docs/budgets.md), with their problems. */
  readonly budgets: TenantBudgets | undefined;
}

/** What {@link ConfigLayouts} compares to skip a layout. */
type SharesKey = Pick<
  GatewayConfigShares,
  'shares' | 'extraCosts' | 'tokenReservation' | 'budgets'
>;

/**
 * The filter config of a Gateway: the shares of every valid route attached to it (each generated
 * alone, and remembered by `RouteGenerations`: its last generation is used as long as the route
 * itself is unchanged, since a change of anything else it reads queues its own reconcile first,
 * which then queues this Gateway; so one bad route leaves the others working and one edited route
 * translates only itself), merged oldest route first (`routesOfGateway`) as `aigw translate`
 * merges them in file order, then the QuotaPolicies' costs and its GatewayConfig's global costs
 * (in `aigw run`'s order), and its GatewayConfig's tenants and prices. Undefined when no valid
 * route is attached.
 */
function filterConfigOf(
  context: ReconcileContext,
  gateway: { readonly namespace: string; readonly name: string },
  {
    options,
    quota,
  }: {
    readonly options: ResolvedOptions;
    readonly quota: Pick<QuotaCostsResult, 'costs' | 'tokenReservation'>;
  },
): GatewayConfigShares | undefined {
  const gatewayObject = context.cache.get('Gateway', gateway.namespace, gateway.name);
  const shares: RouteFilterConfig[] = [];
  const valid: KubeObject[] = [];
  for (const route of routesOfGateway(context.cache, gateway.namespace, gateway.name)) {
    if (isDeleting(route)) continue;
    const generation =
      options.generations.current(route) ??
      generateRoute(gatherRoute(context.cache, route), options);
    if (generation.ok && generation.filterConfig) {
      shares.push(generation.filterConfig);
      valid.push(route);
    }
  }
  if (shares.length === 0 || !gatewayObject) return undefined;
  const extraCosts = [...quota.costs, ...gatewayGlobalCosts(context.cache, gatewayObject)];
  const { tokenReservation } = quota;
  const budgets = gatewayTenantBudgets(context.cache, gatewayObject, valid);
  return {
    filterConfig: {
      ...mergeFilterConfigs(shares, { extraCosts, tokenReservation }),
      ...budgets?.config,
    },
    shares,
    extraCosts,
    tokenReservation,
    budgets,
  };
}

/**
 * The extproc's Role and RoleBinding: written where the proxies run while the Gateway has a
 * config, deleted everywhere else (another candidate namespace, no config, no proxy to bind).
 */
async function syncExtprocAccess(
  context: ReconcileContext,
  gateway: { readonly namespace: string; readonly name: string },
  what: { readonly workloads: GatewayWorkloads; readonly hasConfig: boolean },
): Promise<void> {
  const { workloads, hasConfig } = what;
  const desired = hasConfig ? extprocAccess(gateway, workloads) : [];
  for (const object of desired) await applyIfChanged(context, object.kind as Kind, object);
  const name = extprocAccessName(gateway);
  for (const kind of ['RoleBinding', 'Role'] as const) {
    for (const namespace of workloads.candidates) {
      const wanted = desired.some((o) => o.kind === kind && o.metadata.namespace === namespace);
      if (!wanted && context.cache.get(kind, namespace, name)) {
        await context.writer.delete({ kind, namespace, name });
      }
    }
  }
}

/**
 * The last config Secrets laid out per Gateway, with the route shares and costs they came from:
 * laying out a config (serialising, hashing and encoding ~1 MB at 2,000 routes) is skipped when
 * the same shares (the same objects, since a share is replaced only when its route regenerates)
 * come in the same order to the same namespace.
 */
interface PlanRequest {
  readonly config: GatewayConfigShares | undefined;
  readonly placement: ConfigPlacement;
  readonly fresh?: boolean;
}

class ConfigLayouts {
  readonly #last = new Map<
    string,
    {
      readonly config: SharesKey;
      readonly placement: ConfigPlacement;
      readonly plan: ConfigSecretsPlan;
    }
  >();

  constructor(private readonly layout: ConfigSecrets) {}

  /**
   * The remembered plan (its Secrets as digests, see `digested`) when nothing changed, else a new
   * one (whole); `fresh` always lays it out again.
   */
  plan(
    gateway: { readonly namespace: string; readonly name: string },
    { config, placement, fresh = false }: PlanRequest,
  ): ConfigSecretsPlan {
    const key = `${gateway.namespace}/${gateway.name}`;
    const last = this.#last.get(key);
    if (
      !fresh &&
      last &&
      sameShares(last.config, config) &&
      last.placement.namespace === placement.namespace &&
      last.placement.others.join() === placement.others.join()
    ) {
      return last.plan;
    }
    const plan = this.layout(gateway, config, placement);
    if (config === undefined) this.#last.delete(key);
    else {
      const remembered = { ...plan, secrets: plan.secrets.map(digested) };
      // Not the merged config (the shares are what `sameShares` compares).
      const { shares, extraCosts, tokenReservation, budgets } = config;
      this.#last.set(key, {
        config: { shares, extraCosts, tokenReservation, budgets },
        placement,
        plan: remembered,
      });
    }
    return plan;
  }
}

function sameShares(a: SharesKey | undefined, b: SharesKey | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.shares.length === b.shares.length &&
    a.shares.every((share, i) => share === b.shares[i]) &&
    JSON.stringify(a.extraCosts) === JSON.stringify(b.extraCosts) &&
    JSON.stringify(a.tokenReservation) === JSON.stringify(b.tokenReservation) &&
    JSON.stringify(a.budgets?.config) === JSON.stringify(b.budgets?.config)
  );
}

/**
 * The tenant and price problems last found per Gateway: the GatewayConfig's status carries them,
 * so it is queued when they change (a route's edit can add an unpriced model).
 */
class BudgetProblems {
  readonly #last = new Map<string, string>();

  report(
    context: ReconcileContext,
    gateway: KubeObject | undefined,
    problems: readonly string[],
  ): void {
    if (!gateway) return;
    const key = `${gateway.metadata.namespace ?? ''}/${gateway.metadata.name}`;
    const text = problems.join('\n');
    if ((this.#last.get(key) ?? '') === text) return;
    this.#last.set(key, text);
    const name = gateway.metadata.annotations?.[gatewayConfigAnnotation];
    if (name !== undefined) {
      context.enqueue({ kind: 'GatewayConfig', namespace: gateway.metadata.namespace ?? '', name });
    }
  }
}

/**
 * Gateway: writes the extproc config of its routes through `configSecrets` (the sharded bundle,
 * parts before the index, then the legacy Secret) in the namespace of its Envoy proxies, with the
 * Role that lets their extprocs read it; deletes what is stale (in the other namespace it may
 * have been in, and all of it once the Gateway is gone), and queues its routes that are not Accepted (one may be waiting for this Gateway).
 */
export function gatewayReconciler(options: ResolvedOptions): Reconciler {
  const layouts = new ConfigLayouts(options.configSecrets);
  const budgetProblems = new BudgetProblems();
  return async (ref, context) => {
    const gatewayRef = { namespace: ref.namespace, name: ref.name };
    const gateway = context.cache.get('Gateway', ref.namespace, ref.name);
    const quota = options.quotaCosts.of(context.cache);
    if (quota.changed) enqueueQuotaDependents(context);
    const config = gateway
      ? filterConfigOf(context, gatewayRef, { options, quota: quota.result })
      : undefined;
    budgetProblems.report(context, gateway, config?.budgets?.problems ?? []);
    const workloads = gatewayWorkloads(context.cache, gatewayRef, options.envoyGatewayNamespace);
    const placement = { namespace: workloads.namespace, others: workloads.candidates };
    let plan = layouts.plan(gatewayRef, { config, placement });
    // A remembered plan holds digests: Secrets someone else changed or deleted are written again.
    if (!plan.secrets.every((secret) => isApplied(context, 'Secret', secret))) {
      plan = layouts.plan(gatewayRef, { config, placement, fresh: true });
    }
    for (const secret of plan.secrets) await applyIfChanged(context, 'Secret', secret);
    for (const stale of plan.stale) {
      if (context.cache.get('Secret', stale.namespace, stale.name)) {
        await context.writer.delete({ kind: 'Secret', ...stale });
      }
    }
    await syncExtprocAccess(context, gatewayRef, { workloads, hasConfig: config !== undefined });
    for (const route of routesOfGateway(context.cache, ref.namespace, ref.name)) {
      const accepted = conditionsOf(route).some(
        (c) => c.type === 'Accepted' && c.status === 'True',
      );
      if (!accepted) context.enqueue(refOf('AIGatewayRoute', route));
    }
    return {};
  };
}
