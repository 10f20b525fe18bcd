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
