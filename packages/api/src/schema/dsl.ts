/**
 * A small schema DSL: the one source of truth for the CRDs of `aigateway.envoyproxy.io`.
 *
 * Each node is plain data. Three interpreters read it: `openapi.ts` (the CRD's structural
 * OpenAPI v3 schema), `zod.ts` (offline validation with the API server's messages) and
 * `typescript.ts` (the generated TS types). Field names, enums, defaults, required fields and
 * CEL rules mirror upstream's Go API so that users' manifests apply unchanged.
 */

/** One `x-kubernetes-validations` entry: a CEL rule over `self` and the message when it is false. */
export interface Rule {
  readonly rule: string;
  readonly message: string;
}

/** Options every node accepts. */
export interface Common {
  /** Short description in our own words; lands in the CRD for `kubectl explain`. */
  readonly description?: string;
  /** CEL rules evaluated against this node's value (after defaulting), as the API server does. */
  readonly validations?: readonly Rule[];
  /** Default applied by the API server when the field is absent. */
  readonly default?: unknown;
}

/** String formats the API server checks (and we check offline). */
export type StringFormat = 'date-time' | 'uri';

/** A string, optionally constrained. */
export interface StrSchema extends Common {
  readonly kind: 'string';
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly format?: StringFormat;
}

/** An integer (`format` is informational: int32, int64). */
export interface IntSchema extends Common {
  readonly kind: 'integer';
  readonly minimum?: number;
  readonly maximum?: number;
  readonly format?: 'int32' | 'int64';
}

/** A boolean. */
export interface BoolSchema extends Common {
  readonly kind: 'boolean';
}

/** An object with known properties. */
export interface ObjSchema extends Common {
  readonly kind: 'object';
  /** Name of the generated TS interface; inline type when unset. */
  readonly typeName?: string;
  readonly properties: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly minProperties?: number;
  readonly maxProperties?: number;
  /**
   * Keep fields the schema does not list (`x-kubernetes-preserve-unknown-fields`). Used where we
   * model only the main fields of a large third-party type (Envoy Gateway's OIDC, container spec).
   */
  readonly preserveUnknown?: boolean;
}

/** An object used as a string-keyed map (`additionalProperties`). */
export interface MapSchema extends Common {
  readonly kind: 'map';
  readonly values: Schema;
}

/** An array. */
export interface ArrSchema extends Common {
  readonly kind: 'array';
  readonly items: Schema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
}

/** `x-kubernetes-int-or-string` (Kubernetes quantities). */
export interface IntOrStrSchema extends Common {
  readonly kind: 'int-or-string';
  readonly pattern?: string;
}

/** Any JSON value kept as is (`x-kubernetes-preserve-unknown-fields` without a type). */
export interface AnySchema extends Common {
  readonly kind: 'any';
}

/** Any schema node. */
export type Schema =
  | StrSchema
  | IntSchema
  | BoolSchema
  | ObjSchema
  | MapSchema
  | ArrSchema
  | IntOrStrSchema
  | AnySchema;

type Opts<T> = Omit<T, 'kind'>;

/** A string node. */
export const str = (opts: Opts<StrSchema> = {}): StrSchema => ({ kind: 'string', ...opts });

/** A string restricted to `values` (the API server answers "Unsupported value" otherwise). */
export const strEnum = (values: readonly string[], opts: Opts<StrSchema> = {}): StrSchema => ({
  kind: 'string',
  enum: values,
  ...opts,
});

/** An integer node. */
export const int = (opts: Opts<IntSchema> = {}): IntSchema => ({ kind: 'integer', ...opts });

/** A boolean node. */
export const bool = (opts: Opts<BoolSchema> = {}): BoolSchema => ({ kind: 'boolean', ...opts });

/** An object node; `required` lists the properties the API server demands. */
export const obj = (
  properties: Readonly<Record<string, Schema>>,
  opts: Opts<Omit<ObjSchema, 'properties'>> = {},
): ObjSchema => ({ kind: 'object', properties, ...opts });

/** A map node (`additionalProperties: values`). */
export const map = (values: Schema, opts: Opts<Omit<MapSchema, 'values'>> = {}): MapSchema => ({
  kind: 'map',
  values,
  ...opts,
});

/** An array node. */
export const arr = (items: Schema, opts: Opts<Omit<ArrSchema, 'items'>> = {}): ArrSchema => ({
  kind: 'array',
  items,
  ...opts,
});

/** An int-or-string node. */
export const intOrStr = (opts: Opts<IntOrStrSchema> = {}): IntOrStrSchema => ({
  kind: 'int-or-string',
  ...opts,
});

/** An untyped node that keeps whatever it is given. */
export const any = (opts: Opts<AnySchema> = {}): AnySchema => ({ kind: 'any', ...opts });

/** A copy of `schema` with more options (for instance a field-specific description or rule). */
export function withOpts<T extends Schema>(schema: T, opts: Partial<Opts<T>>): T {
  const validations = [...(schema.validations ?? []), ...(opts.validations ?? [])];
  return { ...schema, ...opts, ...(validations.length > 0 ? { validations } : {}) };
}
