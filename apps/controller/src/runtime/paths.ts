import { kindInfo, type Kind, type ObjectRef } from './contracts.js';

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** The collection of `kind`, in `namespace` or across all namespaces. */
export function collectionPath(kind: Kind, namespace?: string): string {
  const info = kindInfo[kind];
  const base = groupVersionPath(info.group, info.version);
  return namespace === undefined
    ? `${base}/${info.plural}`
    : `${base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`;
}

/** One object of a kind. */
export function objectPath(ref: ObjectRef): string {
  return `${collectionPath(ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
}

/** `apiVersion` of `kind`: `v1` or `<group>/<version>`. */
export function apiVersionOf(kind: Kind): string {
  const info = kindInfo[kind];
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** The queue key of an object: `namespace/name`. */
export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The inverse of {@link keyOf}. */
export function parseKey(key: string): { readonly namespace: string; readonly name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
