import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { group, toCrd } from './crd.js';
import { kinds } from './kinds/all.js';
import type { JsonObject } from './schema/openapi.js';
import { typesModule } from './types.js';

const crdDir = join(import.meta.dirname, '../../../deploy/crds');

type Versions = { name: string; served: boolean; storage: boolean; deprecated?: boolean }[];
const versionsOf = (crd: JsonObject): Versions => (crd.spec as { versions: Versions }).versions;

/** Every node of a structural schema has a type unless it preserves unknown fields. */
function nonStructural(node: JsonObject, path: string): string[] {
  const typed =
    typeof node.type === 'string' ||
    node['x-kubernetes-preserve-unknown-fields'] === true ||
    node['x-kubernetes-int-or-string'] === true;
  const out = typed ? [] : [path];
  const props = (node.properties ?? {}) as Record<string, JsonObject>;
  for (const [k, v] of Object.entries(props)) out.push(...nonStructural(v, `${path}.${k}`));
  if (node.items) out.push(...nonStructural(node.items as JsonObject, `${path}[]`));
  if (typeof node.additionalProperties === 'object') {
    out.push(...nonStructural(node.additionalProperties as JsonObject, `${path}{}`));
  }
  return out;
}

describe.each(kinds.map((k) => [k.kind, k] as const))('%s CRD', (_name, def) => {
  const crd = toCrd(def);

  it('matches the committed deploy/crds file', () => {
    const file = readFileSync(join(crdDir, `${group}_${def.plural}.yaml`), 'utf8');
    expect(parse(file)).toEqual(crd);
  });

  it('has exactly one storage version, all served, v1alpha1 deprecated when v1beta1 exists', () => {
    const versions = versionsOf(crd);
    expect(versions.filter((v) => v.storage)).toHaveLength(1);
    expect(versions.every((v) => v.served)).toBe(true);
    const hasBeta = versions.some((v) => v.name === 'v1beta1');
    expect(versions.find((v) => v.name === 'v1alpha1')?.deprecated === true).toBe(hasBeta);
  });

  it('is a structural schema', () => {
    for (const v of versionsOf(crd) as unknown as { schema: { openAPIV3Schema: JsonObject } }[]) {
      expect(nonStructural(v.schema.openAPIV3Schema, '')).toEqual([]);
    }
  });
});

describe('CRD metadata', () => {
  const byKind = new Map(kinds.map((k) => [k.kind, toCrd(k)]));
  it.each(['BackendSecurityPolicy', 'QuotaPolicy'])('labels %s as a direct policy', (kind) => {
    expect(byKind.get(kind)?.metadata).toMatchObject({
      labels: { 'gateway.networking.k8s.io/policy': 'direct' },
    });
  });
  it('gives GatewayConfig the short name gwconfig', () => {
    expect(byKind.get('GatewayConfig')?.spec).toMatchObject({
      names: { shortNames: ['gwconfig'] },
    });
  });
  it('stores QuotaPolicy in v1alpha1 and the others in v1beta1', () => {
    for (const [kind, crd] of byKind) {
      const storage = versionsOf(crd).find((v) => v.storage)?.name;
      expect(storage).toBe(kind === 'QuotaPolicy' ? 'v1alpha1' : 'v1beta1');
    }
  });
});

describe('generated types', () => {
  it('match the committed src/gen file', () => {
    const file = readFileSync(join(import.meta.dirname, 'gen/types.generated.ts'), 'utf8');
    expect(typesModule(kinds, 'packages/api/scripts/generate.ts')).toBe(file);
  });
});
