import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

import { deepFreeze } from './deep-freeze.js';
import { FilterConfigError, type FilterConfigErrorCode, type FilterConfigIssue } from './errors.js';
import { FilterConfigSchema, type FilterConfig } from './schema.js';
import { parseStrictJsonObject } from './strict-json.js';
import { filterConfigVersion } from './version.js';

/** Options of {@link parseFilterConfig}. */
export interface ParseFilterConfigOptions {
  /** Where the text came from (usually a file path); named in every error message. */
  readonly source?: string;
}

/**
 * Parses and validates a filter config document, YAML or JSON (YAML 1.2 is a JSON superset),
 * applies defaults and returns it deeply frozen, since one config is shared by every request.
 * Pure: no file-system access (see `readFilterConfigFile` for that). A JSON document takes a
 * fast path (JSON.parse is two orders of magnitude faster than the YAML parser on large
 * configs): writers of large configs should write JSON.
 *
 * Checks run in this order, and the first failing step decides the error code:
 * 1. `invalid_yaml`: not exactly one well-formed document, or a mapping repeats a key;
 * 2. `version_mismatch`: `version` is a string other than {@link filterConfigVersion}; checked
 *    before the schema so that a newer document is reported as newer, not as full of unknown
 *    fields;
 * 3. `invalid_config`: any schema rule, all problems reported at once.
 *
 * @throws FilterConfigError with one message line per problem, e.g.
 *   `filter config /etc/x.yaml: backends[1].schema.name: expected one of OpenAI|… (got "Foo")`.
 */
export function parseFilterConfig(
  text: string,
  options: ParseFilterConfigOptions = {},
): FilterConfig {
  const { source } = options;
  const document = parseStrictJsonObject(text) ?? parseYaml(text, source);
  checkVersion(document, source);
  const result = FilterConfigSchema.safeParse(document);
  if (!result.success) {
    const issues = result.error.issues.flatMap((issue) => describeIssue(issue, document));
    throw newError('invalid_config', issues, { source, cause: result.error });
  }
  return deepFreeze(result.data);
}

function parseYaml(text: string, source: string | undefined): unknown {
  const lineCounter = new LineCounter();
  // uniqueKeys rejects `a: 1` twice (and `{"a":1,"a":2}`), which JSON.parse would let through
  // with the last value winning; prettyErrors is off because we render positions ourselves.
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
  });
  const [firstError] = document.errors;
  if (firstError !== undefined) {
    const issues = document.errors.map((err) => {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      return { path: `line ${line}, column ${col}`, message: err.message };
    });
    throw newError('invalid_yaml', issues, { source, cause: firstError });
  }
  try {
    return document.toJS();
  } catch (err) {
    // toJS throws for alias bombs (maxAliasCount) and similar resource limits.
    const message = err instanceof Error ? err.message : String(err);
    throw newError('invalid_yaml', [{ path: '(root)', message }], { source, cause: err });
  }
}

function checkVersion(document: unknown, source: string | undefined): void {
  if (typeof document !== 'object' || document === null || !('version' in document)) return;
  const { version } = document;
  // A missing or non-string version is a schema error, reported with the others.
  if (typeof version !== 'string' || version === filterConfigVersion) return;
  const message = `${JSON.stringify(version)} is not supported; this build reads "${filterConfigVersion}"`;
  throw newError('version_mismatch', [{ path: 'version', message }], { source });
}

function newError(
  code: FilterConfigErrorCode,
  issues: readonly FilterConfigIssue[],
  context: { source: string | undefined; cause?: unknown },
): FilterConfigError {
  const label = context.source === undefined ? 'filter config' : `filter config ${context.source}`;
  const message = issues.map((issue) => `${label}: ${issue.path}: ${issue.message}`).join('\n');
  return new FilterConfigError(code, message, { ...context, issues });
}

/** Turns one zod issue into readable issues; an unknown-keys issue becomes one per key. */
function describeIssue(issue: z.core.$ZodIssue, document: unknown): FilterConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: 'unknown field',
    }));
  }
  return [{ path: formatPath(issue.path), message: issueMessage(issue, document) }];
}

// Not a switch on purpose: only a few codes get our wording, every other code (too_big,
// too_small, our own refinements) keeps zod's text minus its generic prefix.
function issueMessage(issue: z.core.$ZodIssue, document: unknown): string {
  if (issue.code === 'invalid_value') {
    const expected = issue.values.map(String).join('|');
    return `expected one of ${expected} (got ${show(valueAt(document, issue.path))})`;
  }
  if (issue.code === 'invalid_type') {
    const input = valueAt(document, issue.path);
    return input === undefined ? 'required' : `expected ${issue.expected}, got ${kindOf(input)}`;
  }
  if (issue.code === 'invalid_format') {
    return `${issue.message} (got ${show(valueAt(document, issue.path))})`;
  }
  return issue.message.replace(/^(Invalid input|Too big|Too small): /, '');
}

/** `['backends', 1, 'schema', 'name']` → `backends[1].schema.name` (zod's own format); `[]` → `(root)`. */
function formatPath(path: readonly PropertyKey[]): string {
  return z.core.toDotPath(path) || '(root)';
}

/** The raw document value at `path`, or undefined where the path does not exist. */
function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let value = document;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

// Only used for enum and format fields, which never hold secrets; other values are described
// by kind so that header values and the like cannot leak into logs through error messages.
function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return kindOf(value);
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}
