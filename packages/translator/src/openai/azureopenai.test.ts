import { describe, expect, it } from 'vitest';
import { itMatchesGoldens, prettyJson, readFixtureJson, testdataDir } from '../../test/golden.js';
import { parseRequest } from '../parse-request.js';
import type { BackendSchema } from '../translator.js';
import { azureOpenAIPath, createOpenAIToAzureOpenAITranslator } from './azureopenai.js';
import type { OpenAIEndpoint } from './openai.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dir = testdataDir('openai-azureopenai');

interface Fixture {
  endpoint: OpenAIEndpoint;
  schema: BackendSchema;
  path: string;
  modelNameOverride?: string;
  body: Record<string, unknown>;
}

function azure(version = '2024-08-01-preview') {
  return createOpenAIToAzureOpenAITranslator({
    endpoint: 'chat-completions',
    schema: { name: 'AzureOpenAI', version },
  });
}

describe('openai → azureopenai request', () => {
  itMatchesGoldens({ dir, input: '.in.json', output: '.out.json' }, (name) => {
    const input = readFixtureJson<Fixture>(dir, `${name}.in.json`);
    const translator = createOpenAIToAzureOpenAITranslator({
      endpoint: input.endpoint,
      schema: input.schema,
    });
    const request = parseRequest(input.endpoint, encoder.encode(JSON.stringify(input.body)));
    const { body, ...rest } = translator.request({
      request,
      path: input.path,
      ...(input.modelNameOverride === undefined
        ? {}
        : { modelNameOverride: input.modelNameOverride }),
    });
    const out = {
      ...rest,
      body: body === undefined ? null : (JSON.parse(decoder.decode(body)) as unknown),
    };
    return prettyJson(out);
  });

  it.each([
    ['chat-completions', '/openai/deployments/d/chat/completions?api-version=v'],
    ['completions', '/openai/deployments/d/completions?api-version=v'],
    ['embeddings', '/openai/deployments/d/embeddings?api-version=v'],
  ] as const)('builds the %s path', (endpoint, path) => {
    expect(azureOpenAIPath({ endpoint, deployment: 'd', apiVersion: 'v' })).toBe(path);
  });
});

describe('openai → azureopenai response', () => {
  it('reports the versioned model Azure answers with (ResponseModel_AzureOpenAI)', () => {
    const translator = azure();
    translator.request({
      request: parseRequest('chat-completions', encoder.encode('{"model":"gpt-4o"}')),
      path: '/v1/chat/completions',
    });
    translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const body = encoder.encode(
      '{"model":"gpt-4o-2024-11-20","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}',
    );
    const result = translator.responseBody(body, true);
    expect(result.body).toBeUndefined();
    expect(result.responseModel).toBe('gpt-4o-2024-11-20');
    expect(result.usage).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 15,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('reads model and usage from a stream (ResponseModel_AzureOpenAIStreaming)', () => {
    const translator = azure();
    translator.request({
      request: parseRequest(
        'chat-completions',
        encoder.encode('{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}'),
      ),
      path: '/v1/chat/completions',
    });
    translator.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const sse = [
      'data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1234567890,"model":"gpt-4o-2024-11-20","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}\n\n',
      'data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1234567890,"model":"gpt-4o-2024-11-20","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    const result = translator.responseBody(encoder.encode(sse), true);
    expect(result.body).toBeUndefined();
    expect(result.responseModel).toBe('gpt-4o-2024-11-20');
    expect(result.usage?.totalTokens).toBe(15);
  });

  it('passes Azure errors (OpenAI-shaped) through unchanged', () => {
    const body = encoder.encode(
      '{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}',
    );
    const result = azure().responseError(404, new Map(), body);
    expect(result.body).toBe(body);
    expect(result.status).toBe(404);
  });
});
