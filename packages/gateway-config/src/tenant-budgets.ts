import {
  FilterConfigSchema,
  filterConfigVersion,
  type FilterConfigInput,
  type Prices,
} from '@aigw/filterapi';
import { parse as parseYaml } from 'yaml';

import { gatewayConfigAnnotation } from './gateway-configs.js';
import type { OtherObject } from './kube-types.js';
import { modelHeader, type Plan } from './plan.js';
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
    const annotations = other.resource.metadata.annotations ?? {};
    if (![clientKeysAnnotation, priceCatalogAnnotation].some((a) => a in annotations)) continue;
    const where = `${other.file}: ${objectLabel('GatewayConfig', other)}`;
    if (!named.has(`${other.namespace}/${other.name}`)) {
      problems.push(
        `${where}: metadata.annotations: no Gateway names this GatewayConfig (annotation ${gatewayConfigAnnotation}), so its client keys and prices would apply nowhere`,
      );
      continue;
    }
    found.push({ loaded: other, where, annotations });
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
  problems: string[],
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
  const backends = new Set(resources.aiServiceBackends.map((b) => `${b.namespace}/${b.name}`));
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
 * Every model a route names exactly (its model-header matches) that a backendRef would send
 * upstream (its `modelNameOverride`, else the model) must have a price: a problem naming the
 * route rule otherwise. Catch-all routes are checked per request by the extproc.
 */
function missingPrices(plan: Plan, prices: Prices, problems: string[]): void {
  for (const rule of plan.rules) {
    const models = rule.matches.flatMap((headers) =>
      headers
        .filter((h) => h.name.toLowerCase() === modelHeader && (h.type ?? 'Exact') === 'Exact')
        .map((h) => h.value),
    );
    const unpriced = rule.refs.flatMap((ref) => {
      const backend = `${ref.serviceBackend.namespace}/${ref.serviceBackend.name}`;
      return models
        .map((model) => ref.ref.modelNameOverride || model)
        .filter((upstream) => !hasPrice(prices, backend, upstream))
        .map((upstream) => ({ ref, backend, upstream }));
    });
    for (const { ref, backend, upstream } of unpriced) {
      problems.push(
        `${rule.route.file}: ${objectLabel('AIGatewayRoute', rule.route)}: spec.rules[${String(rule.index)}].backendRefs[${String(ref.index)}]: model ${JSON.stringify(upstream)} on ${backend} has no price in the price catalog (add it to ${priceCatalogKey}'s models, or set a default)`,
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
  for (const config of annotatedConfigs(resources, problems)) {
    const keys = clientKeys(resources, config, problems);
    if (keys && tenants) {
      problems.push(
        `${config.where}: ${clientKeysAnnotation}: a second set of client keys (one per gateway)`,
      );
    } else if (keys) tenants = keys;
    const catalog = priceCatalog(resources, config, problems);
    if (catalog && prices) {
      problems.push(
        `${config.where}: ${priceCatalogAnnotation}: a second price catalog (one per gateway)`,
      );
    } else if (catalog) prices = catalog;
  }
  if (prices) missingPrices(plan, prices, problems);
  else moneyBudgetsWithoutCatalog(resources, problems);
  return {
    config: {
      ...(tenants === undefined ? {} : { tenants }),
      ...(prices === undefined ? {} : { prices }),
    },
    problems,
  };
}
