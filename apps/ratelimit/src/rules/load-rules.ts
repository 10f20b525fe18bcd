import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { compileRules, type CompileOptions, type NamedRulesFile } from './compile-rules.js';
import { RulesError } from './rules-error.js';
import type { RuleSet } from './rule-set.js';
import { RulesFileSchema } from './schema.js';

/** How a YAML value is named in messages: `a list`, `a number`, `null`… */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `the boolean ${String(value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  return typeof value;
}

const expectedNames: Readonly<Record<string, string>> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
};

/**
 * Zod's generic texts ("Invalid input: expected array, received null") become YAML words:
 * `expected a list, got a number`. Messages set in the schema itself take precedence.
 */
const yamlErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    const expected = expectedNames[issue.expected] ?? issue.expected;
    return `expected ${expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'invalid_union') {
    return `expected a string, got ${describeValue(issue.input)}`;
  }
  return undefined;
};

/**
 * Drops `key: null` pairs from every mapping (`descriptors:` with nothing after it), so they
 * read as absent, as Go's yaml.v2 reads them into envoyproxy/ratelimit's structs as zero values.
 * Nulls in lists stay (upstream refuses a list entry that is not a mapping too).
 */
function dropNullFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullFields);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== null) out[key] = dropNullFields(field);
  }
  return out;
}

/**
 * Parses and validates one config file's text. YAML errors (including duplicate mapping keys) and
 * schema errors become a {@link RulesError} naming `file` and the offending path. An empty file,
 * or one without `domain`, reads as a file with an empty domain (an error, as upstream).
 */
export function parseRulesFile(file: string, text: string): NamedRulesFile {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new RulesError({
      code: 'yaml',
      file,
      issues: doc.errors.map((err) => ({ path: '', message: err.message })),
    });
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new RulesError({
      code: 'schema',
      file,
      issues: [
        {
          path: '',
          message: `expected a mapping with 'domain' and 'descriptors', got ${describeValue(data)}`,
        },
      ],
    });
  }
  const result = RulesFileSchema.safeParse(dropNullFields(data), { error: yamlErrorMap });
  if (!result.success) {
    throw new RulesError({
      code: 'schema',
      file,
      issues: result.error.issues.map((issue) => ({
        path: z.core.toDotPath(issue.path),
        message:
          issue.code === 'unrecognized_keys'
            ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}`
            : issue.message,
      })),
    });
  }
  return { file, rules: result.data };
}

/** True for files the loader reads: `*.yaml` / `*.yml`, not dotfiles (Kubernetes `..data`). */
export function isRulesFileName(name: string): boolean {
  return !name.startsWith('.') && (name.endsWith('.yaml') || name.endsWith('.yml'));
}

/** Config file names of a directory, sorted so loading order (and errors) are deterministic. */
export async function listRulesFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const files: string[] = [];
  for (const name of names.filter(isRulesFileName).sort()) {
    // Follow symlinks (ConfigMap volumes link `x.yaml -> ..data/x.yaml`); skip directories.
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile()) files.push(name);
  }
  return files;
}

/**
 * Reads, validates and compiles every config file of a directory (in name order) into one
 * {@link RuleSet}; `options.mergeDomains` merges files that name the same domain.
 */
export async function loadRulesDir(dir: string, options: CompileOptions = {}): Promise<RuleSet> {
  let names: string[];
  try {
    names = await listRulesFiles(dir);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new RulesError({ code: 'io', file: dir, issues: [{ path: '', message }], cause: err });
  }
  const parsed: NamedRulesFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new RulesError({ code: 'io', file: name, issues: [{ path: '', message }], cause: err });
    }
    parsed.push(parseRulesFile(name, text));
  }
  return compileRules(parsed, options);
}
