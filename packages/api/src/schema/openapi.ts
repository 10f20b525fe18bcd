import type { ArrSchema, ObjSchema, Schema, StrSchema } from './dsl.js';

/** A JSON object as it lands in the CRD YAML. */
export type JsonObject = { [key: string]: unknown };

/** Copies `o` with its keys in alphabetical order (controller-gen's order, and deterministic). */
export function sortKeys(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(o).sort()) {
    if (o[key] !== undefined) out[key] = o[key];
  }
  return out;
}

function common(schema: Schema): JsonObject {
  return {
    description: schema.description,
    default: schema.default,
    'x-kubernetes-validations': schema.validations?.map((v) => ({
      message: v.message,
      rule: v.rule,
    })),
  };
}

function stringNode(schema: StrSchema): JsonObject {
  return {
    type: 'string',
    enum: schema.enum,
    pattern: schema.pattern,
    minLength: schema.minLength,
    maxLength: schema.maxLength,
    format: schema.format,
  };
}

function objectNode(schema: ObjSchema): JsonObject {
  const props = Object.keys(schema.properties);
  const properties: JsonObject = {};
  for (const key of props.sort()) {
    const child = schema.properties[key];
    if (child) properties[key] = toOpenApi(child);
  }
  return {
    type: 'object',
    properties: props.length > 0 ? properties : undefined,
    required: schema.required && schema.required.length > 0 ? [...schema.required] : undefined,
    minProperties: schema.minProperties,
    maxProperties: schema.maxProperties,
    'x-kubernetes-preserve-unknown-fields': schema.preserveUnknown,
  };
}

function arrayNode(schema: ArrSchema): JsonObject {
  return {
    type: 'array',
    items: toOpenApi(schema.items),
    minItems: schema.minItems,
    maxItems: schema.maxItems,
    'x-kubernetes-list-type': schema.listType,
    'x-kubernetes-list-map-keys': schema.listMapKeys,
  };
}

function specific(schema: Schema): JsonObject {
  switch (schema.kind) {
    case 'string':
      return stringNode(schema);
    case 'integer':
      return {
        type: 'integer',
        format: schema.format,
        minimum: schema.minimum,
        maximum: schema.maximum,
      };
    case 'boolean':
      return { type: 'boolean' };
    case 'object':
      return objectNode(schema);
    case 'map':
      return { type: 'object', additionalProperties: toOpenApi(schema.values) };
    case 'array':
      return arrayNode(schema);
    case 'int-or-string':
      return {
        anyOf: [{ type: 'integer' }, { type: 'string' }],
        pattern: schema.pattern,
        'x-kubernetes-int-or-string': true,
      };
    case 'any':
      return { 'x-kubernetes-preserve-unknown-fields': true };
  }
}

/** The structural OpenAPI v3 schema (apiextensions.k8s.io/v1) for a DSL node. */
export function toOpenApi(schema: Schema): JsonObject {
  return sortKeys({ ...common(schema), ...specific(schema) });
}
