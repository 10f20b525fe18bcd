import { describe, expect, it } from 'vitest';
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import type { BackendSchema } from '../translator.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const body = { model: 'rerank-v3.5', query: 'capital?', documents: ['Paris', 'Berlin'], top_n: 1 };

function translator(schema: BackendSchema = { name: 'Cohere' }) {
  return createTranslator({ endpoint: 'rerank', schema });
}

function request(value: Record<string, unknown> = body) {
  return parseRequest('rerank', encoder.encode(JSON.stringify(value)));
}

describe('cohere → cohere rerank', () => {
  it('passes the body through to /v2/rerank, or /{version}/rerank', () => {
    const out = translator().request({ request: request(), path: '/cohere/v2/rerank' });
    expect(out.path).toBe('/v2/rerank');
    expect(out.body).toBeUndefined();
    const v1 = translator({ name: 'Cohere', version: 'v1' });
    expect(v1.request({ request: request(), path: '/cohere/v2/rerank' }).path).toBe('/v1/rerank');
  });

  it('overrides the model in the body and reports it as the response model', () => {
    const t = translator();
    const out = t.request({ request: request(), path: '/x', modelNameOverride: 'rerank-v4' });
    expect(JSON.parse(decoder.decode(out.body))).toEqual({ ...body, model: 'rerank-v4' });
    const result = t.responseBody(encoder.encode('{"results":[]}'), true);
    expect(result.responseModel).toBe('rerank-v4');
  });

  it.each([
    [{ meta: { tokens: { input_tokens: 120.0, output_tokens: 0 } } }, 120],
    [{ meta: { billed_units: { search_units: 1, input_tokens: 33 } } }, 33],
  ])('reads usage from %j', (meta, input) => {
    const t = translator();
    t.request({ request: request(), path: '/x' });
    const answer = { id: 'a', results: [{ index: 0, relevance_score: 0.9 }], ...meta };
    const result = t.responseBody(encoder.encode(JSON.stringify(answer)), true);
    expect(result.body).toBeUndefined();
    expect(result.usage).toMatchObject({ inputTokens: input, totalTokens: input });
  });

  it.each([
    [{ model: 'm', documents: [] }, '"query"'],
    [{ model: 'm', query: 'q' }, '"documents"'],
    [{ model: 'm', query: 'q', documents: [], top_n: 0 }, '"top_n"'],
  ])('refuses %j with a 400 naming %s', (value, field) => {
    let caught: unknown;
    try {
      translator().request({ request: request(value), path: '/x' });
    } catch (err) {
      caught = err;
    }
    expect(isUserFacing(caught) && caught.status === 400 && caught.message).toContain(field);
  });

  it('passes a Cohere error through and wraps anything else as {"message"}', () => {
    const cohere = encoder.encode('{"id":"e","message":"invalid api token"}');
    expect(translator().responseError(401, new Map(), cohere).body).toBe(cohere);
    const html = translator().responseError(502, new Map(), encoder.encode('<h1>bad gw</h1>'));
    expect(JSON.parse(decoder.decode(html.body))).toEqual({ message: '<h1>bad gw</h1>' });
  });

  it.each(['OpenAI', 'AWSBedrock'] as const)('is not served for %s', (name) => {
    expect(() => translator({ name })).toThrow(/no translator/);
  });
});
