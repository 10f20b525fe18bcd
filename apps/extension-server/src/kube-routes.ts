import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';

import type { AIGatewayRoute } from '@aigw/api';
import type { KubeConfig } from '@aigw/kube-config';
import type { Logger } from '@aigw/service-kit';

import { MapRouteStore } from './route-store.js';

/** Options of {@link KubeRouteStore}. */
export interface KubeRouteStoreOptions {
  readonly kube: KubeConfig;
  readonly log: Logger;
  /** Only this namespace; default all. */
  readonly namespace?: string | undefined;
  /** Delay before a list after a failed list or a watch that ended (default 1 s). */
  readonly retryMs?: number;
}

interface RouteList {
  metadata: { resourceVersion?: string };
  items: AIGatewayRoute[];
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: AIGatewayRoute & { metadata: { resourceVersion?: string }; code?: number };
}

/**
 * API server mode: AIGatewayRoutes from a list, kept current by a watch (an informer without
 * resync: the hooks only read). A watch that ends or fails is resumed from the last
 * resourceVersion; a 410 (expired) starts over with a list.
 */
export class KubeRouteStore extends MapRouteStore {
  readonly #options: KubeRouteStoreOptions;
  #closed = false;
  #current: IncomingMessage | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: KubeRouteStoreOptions) {
    super();
    this.#options = options;
  }

  get #path(): string {
    const ns = this.#options.namespace;
    return `/apis/aigateway.envoyproxy.io/v1beta1${ns ? `/namespaces/${ns}` : ''}/aigatewayroutes`;
  }

  /** Starts listing and watching; resolves after the first successful list. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#loop(resolve);
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#current?.destroy();
  }

  #loop(onSynced: () => void): void {
    if (this.#closed) return;
    this.#get(this.#path)
      .then(async (res) => {
        const list = JSON.parse(await text(res)) as RouteList;
        if (res.statusCode !== 200) throw new Error(`list: HTTP ${String(res.statusCode)}`);
        this.replace(list.items);
        this.#options.log.info({ routes: list.items.length }, 'AIGatewayRoutes listed');
        onSynced();
        await this.#watch(list.metadata.resourceVersion ?? '');
      })
      .catch((err: unknown) => {
        if (!this.#closed) this.#options.log.warn({ err }, 'AIGatewayRoute list/watch failed');
      })
      .finally(() => {
        if (this.#closed) return;
        this.#timer = setTimeout(() => {
          this.#loop(onSynced);
        }, this.#options.retryMs ?? 1000);
      });
  }

  async #watch(resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    while (!this.#closed) {
      const res = await this.#get(
        `${this.#path}?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(rv)}`,
      );
      if (res.statusCode !== 200) throw new Error(`watch: HTTP ${String(res.statusCode)}`);
      let buffered = '';
      for await (const chunk of res) {
        buffered += String(chunk);
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) rv = this.#apply(line, rv);
      }
    }
  }

  /** Applies one watch event line; returns the resourceVersion to resume from. */
  #apply(line: string, rv: string): string {
    if (line.trim() === '') return rv;
    const event = JSON.parse(line) as WatchEvent;
    // 410 Gone: the resourceVersion is too old; the caller relists.
    if (event.type === 'ERROR') throw new Error(`watch: ${String(event.object.code)}`);
    if (event.type === 'ADDED' || event.type === 'MODIFIED') this.upsert(event.object);
    if (event.type === 'DELETED') this.delete(event.object);
    return event.object.metadata.resourceVersion ?? rv;
  }

  async #get(path: string): Promise<IncomingMessage> {
    const { kube } = this.#options;
    const options = await kube.requestOptions();
    const url = new URL(path, kube.server);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { ...options, method: 'GET' }, (res) => {
        this.#current = res;
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
