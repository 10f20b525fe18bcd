import { watchedKinds, type Kind, type KubeObject, type ObjectCache } from './contracts.js';
import { keyOf } from './paths.js';

/** Maps an object to the keys it is found under in an index (none: not indexed). */
export type IndexFunction = (object: KubeObject) => readonly string[];

/**
 * An {@link ObjectCache} with secondary indexes, like controller-runtime's field indexes:
 * `index(kind, name, fn)` once, then `byIndex(kind, name, key)` answers "which objects of this kind
 * map to this key" without scanning.
 */
export interface IndexedObjectCache extends ObjectCache {
  /** Registers an index over `kind` (existing objects are indexed at once). */
  index(kind: Kind, name: string, fn: IndexFunction): void;
  /** Objects of `kind` whose index `name` yields `key`; throws if the index is unknown. */
  byIndex(kind: Kind, name: string, key: string): readonly KubeObject[];
}

interface Index {
  readonly fn: IndexFunction;
  /** index key → object keys */
  readonly entries: Map<string, Set<string>>;
  /** object key → index keys, to unindex on update and delete */
  readonly keysOf: Map<string, readonly string[]>;
}

/** Thrown by {@link InformerCache.byIndex} for an index nobody registered. */
export class UnknownIndexError extends Error {
  override readonly name = 'UnknownIndexError';
  readonly code = 'unknown-index';
}

/**
 * The objects the informers keep, per kind and namespace, plus their indexes. Informers write it
 * ({@link InformerCache.upsert}, {@link InformerCache.remove}); reconcilers only read it. Objects
 * are returned as stored: never mutate them.
 */
export class InformerCache implements IndexedObjectCache {
  private readonly objects = new Map<Kind, Map<string, Map<string, KubeObject>>>();
  private readonly indexes = new Map<Kind, Map<string, Index>>();

  /**
   * @param compact what is kept of an object stored (default: all of it); for objects the
   *   reconcilers only compare with what they would write (see `compactCached`).
   */
  constructor(private readonly compact?: (kind: Kind, object: KubeObject) => KubeObject) {
    for (const kind of watchedKinds) this.objects.set(kind, new Map());
  }

  get(kind: Kind, namespace: string, name: string): KubeObject | undefined {
    return this.byKind(kind).get(namespace)?.get(name);
  }

  list(kind: Kind, namespace?: string): readonly KubeObject[] {
    const byNamespace = this.byKind(kind);
    if (namespace !== undefined) return [...(byNamespace.get(namespace)?.values() ?? [])];
    const out: KubeObject[] = [];
    for (const objects of byNamespace.values()) out.push(...objects.values());
    return out;
  }

  /** How many objects of `kind` are cached. */
  size(kind: Kind): number {
    let n = 0;
    for (const objects of this.byKind(kind).values()) n += objects.size;
    return n;
  }

  index(kind: Kind, name: string, fn: IndexFunction): void {
    let byName = this.indexes.get(kind);
    if (!byName) {
      byName = new Map();
      this.indexes.set(kind, byName);
    }
    const index: Index = { fn, entries: new Map(), keysOf: new Map() };
    byName.set(name, index);
    for (const object of this.list(kind)) addToIndex(index, object);
  }

  byIndex(kind: Kind, name: string, key: string): readonly KubeObject[] {
    const index = this.indexes.get(kind)?.get(name);
    if (!index) throw new UnknownIndexError(`no index "${name}" on ${kind}`);
    const out: KubeObject[] = [];
    for (const objectKey of index.entries.get(key) ?? []) {
      const slash = objectKey.indexOf('/');
      const object = this.get(kind, objectKey.slice(0, slash), objectKey.slice(slash + 1));
      if (object) out.push(object);
    }
    return out;
  }

