/**
 * Offline validation of aigateway.envoyproxy.io resources, with the outcome and (as far as
 * possible) the messages the API server gives for the same manifest.
 */
import type { z } from 'zod';
import { group, rootSchema, type KindDef, type VersionDef } from './crd.js';
import { kinds } from './kinds/all.js';
import { obj, str, type ObjSchema, type Schema } from './schema/dsl.js';
import { celSkipped, isBlocking } from './schema/messages.js';
import { pruneUnknown } from './schema/prune.js';
import { formatIssues, toZod, type FormattedIssue } from './schema/zod.js';
import type { AnyResource } from './resources.js';

/**
 * The result of {@link validateResource}. `warnings` lists the fields that were dropped because
 * the schema does not know them (`unknown field "spec.foo"`, as kubectl prints them), only with
 * `unknownFields: 'warn'`.
 */
export type ValidationResult<T = AnyResource> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: string[]; readonly warnings: readonly string[] };

/** Options of {@link validateResource}. */
export interface ValidateOptions {
  /**
   * `error` (default): a field the schema does not know is an error, as with kubectl's default
   * `--validate=strict`. `warn`: it is dropped and reported in `warnings`, as the API server does
   * without strict field validation (and upstream's `aigw run`, which decodes leniently).
   */
  readonly unknownFields?: 'error' | 'warn';
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123SubdomainMessage =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const schemas = new Map<string, z.ZodType>();
const nodes = new Map<string, ObjSchema>();

/** The DSL node of a whole object of one kind and version (metadata kept as given). */
function resourceNode(def: KindDef, version: VersionDef): ObjSchema {
  const key = `${def.kind}/${version.name}`;
  let node = nodes.get(key);
  if (!node) {
    const root = rootSchema(def, version);
    node = obj(
      {
        ...root.properties,
        metadata: obj({}, { preserveUnknown: true }),
        apiVersion: str(),
        kind: str(),
      },
      { required: ['apiVersion', 'kind'] },
    );
    nodes.set(key, node);
  }
  return node;
}

/**
 * The zod schema of one kind and version: apiVersion, kind, metadata (kept as given), spec and
 * status. Parsing applies the CRD defaults, as the API server does before validating.
 */
export function resourceSchema(def: KindDef, version: VersionDef): z.ZodType {
  const key = `${def.kind}/${version.name}`;
  let schema = schemas.get(key);
  if (!schema) {
    schema = toZod(resourceNode(def, version));
    schemas.set(key, schema);
  }
  return schema;
}

/** Finds the kind and version an object declares, if this group serves it. */
export function lookupVersion(
  apiVersion: unknown,
  kind: unknown,
): { def: KindDef; version: VersionDef } | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const def = kinds.find((k) => k.kind === kind);
  const version = def?.versions.find((v) => `${group}/${v.name}` === apiVersion);
  return def && version ? { def, version } : undefined;
}

/** The API server prunes nulls of non-nullable fields before defaulting; none of ours is nullable. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out;
}

function metadataErrors(metadata: unknown): string[] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return ['metadata.name: Required value: name or generateName is required'];
  }
  const { name, generateName } = metadata as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') {
    return typeof generateName === 'string' && generateName !== ''
      ? []
      : ['metadata.name: Required value: name or generateName is required'];
  }
  if (name.length > 253 || !dns1123Subdomain.test(name)) {
    return [`metadata.name: Invalid value: ${JSON.stringify(name)}: ${dns1123SubdomainMessage}`];
  }
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasRules(schema: Schema): boolean {
  if (schema.validations && schema.validations.length > 0) return true;
  if (schema.kind === 'object') return Object.values(schema.properties).some(hasRules);
  if (schema.kind === 'array') return hasRules(schema.items);
  if (schema.kind === 'map') return hasRules(schema.values);
  return false;
}

/**
 * Orders and filters errors the way the API server reports them: unknown fields fail strict
 * decoding before anything else; a blocking error (required, enum, too long, too many, type or
 * format) makes it skip every CEL rule and say so when the schema has any.
 */
function serverView(issues: readonly FormattedIssue[], version: VersionDef): string[] {
  const unknown = issues.filter((i) => i.category === 'unknown-field');
  if (unknown.length > 0) return unknown.map((i) => i.text);
  const schemaErrors = issues.filter((i) => i.category === 'schema').map((i) => i.text);
  if (!schemaErrors.some(isBlocking)) return issues.map((i) => i.text);
  const rules = hasRules(version.spec) || hasRules(version.status);
  return rules ? [...schemaErrors, celSkipped] : schemaErrors;
}

/**
 * Validates one manifest of group aigateway.envoyproxy.io, dispatching on apiVersion and kind.
 * On success `value` has the CRD defaults applied. Errors read like the API server's (checked on
 * Kubernetes 1.36), e.g. `spec.rules: Required value` or
 * `spec.schema.name: Unsupported value: "Foo": supported values: "OpenAI", ...`.
 */
export function validateResource(obj: unknown, options: ValidateOptions = {}): ValidationResult {
  if (!isRecord(obj)) return { ok: false, errors: ['Object: expected a mapping'], warnings: [] };
  const found = lookupVersion(obj.apiVersion, obj.kind);
  if (!found) {
    const kind = typeof obj.kind === 'string' ? obj.kind : '';
    const version = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    const errors = [`no matches for kind "${kind}" in version "${version}"`];
    return { ok: false, errors, warnings: [] };
  }
  let input = dropNulls(obj) as Record<string, unknown>;
  const unknown: string[] = [];
  if (options.unknownFields === 'warn') {
    const node = resourceNode(found.def, found.version);
    input = pruneUnknown(node, input, { path: '', unknown }) as Record<string, unknown>;
  }
  const warnings = unknown.map((path) => `unknown field "${path}"`);
  const parsed = resourceSchema(found.def, found.version).safeParse(input);
  const issues: FormattedIssue[] = [
    ...metadataErrors(input.metadata).map((text) => ({ text, category: 'schema' as const })),
    ...(parsed.success ? [] : formatIssues(parsed.error.issues)),
  ];
  if (issues.length > 0 || !parsed.success) {
    return { ok: false, errors: serverView(issues, found.version), warnings };
  }
  return { ok: true, value: parsed.data as AnyResource, warnings };
}
