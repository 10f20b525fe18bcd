import { describe, expect, it } from 'vitest';
import { geminiPathNotFound, withoutApiKey } from './gemini-path.js';

describe('a Gemini API path the gateway does not serve: 404 in Google’s error format', () => {
  it.each([
    '/v1beta/models/text-embedding-004:embedContent',
    '/v1/models/text-embedding-004:batchEmbedContents?key=k',
    '/ai/v1alpha/models/gemini-2.5-pro:generateContent',
  ])('%s', (path) => {
    const error = geminiPathNotFound(path);
    expect(error?.status).toBe(404);
    expect(error?.contentType).toBe('application/json');
    const body = JSON.parse(Buffer.from(error?.body ?? []).toString('utf8')) as {
      error: { code: number; status: string; message: string };
    };
    expect(body.error.code).toBe(404);
    expect(body.error.status).toBe('NOT_FOUND');
    expect(body.error.message).toContain(`unsupported path: ${path.split('?')[0] ?? ''}`);
    expect(body.error.message).toContain('generateContent, streamGenerateContent and countTokens');
  });

  it.each(['/v1/models', '/v1/chat/completions', '/v1beta/models', '/v1/models/gpt-4o'])(
    'leaves %s to the OpenAI/Anthropic 404',
    (path) => {
      expect(geminiPathNotFound(path)).toBeUndefined();
    },
  );
});

describe('withoutApiKey: a client’s `?key=` never travels on', () => {
  it.each([
    [
      '/v1beta/models/m:streamGenerateContent?alt=sse&key=secret',
      '/v1beta/models/m:streamGenerateContent?alt=sse',
    ],
    ['/v1beta/models/m:generateContent?key=secret', '/v1beta/models/m:generateContent'],
    ['/v1beta/models/m:generateContent?key=secret&x=1', '/v1beta/models/m:generateContent?x=1'],
    ['/v1/chat/completions?monkey=1', '/v1/chat/completions?monkey=1'],
    ['/v1/chat/completions', '/v1/chat/completions'],
  ])('%s → %s', (path, want) => {
    expect(withoutApiKey(path)).toBe(want);
  });
});
