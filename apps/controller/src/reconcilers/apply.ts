import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { filterConfigRoleLabel } from '@aigw/gateway-config';

import { internStrings } from '../runtime/cache.js';
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
  const { metadata: want } = desired;
  const { metadata: have } = stored;
  if (
    !hasEntries(want.labels, have.labels) ||
    !hasEntries(want.annotations, have.annotations) ||
    !hasOwnerReferences(want.ownerReferences, have.ownerReferences)
  ) {
    return false;
  }
  const storedDigest = digestOf(stored);
  if (storedDigest !== undefined)
    return storedDigest === (digestOf(desired) ?? specDigest(desired));
  if (digestOf(desired) !== undefined) return false; // a digest cannot be compared field by field
  return covers(withoutMetadata(desired), withoutMetadata(stored), '');
}

function withoutMetadata(object: KubeObject): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...object };
  delete rest['metadata'];
  delete rest['status'];
  return rest;
}

// --- digests ------------------------------------------------------------------------------------

/**
 * The field a {@link digested} object carries its digest in. Top-level and JSON-visible, so that
 * comparing two stored versions (`isRelevantUpdate`) sees a changed digest; no Kubernetes object
 * has such a field.
 */
const specDigestKey = 'specDigest';

/** The digest a {@link digested} object carries, undefined for a whole object. */
function digestOf(object: KubeObject): string | undefined {
  const digest = object[specDigestKey];
  return typeof digest === 'string' ? digest : undefined;
}

/** `value` without the fields that hold exactly their server default (see `serverDefaults`). */
function withoutDefaults(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutDefaults(item, `${path}[]`));
  if (typeof value !== 'object' || value === null) return value;
  const prefix = path === '' ? '' : `${path}.`;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = `${prefix}${key}`;
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    if (field in serverDefaults && isDeepStrictEqual(serverDefaults[field], item)) continue;
    out[key] = withoutDefaults(item, field);
  }
  return out;
}

/**
 * SHA-256 of the fields the controller owns (everything but metadata and status), with keys in
 * order and server defaults left out: equal digests mean {@link isUpToDate} would compare the
 * fields equal (the same rule: a stored field we did not send counts only as its default).
 */
export function specDigest(object: KubeObject): string {
  const text = JSON.stringify(withoutDefaults(withoutMetadata(object), ''));
  return createHash('sha256').update(text).digest('base64');
}

/** `object` with its fields other than metadata replaced by their digest. */
export function digested(object: KubeObject): KubeObject {
  if (digestOf(object) !== undefined) return object;
  const { apiVersion, kind, metadata } = object;
  const out: KubeObject = { apiVersion, kind, metadata, [specDigestKey]: specDigest(object) };
  // Kept long (route and layout memos, the cache): its repeated strings shared, like the cache's.
  internStrings(out);
  return out;
}

/**
 * What the cache keeps of an object the controller writes and never reads back: the HTTPRoutes
 * and HTTPRouteFilters it generates and its config Secrets are kept as metadata plus a digest of
 * the rest ({@link digested}); everything else whole. At 2,000 routes this is ~12 MiB less heap.
 */
export function compactCached(kind: Kind, object: KubeObject): KubeObject {
  if (kind === 'HTTPRoute' || kind === 'HTTPRouteFilter') return digested(object);
  if (kind === 'Secret' && object.metadata.labels?.[filterConfigRoleLabel] !== undefined) {
    return digested(object);
  }
  return object;
}

/** Whether the cached object of `kind` already is what applying `desired` would make it. */
export function isApplied(context: ReconcileContext, kind: Kind, desired: KubeObject): boolean {
  const stored = context.cache.get(kind, desired.metadata.namespace ?? '', desired.metadata.name);
  return stored !== undefined && isUpToDate(desired, stored);
}

/** A write of a {@link digested} object was attempted: a bug, the write would clear its spec. */
export class DigestedWriteError extends Error {
  readonly code = 'digested_write';
}

/**
 * Server-side applies `desired` unless the cached object already matches it. Returns whether it
 * wrote. `desired` must be whole when it differs (a digest cannot be written).
 */
export async function applyIfChanged(
  context: ReconcileContext,
  kind: Kind,
  desired: KubeObject,
): Promise<boolean> {
  if (isApplied(context, kind, desired)) return false;
  if (digestOf(desired) !== undefined) {
    throw new DigestedWriteError(
      `${kind} ${desired.metadata.namespace ?? ''}/${desired.metadata.name}: only a digest is known, regenerate it before writing`,
    );
  }
  await context.writer.apply(desired);
  return true;
}
