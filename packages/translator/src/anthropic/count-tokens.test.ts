import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import type { BackendSchemaName, Translator } from '../translator.js';

const request = {
  model: 'claude-sonnet-4-5',
  system: 'Be brief.',
  messages: [{ role: 'user', content: 'How many tokens is this?' }],
  tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
};
const parsed = parseRequest('count-tokens', utf8Encoder.encode(JSON.stringify(request)));
const gcp = { project: 'proj', region: 'us-east5' };
const betas = new Map([['anthropic-beta', 'token-counting-2024-11-01, context-1m-2025-08-07']]);

function translatorFor(name: BackendSchemaName): Translator {
  return createTranslator({ endpoint: 'count-tokens', schema: { name }, gcp });
}

function jsonOf(body: Uint8Array | undefined): Record<string, unknown> {
  if (body === undefined) throw new Error('expected a body');
  return JSON.parse(utf8Decoder.decode(body)) as Record<string, unknown>;
}

describe('anthropic count_tokens → Anthropic', () => {
  it('passes the body through to /v1/messages/count_tokens, query kept', () => {
    const out = translatorFor('Anthropic').request({
      request: parsed,
      path: '/anthropic/v1/messages/count_tokens?beta=true',
    });
    expect(out).toMatchObject({ path: '/v1/messages/count_tokens?beta=true', body: undefined });
    expect(out.model).toBe('claude-sonnet-4-5');
  });

  it('overrides the model in the body', () => {
    const out = translatorFor('Anthropic').request({
      request: parsed,
      path: '/v1/messages/count_tokens',
      modelNameOverride: 'claude-x',
    });
    expect(jsonOf(out.body)).toEqual({ ...request, model: 'claude-x' });
  });

  it('passes the answer through and charges no usage', () => {
    const t = translatorFor('Anthropic');
    t.request({ request: parsed, path: '/v1/messages/count_tokens' });
    t.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const out = t.responseBody(utf8Encoder.encode('{"input_tokens":42}'), true);
    expect(out).toEqual({ body: undefined, usage: undefined, responseModel: 'claude-sonnet-4-5' });
  });
});

describe('anthropic count_tokens → GCP Anthropic', () => {
  it('calls count-tokens:rawPredict with the model in the body, version and betas added', () => {
    const out = translatorFor('GCPAnthropic').request({
      request: parsed,
      path: '/v1/messages/count_tokens',
      modelNameOverride: 'claude-3-5-haiku@20241022',
      headers: betas,
    });
    expect(out.path).toBe(
      '/v1/projects/proj/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict',
    );
    expect(jsonOf(out.body)).toEqual({
      anthropic_version: 'vertex-2023-10-16',
      anthropic_beta: ['token-counting-2024-11-01', 'context-1m-2025-08-07'],
      model: 'claude-3-5-haiku@20241022',
      system: request.system,
      messages: request.messages,
      tools: request.tools,
    });
  });
});

describe.each<BackendSchemaName>(['AWSAnthropic', 'AWSBedrock'])(
  'anthropic count_tokens → %s (Bedrock CountTokens)',
  (name) => {
    it('sends the Claude InvokeModel body, base64, to /model/{id}/count-tokens', () => {
      const out = translatorFor(name).request({
        request: parsed,
        path: '/v1/messages/count_tokens',
        modelNameOverride: 'anthropic.claude-3-5-haiku-20241022-v1:0',
        headers: betas,
      });
      expect(out.path).toBe('/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/count-tokens');
      const body = jsonOf(out.body) as { input: { invokeModel: { body: string } } };
      expect(Object.keys(body)).toEqual(['input']);
      const invoke = JSON.parse(
        Buffer.from(body.input.invokeModel.body, 'base64').toString('utf8'),
      ) as unknown;
      expect(invoke).toEqual({
        anthropic_version: 'bedrock-2023-05-31',
        anthropic_beta: ['token-counting-2024-11-01', 'context-1m-2025-08-07'],
        system: request.system,
        messages: request.messages,
        tools: request.tools,
        max_tokens: 1,
      });
    });

    it('re-emits Bedrock’s {"inputTokens"} as {"input_tokens"}, content-length dropped', () => {
      const t = translatorFor(name);
      t.request({ request: parsed, path: '/v1/messages/count_tokens' });
      const headers = t.responseHeaders(200, new Map([['content-type', 'application/json']]));
      expect(headers.headers.remove).toContain('content-length');
      expect(t.responseBody(utf8Encoder.encode('{"inputT'), false).body).toEqual(new Uint8Array(0));
      const out = t.responseBody(utf8Encoder.encode('okens":57}'), true);
      expect(jsonOf(out.body)).toEqual({ input_tokens: 57 });
      expect(out.usage).toBeUndefined();
    });

    it('answers a Bedrock error in Anthropic’s error JSON', () => {
      const t = translatorFor(name);
      t.request({ request: parsed, path: '/v1/messages/count_tokens' });
      const error = t.responseError(
        400,
        new Map(),
        utf8Encoder.encode('{"message":"The provided model doesn\'t support counting tokens"}'),
      );
      expect(error.status).toBe(400);
      expect(jsonOf(error.body)).toEqual({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: "The provided model doesn't support counting tokens",
        },
      });
    });
  },
);

describe('anthropic count_tokens: what cannot be counted', () => {
  it.each<BackendSchemaName>(['OpenAI', 'AzureOpenAI', 'GCPVertexAI', 'Cohere'])(
    'has no translator for %s',
    (name) => {
      expect(() => translatorFor(name)).toThrow(/count-tokens/);
    },
  );

  it('refuses a body without messages with a 400', () => {
    const bad = parseRequest('count-tokens', utf8Encoder.encode('{"model":"m"}'));
    expect(() =>
      translatorFor('Anthropic').request({ request: bad, path: '/v1/messages/count_tokens' }),
    ).toThrow(MalformedRequestError);
  });
});
