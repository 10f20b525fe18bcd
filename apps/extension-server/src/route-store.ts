import type { AIGatewayRoute } from '@aigw/api';
import type { SourceFile } from '@aigw/gateway-config';

/**
 * What token budgets are generated from, the same in both modes: `@aigw/gateway-config` source
 * files (the YAML files of `--routes`, or one pseudo file holding the objects listed from the API
 * server), and a version that changes whenever they do, so the generation runs once per change.
 */
export interface BudgetInput {
  readonly version: number;
  readonly files: readonly SourceFile[];
}

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
  /** The input of the token-budget generation (both modes give the same kind of input). */
  budgetInput(): BudgetInput;
}

/** A {@link RouteStore} over a map, replaced as a whole or per object. */
export class MapRouteStore implements RouteStore {
  #routes = new Map<string, AIGatewayRoute>();
  #synced = false;
  #version = 0;

  get isSynced(): boolean {
    return this.#synced;
  }

  get(namespace: string, name: string): AIGatewayRoute | undefined {
    return this.#routes.get(`${namespace}/${name}`);
  }

  /** The routes as the budget generation's input (subclasses with more objects override it). */
  budgetInput(): BudgetInput {
    return {
      version: this.#version,
      files: [{ path: 'routes', text: '', documents: [...this.#routes.values()].map(plain) }],
    };
  }

  /** The version {@link budgetInput} reports: bumped on every change. */
  protected get version(): number {
    return this.#version;
  }

  /** Marks a change of anything {@link budgetInput} returns. */
  protected changed(): void {
    this.#version += 1;
  }

  /** Replaces every route (a full list or a file read) and marks the store synced. */
  replace(routes: Iterable<AIGatewayRoute>): void {
    this.#routes = new Map([...routes].map((r) => [keyOf(r), r]));
    this.changed();
    this.#synced = true;
  }

  upsert(route: AIGatewayRoute): void {
    this.#routes.set(keyOf(route), route);
    this.changed();
  }

  delete(route: AIGatewayRoute): void {
    this.#routes.delete(keyOf(route));
    this.changed();
  }

  get size(): number {
    return this.#routes.size;
  }
}

/** `namespace/name` of an object (namespace `default` when absent). */
export function keyOf(object: {
  readonly metadata?: { readonly namespace?: string | undefined; readonly name?: string };
}): string {
  return `${object.metadata?.namespace ?? 'default'}/${object.metadata?.name ?? ''}`;
}

/** A route as a generation input document. */
const plain = (route: AIGatewayRoute): Readonly<Record<string, unknown>> => ({ ...route });
