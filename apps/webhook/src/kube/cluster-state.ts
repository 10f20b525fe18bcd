import type { GatewayConfigSpec } from '@aigw/api';
import { gatewayConfigAnnotation } from '@aigw/gateway-config';
import { WebhookError } from '../errors.js';
import { isKubeApiError, type KubeClient } from './kube-client.js';

/** A Gateway by namespace and name (the pod's owning-gateway labels). */
export interface GatewayRef {
  readonly namespace: string;
  readonly name: string;
}

/** A Kubernetes minor version, as `/version` reports it. */
export interface ServerVersion {
  readonly major: number;
  readonly minor: number;
}

/** What admitting one pod reads from the cluster. */
export interface ClusterReader {
  /** Whether any AIGatewayRoute names the Gateway in its `parentRefs`. */
  hasRoutes(gateway: GatewayRef): Promise<boolean>;
  /** The Gateway's GatewayConfig spec (annotation {@link gatewayConfigAnnotation}), if it names one. */
  gatewayConfig(gateway: GatewayRef): Promise<GatewayConfigSpec | undefined>;
  /** The API server's version. */
  serverVersion(): Promise<ServerVersion>;
}

type Loose = Record<string, unknown>;
const record = (v: unknown): Loose | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Loose) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Whether `route` (an AIGatewayRoute as listed) attaches to `gateway`: a parentRef of kind
 * Gateway (the default) in group `gateway.networking.k8s.io` (the default), whose namespace (the
 * route's by default) and name match.
 */
export function routeAttachesTo(route: unknown, gateway: GatewayRef): boolean {
  const routeNamespace = str(record(record(route)?.['metadata'])?.['namespace']);
  const refs = record(record(route)?.['spec'])?.['parentRefs'];
  if (!Array.isArray(refs)) return false;
  return refs.some((raw) => {
    const ref = record(raw);
    if (ref === undefined) return false;
    return (
      (str(ref['kind']) ?? 'Gateway') === 'Gateway' &&
      (str(ref['group']) ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io' &&
      str(ref['name']) === gateway.name &&
      (str(ref['namespace']) ?? routeNamespace) === gateway.namespace
    );
  });
}

/** Parses `/version`'s `major`/`minor` (`"1"`, `"33+"` on some distributions). */
export function parseServerVersion(body: unknown): ServerVersion {
  const major = Number.parseInt(str(record(body)?.['major']) ?? '', 10);
  const minor = Number.parseInt(str(record(body)?.['minor']) ?? '', 10);
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor)) {
    throw new WebhookError(
      'cluster_state',
      `the API server's /version has no usable major/minor: ${JSON.stringify(body).slice(0, 200)}`,
    );
  }
  return { major, minor };
}

/** Options of {@link ApiClusterReader}. */
export interface ApiClusterReaderOptions {
  readonly client: KubeClient;
  /** How long a route list that found routes for a Gateway is reused. */
  readonly routeCacheTtlMs: number;
  /** Epoch milliseconds (tests inject a clock). */
  readonly now?: () => number;
}

const routesPath = '/apis/aigateway.envoyproxy.io/v1beta1/aigatewayroutes';

/**
 * Reads what an admission needs straight from the API server. AIGatewayRoutes are listed (all
 * namespaces) and the list is reused for `routeCacheTtlMs` **only to say yes**: when the cached
 * list has no route for a Gateway, the routes are listed again, so a route created just before
 * its Gateway's pods is never missed (upstream falls back to an uncached list the same way). A
 * route deleted within the TTL can still get a pod its (idle) sidecar, which is harmless. No
 * watch: pods of Gateway proxies are created a few times a day, and a watch would keep every
 * route in memory for that.
 */
export class ApiClusterReader implements ClusterReader {
  readonly #client: KubeClient;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #routes: { readonly items: readonly unknown[]; readonly at: number } | undefined;
  #inflight: Promise<readonly unknown[]> | undefined;
  #version: Promise<ServerVersion> | undefined;

  constructor(options: ApiClusterReaderOptions) {
    this.#client = options.client;
    this.#ttlMs = options.routeCacheTtlMs;
    this.#now = options.now ?? Date.now;
  }

  async hasRoutes(gateway: GatewayRef): Promise<boolean> {
    const cached = this.#routes;
    if (cached && this.#now() - cached.at < this.#ttlMs) {
      if (cached.items.some((route) => routeAttachesTo(route, gateway))) return true;
    }
    const items = await this.#listRoutes();
    return items.some((route) => routeAttachesTo(route, gateway));
  }

  async gatewayConfig(gateway: GatewayRef): Promise<GatewayConfigSpec | undefined> {
    const where = `Gateway ${gateway.namespace}/${gateway.name}`;
    const found = await this.#read(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${enc(gateway.namespace)}/gateways/${enc(gateway.name)}`,
      where,
    );
    const annotations = record(record(record(found)?.['metadata'])?.['annotations']);
    const configName = str(annotations?.[gatewayConfigAnnotation]);
    if (configName === undefined || configName === '') return undefined;
    const configWhere = `GatewayConfig ${gateway.namespace}/${configName}`;
    const config = await this.#read(
      `/apis/aigateway.envoyproxy.io/v1beta1/namespaces/${enc(gateway.namespace)}/gatewayconfigs/${enc(configName)}`,
      configWhere,
    );
    if (config === undefined) {
      throw new WebhookError(
        'invalid_gateway_config',
        `${where} names ${configWhere} (annotation ${gatewayConfigAnnotation}), which does not exist`,
      );
    }
    return record(config)?.['spec'] ?? {};
  }

  async serverVersion(): Promise<ServerVersion> {
    this.#version ??= this.#read('/version', 'the API server version').then(parseServerVersion);
    // A failed read is not remembered: the next admission asks again.
    this.#version.catch(() => {
      this.#version = undefined;
    });
    return this.#version;
  }

  async #listRoutes(): Promise<readonly unknown[]> {
    // Pods of one Deployment arrive together: they share one list.
    this.#inflight ??= this.#read(routesPath, 'AIGatewayRoutes')
      .then((list) => {
        const items = record(list)?.['items'];
        const routes: readonly unknown[] = Array.isArray(items) ? items : [];
        this.#routes = { items: routes, at: this.#now() };
        return routes;
      })
      .finally(() => {
        this.#inflight = undefined;
      });
    return this.#inflight;
  }

  async #read(path: string, what: string): Promise<unknown> {
    try {
      return await this.#client.json(path);
    } catch (err) {
      if (!isKubeApiError(err)) throw err;
      throw new WebhookError('cluster_state', `cannot read ${what}: ${err.message}`, {
        cause: err,
      });
    }
  }
}

const enc = encodeURIComponent;
