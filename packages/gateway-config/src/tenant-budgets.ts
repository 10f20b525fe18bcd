import {
  FilterConfigSchema,
  filterConfigVersion,
  type FilterConfigInput,
  type Prices,
} from '@aigw/filterapi';
import { parse as parseYaml } from 'yaml';

import { gatewayConfigAnnotation } from './gateway-configs.js';
import type { OtherObject } from './kube-types.js';
import { modelHeader, type Plan, type PlannedRule } from './plan.js';
import { objectLabel, type Loaded, type ResourceSet } from './resource-set.js';
import { secretValue } from './secrets.js';
import { formatZodIssue } from './zod-issues.js';

/**
 * Tenants and money budgets (docs/budgets.md "Tenants and money budgets"), configured with
 * annotations on a GatewayConfig (our CRD stays identical to upstream's) naming a Secret of client
 * key digests and a ConfigMap holding the price catalog, both in the GatewayConfig's namespace.
 */

/** GatewayConfig annotation: the Secret whose entries are `<tenant>: <sha256 hex digests>`. */
export const clientKeysAnnotation = 'aigateway.envoyproxy.io/client-keys';
/** GatewayConfig annotation: `"true"` (default) refuses requests without a known key (401). */
export const clientKeysRequiredAnnotation = 'aigateway.envoyproxy.io/client-keys-required';
/** GatewayConfig annotation: the ConfigMap whose `prices.yaml` is the price catalog. */
export const priceCatalogAnnotation = 'aigateway.envoyproxy.io/price-catalog';
/** The ConfigMap key of the price catalog. */
export const priceCatalogKey = 'prices.yaml';

/** What goes into the filter config, and what is wrong. */
export interface TenantBudgets {
  readonly config: Pick<FilterConfigInput, 'tenants' | 'prices'>;
  readonly problems: readonly string[];
}

type TenantsInput = NonNullable<FilterConfigInput['tenants']>;

const digestPattern = /^[0-9a-f]{64}$/;

interface GatewayConfigObject {
  readonly loaded: Loaded<OtherObject>;
  readonly where: string;
  readonly annotations: Readonly<Record<string, string>>;
}

function isKind(other: Loaded<OtherObject>, kind: string, group: string): boolean {
  const { apiVersion } = other.resource;
  return (
    other.resource.kind === kind &&
    (group === '' ? apiVersion === 'v1' : apiVersion.startsWith(`${group}/`))
  );
}

function hasBudgetAnnotations(annotations: Readonly<Record<string, string>>): boolean {
  return [clientKeysAnnotation, priceCatalogAnnotation].some((a) => a in annotations);
}

function configObject(other: Loaded<OtherObject>): GatewayConfigObject {
  return {
    loaded: other,
    where: `${other.file}: ${objectLabel('GatewayConfig', other)}`,
    annotations: other.resource.metadata.annotations ?? {},
  };
}

/** The GatewayConfigs that carry one of our annotations; those no Gateway names are problems. */
function annotatedConfigs(resources: ResourceSet, problems: string[]): GatewayConfigObject[] {
  const named = new Set(
    resources.gateways.flatMap((g) => {
      const name = g.resource.metadata.annotations?.[gatewayConfigAnnotation];
      return name === undefined ? [] : [`${g.namespace}/${name}`];
    }),
  );
  const found: GatewayConfigObject[] = [];
  for (const other of resources.others) {
    if (!isKind(other, 'GatewayConfig', 'aigateway.envoyproxy.io')) continue;
    const config = configObject(other);
    if (!hasBudgetAnnotations(config.annotations)) continue;
    if (!named.has(`${other.namespace}/${other.name}`)) {
      problems.push(
        `${config.where}: metadata.annotations: no Gateway names this GatewayConfig (annotation ${gatewayConfigAnnotation}), so its client keys and prices would apply nowhere`,
      );
      continue;
    }
    found.push(config);
  }
  return found;
}

