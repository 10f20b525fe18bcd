import { TestkitError } from '../errors.js';
import type { Container, Pod, ResourceFieldRef } from './types.js';

/**
 * Every pod gets this address unless the agent is given another (`podIp`): the agent's processes
 * share the machine's network, like `hostNetwork` pods.
 */
export const podIp = '127.0.0.1';

/**
 * The value the downward API gives `fieldPath` of `pod` (`metadata.name`, `metadata.labels['k']`,
 * `status.podIP`, …).
 *
 * @throws TestkitError `invalid-argument` for a field the kubelet would not expose either.
 */
export function fieldValue(pod: Pod, fieldPath: string, ip: string = podIp): string {
  const meta = pod.metadata;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed !== null) {
    const map = keyed[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[keyed[2] ?? ''] ?? '';
  }
  const simple: Record<string, string | undefined> = {
    'metadata.name': meta.name,
    'metadata.namespace': meta.namespace ?? 'default',
    'metadata.uid': meta.uid,
    'metadata.labels': formatMap(meta.labels),
    'metadata.annotations': formatMap(meta.annotations),
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName': pod.spec.serviceAccountName ?? 'default',
    'status.podIP': ip,
    'status.podIPs': ip,
    'status.hostIP': ip,
    'status.hostIPs': ip,
  };
  if (!(fieldPath in simple)) {
    throw new TestkitError('invalid-argument', `downward API field ${fieldPath} is not supported`);
  }
  return simple[fieldPath] ?? '';
}

/**
 * The value of a `resourceFieldRef`: the container's limit (else request) as written, or `0`
 * when neither is set. Divisors are not applied (no test of ours needs them).
 */
export function resourceValue(pod: Pod, ref: ResourceFieldRef, container?: Container): string {
  const named =
    ref.containerName === undefined
      ? container
      : pod.spec.containers.find((c) => c.name === ref.containerName);
  const [kind = '', resource = ''] = ref.resource.split('.');
  const { limits = {}, requests = {} } = named?.resources ?? {};
  const value = kind === 'requests' ? requests[resource] : (limits[resource] ?? requests[resource]);
  return value ?? '0';
}

function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join('\n');
}
