/** Freezes `value` and everything reachable from it; returns `value` for chaining. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  // Recurse even into objects zod already froze: a frozen parent says nothing about children.
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
