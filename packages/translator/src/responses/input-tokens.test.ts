import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import type { BackendSchema, TranslatedRequest, Translator } from '../translator.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function translate(
  schema: BackendSchema,
  body: Record<string, unknown>,
  override?: string,
): { translator: Translator; out: TranslatedRequest; json: Record<string, unknown> } {
  const translator = createTranslator({ endpoint: 'responses-input-tokens', schema });
  const request = parseRequest('responses-input-tokens', encoder.encode(JSON.stringify(body)));
  const out = translator.request({
    request,
    path: '/v1/responses/input_tokens',
    ...(override === undefined ? {} : { modelNameOverride: override }),
  });
  const json = JSON.parse(decoder.decode(out.body ?? request.raw)) as Record<string, unknown>;
  return { translator, out, json };
}

describe('/v1/responses/input_tokens', () => {
  it('passes through to OpenAI and reports the count as input tokens', () => {
    const { translator, out } = translate({ name: 'OpenAI' }, { model: 'gpt-5', input: 'hi' });
    expect(out.path).toBe('/v1/responses/input_tokens');
    expect(out.body).toBeUndefined();
    const answer = { object: 'response.input_tokens', input_tokens: 7 };
    const result = translator.responseBody(encoder.encode(JSON.stringify(answer)), true);
    expect(result.body).toBeUndefined();
    expect(result.usage).toMatchObject({ inputTokens: 7, outputTokens: 0 });
  });

  it('passes through to Azure OpenAI with the api-version, the deployment in the body', () => {
    const { out, json } = translate(
      { name: 'AzureOpenAI', version: '2025-04-01-preview' },
      { model: 'gpt-5', input: 'hi' },
      'my-deployment',
    );
    expect(out.path).toBe('/openai/responses/input_tokens?api-version=2025-04-01-preview');
    expect(json).toEqual({ model: 'my-deployment', input: 'hi' });
  });

  it('counts on Anthropic with /v1/messages/count_tokens, by way of chat completions', () => {
    const { translator, out, json } = translate(
      { name: 'Anthropic' },
      { model: 'claude-sonnet-4-5', instructions: 'be brief', input: 'hello' },
    );
    expect(out.path).toBe('/v1/messages/count_tokens');
    expect(out.headers.set).toContainEqual(['anthropic-version', '2023-06-01']);
    expect(json).toEqual({
      model: 'claude-sonnet-4-5',
      system: [{ type: 'text', text: 'be brief' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    });
    translator.responseHeaders(200, new Map());
    const result = translator.responseBody(encoder.encode('{"input_tokens":12}'), true);
    expect(JSON.parse(decoder.decode(result.body ?? new Uint8Array()))).toEqual({
      object: 'response.input_tokens',
      input_tokens: 12,
    });
    expect(result.usage).toMatchObject({ inputTokens: 12 });
  });

  it('counts on AWS Bedrock with CountTokens', () => {
    const { out, json } = translate(
      { name: 'AWSBedrock' },
      { model: 'amazon.nova-lite-v1:0', input: [{ role: 'user', content: 'hello' }] },
    );
    expect(out.path).toBe('/model/amazon.nova-lite-v1:0/count-tokens');
    expect(json).toEqual({
      input: { converse: { messages: [{ role: 'user', content: [{ text: 'hello' }] }] } },
    });
  });

  it('refuses a Responses body chat backends cannot take with a 400', () => {
    expect(() => translate({ name: 'GCPVertexAI' }, { model: 'gemini-2.5-flash' })).toThrow(
      /input/,
    );
  });

  it('is not served for Cohere', () => {
    expect(() =>
      createTranslator({ endpoint: 'responses-input-tokens', schema: { name: 'Cohere' } }),
    ).toThrow(/no translator/);
  });
});