  /** Stores (or replaces) an object; returns the previous version. */
  upsert(kind: Kind, whole: KubeObject): KubeObject | undefined {
    const object = this.compact ? this.compact(kind, whole) : whole;
    internStrings(object);
    const namespace = object.metadata.namespace ?? '';
    const byNamespace = this.byKind(kind);
    let objects = byNamespace.get(namespace);
    if (!objects) {
      objects = new Map();
      byNamespace.set(namespace, objects);
    }
    const previous = objects.get(object.metadata.name);
    objects.set(object.metadata.name, object);
    for (const index of this.indexes.get(kind)?.values() ?? []) {
      if (previous) removeFromIndex(index, previous);
      addToIndex(index, object);
    }
    return previous;
  }

  /**
   * Stores what a write returned, unless the cache already holds that version or a newer one
   * (client-go's mutation cache): a reconcile queued during a write then sees the write, not the
   * version before it, and does not send the same write again before the watch event arrives.
   * Returns whether it stored.
   */
  upsertIfNewer(kind: Kind, object: KubeObject): boolean {
    const cached = this.get(kind, object.metadata.namespace ?? '', object.metadata.name);
    if (
      cached &&
      !isNewerVersion(object.metadata.resourceVersion, cached.metadata.resourceVersion)
    ) {
      return false;
    }
    this.upsert(kind, object);
    return true;
  }

  /** Drops an object; returns what was stored. */
  remove(kind: Kind, namespace: string, name: string): KubeObject | undefined {
    const objects = this.byKind(kind).get(namespace);
    const previous = objects?.get(name);
    if (!objects || !previous) return undefined;
    objects.delete(name);
    if (objects.size === 0) this.byKind(kind).delete(namespace);
    for (const index of this.indexes.get(kind)?.values() ?? []) removeFromIndex(index, previous);
    return previous;
  }

  private byKind(kind: Kind): Map<string, Map<string, KubeObject>> {
    const byNamespace = this.objects.get(kind);
    if (!byNamespace) throw new TypeError(`not a watched kind: ${kind}`);
    return byNamespace;
  }
}

function objectKey(object: KubeObject): string {
  return keyOf(object.metadata.namespace ?? '', object.metadata.name);
}

function addToIndex(index: Index, object: KubeObject): void {
  const key = objectKey(object);
  const keys = [...new Set(index.fn(object))];
  index.keysOf.set(key, keys);
  for (const indexKey of keys) {
    let set = index.entries.get(indexKey);
    if (!set) {
      set = new Set();
      index.entries.set(indexKey, set);
    }
    set.add(key);
  }
}

function removeFromIndex(index: Index, object: KubeObject): void {
  const key = objectKey(object);
  for (const indexKey of index.keysOf.get(key) ?? []) {
    const set = index.entries.get(indexKey);
    set?.delete(key);
    if (set?.size === 0) index.entries.delete(indexKey);
  }
  index.keysOf.delete(key);
}

/**
 * Whether resourceVersion `a` is newer than `b`. The API server's resourceVersions are etcd
 * revisions (decimal integers); anything else counts as not newer, so the cache keeps what the
 * informer gave it.
 */
export function isNewerVersion(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

/**
 * One copy of each short string value seen in cached objects: JSON parsing gives every object
 * its own copies of `aigateway.envoyproxy.io/v1beta1`, `ReconciliationSucceeded` and the like
 * (18,000 copies of the API version alone at 2,000 routes). Values that are unique by nature
 * (uids, resource versions, timestamps) are left alone. Bounded: only values up to 64
 * characters, and the table is cleared when it reaches 50,000 entries (names are unique too, so
 * it would otherwise grow with the cluster).
 */
const interned = new Map<string, string>();

/** Fields whose values are (nearly) never repeated: interning them would only churn the table. */
const uniqueValueKeys = new Set([
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'deletionTimestamp',
  'lastTransitionTime',
]);

function intern(value: string): string {
  if (value.length > 64) return value;
  const known = interned.get(value);
  if (known !== undefined) return known;
  if (interned.size >= 50_000) interned.clear();
  interned.set(value, value);
  return value;
}

/** Replaces, in place, every short string value of a parsed JSON object by its interned copy. */
export function internStrings(value: unknown): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'string') value[i] = intern(item);
      else internStrings(item);
    }
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (typeof item !== 'string') internStrings(item);
      else if (!uniqueValueKeys.has(key)) record[key] = intern(item);
    }
  }
}
