import { z } from 'zod';
import { checkRule } from './cel.js';
import type { ArrSchema, IntSchema, ObjSchema, Rule, Schema, StrSchema } from './dsl.js';
import {
  celFailure,
  duplicateMapKeys,
  invalid,
  pathToken,
  tooLong,
  tooMany,
  typeMessage,
  unsupported,
} from './messages.js';

type Ctx = z.RefinementCtx;

// The API server's date-time (go-openapi strfmt) accepts RFC 3339 and the ISO 8601 variants
// without seconds or without a zone.
const dateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

const patterns = new Map<string, RegExp>();

/** Tests a CRD pattern (RE2 syntax; the ones used here mean the same in JS), compiled once. */
function matches(pattern: string, value: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(pattern);
    patterns.set(pattern, re);
  }
  return re.test(value);
}

function addIssue(ctx: Ctx, message: string, path: readonly PropertyKey[] = []): void {
  ctx.addIssue({ code: 'custom', message, path: [...path] });
}

function celRules(rules: readonly Rule[] | undefined, value: unknown, ctx: Ctx): void {
  for (const rule of rules ?? []) {
    const failed = checkRule(rule, value);
    if (failed !== undefined) {
      ctx.addIssue({ code: 'custom', message: celFailure(failed), params: { cel: true } });
    }
  }
}

function hasControlChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function formatOk(format: StrSchema['format'], value: string): boolean {
  if (format === 'date-time') return dateTime.test(value);
  // Go's url.Parse accepts relative references; reject only what it rejects most often.
  if (format === 'uri') return !hasControlChar(value) && URL.canParse(value, 'http://x/');
  return true;
}

function checkString(schema: StrSchema, value: string, ctx: Ctx): void {
  // Kubernetes counts code points (Go's utf8.RuneCountInString), not UTF-16 units.
  const chars = value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '_').length;
  if (schema.enum && !schema.enum.includes(value)) {
    addIssue(ctx, unsupported(value, schema.enum));
    return;
  }
  if (schema.maxLength !== undefined && chars > schema.maxLength) {
    addIssue(ctx, tooLong(schema.maxLength));
  }
  if (schema.minLength !== undefined && chars < schema.minLength) {
    const detail = `${pathToken} in body should be at least ${schema.minLength} chars long`;
    addIssue(ctx, invalid(value, detail));
  }
  if (schema.pattern !== undefined && !matches(schema.pattern, value)) {
    addIssue(ctx, invalid(value, `${pathToken} in body should match '${schema.pattern}'`));
  }
  if (!formatOk(schema.format, value)) {
    addIssue(
      ctx,
      invalid(
        value,
        `${pathToken} in body must be of type ${schema.format ?? ''}: ${JSON.stringify(value)}`,
      ),
    );
  }
  celRules(schema.validations, value, ctx);
}

function checkInteger(schema: IntSchema, value: number, ctx: Ctx): void {
  if (!Number.isInteger(value)) {
    addIssue(ctx, typeMessage('integer', value));
    return;
  }
  if (schema.minimum !== undefined && value < schema.minimum) {
    const detail = `${pathToken} in body should be greater than or equal to ${schema.minimum}`;
    addIssue(ctx, invalid(value, detail));
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    const detail = `${pathToken} in body should be less than or equal to ${schema.maximum}`;
    addIssue(ctx, invalid(value, detail));
  }
  celRules(schema.validations, value, ctx);
}

function listMapKey(item: unknown, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
  for (const k of keys) out[k] = record[k];
  return out;
}

function checkUnique(schema: ArrSchema, value: readonly unknown[], ctx: Ctx): void {
  const seen = new Set<string>();
  value.forEach((item, i) => {
    const key = schema.listType === 'map' ? listMapKey(item, schema.listMapKeys ?? []) : item;
    const id = JSON.stringify(key);
    if (seen.has(id)) {
      const message =
        schema.listType === 'map'
          ? duplicateMapKeys(key as Record<string, unknown>)
          : `Duplicate value: ${id}`;
      addIssue(ctx, message, [i]);
    }
    seen.add(id);
  });
}

