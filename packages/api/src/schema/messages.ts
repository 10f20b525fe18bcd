/**
 * Messages shaped like the API server's (apiextensions-apiserver turns kube-openapi and CEL
 * results into `field.Error`s). `{{path}}` stands for the field path; `formatIssuePath`
 * substitutes it once zod knows where the issue is.
 */
export const pathToken = '{{path}}';

/** JSON type name of a value as the API server reports it in type errors. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'bigint') return 'integer';
  return typeof value;
}

/** How `field.Invalid` renders a value: strings quoted (Go %q), numbers and booleans bare. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(jsonType(value));
}

/** `Invalid value: <v>: <detail>` */
export const invalid = (value: unknown, detail: string): string =>
  `Invalid value: ${renderValue(value)}: ${detail}`;

/** `Required value` (a missing required property). */
export const requiredValue = 'Required value';

/** The type error, or "Required value" when the input is missing. */
export function typeMessage(expected: string, input: unknown): string {
  if (input === undefined) return requiredValue;
  const actual = jsonType(input);
  return `Invalid value: "${actual}": ${pathToken} in body must be of type ${expected}: "${actual}"`;
}

/** `Unsupported value: "Foo": supported values: "A", "B"` */
export function unsupported(value: unknown, values: readonly string[]): string {
  return `Unsupported value: ${JSON.stringify(value)}: supported values: ${values
    .map((v) => JSON.stringify(v))
    .join(', ')}`;
}

/** `Too many: 17: must have at most 16 items` (maxItems and maxProperties). */
export const tooMany = (actual: number, max: number): string =>
  `Too many: ${actual}: must have at most ${max} items`;

/** `Too long: may not be more than 253 bytes` (maxLength). */
export const tooLong = (max: number): string => `Too long: may not be more than ${max} bytes`;

/** `Invalid value: "object": <message>` for a failed CEL rule. */
export const celFailure = (self: unknown, message: string): string =>
  `Invalid value: "${jsonType(self)}": ${message}`;

/** Go's `%#v` of a map[string]interface{} holding the list-map keys, for duplicate entries. */
export function duplicateMapKeys(keys: Record<string, unknown>): string {
  const body = Object.entries(keys)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(', ');
  return `Duplicate value: map[string]interface {}{${body}}`;
}

/** Renders a zod path as the API server does: `spec.rules[0].backendRefs`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}
