import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
import type { Endpoint } from '../translator.js';
import { createGeminiToGcpVertexAiTranslator, vertexGeminiPath } from './gcpvertexai.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const gcp = { project: 'proj', region: 'us-central1' };
const body = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

function translate(
  path: string,
  value: unknown = body,
  endpoint: Endpoint = 'gemini-generate-content',
) {
  const request = parseRequest(endpoint, encoder.encode(JSON.stringify(value)), { path });
  const translator = createGeminiToGcpVertexAiTranslator({ schema: { name: 'GCPVertexAI' }, gcp });
  const translated = translator.request({ request, path });
  return { translator, translated };
}

describe('gemini → gcpvertexai', () => {
  it('sends the body unchanged to the Vertex AI method of the path', () => {
    const { translated } = translate('/v1beta/models/gemini-2.5-pro:generateContent?key=k');
    expect(translated.path).toBe(
      '/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent',
    );
    expect(translated.body).toBeUndefined();
    expect(translated.headers.remove).toContain('x-goog-api-key');
    expect(translated.model).toBe('gemini-2.5-pro');
  });

  it('streams as SSE, and counts tokens at :countTokens (unwrapping generateContentRequest)', () => {
    const stream = translate('/v1beta/models/g:streamGenerateContent?alt=sse');
    expect(stream.translated.path).toMatch(/models\/g:streamGenerateContent\?alt=sse$/);
    const wrapped = { generateContentRequest: { model: 'models/g', ...body } };
    const count = translate('/v1beta/models/g:countTokens', wrapped, 'gemini-count-tokens');
    expect(count.translated.path).toMatch(/models\/g:countTokens$/);
    expect(JSON.parse(decoder.decode(count.translated.body))).toEqual(body);
    expect(vertexGeminiPath({ gcp: undefined, model: 'a/b', method: 'countTokens' })).toBe(
      '/v1/publishers/google/models/a%2Fb:countTokens',
    );
  });

  it('reads usage (cached and thought tokens) and forwards the response unchanged', () => {
    const { translator } = translate('/v1beta/models/g:generateContent');
    const response = {
      candidates: [
        { content: { role: 'model', parts: [{ text: 'hello' }] }, finishReason: 'STOP' },
      ],
      usageMetadata: {
        promptTokenCount: 100,
        candidatesTokenCount: 10,
        thoughtsTokenCount: 5,
        cachedContentTokenCount: 40,
        totalTokenCount: 115,
      },
      modelVersion: 'gemini-2.5-pro-002',
    };
    const bytes = encoder.encode(JSON.stringify(response));
    translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const result = translator.responseBody(bytes, true);
    expect(decoder.decode(result.body)).toBe(JSON.stringify(response));
    expect(result.usage).toMatchObject({
      inputTokens: 100,
      outputTokens: 15,
      cachedInputTokens: 40,
      reasoningTokens: 5,
      totalTokens: 115,
    });
    expect(result.responseModel).toBe('gemini-2.5-pro-002');
  });

  it('passes a stream through and ends a cut one with a Google error line', () => {
    const { translator } = translate('/v1beta/models/g:streamGenerateContent?alt=sse');
    translator.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const frame = (finish: boolean): Uint8Array =>
      encoder.encode(
        `data: ${JSON.stringify({
          candidates: [
            {
              content: { role: 'model', parts: [{ text: 'x' }] },
              ...(finish ? { finishReason: 'STOP' } : {}),
            },
          ],
          usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
        })}\r\n\r\n`,
      );
    expect(translator.responseBody(frame(false), false).body).toBeUndefined();
    const end = translator.responseBody(new Uint8Array(0), true);
    const text = decoder.decode(end.body);
    expect(JSON.parse(text.trim())).toMatchObject({ error: { code: 502, status: 'UNAVAILABLE' } });
    expect(end.usage?.inputTokens).toBe(3);

    const finished = translate('/v1beta/models/g:streamGenerateContent?alt=sse').translator;
    finished.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    expect(finished.responseBody(frame(true), true).body).toBeUndefined();
  });

  it('keeps a Google error as it is, and unwraps the array a stream answers with', () => {
    const { translator } = translate('/v1beta/models/g:generateContent');
    const error = '{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}';
    const same = translator.responseError(429, new Map(), encoder.encode(error));
    expect(decoder.decode(same.body)).toBe(error);
    const wrapped = translator.responseError(429, new Map(), encoder.encode(`[${error}]`));
    expect(JSON.parse(decoder.decode(wrapped.body))).toEqual(JSON.parse(error));
    const text = translator.responseError(503, new Map(), encoder.encode('upstream down'));
    expect(JSON.parse(decoder.decode(text.body))).toEqual({
      error: { code: 503, message: 'upstream down', status: 'UNAVAILABLE' },
    });
  });
});