function checkArray(schema: ArrSchema, value: readonly unknown[], ctx: Ctx): void {
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    addIssue(ctx, tooMany(value.length, schema.maxItems));
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    const detail = `${pathToken} in body should have at least ${schema.minItems} items`;
    addIssue(ctx, invalid(value.length, detail));
  }
  if (schema.listType === 'map' || schema.listType === 'set') checkUnique(schema, value, ctx);
  celRules(schema.validations, value, ctx);
}

function checkObject(schema: ObjSchema, value: Record<string, unknown>, ctx: Ctx): void {
  const count = Object.keys(value).length;
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    addIssue(ctx, tooMany(count, schema.maxProperties));
  }
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    const detail = `${pathToken} in body should have at least ${schema.minProperties} properties`;
    addIssue(ctx, invalid(count, detail));
  }
  celRules(schema.validations, value, ctx);
}

/** Applies the optional/default wrapper a property needs inside its parent object. */
function property(schema: Schema, isRequired: boolean): z.ZodType {
  const inner = toZod(schema);
  if (schema.default !== undefined) return inner.default(schema.default);
  return isRequired ? inner : inner.optional();
}

function objectZod(schema: ObjSchema): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  const required = new Set(schema.required ?? []);
  for (const [key, child] of Object.entries(schema.properties)) {
    shape[key] = property(child, required.has(key));
  }
  const params = { error: (iss: { input?: unknown }) => typeMessage('object', iss.input) };
  const base = schema.preserveUnknown
    ? z.looseObject(shape, params)
    : z.strictObject(shape, params);
  return base.superRefine((v, ctx) => {
    checkObject(schema, v, ctx);
  });
}

function stringZod(schema: StrSchema): z.ZodType {
  return z.string({ error: (iss) => typeMessage('string', iss.input) }).superRefine((v, ctx) => {
    checkString(schema, v, ctx);
  });
}

/**
 * Builds the zod validator for a DSL node. Its issues carry the API server's messages (with
 * `{{path}}` in place of the field path); {@link formatIssues} turns them into strings.
 */
export function toZod(schema: Schema): z.ZodType {
  switch (schema.kind) {
    case 'string':
      return stringZod(schema);
    case 'integer':
      return z
        .number({ error: (iss) => typeMessage('integer', iss.input) })
        .superRefine((v, ctx) => {
          checkInteger(schema, v, ctx);
        });
    case 'boolean':
      return z.boolean({ error: (iss) => typeMessage('boolean', iss.input) });
    case 'object':
      return objectZod(schema);
    case 'map':
      return z.record(z.string(), toZod(schema.values), {
        error: (iss) => typeMessage('object', iss.input),
      });
    case 'array':
      return z
        .array(toZod(schema.items), { error: (iss) => typeMessage('array', iss.input) })
        .superRefine((v, ctx) => {
          checkArray(schema, v, ctx);
        });
    case 'int-or-string':
      return z
        .union([z.number().int(), z.string()], {
          error: (iss) => typeMessage('integer-or-string', iss.input),
        })
        .superRefine((v, ctx) => {
          if (typeof v === 'string' && schema.pattern && !matches(schema.pattern, v)) {
            addIssue(ctx, invalid(v, `${pathToken} in body should match '${schema.pattern}'`));
          }
        });
    case 'any':
      return z.unknown();
  }
}

/** One finished error line and what kind of check produced it. */
export interface FormattedIssue {
  readonly text: string;
  readonly category: 'unknown-field' | 'cel' | 'schema';
}

/** Turns zod issues into the API server's `path: message` lines, tagged by category. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): FormattedIssue[] {
  const out: FormattedIssue[] = [];
  for (const issue of issues) {
    const path = z.core.toDotPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          text: `unknown field "${path ? `${path}.` : ''}${key}"`,
          category: 'unknown-field',
        });
      }
      continue;
    }
    const message = issue.message.replaceAll(pathToken, path);
    const isCel = issue.code === 'custom' && issue.params?.cel === true;
    out.push({ text: path ? `${path}: ${message}` : message, category: isCel ? 'cel' : 'schema' });
  }
  return out;
}
