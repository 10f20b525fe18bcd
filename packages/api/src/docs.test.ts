import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateResource } from './validate.js';

const docs = readFileSync(join(import.meta.dirname, '../../../docs/api.md'), 'utf8');
const examples = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => parse(m[1] ?? '') as { kind: string })
  .map((o): [string, unknown] => [o.kind, o]);

describe('docs/api.md examples', () => {
  it('has one example per kind', () => {
    expect(examples.map(([kind]) => kind).sort()).toEqual([
      'AIGatewayRoute',
      'AIServiceBackend',
      'BackendSecurityPolicy',
      'GatewayConfig',
      'MCPRoute',
      'QuotaPolicy',
    ]);
  });

  it.each(examples)('%s example is valid', (_kind, object) => {
    const result = validateResource(object);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
