import type { Schema } from './dsl.js';

/**
 * Drops the fields `schema` does not know, as the API server's pruning does for a CRD without
 * `fieldValidation=Strict` (kubectl then prints `Warning: unknown field "spec.foo"`), and lists
 * their paths (`spec.rules[0].foo`). Objects marked `preserveUnknown` and `any` nodes keep
 * everything. Returns a copy; `value` is not changed.
 */
export function pruneUnknown(
  schema: Schema,
  value: unknown,
  context: { readonly path: string; readonly unknown: string[] },
): unknown {
  const { path, unknown } = context;
  if (schema.kind === 'array' && Array.isArray(value)) {
    return value.map((item, i) =>
      pruneUnknown(schema.items, item, { path: `${path}[${String(i)}]`, unknown }),
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const child = (key: string): string => (path === '' ? key : `${path}.${key}`);
  if (schema.kind === 'map') {
    return Object.fromEntries(
      Object.entries(record).map(([k, v]) => [
        k,
        pruneUnknown(schema.values, v, { path: child(k), unknown }),
      ]),
    );
  }
  if (schema.kind !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    const property = schema.properties[key];
    if (property !== undefined) out[key] = pruneUnknown(property, v, { path: child(key), unknown });
    else if (schema.preserveUnknown === true) out[key] = v;
    else unknown.push(child(key));
  }
  return out;
}
