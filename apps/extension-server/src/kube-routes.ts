import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { isDeepStrictEqual } from 'node:util';

import type { AIGatewayRoute } from '@aigw/api';
import { compareListOrder } from '@aigw/gateway-config';
import type { KubeConfig } from '@aigw/kube-config';
import type { Logger } from '@aigw/service-kit';

import { keyOf, MapRouteStore, type BudgetInput } from './route-store.js';

/** A resource the store lists and watches. */
export interface WatchedResource {
  readonly group: string;
  readonly version: string;
  /** The plural, as in the URL and in RBAC rules. */
  readonly resource: string;
  readonly kind: string;
}

/** What the hooks look routes up in. */
export const routeResource: WatchedResource = {
  group: 'aigateway.envoyproxy.io',
  version: 'v1beta1',
  resource: 'aigatewayroutes',
  kind: 'AIGatewayRoute',
};

/**
 * What token budgets are generated from besides the routes (as `aigw run` reads them from files):
 * the budgets themselves, what the routes' backendRefs resolve to, and the Gateways a budget or a
 * route's `parentRefs` may name. Not BackendSecurityPolicies nor Secrets: the limits do not
 * depend on credentials, and the extension server has no business reading them.
 */
export const budgetResources: readonly WatchedResource[] = [
  {
    group: 'aigateway.envoyproxy.io',
    version: 'v1beta1',
    resource: 'aiservicebackends',
    kind: 'AIServiceBackend',
  },
  {
    group: 'aigateway.envoyproxy.io',
    version: 'v1alpha1',
    resource: 'quotapolicies',
    kind: 'QuotaPolicy',
  },
  { group: 'gateway.envoyproxy.io', version: 'v1alpha1', resource: 'backends', kind: 'Backend' },
  {
    group: 'gateway.envoyproxy.io',
    version: 'v1alpha1',
    resource: 'backendtrafficpolicies',
    kind: 'BackendTrafficPolicy',
  },
  { group: 'gateway.networking.k8s.io', version: 'v1', resource: 'gateways', kind: 'Gateway' },
];

/** Every resource the store watches: the routes, and with budgets {@link budgetResources}. */
export function watchedResources(options: { readonly budgets: boolean }): WatchedResource[] {
  return options.budgets ? [routeResource, ...budgetResources] : [routeResource];
}

/** Options of {@link KubeRouteStore}. */
export interface KubeRouteStoreOptions {
  readonly kube: KubeConfig;
  readonly log: Logger;
  /** Only this namespace; default all. */
  readonly namespace?: string | undefined;
  /** Also watch {@link budgetResources}, the input of the token budgets (default false). */
  readonly budgets?: boolean;
  /** Delay before a list after a failed list or a watch that ended (default 1 s). */
  readonly retryMs?: number;
}

/** A Kubernetes object as listed: what the store keeps of it. */
type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: { namespace?: string; name?: string; resourceVersion?: string } & Record<
    string,
    unknown
  >;
} & Record<string, unknown>;

interface ObjectList {
  metadata: { resourceVersion?: string };
  items: KubeObject[];
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number };
}

/** Set by the API server, never read by the generation: not kept (nor counted as a change). */
const serverMetadata = ['managedFields', 'resourceVersion', 'selfLink', 'generation'] as const;

/** The object as the generation reads it: with its kind, without status and server metadata. */
function stored(object: KubeObject, resource: WatchedResource): KubeObject {
  const metadata = { ...object.metadata };
  for (const field of serverMetadata) Reflect.deleteProperty(metadata, field);
  const copy: KubeObject = {
    ...object,
    apiVersion: object.apiVersion ?? `${resource.group}/${resource.version}`,
    kind: object.kind ?? resource.kind,
    metadata,
  };
  Reflect.deleteProperty(copy, 'status');
  return copy;
}

/**
 * API server mode: AIGatewayRoutes (and, with budgets, {@link budgetResources}) from a list per
 * resource, kept current by a watch (an informer without resync: the hooks only read). A watch
 * that ends or fails is resumed from the last resourceVersion; a 410 (expired) starts over with a
 * list. Synced once every resource was listed.
 */
