import { createHash } from 'node:crypto';

import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';

import {
  assembleConfigBundle,
  configBundleIndexName,
  configBundlePartName,
  defaultMaxPartBytes,
  isConfigBundleError,
  parseConfigBundleIndex,
  toConfigBundle,
  type ConfigBundle,
} from './bundle.js';
import { parseFilterConfig } from './config.js';
import type { FilterConfigInput } from './schema.js';

const gateway = { gatewayNamespace: 'ns1', gatewayName: 'gateway' };

/** The part lookup of a bundle, optionally with one part replaced or removed. */
function partsOf(bundle: ConfigBundle, change: Record<string, Buffer | undefined> = {}) {
  const byName = new Map<string, Uint8Array | undefined>(bundle.parts.map((p) => [p.name, p.data]));
  for (const [name, data] of Object.entries(change)) byName.set(name, data);
  return (name: string): Uint8Array | undefined => byName.get(name);
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/**
 * A Gateway with `routes` AIGatewayRoutes of 2 backends each, as the controller writes it: per
 * route one model, two backends named `<ns>/<backend>/route/<route>/rule/0/ref/<j>` with an
 * inline API key, header mutations, and a route-scoped cost.
 */
function largeConfig(routes: number): FilterConfigInput {
  const indexes = Array.from({ length: routes }, (_, i) => i);
  return {
    version: 'v1',
    uuid: 'b3f5d1c2-0000-4000-8000-000000000000',
    backends: indexes.flatMap((i) =>
      [0, 1].map((j) => ({
        name: `team-${String(i % 50)}/backend-${String(i)}-${String(j)}/route/route-${String(i)}/rule/0/ref/${String(j)}`,
        schema:
          j === 0
            ? { name: 'OpenAI' as const, prefix: 'v1' }
            : { name: 'AzureOpenAI' as const, version: '2025-01-01-preview' },
        modelNameOverride: `model-${String(i)}-${String(j)}`,
        auth:
          j === 0
            ? { apiKey: { key: `sk-${createHash('sha256').update(String(i)).digest('hex')}` } }
            : {
                azureApiKey: {
                  key: createHash('sha256')
                    .update(`a${String(i)}`)
                    .digest('hex'),
                },
              },
        headerMutation: {
          set: [{ name: 'x-team', value: `team-${String(i % 50)}` }],
          remove: ['x-debug'],
        },
      })),
    ),
    models: indexes.map((i) => ({
      name: `model-${String(i)}`,
      ownedBy: 'Envoy AI Gateway',
      createdAt: '2026-01-01T00:00:00Z',
    })),
    llmRequestCosts: indexes.map((i) => ({
      metadataKey: 'llm_total_token',
      type: 'TotalToken' as const,
      routeName: `team-${String(i % 50)}/route-${String(i)}`,
    })),
  };
}

describe('config bundle names', () => {
  it("follows upstream's names (first 6 bytes of sha256('<ns>/<gw>'))", () => {
    const h12 = createHash('sha256').update('ns1/gateway').digest('hex').slice(0, 12);
    expect(configBundleIndexName(gateway)).toBe(`gateway-ns1-${h12}`);
    expect(configBundlePartName(gateway, 7)).toBe(`gateway-ns1-${h12}-part-007`);
  });

  it('keeps long names within 253 characters, hash and part suffix kept', () => {
    const long = { gatewayNamespace: 'n'.repeat(63), gatewayName: 'g'.repeat(253) };
    const index = configBundleIndexName(long);
    const part = configBundlePartName(long, 0);
    expect(index).toHaveLength(253);
    expect(part).toHaveLength(253);
    expect(part).toMatch(/-[0-9a-f]{12}-part-000$/);
    expect(index).toMatch(/^g+-[0-9a-f]{12}$/);
  });
});

describe('toConfigBundle / assembleConfigBundle', () => {
  const text = stringify(largeConfig(3));

  it('round-trips a config through parts of the given size', () => {
    const bundle = toConfigBundle(text, { ...gateway, maxPartBytes: 1000 });
    expect(bundle.parts.length).toBe(Math.ceil(Buffer.byteLength(text) / 1000));
    expect(bundle.index.parts.map((p) => p.path)).toEqual(
      bundle.parts.map((_, i) => `parts/${String(i).padStart(3, '0')}`),
    );
    const index = parseConfigBundleIndex(bundle.indexText);
    expect(index).toEqual(bundle.index);
    expect(assembleConfigBundle(index, partsOf(bundle))).toBe(text);
  });

  it('cuts by bytes, so a part may end inside a character, and still round-trips', () => {
    const unicode = `version: v1\nuuid: ${'ü€😀'.repeat(100)}\n`;
    const bundle = toConfigBundle(unicode, { ...gateway, maxPartBytes: 7, maxParts: 200 });
    expect(assembleConfigBundle(bundle.index, partsOf(bundle))).toBe(unicode);
  });

  it('is deterministic and takes the checksum as the generation by default', () => {
    const a = toConfigBundle(text, gateway);
    const b = toConfigBundle(text, gateway);
    expect(a.indexText).toBe(b.indexText);
    expect(a.index.uuid).toBe(a.index.checksum);
    expect(toConfigBundle(text, { ...gateway, uuid: 'u-1' }).index.uuid).toBe('u-1');
    expect(a.index.checksum).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('gives one empty part for an empty text, as upstream', () => {
    const bundle = toConfigBundle('', gateway);
    expect(bundle.index.parts).toEqual([
      { name: configBundlePartName(gateway, 0), path: 'parts/000', sizeBytes: 0 },
    ]);
    expect(assembleConfigBundle(bundle.index, partsOf(bundle))).toBe('');
  });

  it('refuses a config that needs more than maxParts parts', () => {
    const err = errorOf(() => toConfigBundle(text, { ...gateway, maxPartBytes: 100, maxParts: 8 }));
    expect(isConfigBundleError(err) && err.code).toBe('too_many_parts');
    expect(String(err)).toMatch(/needs \d+ parts of at most 100 bytes; at most 8 are allowed/);
  });

  it.each([
    {
      problem: 'a missing part',
      code: 'missing_part',
      change: (b: ConfigBundle) => ({ [b.parts[1]?.name ?? '']: undefined }),
    },
    {
      problem: 'a part of another size (a write in progress)',
      code: 'part_size_mismatch',
      change: (b: ConfigBundle) => ({ [b.parts[1]?.name ?? '']: Buffer.from('short') }),
    },
    {
      problem: 'a part of the same size but other content',
      code: 'checksum_mismatch',
      change: (b: ConfigBundle) => {
        const part = Buffer.from(b.parts[1]?.data ?? Buffer.alloc(0));
        part[0] = (part[0] ?? 0) ^ 1;
        return { [b.parts[1]?.name ?? '']: part };
      },
    },
  ])('rejects $problem with $code', ({ code, change }) => {
    const bundle = toConfigBundle(text, { ...gateway, maxPartBytes: 1000 });
    const err = errorOf(() => assembleConfigBundle(bundle.index, partsOf(bundle, change(bundle))));
    expect(isConfigBundleError(err) && err.code).toBe(code);
    expect(String(err)).toContain(
      code === 'checksum_mismatch' ? bundle.index.checksum : bundle.parts[1]?.name,
    );
  });

  it.each([
    { problem: 'not YAML', text: 'parts: [', message: 'not valid YAML' },
    {
      problem: 'no checksum',
      text: 'version: v1\nuuid: u\nparts: [{name: a, sizeBytes: 1}]',
      message: 'checksum',
    },
    {
      problem: 'no parts',
      text: `version: v1\nuuid: u\nchecksum: ${'a'.repeat(64)}\nparts: []`,
      message: 'parts',
    },
  ])('rejects an index that is $problem', ({ text: indexText, message }) => {
    const err = errorOf(() => parseConfigBundleIndex(indexText));
    expect(isConfigBundleError(err) && err.code).toBe('invalid_index');
    expect(String(err)).toContain(message);
  });

  it("reads upstream's index (createdAt, upper-case checksum, sizeBytes omitted when 0)", () => {
    const index = parseConfigBundleIndex(
      `version: v1.1.0\nuuid: u\nchecksum: ${'AB'.repeat(32)}\ncreatedAt: 2026-01-01T00:00:00Z\nparts:\n- name: p\n  path: parts/000\n`,
    );
    expect(index.checksum).toBe('ab'.repeat(32));
    expect(index.parts).toEqual([{ name: 'p', path: 'parts/000', sizeBytes: 0 }]);
  });
});

describe('a Gateway of 2,000 routes with 2 backends each', () => {
  const input = largeConfig(2000);
  // JSON, as the controller writes it: parseFilterConfig reads JSON ~100 times faster than YAML.
  const text = JSON.stringify(input);
  const bundle = toConfigBundle(text, gateway);

  it('fits in the 8 parts of 700 KiB, each Secret below 1 MiB', () => {
    const bytes = Buffer.byteLength(text);
    // Figures for docs/controller.md ("Config delivery").
    expect(bytes).toBeGreaterThan(defaultMaxPartBytes);
    expect(bundle.parts.length).toBe(Math.ceil(bytes / defaultMaxPartBytes));
    expect(bundle.parts.length).toBeLessThanOrEqual(8);
    for (const part of bundle.parts) {
      // The part travels base64 in `data`: 4/3 of its size, still below 1 MiB.
      expect(Math.ceil(part.data.length / 3) * 4).toBeLessThan(1024 * 1024);
    }
  });

  it('puts back the same config', () => {
    const config = parseFilterConfig(assembleConfigBundle(bundle.index, partsOf(bundle)));
    expect(config.backends).toHaveLength(4000);
    expect(config.models).toHaveLength(2000);
    expect(config.uuid).toBe(input.uuid);
  });
});
