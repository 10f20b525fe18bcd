import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultResources } from './default-config.js';
import { discoverModels, type ModelSource } from './model-discovery.js';

/** A local HTTP server answering each path with a status and JSON (or text) body. */
describe('discoverModels', () => {
  let server: Server;
  let base: string;
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const answers: Record<string, { status: number; body: string }> = {
    '/v1/models': {
      status: 200,
      body: JSON.stringify({
        object: 'list',
        data: [
          { id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' },
          { id: 'claude-3-opus', object: 'model', created: 1, owned_by: 'someone' },
          { id: 'o3', object: 'model', created: 1744225308, owned_by: '' },
          { object: 'model' },
        ],
      }),
    },
    '/anthropic/v1/models': {
      status: 200,
      body: JSON.stringify({
        data: [
          { type: 'model', id: 'claude-sonnet-4-5', created_at: '2025-09-29T00:00:00Z' },
          { type: 'model', id: 'claude-3-opus', created_at: '2024-02-29T00:00:00Z' },
          { type: 'model', id: 'not-claude', created_at: '2024-02-29T00:00:00Z' },
        ],
        has_more: false,
      }),
    },
    '/down/models': { status: 401, body: '{"error":{"message":"bad key"}}' },
    '/html/models': { status: 200, body: '<html>proxy</html>' },
    '/shape/models': { status: 200, body: '{"models":[]}' },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      seen.push({ path, headers: req.headers });
      const answer = answers[path] ?? { status: 404, body: 'not found' };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('lists an OpenAI and an Anthropic list in the filter config shape, filtered by route', async () => {
    const sources: ModelSource[] = [
      {
        provider: 'anthropic',
        url: `${base}/anthropic/v1/models?limit=1000`,
        headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' },
        include: /^claude-/,
      },
      {
        provider: 'openai',
        url: `${base}/v1/models`,
        headers: { authorization: 'Bearer sk-test' },
        exclude: /^claude-/,
      },
    ];
    const found = await discoverModels(sources);
    expect(found.problems).toEqual([]);
    expect(found.models).toEqual([
      { name: 'claude-3-opus', ownedBy: 'anthropic', createdAt: '2024-02-29T00:00:00Z' },
      { name: 'claude-sonnet-4-5', ownedBy: 'anthropic', createdAt: '2025-09-29T00:00:00Z' },
      { name: 'gpt-4o-mini', ownedBy: 'system', createdAt: '2024-07-16T23:32:21Z' },
      { name: 'o3', ownedBy: 'openai', createdAt: '2025-04-09T19:01:48Z' },
    ]);
    const anthropic = seen.find((s) => s.path === '/anthropic/v1/models');
    expect(anthropic?.headers['x-api-key']).toBe('sk-ant-test');
    expect(seen.find((s) => s.path === '/v1/models')?.headers.authorization).toBe('Bearer sk-test');
  });

  it('reports each provider it could not ask, without its credential, and keeps the others', async () => {
    const source = (path: string): ModelSource => ({
      provider: 'openai',
      url: `${base}${path}`,
      headers: { authorization: 'Bearer sk-secret-value' },
    });
    const found = await discoverModels([
      source('/down/models'),
      source('/html/models'),
      source('/shape/models'),
      { ...source('/models'), url: 'http://127.0.0.1:1/models' },
      source('/v1/models'),
    ]);
    expect(found.models.map((m) => m.name)).toEqual(['claude-3-opus', 'gpt-4o-mini', 'o3']);
    expect(found.problems).toHaveLength(4);
    expect(found.problems[0]).toBe(`openai models (${base}/down/models): HTTP 401`);
    expect(found.problems[1]).toMatch(/html\/models\): .*JSON/);
    expect(found.problems[2]).toContain('is not a model list');
    expect(found.problems[3]).toMatch(/^openai models \(http:\/\/127\.0\.0\.1:1\/models\): /);
    expect(found.problems.join('\n')).not.toContain('sk-secret-value');
  });

  it('gives up on a provider that does not answer within the timeout', async () => {
    const hang = createServer(() => undefined);
    hang.listen(0, '127.0.0.1');
    await new Promise((resolve) => hang.once('listening', resolve));
    const url = `http://127.0.0.1:${String((hang.address() as AddressInfo).port)}/models`;
    try {
      const found = await discoverModels([{ provider: 'openai', url, headers: {} }], {
        timeoutMs: 50,
      });
      expect(found.models).toEqual([]);
      expect(found.problems).toHaveLength(1);
      expect(found.problems[0]).toMatch(/timeout|aborted/i);
    } finally {
      hang.closeAllConnections();
      await new Promise((resolve) => hang.close(resolve));
    }
  });
});

describe('the embedded default’s model sources', () => {
  it('asks OpenAI (minus claude-*) and Anthropic (claude-* only) with their credentials', () => {
    const { modelSources } = defaultResources({
      OPENAI_API_KEY: 'sk-o',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_ORG_ID: 'org-1',
      ANTHROPIC_API_KEY: 'sk-a',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8',
    });
    expect(modelSources).toEqual([
      {
        provider: 'anthropic',
        url: 'http://127.0.0.1:8/v1/models?limit=1000',
        headers: { 'x-api-key': 'sk-a', 'anthropic-version': '2023-06-01' },
        include: /^claude-/,
      },
      {
        provider: 'openai',
        url: 'http://127.0.0.1:9/v1/models',
        headers: { authorization: 'Bearer sk-o', 'openai-organization': 'org-1' },
        exclude: /^claude-/,
      },
    ]);
  });

  it('asks a keyless local OpenAI-compatible server without a key; never Azure', () => {
    expect(defaultResources({ OPENAI_BASE_URL: 'http://localhost:11434/v1' }).modelSources).toEqual(
      [{ provider: 'openai', url: 'http://localhost:11434/v1/models', headers: {} }],
    );
    const azure = defaultResources({
      AZURE_OPENAI_API_KEY: 'k',
      AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com',
      OPENAI_API_VERSION: '2024-10-21',
    });
    expect(azure.modelSources).toEqual([]);
  });
});
