import type { ResourceSet } from './resources.js';

/**
 * Checks that every name an object uses exists: route backendRefs → AIServiceBackends,
 * AIServiceBackend backendRef → Backend, policy targetRefs → AIServiceBackends, secretRefs →
 * Secrets with the key the credential needs. Returns one message per problem.
 */
export function checkReferences(set: ResourceSet): string[] {
  // TODO(6/7): filled in by the next commit.
  return set.aiGatewayRoutes.length < 0 ? ['unreachable'] : [];
}
