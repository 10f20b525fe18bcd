import type { JsonPatchAdd, Pod } from '../admission.js';
import { WebhookError } from '../errors.js';
import type { Sidecar } from './sidecar.js';

/** Escapes one JSON-pointer segment (RFC 6901). */
const pointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Appends `values` to the array at `path`: one `add` of the whole array when the field is
 * absent, else one `add …/-` per value (RFC 6902 has no "create or append").
 */
function append(
  path: string,
  existing: readonly unknown[] | undefined,
  values: readonly unknown[],
): JsonPatchAdd[] {
  if (values.length === 0) return [];
  if (existing === undefined) return [{ op: 'add', path, value: values }];
  return values.map((value) => ({ op: 'add', path: `${path}/-`, value }));
}

/**
 * The JSON patch adding `sidecar` to `pod`: the volumes it lacks, the extproc container (an init
 * container for a native sidecar), the socket mount on `envoy`, the image pull Secrets it lacks.
 * Volumes, mounts and pull Secrets already present by name are not added twice.
 *
 * @throws WebhookError `invalid_pod` when the pod has no `envoy` container (nothing would use
 *   the socket).
 */
export function sidecarPatch(pod: Pod, sidecar: Sidecar): JsonPatchAdd[] {
  const envoyIndex = pod.spec.containers.findIndex((c) => c.name === 'envoy');
  const envoy = pod.spec.containers[envoyIndex];
  if (envoy === undefined) {
    throw new WebhookError(
      'invalid_pod',
      `pod is labelled as an Envoy Gateway proxy but has no container named "envoy" (containers: ${pod.spec.containers.map((c) => c.name).join(', ')})`,
    );
  }
  const volumeNames = new Set((pod.spec.volumes ?? []).map((v) => v.name));
  const newVolumes = sidecar.volumes.filter((v) => !volumeNames.has(String(v['name'])));
  const pullNames = new Set((pod.spec.imagePullSecrets ?? []).map((s) => s.name));
  const newPulls = sidecar.imagePullSecrets
    .filter((name) => !pullNames.has(name))
    .map((name) => ({ name }));
  const mountName = String(sidecar.envoyMount['name']);
  const hasMount = (envoy.volumeMounts ?? []).some((m) => m.name === mountName);
  return [
    ...append('/spec/volumes', pod.spec.volumes, newVolumes),
    ...(sidecar.native
      ? append('/spec/initContainers', pod.spec.initContainers, [sidecar.container])
      : append('/spec/containers', pod.spec.containers, [sidecar.container])),
    ...(hasMount
      ? []
      : append(`/spec/containers/${pointer(String(envoyIndex))}/volumeMounts`, envoy.volumeMounts, [
          sidecar.envoyMount,
        ])),
    ...append('/spec/imagePullSecrets', pod.spec.imagePullSecrets, newPulls),
  ];
}
