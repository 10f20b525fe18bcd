import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kinds } from './kinds/all.js';
import type { Schema } from './schema/dsl.js';
import { validateResource } from './validate.js';

/** One row of a testdata table (format: packages/api/README.md). */
interface Row {
  name: string;
  object: unknown;
  error?: string;
  fieldValidation?: 'Strict';
  offlineOnly?: string;
}

const testdata = join(import.meta.dirname, 'testdata');

function load(kind: 'valid' | 'invalid'): [string, Row][] {
  const dir = join(testdata, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      (parse(readFileSync(join(dir, file), 'utf8')) as Row[]).map((row): [string, Row] => [
        file,
        row,
      ]),
    );
}

const valid = load('valid');
const invalid = load('invalid');

describe('valid manifests', () => {
  it.each(valid)('%s: accepts %j', (_file, row) => {
    const result = validateResource(row.object);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

describe('invalid manifests', () => {
  it.each(invalid)('%s: rejects %j', (_file, row) => {
    const result = validateResource(row.object);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toContain(row.error);
  });
});

function collectRules(schema: Schema, out: Set<string>): void {
  for (const v of schema.validations ?? []) out.add(v.message);
  if (schema.kind === 'object')
    for (const p of Object.values(schema.properties)) collectRules(p, out);
  if (schema.kind === 'array') collectRules(schema.items, out);
  if (schema.kind === 'map') collectRules(schema.values, out);
}

describe('table coverage', () => {
  const messages = new Set<string>();
  for (const def of kinds) for (const v of def.versions) collectRules(v.spec, messages);
  const errors = invalid.map(([, row]) => row.error ?? '');

  it.each([...messages].sort())('has an invalid row for the CEL rule %j', (message) => {
    expect(errors.some((e) => e.endsWith(`: ${message}`))).toBe(true);
  });

  it('has valid rows for every kind and version', () => {
    const seen = new Set(
      valid.map(([, row]) => {
        const o = row.object as { apiVersion: string; kind: string };
        return `${o.kind} ${o.apiVersion}`;
      }),
    );
    for (const def of kinds) {
      for (const v of def.versions)
        expect(seen).toContain(`${def.kind} aigateway.envoyproxy.io/${v.name}`);
    }
  });
});