/** The digests of a client-keys Secret, or problems naming the entry (never its value). */
function clientKeys(
  resources: ResourceSet,
  config: GatewayConfigObject,
  problems: string[],
): TenantsInput | undefined {
  const secretName = config.annotations[clientKeysAnnotation];
  if (secretName === undefined) return undefined;
  const at = `${config.where}: metadata.annotations[${clientKeysAnnotation}]`;
  const secret = resources.secrets.find(
    (s) => s.namespace === config.loaded.namespace && s.name === secretName,
  );
  if (!secret) {
    problems.push(`${at}: Secret ${config.loaded.namespace}/${secretName} not found`);
    return undefined;
  }
  const required = config.annotations[clientKeysRequiredAnnotation] ?? 'true';
  if (required !== 'true' && required !== 'false') {
    problems.push(
      `${config.where}: metadata.annotations[${clientKeysRequiredAnnotation}]: expected "true" or "false"`,
    );
  }
  const where = `${secret.file}: ${objectLabel('Secret', secret)}`;
  const tenants = [
    ...new Set([
      ...Object.keys(secret.resource.stringData ?? {}),
      ...Object.keys(secret.resource.data ?? {}),
    ]),
  ];
  const keys: { tenant: string; sha256: string }[] = [];
  for (const tenant of tenants) {
    const digests = (secretValue(secret.resource, tenant) ?? '').split(/[\s,]+/).filter(Boolean);
    digests.forEach((digest, i) => {
      const normalised = digest.toLowerCase();
      if (digestPattern.test(normalised)) keys.push({ tenant, sha256: normalised });
      else
        problems.push(
          `${where}: data[${tenant}]: value ${String(i + 1)} is not a SHA-256 digest (64 hex digits); store what \`aigw hash-key\` prints, never the key itself`,
        );
    });
  }
  if (keys.length === 0 && tenants.length === 0) {
    problems.push(`${where}: no client keys (one entry per tenant: <tenant>: <sha256 digest>)`);
  }
  return { required: required !== 'false', keys };
}

/** The price catalog of a ConfigMap, validated; problems name `data[prices.yaml]` and the field. */
function priceCatalog(
  resources: ResourceSet,
  config: GatewayConfigObject,
  { problems, backends }: { readonly problems: string[]; readonly backends: ReadonlySet<string> },
): Prices | undefined {
  const mapName = config.annotations[priceCatalogAnnotation];
  if (mapName === undefined) return undefined;
  const { namespace } = config.loaded;
  const configMap = resources.others.find(
    (o) => isKind(o, 'ConfigMap', '') && o.namespace === namespace && o.name === mapName,
  );
  if (!configMap) {
    problems.push(
      `${config.where}: metadata.annotations[${priceCatalogAnnotation}]: ConfigMap ${namespace}/${mapName} not found`,
    );
    return undefined;
  }
  const where = `${configMap.file}: ${objectLabel('ConfigMap', configMap)}: data[${priceCatalogKey}]`;
  const text = (configMap.resource as { data?: Record<string, unknown> }).data?.[priceCatalogKey];
  if (typeof text !== 'string') {
    problems.push(`${where}: required (the price catalog, YAML)`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    problems.push(`${where}: not YAML: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const parsed = FilterConfigSchema.safeParse({ version: filterConfigVersion, prices: raw });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${where}: ${formatZodIssue({ ...issue, path: issue.path.slice(1) })}`);
    }
    return undefined;
  }
  const prices = parsed.data.prices;
  if (!prices) {
    problems.push(`${where}: empty`);
    return undefined;
  }
  // A backend is `namespace/name` or a name in the ConfigMap's namespace; it must exist.
  const models = prices.models.map((m, i) => {
    if (m.backend === undefined) return m;
    const backend = m.backend.includes('/') ? m.backend : `${namespace}/${m.backend}`;
    if (!backends.has(backend)) {
      problems.push(
        `${where}: models[${String(i)}].backend: AIServiceBackend ${backend} not found`,
      );
    }
    return { ...m, backend };
  });
  return { ...prices, models };
}

/** The price of `model` on `backend` as the extproc looks it up (apps/extproc budget/price.ts). */
function hasPrice(prices: Prices, backend: string, model: string): boolean {
  return (
    prices.default !== undefined ||
    prices.models.some(
      (m) =>
        (m.backend === undefined || m.backend === backend) &&
        (m.model.endsWith('*') ? model.startsWith(m.model.slice(0, -1)) : model === m.model),
    )
  );
}

/**
 * One route rule as the missing-price check reads it: where it is (`<file>: AIGatewayRoute ns/r:
 * spec.rules[i]`), the models it names exactly (its `x-ai-eg-model` Exact matches) and where each
 * backendRef sends them.
 */
export interface PricedRule {
  readonly where: string;
  readonly models: readonly string[];
  readonly refs: readonly {
    readonly index: number;
    /** The AIServiceBackend, `namespace/name`. */
    readonly backend: string;
    readonly modelNameOverride?: string | undefined;
  }[];
}

/** The exact model names of header matches (`x-ai-eg-model`, type Exact by default). */
function exactModelsOf(
  matches: readonly (readonly { name: string; value: string; type?: string | undefined }[])[],
): string[] {
  return matches.flatMap((headers) =>
    headers
      .filter((h) => h.name.toLowerCase() === modelHeader && (h.type ?? 'Exact') === 'Exact')
      .map((h) => h.value),
  );
}

