import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
import { utf8Encoder } from '../shared/bytes.js';
import { createTranslator } from '../registry.js';
import type { BackendSchema } from '../translator.js';
import { azureMediaPath, usageFromMedia } from './media-passthrough.js';

const speech = parseRequest(
  'audio-speech',
  utf8Encoder.encode('{"model":"tts-1","input":"hi","voice":"alloy"}'),
);

function pathFor(schema: BackendSchema, path = '/v1/audio/speech'): string {
  return createTranslator({ endpoint: 'audio-speech', schema }).request({ request: speech, path })
    .path;
}

describe('OpenAI media translator', () => {
  it.each([
    [{ name: 'OpenAI' } as const, '/v1/audio/speech'],
    [{ name: 'OpenAI', prefix: '' } as const, '/audio/speech'],
    [{ name: 'OpenAI', prefix: '/api/v2/' } as const, '/api/v2/audio/speech'],
  ])('puts the backend prefix before the operation (%j)', (schema, want) => {
    expect(pathFor(schema)).toBe(want);
  });

  it("keeps the client's query string for OpenAI, replaces it for Azure", () => {
    expect(pathFor({ name: 'OpenAI' }, '/v1/audio/speech?trace=1')).toBe(
      '/v1/audio/speech?trace=1',
    );
    expect(
      pathFor({ name: 'AzureOpenAI', version: '2025-04-01-preview' }, '/v1/audio/speech?x=1'),
    ).toBe('/openai/deployments/tts-1/audio/speech?api-version=2025-04-01-preview');
  });

  it('leaves api-version out without a schema version and escapes the deployment', () => {
    expect(
      azureMediaPath({ endpoint: 'image-generations', deployment: 'img/1', apiVersion: undefined }),
    ).toBe('/openai/deployments/img%2F1/images/generations');
  });

  it.each([
    [
      { input_tokens: 3, output_tokens: 5, total_tokens: 8 },
      { inputTokens: 3, outputTokens: 5, totalTokens: 8 },
    ],
    [
      { type: 'tokens', input_tokens: 3, output_tokens: 5 },
      { inputTokens: 3, outputTokens: 5, totalTokens: 8 },
    ],
    [{ type: 'duration', seconds: 12 }, undefined],
    [{ prompt_tokens: 3 }, undefined],
    [null, undefined],
  ])('reads media usage %j', (usage, want) => {
    const got = usageFromMedia(usage);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject(want);
  });

  it('streams binary speech audio but buffers a JSON answer', () => {
    const translator = createTranslator({ endpoint: 'audio-speech', schema: { name: 'OpenAI' } });
    translator.request({ request: speech, path: '/v1/audio/speech' });
    expect(
      translator.responseHeaders(200, new Map([['content-type', 'audio/mpeg']])).isStreaming,
    ).toBe(true);
    const images = createTranslator({ endpoint: 'image-generations', schema: { name: 'OpenAI' } });
    expect(
      images.responseHeaders(200, new Map([['content-type', 'application/json']])).isStreaming,
    ).toBe(false);
  });
});
