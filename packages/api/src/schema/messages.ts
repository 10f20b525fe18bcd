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

/** `Too many: 17: must have at most 16 items` (maxItems and maxProperties; "1 item"). */
export const tooMany = (actual: number, max: number): string =>
  `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}`;

/** `Too long: may not be more than 253 bytes` (maxLength). */
export const tooLong = (max: number): string => `Too long: may not be more than ${max} bytes`;

/** `Invalid value: <message>` for a failed CEL rule (recent Kubernetes omits the value). */
export const celFailure = (message: string): string => `Invalid value: ${message}`;

/** `Duplicate value: {"name":"x"}`: the list-map keys of a repeated entry, keys sorted (Go JSON). */
export function duplicateMapKeys(keys: Record<string, unknown>): string {
  const body = Object.keys(keys)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(keys[k])}`)
    .join(',');
  return `Duplicate value: {${body}}`;
}

/**
 * What the API server appends when a "blocking" error (required, enum, too long, too many, wrong
 * type or format) made it skip the CEL rules of a schema that has any.
 */
export const celSkipped =
  '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/** Whether a finished `path: message` line is one of the API server's blocking error types. */
export function isBlocking(line: string): boolean {
  return /: (Required value|Unsupported value|Too long|Too many)|in body must be of type /.test(
    line,
  );
}
