import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilterConfig, type FilterConfigInput } from '@aigw/filterapi';
import { removeTempDir, tempDir } from '@aigw/testkit';
import { buildRuntimeConfig, type RuntimeConfig } from './runtime-config.js';

function build(input: Omit<FilterConfigInput, 'version'>): Promise<RuntimeConfig> {
  return buildRuntimeConfig(parseFilterConfig(JSON.stringify({ version: 'v1', ...input })));
}

describe('model routing', () => {
  let runtime: RuntimeConfig;

  beforeAll(async () => {
    runtime = await build({
      routes: {
        rules: [
          { models: ['gpt-*'], cluster: 'prefix-first' },
          { models: ['gpt-4o'], cluster: 'exact-later' },
          { models: ['gpt-4o', 'gpt-4o-*'], cluster: 'exact-repeated' },
          { models: ['gpt-4*'], cluster: 'longer-prefix-later' },
          { models: ['claude-3-haiku', '*'], cluster: 'catch-all' },
        ],
      },
    });
  });

  it.each([
    // An exact name wins over any prefix, even one listed before it.
    ['gpt-4o', 'exact-later'],
    // Among prefixes the first listed wins, not the longest.
    ['gpt-4o-mini', 'prefix-first'],
    ['gpt-4.1', 'prefix-first'],
    ['claude-3-haiku', 'catch-all'],
    ['anything-else', 'catch-all'],
    // '*' is an empty prefix; case matters.
    ['GPT-4o', 'catch-all'],
  ])('routes %s to %s', (model, cluster) => {
    expect(runtime.router?.clusterFor(model)).toBe(cluster);
  });

  it('uses the default cluster header', () => {
    expect(runtime.router?.clusterHeader).toBe('x-ai-eg-cluster');
  });

  it('answers undefined for a model no rule names', async () => {
    const narrow = await build({
      routes: {
        clusterHeader: 'X-Cluster',
        rules: [{ models: ['gpt-a', 'gpt-b-*'], cluster: 'c' }],
      },
    });
    expect(narrow.router?.clusterHeader).toBe('x-cluster');
    expect(narrow.router?.clusterFor('gpt-b-mini')).toBe('c');
    expect(narrow.router?.clusterFor('gpt-b')).toBeUndefined();
    expect(narrow.router?.clusterFor('gpt-a-mini')).toBeUndefined();
    expect(narrow.router?.clusterFor('')).toBeUndefined();
  });

  it('has no router without routes (Kubernetes: HTTPRoutes match the model header)', async () => {
    expect((await build({})).router).toBeUndefined();
  });

  it('has a router that knows no model when the rules are empty', async () => {
    const empty = await build({ routes: { rules: [] } });
    expect(empty.router?.clusterFor('gpt-a')).toBeUndefined();
  });
});

describe('runtime config', () => {
  let dir: string;

  beforeAll(() => {
    dir = tempDir('runtime');
    writeFileSync(join(dir, 'key-a'), 'secret-a\n');
    writeFileSync(join(dir, 'key-b'), 'secret-b');
  });

  afterAll(async () => {
    await removeTempDir(dir);
  });

  it('loads each backend credential, compiles costs and lists the files to watch', async () => {
    const runtime = await build({
      backends: [
        { name: 'a', schema: { name: 'OpenAI' }, auth: { apiKey: { file: join(dir, 'key-a') } } },
        {
          name: 'b',
          schema: { name: 'OpenAI' },
          auth: { anthropicApiKey: { file: join(dir, 'key-b') } },
        },
        { name: 'none', schema: { name: 'OpenAI' } },
      ],
      llmRequestCosts: [{ metadataKey: 'total', type: 'TotalToken' }],
    });
    expect([...runtime.backends.keys()]).toEqual(['a', 'b', 'none']);
    expect(runtime.backends.get('a')?.credential).toEqual({
      name: 'authorization',
      value: 'Bearer secret-a',
    });
    expect(runtime.backends.get('b')?.credential).toEqual({ name: 'x-api-key', value: 'secret-b' });
    expect(runtime.backends.get('none')?.credential).toBeUndefined();
    expect(runtime.backends.get('a')?.backend.schema).toEqual({ name: 'OpenAI' });
    expect(runtime.costs.map((c) => c.metadataKey)).toEqual(['total']);
    expect(runtime.watchedFiles).toEqual([join(dir, 'key-a'), join(dir, 'key-b')]);
  });

  it('names the backend whose credential cannot be loaded', async () => {
    const missing = join(dir, 'missing');
    await expect(
      build({
        backends: [
          {
            name: 'ok',
            schema: { name: 'OpenAI' },
            auth: { apiKey: { file: join(dir, 'key-a') } },
          },
          { name: 'broken', schema: { name: 'OpenAI' }, auth: { apiKey: { file: missing } } },
        ],
      }),
    ).rejects.toThrow(new RegExp(`^backend broken: ENOENT.*${missing}`));
  });

  it('rejects the whole config when a cost does not compile', async () => {
    await expect(
      build({ llmRequestCosts: [{ metadataKey: 'bad', type: 'CEL', cel: '"x"' }] }),
    ).rejects.toThrow(/llmRequestCosts bad/);
  });
});
