import type { AIGatewayRoute } from '@aigw/api';

/**
 * The AIGatewayRoutes the hooks look up by the `namespace/name` of the HTTPRoute Envoy Gateway
 * translated (the controller gives the HTTPRoute the route's name). Filled from files (standalone)
 * or from the API server (a list + watch).
 */
export interface RouteStore {
  /** The route, or undefined when there is none of that name. */
  get(namespace: string, name: string): AIGatewayRoute | undefined;
  /** False until the first list (or file read) completed: hooks then fail rather than skip. */
  readonly isSynced: boolean;
  /** Brings the store up to date before a hook reads it (file mode); absent when it is pushed to. */
  refresh?(): void;
}

/** A {@link RouteStore} over a map, replaced as a whole or per object. */
export class MapRouteStore implements RouteStore {
  #routes = new Map<string, AIGatewayRoute>();
  #synced = false;

  get isSynced(): boolean {
    return this.#synced;
  }

  get(namespace: string, name: string): AIGatewayRoute | undefined {
    return this.#routes.get(`${namespace}/${name}`);
  }

  /** Replaces every route (a full list or a file read) and marks the store synced. */
  replace(routes: Iterable<AIGatewayRoute>): void {
    this.#routes = new Map([...routes].map((r) => [keyOf(r), r]));
    this.#synced = true;
  }

  upsert(route: AIGatewayRoute): void {
    this.#routes.set(keyOf(route), route);
  }

  delete(route: AIGatewayRoute): void {
    this.#routes.delete(keyOf(route));
  }

  get size(): number {
    return this.#routes.size;
  }
}

function keyOf(route: AIGatewayRoute): string {
  return `${route.metadata.namespace ?? 'default'}/${route.metadata.name ?? ''}`;
}
