import type { GatewayRef } from '../kube/cluster-state.js';
import type { Pod } from '../admission.js';

/** Envoy Gateway's label naming the Gateway a proxy pod serves. */
export const owningGatewayNameLabel = 'gateway.envoyproxy.io/owning-gateway-name';

/** Envoy Gateway's label naming that Gateway's namespace. */
export const owningGatewayNamespaceLabel = 'gateway.envoyproxy.io/owning-gateway-namespace';

/** The injected container's name (upstream's). */
export const extprocContainerName = 'ai-gateway-extproc';

/** The Gateway a pod is an Envoy Gateway proxy of (both owning-gateway labels), if any. */
export function proxyGateway(pod: Pod): GatewayRef | undefined {
  const labels = pod.metadata?.labels ?? {};
  const name = labels[owningGatewayNameLabel];
  const namespace = labels[owningGatewayNamespaceLabel];
  if (!name || !namespace) return undefined;
  return { namespace, name };
}

/** Whether the pod already carries the extproc, as a container or a (native sidecar) init container. */
export function hasSidecar(pod: Pod): boolean {
  const named = (c: { name: string }): boolean => c.name === extprocContainerName;
  return pod.spec.containers.some(named) || (pod.spec.initContainers ?? []).some(named);
}
