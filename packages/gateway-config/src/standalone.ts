import type { ResourceSet } from './resource-set.js';

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
  /** Rate-limit service gRPC address, when the caller runs the limiter. */
  readonly rateLimit?: { readonly host: string; readonly port: number };
}

/** One route of the startup summary. */
export interface RouteSummary {
  /** `namespace/name` of the AIGatewayRoute plus `/rule/<i>`. */
  readonly route: string;
  /** Models the rule matches (exact values of `x-ai-eg-model`, or the regex as written). */
  readonly models: readonly string[];
  /** `namespace/name` of the AIServiceBackends, in priority order. */
  readonly backends: readonly string[];
}

/** Everything `aigw run` writes before starting Envoy, the extproc and the limiter. */
export interface StandaloneConfig {
  /** Envoy bootstrap: admin, static extproc (+ ratelimit) clusters, runtime, file-based LDS/CDS. */
  readonly bootstrap: object;
  /** File name relative to `stateDir` → discovery-response content; write clusters first. */
  readonly xds: Readonly<Record<string, object>>;
  /** The @aigw/filterapi document for the extproc's `--config` file. */
  readonly filterConfig: object;
  /** Relative path under `stateDir` → content: credential files the filter config names. */
  readonly files: Readonly<Record<string, string>>;
  /** The apps/ratelimit rules file content, when any token limit or quota is configured. */
  readonly rateLimitRules?: object;
  /** True when the Envoy config calls the rate-limit service (the caller must run it). */
  readonly needsRateLimit: boolean;
  /** What the caller prints at startup. */
  readonly summary: { readonly address: string; readonly routes: readonly RouteSummary[] };
}

/**
 * Generates the standalone gateway's configuration from loaded resources. Pure: the caller
 * writes the files.
 *
 * @throws ResourceError when the resources use something the standalone gateway cannot run.
 */
export function buildStandalone(
  resources: ResourceSet,
  options: StandaloneOptions,
): StandaloneConfig {
  // TODO(6/7): filled in by the next commits.
  throw new Error(
    `buildStandalone: not implemented yet (${String(resources.aiGatewayRoutes.length)} routes, port ${String(options.listenPort)})`,
  );
}
