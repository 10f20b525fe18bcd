import { describe, expect, it } from 'vitest';
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import type { BackendSchema, TranslatedRequest, Translator } from '../translator.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const gcp = { project: 'proj', region: 'us-east5' };

function translate(
  schema: BackendSchema,
  body: Record<string, unknown>,
  override?: string,
): { translator: Translator; out: TranslatedRequest; json: Record<string, unknown> } {
  const translator = createTranslator({ endpoint: 'tokenize', schema, gcp });
  const request = parseRequest('tokenize', encoder.encode(JSON.stringify(body)));
  const out = translator.request({
    request,
    path: '/tokenize',
    ...(override === undefined ? {} : { modelNameOverride: override }),
  });
  const json = JSON.parse(decoder.decode(out.body ?? request.raw)) as Record<string, unknown>;
  return { translator, out, json };
}

function answer(translator: Translator, body: unknown): unknown {
  translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
  const result = translator.responseBody(encoder.encode(JSON.stringify(body)), true);
  return result.body === undefined ? body : JSON.parse(decoder.decode(result.body));
}

describe('/tokenize', () => {
  it('passes an OpenAI-schema (vLLM) request through to /tokenize, model overridden', () => {
    const plain = translate({ name: 'OpenAI' }, { model: 'llama', prompt: 'hi' });
    expect(plain.out.path).toBe('/tokenize');
    expect(plain.out.body).toBeUndefined();
    const overridden = translate({ name: 'OpenAI' }, { model: 'llama', prompt: 'hi' }, 'meta/l3');
    expect(overridden.json).toEqual({ model: 'meta/l3', prompt: 'hi' });
    const vllm = { count: 3, max_model_len: 8192, tokens: [1, 2, 3] };
    expect(answer(overridden.translator, vllm)).toEqual(vllm);
  });

  it('counts on AWS Bedrock with CountTokens (Converse input), cross-region prefix dropped', () => {
    const { translator, out, json } = translate(
      { name: 'AWSBedrock' },
      {
        model: 'us.anthropic.claude-sonnet-4-5-v1:0',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hello' },
        ],
      },
    );
    expect(out.path).toBe('/model/anthropic.claude-sonnet-4-5-v1:0/count-tokens');
    expect(json).toEqual({
      input: {
        converse: {
          messages: [{ role: 'user', content: [{ text: 'hello' }] }],
          system: [{ text: 'be brief' }],
        },
      },
    });
    expect(answer(translator, { inputTokens: 17 })).toEqual({
      count: 17,
      max_model_len: 0,
      tokens: [],
    });
  });

  it('counts Claude on Bedrock with CountTokens (InvokeModel input, base64 body)', () => {
    const { out, json } = translate(
      { name: 'AWSAnthropic' },
      { model: 'anthropic.claude-3-haiku', prompt: 'hello' },
    );
    expect(out.path).toBe('/model/anthropic.claude-3-haiku/count-tokens');
    const wrapped = json.input as { invokeModel: { body: string } };
    const inner = JSON.parse(atob(wrapped.invokeModel.body)) as Record<string, unknown>;
    expect(inner).toMatchObject({
      anthropic_version: 'bedrock-2023-05-31',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    });
    expect(inner.model).toBeUndefined();
    expect(typeof inner.max_tokens).toBe('number');
  });

  it('counts on Vertex AI Gemini with :countTokens', () => {
    const { translator, out, json } = translate(
      { name: 'GCPVertexAI' },
      { model: 'gemini-2.5-flash', prompt: 'hello' },
    );
    expect(out.path).toBe(
      '/v1/projects/proj/locations/us-east5/publishers/google/models/gemini-2.5-flash:countTokens',
    );
    expect(json).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hello' }] }] });
    expect(answer(translator, { totalTokens: 5 })).toMatchObject({ count: 5 });
  });

  it('counts on Vertex AI Gemini at the overridden, escaped model; express mode has no location', () => {
    const located = translate(
      { name: 'GCPVertexAI' },
      { model: 'gemini-2.5-flash', prompt: 'hello' },
      'tuned/gemini v2',
    );
    expect(located.out.path).toBe(
      '/v1/projects/proj/locations/us-east5/publishers/google/models/tuned%2Fgemini%20v2:countTokens',
    );
    expect(located.out.model).toBe('tuned/gemini v2');
    const express = createTranslator({ endpoint: 'tokenize', schema: { name: 'GCPVertexAI' } });
    const out = express.request({
      request: parseRequest(
        'tokenize',
        encoder.encode('{"model":"gemini-2.5-flash","prompt":"hi"}'),
      ),
      path: '/tokenize',
    });
    expect(out.path).toBe('/v1/publishers/google/models/gemini-2.5-flash:countTokens');
  });

  it('counts Claude on Vertex AI with count-tokens:rawPredict, the model in the body', () => {
    const { out, json } = translate(
      { name: 'GCPAnthropic' },
      { model: 'claude-sonnet-4@default', prompt: 'hello' },
    );
    expect(out.path).toBe(
      '/v1/projects/proj/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict',
    );
    expect(json).toMatchObject({
      anthropic_version: 'vertex-2023-10-16',
      model: 'claude-sonnet-4',
      messages: [{ role: 'user' }],
    });
  });

  it.each([
    [{ model: 'm' }, 'needs "prompt"'],
    [{ model: 'm', prompt: 'a', messages: [{ role: 'user', content: 'b' }] }, 'not both'],
    [{ model: 'm', prompt: 3 }, '"prompt" must be a string'],
    [{ model: 'm', messages: [] }, 'non-empty array'],
    [{ model: 'm', prompt: 'a', continue_final_message: true }, 'continue_final_message'],
  ])('refuses %j with a 400 (%s)', (body, message) => {
    let caught: unknown;
    try {
      translate({ name: 'AWSBedrock' }, body);
    } catch (err) {
      caught = err;
    }
    expect(isUserFacing(caught) && caught.status === 400 && caught.message).toContain(message);
  });

  it('maps a Bedrock error to an OpenAI error, and a body without a count to a 502 error', () => {
    const { translator } = translate({ name: 'AWSBedrock' }, { model: 'm', prompt: 'a' });
    const error = translator.responseError(
      400,
      new Map([['x-amzn-errortype', 'ValidationException']]),
      encoder.encode(JSON.stringify({ message: "The provided model doesn't support counting" })),
    );
    expect(error.status).toBe(400);
    expect(JSON.parse(decoder.decode(error.body))).toMatchObject({
      error: { message: "The provided model doesn't support counting" },
    });
    const next = translate({ name: 'AWSBedrock' }, { model: 'm', prompt: 'a' }).translator;
    expect(() => answer(next, { nothing: true })).toThrow(/no token count/);
  });

  it.each(['AzureOpenAI', 'Anthropic', 'Cohere'] as const)('is not served for %s', (name) => {
    expect(() => createTranslator({ endpoint: 'tokenize', schema: { name } })).toThrow(
      /no translator/,
    );
  });
});
