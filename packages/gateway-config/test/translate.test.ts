import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  assembleConfigBundle,
  configBundleIndexKey,
  configBundleIndexName,
  configBundlePartKey,
  legacyFilterConfigKey,
  parseConfigBundleIndex,
  parseFilterConfig,
} from '@aigw/filterapi';

import {
  gatewayNameLabel,
  loadResources,
  manifestsToYaml,
  translateToKubernetes,
} from '@aigw/gateway-config';

/**
 * Golden files: `testdata/translate-<case>.in.yaml` through `translateToKubernetes` must print
 * `testdata/translate-<case>.out.yaml` (update with `vitest -u`).
 */
const testdata = new URL('testdata/', import.meta.url);
const cases = readdirSync(testdata)
  .filter((name) => name.startsWith('translate-') && name.endsWith('.in.yaml'))
  .map((name) => name.slice('translate-'.length, -'.in.yaml'.length));

function translate(name: string): string {
  const path = `translate-${name}.in.yaml`;
  const text = readFileSync(new URL(path, testdata), 'utf8');
  return manifestsToYaml(translateToKubernetes(loadResources([{ path, text }])));
}

describe('translateToKubernetes goldens', () => {
  it('has cases', () => {
    expect(cases).toContain('basic');
  });

  it.each(cases)('translate-%s', async (name) => {
    await expect(translate(name)).toMatchFileSnapshot(
      new URL(`translate-${name}.out.yaml`, testdata).pathname,
    );
  });

  it.each(cases)('translate-%s: the config Secrets hold a valid filter config', (name) => {
    const docs = parseAllDocuments(translate(name)).map((d) => d.toJS() as Record<string, unknown>);
    const decoded = (secret: Record<string, unknown>, key: string): string | undefined => {
      const value = (secret.data as Record<string, string> | undefined)?.[key];
      return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
    };
    const legacy = docs.filter((d) => d.kind === 'Secret' && decoded(d, legacyFilterConfigKey));
    expect(legacy.length).toBeGreaterThan(0);
    for (const secret of legacy) {
      const text = decoded(secret, legacyFilterConfigKey) ?? '';
      expect(() => parseFilterConfig(text)).not.toThrow();
      // The bundle (index + parts) carries the same text, checksum checked.
      const metadata = secret.metadata as { namespace: string; labels: Record<string, string> };
      const gateway = {
        gatewayName: metadata.labels[gatewayNameLabel] ?? '',
        gatewayNamespace: metadata.namespace,
      };
      const byName = new Map(
        docs
          .filter((d) => d.kind === 'Secret')
          .map((d) => [(d.metadata as { name: string }).name, d] as const),
      );
      const index = byName.get(configBundleIndexName(gateway));
      expect(index).toBeDefined();
      const assembled = assembleConfigBundle(
        parseConfigBundleIndex(decoded(index!, configBundleIndexKey) ?? ''),
        (part) => {
          // Bytes, not text: a part may end inside a multi-byte character.
          const data = (byName.get(part)?.data as Record<string, string> | undefined)?.[
            configBundlePartKey
          ];
          return data === undefined ? undefined : Buffer.from(data, 'base64');
        },
      );
      expect(assembled).toBe(text);
    }
  });
});

describe('ownerReferences of the generated objects', () => {
  const path = 'translate-basic.in.yaml';
  const text = readFileSync(new URL(path, testdata), 'utf8');
  const owned = (objects: readonly object[]): unknown[] =>
    (objects as readonly { kind?: string; metadata?: { ownerReferences?: unknown } }[])
      .filter((o) => o.kind === 'HTTPRoute' || o.kind === 'HTTPRouteFilter')
      .map((o) => o.metadata?.ownerReferences);

  it('are left out when the AIGatewayRoute has no uid (files: aigw translate)', () => {
    const references = owned(translateToKubernetes(loadResources([{ path, text }])));
    expect(references.length).toBeGreaterThan(0);
    expect(references.every((r) => r === undefined)).toBe(true);
  });

  it('name the AIGatewayRoute as controller when it has a uid (read from a cluster)', () => {
    const withUid = text.replace(
      /(kind: AIGatewayRoute\nmetadata:\n)/,
      '$1  uid: 0b5b7a9e-1f6c-4c55-9d3e-8a1b2c3d4e5f\n',
    );
    expect(withUid).not.toBe(text);
    const references = owned(translateToKubernetes(loadResources([{ path, text: withUid }])));
    expect(references.length).toBeGreaterThan(0);
    for (const r of references) {
      expect(r).toEqual([
        expect.objectContaining({
          kind: 'AIGatewayRoute',
          uid: '0b5b7a9e-1f6c-4c55-9d3e-8a1b2c3d4e5f',
          controller: true,
        }),
      ]);
    }
  });
});
