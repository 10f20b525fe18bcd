import type { KubeObject } from '../runtime/contracts.js';

/**
 * The annotation on every HTTPRoute the controller generates while QuotaPolicies exist: the
 * checksum of what they generate (`quotaChecksumOf`). Envoy Gateway does not watch QuotaPolicies,
 * and it calls the extension server (which adds the budgets' rate limits) only when its own
 * translation result changes; it copies an HTTPRoute's `gateway.envoyproxy.io/` annotations into
 * that result (the route metadata of its xDS), so a new checksum makes it translate again and
 * call the hooks. Plain annotations and labels do not: Envoy Gateway v1.8.1 re-reads the route,
 * finds the same result and calls nothing (e2e/src/envoy-gateway-kubernetes.test.ts). Upstream
 * forces re-translation the same way (`gateway.envoyproxy.io/backend-ref-priority`).
 */
export const quotaChecksumAnnotation = 'gateway.envoyproxy.io/aigw-quota-checksum';

/**
 * `object` as it is written: a generated HTTPRoute with the quota checksum when there is one;
 * anything else (and an HTTPRoute without QuotaPolicies) unchanged.
 */
export function withQuotaChecksum(object: KubeObject, checksum: string | undefined): KubeObject {
  if (object.kind !== 'HTTPRoute' || checksum === undefined) return object;
  const annotations = { ...object.metadata.annotations, [quotaChecksumAnnotation]: checksum };
  return { ...object, metadata: { ...object.metadata, annotations } };
}

/**
 * Whether the stored HTTPRoute carries a checksum that `desired` (no QuotaPolicy left) no longer
 * has: applying `desired` removes it (server-side apply drops the field the controller stops
 * sending), which makes Envoy Gateway translate without the budgets.
 */
export function hasStaleQuotaChecksum(
  desired: KubeObject,
  stored: KubeObject | undefined,
): boolean {
  return (
    desired.kind === 'HTTPRoute' &&
    desired.metadata.annotations?.[quotaChecksumAnnotation] === undefined &&
    stored?.metadata.annotations?.[quotaChecksumAnnotation] !== undefined
  );
}
