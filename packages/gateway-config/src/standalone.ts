import { join } from 'node:path';

import { FilterConfigSchema, type FilterConfigInput } from '@aigw/filterapi';

import { bootstrap, discoveryResponse } from './envoy/bootstrap.js';
import { ruleCluster } from './envoy/clusters.js';
import type { EndpointLayout } from './envoy/endpoint-prefixes.js';
import { typeUrl } from './envoy/names.js';
import { gatewayListener } from './envoy/listener.js';
import { routeConfiguration } from './envoy/routes.js';
import type {
  Bootstrap,
  ClusterResource,
  DiscoveryResponse,
  Listener,
  RouteConfiguration,
} from './envoy/types.js';
import { ResourceError } from './errors.js';
import { buildFilterConfig, type CredentialRotation, type ModelEntry } from './filter-config.js';
import { gatewayGlobalCosts, unsupportedObjects } from './gateway-configs.js';
import { modelPatterns, planRoutes, type Plan } from './plan.js';
import { buildRateLimits, type RateLimitRules } from './rate-limit.js';
import { tenantBudgets } from './tenant-budgets.js';
import type { ResourceSet } from './resource-set.js';
import { formatZodIssue } from './zod-issues.js';

/** Where `aigw run` puts things; chosen by the caller, never read from the environment here. */
export interface StandaloneOptions {
  /** The gateway's listener port on 0.0.0.0 (the caller's default is 1975). */
  readonly listenPort: number;
  /** Envoy admin port, bound to 127.0.0.1 only. */
  readonly adminPort: number;
  /** Unix socket path of the extproc; the router and upstream filters both use it. */
  readonly extprocSocket: string;
  /** Absolute directory where the caller writes `files` and the `xds` files. */
  readonly stateDir: string;
  /**
   * Rate-limit service gRPC address. Pass it whenever the caller can run the limiter: the
   * bootstrap then has its cluster and the listener its filter, whether or not limits exist yet,
   * so limits added by a reload need neither a restart nor a listener drain. Start the limiter
   * when {@link StandaloneConfig.needsRateLimit} is true.
   */
  readonly rateLimit?: { readonly host: string; readonly port: number };
  /**
   * Where the endpoints are served (`aigw run --root-prefix/--endpoint-prefixes`; the caller
   * gives the extproc the same): routes match the root prefix, local replies judge the dialect by
   * the paths. Default: upstream's.
   */
  readonly endpoints?: EndpointLayout;
  /**
   * `/v1/models` entries beyond the routes' exact models: what the providers of catch-all routes
   * list (`aigw run` asks them for its embedded default).
   */
  readonly extraModels?: readonly ModelEntry[];
}

/** One route of the startup summary. */
export interface RouteSummary {
  /** `namespace/name/rule/<i>` of the AIGatewayRoute rule (also its Envoy cluster name). */
  readonly route: string;
  /** Models the rule matches: exact names, `~regex`, or `*` when it matches every model. */
  readonly models: readonly string[];
  /** `namespace/name` of the AIServiceBackends, in priority order. */
  readonly backends: readonly string[];
}

/** Everything `aigw run` writes before starting Envoy, the extproc and the limiter. */
export interface StandaloneConfig {
  /** Envoy bootstrap: admin, static extproc (+ ratelimit) clusters, runtime, file-based LDS/CDS. */
  readonly bootstrap: Bootstrap;
  /** File name relative to `stateDir` → discovery-response content; write clusters first. */
  readonly xds: StandaloneXds;
  /** The @aigw/filterapi document for the extproc's `--config` file. */
  readonly filterConfig: FilterConfigInput;
  /** Relative path under `stateDir` → content: credential files the filter config names. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * Credential files the filter config names whose content the caller obtains by exchange and
   * keeps fresh (one rotator each), absent from `files`: Azure client secrets and OIDC, GCP
   * service-account keys and workload identity federation, AWS OIDC.
   */
  readonly rotations: readonly CredentialRotation[];
  /** The apps/ratelimit rules file content, when any token limit or quota is configured. */
  readonly rateLimitRules?: RateLimitRules;
  /** True when the Envoy config calls the rate-limit service (the caller must run it). */
  readonly needsRateLimit: boolean;
  /** What the caller prints at startup. */
  readonly summary: { readonly address: string; readonly routes: readonly RouteSummary[] };
}

/** The xDS file names, relative to the state directory, in the order they must be written. */
export const xdsFiles = { cds: 'xds/cds.yaml', rds: 'xds/rds.yaml', lds: 'xds/lds.yaml' } as const;

/**
 * The xDS files of {@link StandaloneConfig}: clusters, routes, listener. (A type alias, not an
 * interface, so that it is assignable to a `Record<string, …>` of files.)
 */
