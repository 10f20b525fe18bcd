import { describe, expect, it } from 'vitest';
import { geminiPathNotFound } from './gemini-path.js';

describe('a native Gemini API path: 404 in Google’s error format', () => {
  it.each([
    '/v1beta/models/gemini-2.5-pro:generateContent',
    '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    '/v1/models/gemini-2.5-pro:countTokens',
    '/ai/v1alpha/models/text-embedding-004:embedContent',
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
    expect(body.error.message).toContain('native Gemini API');
  });

  it.each(['/v1/models', '/v1/chat/completions', '/v1beta/models', '/v1/models/gpt-4o'])(
    'leaves %s to the OpenAI/Anthropic 404',
    (path) => {
      expect(geminiPathNotFound(path)).toBeUndefined();
    },
  );
});