/** The {@link PricedRule}s of planned rules (`aigw run`, `aigw translate`). */
export function pricedRulesOfPlan(rules: readonly PlannedRule[]): PricedRule[] {
  return rules.map((rule) => ({
    where: `${rule.route.file}: ${objectLabel('AIGatewayRoute', rule.route)}: spec.rules[${String(rule.index)}]`,
    models: exactModelsOf(rule.matches),
    refs: rule.refs.map((ref) => ({
      index: ref.index,
      backend: `${ref.serviceBackend.namespace}/${ref.serviceBackend.name}`,
      modelNameOverride: ref.ref.modelNameOverride,
    })),
  }));
}

/** An AIGatewayRoute as read from a cluster, the fields {@link pricedRulesOfRoutes} reads. */
interface RouteObject {
  readonly metadata: { readonly namespace?: string | undefined; readonly name: string };
  readonly spec?: {
    readonly rules?: readonly {
      readonly matches?: readonly {
        readonly headers?: readonly { name: string; value: string; type?: string }[];
      }[];
      readonly backendRefs?: readonly {
        readonly name: string;
        readonly namespace?: string;
        readonly modelNameOverride?: string;
      }[];
    }[];
  };
}

/**
 * The {@link PricedRule}s of AIGatewayRoutes read from a cluster (the controller, which has
 * validated each route on its own and keeps no plan of a whole Gateway).
 */
export function pricedRulesOfRoutes(routes: readonly object[]): PricedRule[] {
  return (routes as readonly RouteObject[]).flatMap((route) => {
    const namespace = route.metadata.namespace ?? 'default';
    const label = objectLabel('AIGatewayRoute', { namespace, name: route.metadata.name });
    return (route.spec?.rules ?? []).map((rule, i) => ({
      where: `${label}: spec.rules[${String(i)}]`,
      models: exactModelsOf((rule.matches ?? []).map((m) => m.headers ?? [])),
      refs: (rule.backendRefs ?? []).map((ref, index) => ({
        index,
        backend: `${ref.namespace ?? namespace}/${ref.name}`,
        modelNameOverride: ref.modelNameOverride,
      })),
    }));
  });
}

/**
 * Every model a route names exactly (its model-header matches) that a backendRef would send
 * upstream (its `modelNameOverride`, else the model) must have a price: a problem naming the
 * route rule otherwise. Catch-all routes are checked per request by the extproc.
 */
function missingPrices(rules: readonly PricedRule[], prices: Prices, problems: string[]): void {
  for (const rule of rules) {
    const unpriced = rule.refs.flatMap((ref) =>
      rule.models
        .map((model) => ref.modelNameOverride || model)
        .filter((upstream) => !hasPrice(prices, ref.backend, upstream))
        .map((upstream) => ({ ref, upstream })),
    );
    for (const { ref, upstream } of unpriced) {
      problems.push(
        `${rule.where}.backendRefs[${String(ref.index)}]: model ${JSON.stringify(upstream)} on ${ref.backend} has no price in the price catalog (add it to ${priceCatalogKey}'s models, or set a default)`,
      );
    }
  }
}

/** A money budget (a BackendTrafficPolicy charging the catalog's key) needs a catalog. */
function moneyBudgetsWithoutCatalog(resources: ResourceSet, problems: string[]): void {
  for (const policy of resources.backendTrafficPolicies) {
    policy.resource.spec.rateLimit?.global.rules.forEach((rule, i) => {
      const key = rule.cost?.response?.metadata?.key;
      if (key !== defaultCostKey) return;
      problems.push(
        `${policy.file}: ${objectLabel('BackendTrafficPolicy', policy)}: spec.rateLimit.global.rules[${String(i)}].cost.response.metadata.key: charges ${defaultCostKey}, the cost in money, but no GatewayConfig has a price catalog (annotation ${priceCatalogAnnotation})`,
      );
    });
  }
}

/** The price catalog's default metadata key. */
const defaultCostKey = 'llm_cost';

/**
 * The tenants and price catalog of the gateway: from the GatewayConfigs the Gateways name
 * (`aigw run` serves every Gateway from one listener, so at most one of each).
 */
