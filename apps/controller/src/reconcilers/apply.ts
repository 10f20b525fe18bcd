import { isDeepStrictEqual } from 'node:util';

import type { Kind, KubeObject, ReconcileContext } from '../runtime/contracts.js';

/**
 * Values the API server fills in when the applied object leaves them out (CRD defaults of Gateway
 * API v1.5 and Envoy Gateway v1.8, core defaults), by field path with `[]` for any list item. A
 * stored field we did not send is a difference unless it holds exactly its default here: so a
 * weight that went back to the default 1 (omitted) is still written, while the server's own
 * defaults never cause a write. A default missing from this table shows up as a write on every
 * restart (the resourceVersion tests catch it).
 */
const serverDefaults: Readonly<Record<string, unknown>> = {
  'spec.parentRefs[].group': 'gateway.networking.k8s.io',
  'spec.parentRefs[].kind': 'Gateway',
  'spec.rules[].backendRefs[].group': '',
  'spec.rules[].backendRefs[].kind': 'Service',
  'spec.rules[].backendRefs[].weight': 1,
  'spec.rules[].matches[].path.type': 'PathPrefix',
  'spec.rules[].matches[].headers[].type': 'Exact',
  type: 'Opaque',
};

/** Whether `stored` holds everything `desired` says; extra stored fields only as server defaults. */
function covers(desired: unknown, stored: unknown, path: string): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(stored) &&
      stored.length === desired.length &&
      desired.every((item, i) => covers(item, stored[i], `${path}[]`))
    );
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return false;
    return coversObject(
      desired as Record<string, unknown>,
      stored as Record<string, unknown>,
      path,
    );
  }
  return desired === stored;
}

function coversObject(
  want: Record<string, unknown>,
  have: Record<string, unknown>,
  path: string,
): boolean {
  const prefix = path === '' ? '' : `${path}.`;
  const extraAreDefaults = Object.entries(have).every(([key, value]) => {
    if (key in want) return true;
    const field = `${prefix}${key}`;
    return field in serverDefaults && isDeepStrictEqual(serverDefaults[field], value);
  });
  return (
    extraAreDefaults &&
    Object.entries(want).every(([key, value]) => covers(value, have[key], `${prefix}${key}`))
  );
}

/** Every entry of `desired` is in `stored` (other writers may add their own entries). */
function hasEntries(desired: unknown, stored: unknown): boolean {
  if (desired === undefined) return true;
  const have = (stored ?? {}) as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => have[k] === v);
}

function hasOwnerReferences(desired: readonly object[] | undefined, stored: unknown): boolean {
  if (desired === undefined) return true;
  const have = Array.isArray(stored) ? (stored as unknown[]) : [];
  return desired.every((ref) => have.some((h) => isDeepStrictEqual(h, ref)));
}

/**
 * Whether the stored object already is what the controller would apply: the fields it owns
 * (everything but metadata and status) equal up to server defaults, and its labels, annotations
 * and owner references present (others may add theirs; like upstream, labels and annotations
 * copied from a route are merged, never removed).
 */
export function isUpToDate(desired: KubeObject, stored: KubeObject): boolean {
  const { metadata: want, ...wantRest } = desired;
  const { metadata: have, ...rest } = stored;
  const haveRest = Object.fromEntries(Object.entries(rest).filter(([key]) => key !== 'status'));
  return (
    hasEntries(want.labels, have.labels) &&
    hasEntries(want.annotations, have.annotations) &&
    hasOwnerReferences(want.ownerReferences, have.ownerReferences) &&
    covers(wantRest, haveRest, '')
  );
}

/**
 * Server-side applies `desired` unless the cached object already matches it. Returns whether it
 * wrote.
 */
export async function applyIfChanged(
  context: ReconcileContext,
  kind: Kind,
  desired: KubeObject,
): Promise<boolean> {
  const stored = context.cache.get(kind, desired.metadata.namespace ?? '', desired.metadata.name);
  if (stored !== undefined && isUpToDate(desired, stored)) return false;
  await context.writer.apply(desired);
  return true;
}
