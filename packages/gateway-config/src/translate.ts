import type { ResourceSet } from './resource-set.js';

/**
 * The Kubernetes objects the controller creates for `resources` (HTTPRoutes, HTTPRouteFilters, the
 * extproc config Secret), followed by the user's own non-AI objects, unchanged.
 */
export function translateToKubernetes(resources: ResourceSet): object[] {
  // TODO(6/7): filled in by the next commits.
  throw new Error(
    `translateToKubernetes: not implemented yet (${String(resources.aiGatewayRoutes.length)} routes)`,
  );
}