export class KubeRouteStore extends MapRouteStore {
  readonly #options: KubeRouteStoreOptions;
  readonly #resources: readonly WatchedResource[];
  /** Objects by resource plural, then `namespace/name` (the routes live in the base map too). */
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #listed = new Set<string>();
  #closed = false;
  readonly #current = new Set<IncomingMessage>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: KubeRouteStoreOptions) {
    super();
    this.#options = options;
    this.#resources = watchedResources({ budgets: options.budgets === true });
  }

  override get isSynced(): boolean {
    return this.#listed.size === this.#resources.length;
  }

  /** Every watched object: the same generation input as the files of `--routes`. */
  override budgetInput(): BudgetInput {
    // In the API server's list order (namespace, then name) whatever order the watch added them
    // in: quota numbering (`aigw_quota_<n>`) must match the controller's.
    const documents = [...this.#objects.values()].flatMap((byName) =>
      [...byName.values()].sort(compareListOrder),
    );
    return { version: this.version, files: [{ path: 'api-server', text: '', documents }] };
  }

  #path(resource: WatchedResource): string {
    const ns = this.#options.namespace;
    const namespaced = ns ? `/namespaces/${ns}` : '';
    return `/apis/${resource.group}/${resource.version}${namespaced}/${resource.resource}`;
  }

  /** Starts listing and watching; resolves after the first successful list of every resource. */
  async start(): Promise<void> {
    await Promise.all(
      this.#resources.map(
        (resource) =>
          new Promise<void>((resolve) => {
            this.#loop(resource, resolve);
          }),
      ),
    );
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    for (const res of this.#current) res.destroy();
  }

  #loop(resource: WatchedResource, onListed: () => void): void {
    if (this.#closed) return;
    this.#get(this.#path(resource))
      .then(async (res) => {
        const body = await text(res);
        if (res.statusCode !== 200) {
          throw new Error(`list ${resource.resource}: HTTP ${String(res.statusCode)}: ${body}`);
        }
        const list = JSON.parse(body) as ObjectList;
        this.#replace(resource, list.items);
        this.#options.log.info(
          { resource: resource.resource, objects: list.items.length },
          'listed',
        );
        onListed();
        await this.#watch(resource, list.metadata.resourceVersion ?? '');
      })
      .catch((err: unknown) => {
        if (!this.#closed) {
          this.#options.log.warn({ err, resource: resource.resource }, 'list/watch failed');
        }
      })
      .finally(() => {
        if (this.#closed) return;
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#loop(resource, onListed);
        }, this.#options.retryMs ?? 1000);
        this.#timers.add(timer);
      });
  }

  #replace(resource: WatchedResource, items: readonly KubeObject[]): void {
    const objects = items.map((item) => stored(item, resource));
    this.#objects.set(resource.resource, new Map(objects.map((o) => [keyOf(o), o])));
    if (resource === routeResource) this.replace(objects as unknown as AIGatewayRoute[]);
    else this.changed();
    this.#listed.add(resource.resource);
  }

  async #watch(resource: WatchedResource, resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    const query = `?watch=1&allowWatchBookmarks=true&resourceVersion=`;
    while (!this.#closed) {
      const res = await this.#get(`${this.#path(resource)}${query}${encodeURIComponent(rv)}`);
      if (res.statusCode !== 200) {
        throw new Error(`watch ${resource.resource}: HTTP ${String(res.statusCode)}`);
      }
      let buffered = '';
      for await (const chunk of res) {
        buffered += String(chunk);
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) rv = this.#apply(resource, line, rv);
      }
      this.#current.delete(res);
    }
  }

  /** Applies one watch event line; returns the resourceVersion to resume from. */
  #apply(resource: WatchedResource, line: string, rv: string): string {
    if (line.trim() === '') return rv;
    const event = JSON.parse(line) as WatchEvent;
    // 410 Gone: the resourceVersion is too old; the caller relists.
    if (event.type === 'ERROR') throw new Error(`watch: ${String(event.object.code)}`);
    const next = event.object.metadata.resourceVersion ?? rv;
    if (event.type === 'BOOKMARK') return next;
    const object = stored(event.object, resource);
    const byName = this.#objects.get(resource.resource) ?? new Map<string, KubeObject>();
    this.#objects.set(resource.resource, byName);
    const key = keyOf(object);
    // A status-only update leaves what the hooks and the generation read unchanged.
    if (event.type !== 'DELETED' && isDeepStrictEqual(byName.get(key), object)) return next;
    if (event.type === 'DELETED') byName.delete(key);
    else byName.set(key, object);
    const route = object as unknown as AIGatewayRoute;
    if (resource !== routeResource) this.changed();
    else if (event.type === 'DELETED') this.delete(route);
    else this.upsert(route);
    return next;
  }

  async #get(path: string): Promise<IncomingMessage> {
    const { kube } = this.#options;
    const options = await kube.requestOptions();
    const url = new URL(path, kube.server);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { ...options, method: 'GET' }, (res) => {
        this.#current.add(res);
        res.on('close', () => this.#current.delete(res));
        resolve(res);
      });
      req.on('error', reject);
      req.end();
    });
  }
}

async function text(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return body;
}
