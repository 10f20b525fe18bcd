import { describe, expect, it } from 'vitest';
import { parseFilterConfig } from '@aigw/filterapi';

import { anthropicModelList, isModelsRequest, modelList, modelsResponse } from './models.js';

const config = parseFilterConfig(
  JSON.stringify({
    version: 'v1',
    models: [
      { name: 'gpt-4o-mini', ownedBy: 'openai', createdAt: '2025-01-31T12:00:00Z' },
      { name: 'claude-sonnet' },
    ],
  }),
);

describe('GET /v1/models', () => {
  it.each([
    ['GET', '/v1/models', true],
    ['GET', '/v1/models?limit=5', true],
    [undefined, '/v1/models', true],
    ['POST', '/v1/models', false],
    ['GET', '/v1/models/gpt-4o', false],
    ['GET', '/v1/chat/completions', false],
  ])('%s %s is the model list: %s', (method, path, expected) => {
    expect(isModelsRequest(method, path)).toBe(expected);
  });

  it("lists the config's models in OpenAI's format", () => {
    const now = new Date('2026-02-01T00:00:00Z');
    expect(modelList(config, now)).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-4o-mini', object: 'model', created: 1738324800, owned_by: 'openai' },
        {
          id: 'claude-sonnet',
          object: 'model',
          created: now.getTime() / 1000,
          owned_by: 'Envoy AI Gateway',
        },
      ],
    });
  });

  it('builds the response once per config', () => {
    const first = modelsResponse(config);
    expect(first.status).toBe(200);
    expect(first.contentType).toBe('application/json');
    expect(modelsResponse(config)).toBe(first);
    const parsed = JSON.parse(Buffer.from(first.body).toString('utf8')) as { data: unknown[] };
    expect(parsed.data).toHaveLength(2);
  });

  it("lists the config's models in Anthropic's format, one page", () => {
    const now = new Date('2026-02-01T00:00:00.750Z');
    expect(anthropicModelList(config, now)).toEqual({
      data: [
        {
          type: 'model',
          id: 'gpt-4o-mini',
          display_name: 'gpt-4o-mini',
          created_at: '2025-01-31T12:00:00Z',
        },
        {
          type: 'model',
          id: 'claude-sonnet',
          display_name: 'claude-sonnet',
          created_at: '2026-02-01T00:00:00Z',
        },
      ],
      has_more: false,
      first_id: 'gpt-4o-mini',
      last_id: 'claude-sonnet',
    });
    const empty = parseFilterConfig(JSON.stringify({ version: 'v1' }));
    expect(anthropicModelList(empty, now)).toEqual({
      data: [],
      has_more: false,
      first_id: null,
      last_id: null,
    });
  });

  it('builds each dialect’s response once per config', () => {
    const anthropic = modelsResponse(config, 'anthropic');
    expect(modelsResponse(config, 'anthropic')).toBe(anthropic);
    expect(modelsResponse(config, 'openai')).not.toBe(anthropic);
    const parsed = JSON.parse(Buffer.from(anthropic.body).toString('utf8')) as {
      has_more: boolean;
    };
    expect(parsed.has_more).toBe(false);
  });
});