export function tenantBudgets(resources: ResourceSet, plan: Plan): TenantBudgets {
  const problems: string[] = [];
  let tenants: TenantsInput | undefined;
  let prices: Prices | undefined;
  const backends = existingBackends(resources);
  for (const config of annotatedConfigs(resources, problems)) {
    const keys = clientKeys(resources, config, problems);
    if (keys && tenants) {
      problems.push(
        `${config.where}: ${clientKeysAnnotation}: a second set of client keys (one per gateway)`,
      );
    } else if (keys) tenants = keys;
    const catalog = priceCatalog(resources, config, { problems, backends });
    if (catalog && prices) {
      problems.push(
        `${config.where}: ${priceCatalogAnnotation}: a second price catalog (one per gateway)`,
      );
    } else if (catalog) prices = catalog;
  }
  if (prices) missingPrices(pricedRulesOfPlan(plan.rules), prices, problems);
  else moneyBudgetsWithoutCatalog(resources, problems);
  return {
    config: {
      ...(tenants === undefined ? {} : { tenants }),
      ...(prices === undefined ? {} : { prices }),
    },
    problems,
  };
}

function existingBackends(resources: ResourceSet): ReadonlySet<string> {
  return new Set(resources.aiServiceBackends.map((b) => `${b.namespace}/${b.name}`));
}

/**
 * A price catalog that prices nothing: every model is refused (403) before it goes upstream.
 * ISO 4217's `XXX` is "no currency".
 */
const pricesNothing: Prices = {
  currency: 'XXX',
  metadataKey: defaultCostKey,
  budgetUnit: 'micro',
  models: [],
};

/**
 * What a Gateway gets while its GatewayConfig's Secret or ConfigMap is missing or unusable: fail
 * closed. No client keys (with `client-keys-required` true, the default, every request is a 401;
 * with `"false"` every request passes without a tenant, so only limits without a tenant selector
 * apply) and a catalog that prices nothing (every model a 403), never a gateway that checks no
 * key or a money budget that charges nothing.
 */
export function failClosedTenantBudgets(
  annotations: Readonly<Record<string, string>>,
): TenantBudgets['config'] {
  return {
    ...(annotations[clientKeysAnnotation] === undefined
      ? {}
      : {
          tenants: {
            required: annotations[clientKeysRequiredAnnotation] !== 'false',
            keys: [],
          },
        }),
    ...(annotations[priceCatalogAnnotation] === undefined ? {} : { prices: pricesNothing }),
  };
}

/** The GatewayConfig the Gateway `namespace/name` names, if it exists. */
function gatewayConfigOf(resources: ResourceSet, name: string): GatewayConfigObject | undefined {
  const gateway = resources.gateways.find((g) => `${g.namespace}/${g.name}` === name);
  const configName = gateway?.resource.metadata.annotations?.[gatewayConfigAnnotation];
  if (gateway === undefined || configName === undefined) return undefined;
  const other = resources.others.find(
    (o) =>
      isKind(o, 'GatewayConfig', 'aigateway.envoyproxy.io') &&
      o.namespace === gateway.namespace &&
      o.name === configName,
  );
  return other && configObject(other);
}

/** Options of {@link gatewayTenantBudgets}. */
export interface GatewayTenantBudgetsOptions {
  /** The Gateway, `namespace/name`: only the GatewayConfig it names is read. */
  readonly gateway: string;
  /** The rules of the routes attached to the Gateway (the missing-price check); default none. */
  readonly rules?: readonly PricedRule[];
  /** The AIServiceBackends that exist (`namespace/name`); default those of `resources`. */
  readonly backends?: ReadonlySet<string>;
}

/**
 * The tenants and price catalog of one Gateway (the controller and `aigw translate`, which write
 * one filter config per Gateway): from the GatewayConfig it names, with the same parsing and
 * problems as {@link tenantBudgets}. A client-keys Secret or price catalog that is missing or
 * unusable fails closed ({@link failClosedTenantBudgets}); a Secret entry that is not a digest is
 * left out (its tenant's other digests stay).
 */
export function gatewayTenantBudgets(
  resources: ResourceSet,
  options: GatewayTenantBudgetsOptions,
): TenantBudgets {
  const problems: string[] = [];
  const config = gatewayConfigOf(resources, options.gateway);
  if (!config || !hasBudgetAnnotations(config.annotations)) {
    const anyCatalog = resources.others.some(
      (o) => o.resource.metadata.annotations?.[priceCatalogAnnotation] !== undefined,
    );
    if (!anyCatalog) moneyBudgetsWithoutCatalog(resources, problems);
    return { config: {}, problems };
  }
  const closed = failClosedTenantBudgets(config.annotations);
  const tenants = clientKeys(resources, config, problems) ?? closed.tenants;
  const backends = options.backends ?? existingBackends(resources);
  const prices = priceCatalog(resources, config, { problems, backends });
  if (prices) missingPrices(options.rules ?? [], prices, problems);
  const catalog = prices ?? closed.prices;
  return {
    config: {
      ...(tenants === undefined ? {} : { tenants }),
      ...(catalog === undefined ? {} : { prices: catalog }),
    },
    problems,
  };
}
