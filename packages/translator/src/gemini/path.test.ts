import { describe, expect, it } from 'vitest';
import { createEndpointMatcher, defaultEndpointMatcher, dialectOf } from '../endpoint.js';
import { MalformedRequestError } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { isGeminiApiPath, parseGeminiPath } from './path.js';

const body = new TextEncoder().encode('{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}');

describe('Gemini paths', () => {
  it.each([
    ['/v1beta/models/gemini-2.5-pro:generateContent', 'gemini-2.5-pro', 'generateContent'],
    [
      '/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      'gemini-2.5-flash',
      'streamGenerateContent',
    ],
    ['/v1alpha/models/gemini-2.5-pro:countTokens', 'gemini-2.5-pro', 'countTokens'],
    ['/v1beta/models/my%2Fmodel:generateContent?key=k', 'my/model', 'generateContent'],
  ])('%s → model %s, method %s', (path, model, method) => {
    expect(parseGeminiPath(path)).toMatchObject({ model, method });
  });

  it.each([
    '/v1beta/models/gemini-2.5-pro:embedContent',
    '/v1beta/models/gemini-2.5-pro',
    '/v1beta/tunedModels/x:generateContent',
    '/v2/models/x:generateContent',
  ])('%s is not served', (path) => {
    expect(parseGeminiPath(path)).toBeUndefined();
  });

  it('routes the served methods right under the root prefix, and speaks Gemini for all', () => {
    const m = defaultEndpointMatcher;
    expect(m.endpointFor('/v1beta/models/g:generateContent')).toBe('gemini-generate-content');
    expect(m.endpointFor('/v1beta/models/g:streamGenerateContent?alt=sse')).toBe(
      'gemini-generate-content',
    );
    expect(m.endpointFor('/v1beta/models/g:countTokens')).toBe('gemini-count-tokens');
    expect(m.endpointFor('/ai/v1beta/models/g:generateContent')).toBeUndefined();
    expect(m.endpointFor('/v1beta/models/g:embedContent')).toBeUndefined();
    expect(m.dialectFor('/v1beta/models/g:embedContent')).toBe('gemini');
    expect(isGeminiApiPath('/v1/chat/completions')).toBe(false);
    const ai = createEndpointMatcher({ rootPrefix: '/ai' });
    expect(ai.endpointFor('/ai/v1beta/models/g:generateContent')).toBe('gemini-generate-content');
    expect(ai.endpointFor('/v1beta/models/g:generateContent')).toBeUndefined();
    expect(dialectOf('gemini-generate-content')).toBe('gemini');
    expect(dialectOf('gemini-count-tokens')).toBe('gemini');
  });
});

describe('parseRequest for Gemini: the model and streaming come from the path', () => {
  it('takes the model and the method from the path; a body model is ignored', () => {
    const withModel = new TextEncoder().encode('{"model":"other","contents":[]}');
    const parsed = parseRequest('gemini-generate-content', withModel, {
      path: '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
    });
    expect(parsed.model).toBe('gemini-2.5-pro');
    expect(parsed.stream).toBe(true);
    const plain = parseRequest('gemini-generate-content', body, {
      path: '/v1beta/models/gemini-2.5-pro:generateContent',
    });
    expect(plain.stream).toBe(false);
    const count = parseRequest('gemini-count-tokens', body, {
      path: '/v1beta/models/gemini-2.5-pro:countTokens',
    });
    expect(count).toMatchObject({ model: 'gemini-2.5-pro', stream: false });
  });

  it('refuses a body that is not a JSON object, and a missing path', () => {
    const path = '/v1beta/models/g:generateContent';
    expect(() =>
      parseRequest('gemini-generate-content', new TextEncoder().encode('[1]'), { path }),
    ).toThrow(MalformedRequestError);
    expect(() => parseRequest('gemini-generate-content', body)).toThrow(/not a Gemini model path/);
  });
});
