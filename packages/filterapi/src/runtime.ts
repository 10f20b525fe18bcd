import type { Backend, FilterConfig } from './schema.js';

// Built on first use per config and dropped with it: the extproc swaps whole configs on reload.
const backendIndexes = new WeakMap<FilterConfig, ReadonlyMap<string, Backend>>();

/**
 * Looks a backend up by its `name`, in constant time after the first call for `config`.
 * The extproc calls it on every upstream request with the name Envoy passes in route metadata.
 */
export function backendByName(config: FilterConfig, name: string): Backend | undefined {
  let index = backendIndexes.get(config);
  if (index === undefined) {
    index = new Map(config.backends.map((backend) => [backend.name, backend]));
    backendIndexes.set(config, index);
  }
  return index.get(name);
}

// `<ns>/<AIServiceBackend>/route/<route>/rule/<i>/ref/<j>`: Kubernetes names contain no `/`, so
// the first two segments are always the AIServiceBackend's namespace and name.
const perRouteRuleBackendName = /^([^/]+)\/([^/]+)\/route\/[^/]+\/rule\/\d+\/ref\/\d+$/;

/** The AIServiceBackend a backend entry stands for, as `namespace` and `name`. */
export interface ServiceBackendName {
  readonly namespace: string;
  readonly name: string;
}

/**
 * The AIServiceBackend behind a backend `name` written in the controller's
 * `<ns>/<backend>/route/<route>/rule/<i>/ref/<j>` form, or `undefined` for any other name (a
 * hand-written config may name backends freely). What cost scoping (`llmRequestCosts[].backend`)
 * and the `ai_service_backend_name` metadata compare against, as `namespace/name`.
 */
export function serviceBackendOf(name: string): ServiceBackendName | undefined {
  const match = perRouteRuleBackendName.exec(name);
  return match?.[1] && match[2] ? { namespace: match[1], name: match[2] } : undefined;
}