export type StandaloneXds = {
  readonly [xdsFiles.cds]: DiscoveryResponse<ClusterResource>;
  readonly [xdsFiles.rds]: DiscoveryResponse<RouteConfiguration>;
  readonly [xdsFiles.lds]: DiscoveryResponse<Listener>;
};

/** Directory (relative to the state directory) of the credential files. */
export const credentialsDir = 'credentials';

/**
 * Generates the standalone gateway's configuration from loaded resources. Pure: the caller
 * writes `files`, `xds` (atomically: write a temporary file in the same directory, then rename
 * it over the target; clusters first), the filter config and the rules, then starts the
 * processes. Calling it again with changed resources and rewriting the same files reloads the
 * gateway without a restart (the bootstrap does not change for the same options).
 *
 * @throws ResourceError when the resources use something the standalone gateway cannot run.
 */
export function buildStandalone(
  resources: ResourceSet,
  options: StandaloneOptions,
): StandaloneConfig {
  const plan = planRoutes(resources);
  const problems: string[] = unsupportedObjects(resources, 'aigw run');
  const rateLimits = buildRateLimits(plan);
  problems.push(...rateLimits.problems);
  // One listener serves every Gateway: the global costs of each GatewayConfig a Gateway names.
  const globalCosts = resources.gateways.flatMap((g) =>
    gatewayGlobalCosts(resources, `${g.namespace}/${g.name}`),
  );
  const filter = buildFilterConfig(plan, {
    mode: 'standalone',
    credentialPath: (name) => join(options.stateDir, credentialsDir, name),
    extraCosts: [...rateLimits.costs, ...globalCosts],
    tokenReservation: rateLimits.tokenReservation,
    ...(options.extraModels === undefined ? {} : { extraModels: options.extraModels }),
  });
  problems.push(...filter.problems);
  // Client keys and the price catalog (docs/budgets.md "Tenants and money budgets").
  const budgets = tenantBudgets(resources, plan);
  problems.push(...budgets.problems);
  const filterConfig: FilterConfigInput = { ...filter.config, ...budgets.config };
  const clusters = plan.rules.map((rule) => ruleCluster(rule));
  problems.push(...clusters.flatMap((c) => c.problems));
  if (rateLimits.needsRateLimit && options.rateLimit === undefined) {
    problems.push(
      ...rateLimits.owners.map(
        (owner) => `${owner}: needs the rate-limit service, but no rate-limit address was given`,
      ),
    );
  }
  const parsed = FilterConfigSchema.safeParse(filterConfig);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `filter config: ${formatZodIssue(i)}`));
  }
  if (problems.length > 0) throw new ResourceError(problems);

  const xdsDir = join(options.stateDir, 'xds');
  const listener = gatewayListener({
    listenPort: options.listenPort,
    rdsPath: join(options.stateDir, xdsFiles.rds),
    watchedDirectory: xdsDir,
    withRateLimit: options.rateLimit !== undefined,
    ...(options.endpoints === undefined ? {} : { endpoints: options.endpoints }),
  });
  const routes = routeConfiguration(plan.rules, {
    rateLimits: rateLimits.routeRateLimits,
    ...(options.endpoints === undefined ? {} : { rootPrefix: options.endpoints.rootPrefix }),
  });
  return {
    bootstrap: bootstrap({
      adminPort: options.adminPort,
      extprocSocket: options.extprocSocket,
      rateLimit: options.rateLimit,
      ldsPath: join(options.stateDir, xdsFiles.lds),
      cdsPath: join(options.stateDir, xdsFiles.cds),
      watchedDirectory: xdsDir,
    }),
    xds: {
      [xdsFiles.cds]: discoveryResponse(
        clusters.map((c): ClusterResource => ({
          '@type': typeUrl('envoy.config.cluster.v3.Cluster'),
          ...c.cluster,
        })),
      ),
      [xdsFiles.rds]: discoveryResponse([routes]),
      [xdsFiles.lds]: discoveryResponse([listener]),
    },
    filterConfig,
    files: Object.fromEntries(
      Object.entries(filter.credentials).map(([name, content]) => [
        `${credentialsDir}/${name}`,
        content,
      ]),
    ),
    rotations: filter.rotations,
    ...(rateLimits.rules === undefined ? {} : { rateLimitRules: rateLimits.rules }),
    needsRateLimit: rateLimits.needsRateLimit,
    summary: summary(plan, options),
  };
}

function summary(plan: Plan, options: StandaloneOptions): StandaloneConfig['summary'] {
  return {
    address: `http://localhost:${String(options.listenPort)}`,
    routes: plan.rules.map((rule) => ({
      route: rule.id,
      models: modelPatterns(rule),
      backends: [...rule.refs]
        .sort((a, b) => a.priority - b.priority)
        .map((ref) => `${ref.serviceBackend.namespace}/${ref.serviceBackend.name}`),
    })),
  };
}
