import { describe, expect, it } from 'vitest';
import {
  createEndpointMatcher,
  defaultEndpointPrefixes,
  dialectForPath,
  dialectOf,
  EndpointPrefixError,
  endpointForPath,
  isEndpointPrefixError,
  joinPath,
  parseEndpointPrefixes,
  parseRootPrefix,
} from './endpoint.js';
import { endpoints, type Dialect, type Endpoint } from './translator.js';

describe('endpointForPath', () => {
  it.each([
    ['/v1/chat/completions', 'chat-completions'],
    ['/v1/chat/completions?foo=bar', 'chat-completions'],
    ['/v1/completions', 'completions'],
    ['/v1/embeddings', 'embeddings'],
    ['/v1/messages', 'messages'],
    ['/v1/messages?beta=true', 'messages'],
    ['/anthropic/v1/messages', 'messages'],
    ['/v1/chat/completions/', undefined],
    ['/chat/completions', undefined],
    ['/v1/models', undefined],
    ['/v1/messages/count_tokens', 'count-tokens'],
    ['/anthropic/v1/messages/count_tokens?beta=true', 'count-tokens'],
    ['/', undefined],
    ['', undefined],
  ])('maps %s to %s', (path, endpoint) => {
    expect(endpointForPath(path)).toBe(endpoint);
  });
});

describe('dialectOf', () => {
  it.each(endpoints)('gives %s its dialect', (endpoint) => {
    const dialects: Partial<Record<Endpoint, Dialect>> = {
      messages: 'anthropic',
      'count-tokens': 'anthropic',
      rerank: 'cohere',
      'gemini-generate-content': 'gemini',
      'gemini-count-tokens': 'gemini',
    };
    expect(dialectOf(endpoint)).toBe(dialects[endpoint] ?? 'openai');
  });
});

describe('dialectForPath', () => {
  it.each([
    ['/anthropic/v1/messages', 'anthropic'],
    ['/anthropic/anything', 'anthropic'],
    ['/anthropic', 'anthropic'],
    ['/v1/messages', 'anthropic'],
    ['/v1/messages?x=1', 'anthropic'],
    ['/v1/messages/count_tokens', 'anthropic'],
    ['/other/v1/messages', 'anthropic'],
    ['/anthropicish', 'openai'],
    ['/v1/messagesx', 'openai'],
    ['/v1/chat/completions', 'openai'],
    ['/v1/unknown', 'openai'],
    ['/', 'openai'],
  ])('gives %s the %s dialect', (path, dialect) => {
    expect(dialectForPath(path)).toBe(dialect);
  });
});

describe('joinPath (Go path.Join)', () => {
  it.each([
    [['/', '/', '/v1/chat/completions'], '/v1/chat/completions'],
    [['/ai', '/', '/v1/chat/completions'], '/ai/v1/chat/completions'],
    [['/ai/', '/anthropic', '/v1/messages'], '/ai/anthropic/v1/messages'],
    [['/', 'cohere', '/v2/rerank'], '/cohere/v2/rerank'],
    [['/', '', '/v1/models'], '/v1/models'],
    [['//a//', 'b/', './c'], '/a/b/c'],
    [['/a', '../b'], '/b'],
    [['/..', 'x'], '/x'],
    [['a', '../..', 'b'], '../b'],
    [['ai', '/v1'], 'ai/v1'],
    [['', ''], ''],
    [['/'], '/'],
    [['.'], '.'],
  ])('joins %j to %s', (elements, joined) => {
    expect(joinPath(...elements)).toBe(joined);
  });
});

describe('parseEndpointPrefixes', () => {
  it('gives the defaults for an empty string', () => {
    expect(parseEndpointPrefixes('')).toEqual({
      openai: '/',
      cohere: '/cohere',
      anthropic: '/anthropic',
    });
  });

  it.each([
    ['openai:/,cohere:/cohere,anthropic:/anthropic', defaultEndpointPrefixes],
    ['anthropic:/claude', { ...defaultEndpointPrefixes, anthropic: '/claude' }],
    [
      ' openai : /oa , anthropic:/c ',
      { ...defaultEndpointPrefixes, openai: '/oa', anthropic: '/c' },
    ],
    ['openai:', { ...defaultEndpointPrefixes, openai: '' }],
    ['cohere:/a,cohere:/b', { ...defaultEndpointPrefixes, cohere: '/b' }],
    ['openai:/x:y', { ...defaultEndpointPrefixes, openai: '/x:y' }],
  ])('parses %j', (text, prefixes) => {
    expect(parseEndpointPrefixes(text)).toEqual(prefixes);
  });

  it.each([
    ['openai:/,', 'empty pair at position 2 (expected key:value, e.g. anthropic:/claude)'],
    [' ', 'empty pair at position 1 (expected key:value, e.g. anthropic:/claude)'],
    ['openai', 'invalid pair at position 1: "openai" (expected key:value)'],
    [
      'openai:/,gemini:/g',
      'unknown key "gemini" at position 2 (allowed: openai, cohere, anthropic)',
    ],
    ['OpenAI:/', 'unknown key "OpenAI" at position 1 (allowed: openai, cohere, anthropic)'],
    [
      'anthropic:/a b',
      'invalid anthropic prefix "/a b" at position 1: a path prefix may not contain "?", "#", ' +
        'spaces or control characters',
    ],
    [
      'openai:/x?y',
      'invalid openai prefix "/x?y" at position 1: a path prefix may not contain "?", "#", ' +
        'spaces or control characters',
    ],
  ])('refuses %j', (text, message) => {
    const attempt = (): unknown => parseEndpointPrefixes(text);
    expect(attempt).toThrow(EndpointPrefixError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (err) {
      expect(isEndpointPrefixError(err) && err.code).toBe('invalid_endpoint_prefixes');
    }
  });
});

describe('parseRootPrefix', () => {
  it.each([
    ['/', '/'],
    ['/ai', '/ai'],
    ['/ai/', '/ai'],
    [' /ai//v2 ', '/ai/v2'],
  ])('normalises %j to %s', (text, root) => {
    expect(parseRootPrefix(text)).toBe(root);
  });

  it.each(['', 'ai', 'ai/', '/a?b', '/a#b', '/a b'])('refuses %j', (text) => {
    expect(() => parseRootPrefix(text)).toThrow(
      `invalid root prefix ${JSON.stringify(text)}: expected a path starting with "/"`,
    );
  });
});

describe('EndpointMatcher', () => {
  const under = createEndpointMatcher({ rootPrefix: '/ai' });

  it.each([
    ['/ai/v1/chat/completions', 'chat-completions'],
    ['/ai/v1/chat/completions?x=1', 'chat-completions'],
    ['/ai/v1/completions', 'completions'],
    ['/ai/v1/embeddings', 'embeddings'],
    ['/ai/anthropic/v1/messages', 'messages'],
    ['/ai/v1/messages', 'messages'],
    ['/v1/chat/completions', undefined],
    ['/anthropic/v1/messages', undefined],
    ['/v1/messages', undefined],
    ['/ai', undefined],
    ['/aiv1/chat/completions', undefined],
  ])('under root /ai maps %s to %s', (path, endpoint) => {
    expect(under.endpointFor(path)).toBe(endpoint);
    expect(endpointForPath(path, under)).toBe(endpoint);
  });

  it("puts Anthropic's /v1/models under the anthropic prefix, only when it has its own", () => {
    expect(createEndpointMatcher().anthropicModelsPath).toBe('/anthropic/v1/models');
    expect(under.anthropicModelsPath).toBe('/ai/anthropic/v1/models');
    expect(
      createEndpointMatcher({ prefixes: { ...defaultEndpointPrefixes, anthropic: '/' } })
        .anthropicModelsPath,
    ).toBeUndefined();
  });

  it('puts /v1/models under the root and the openai prefix', () => {
    expect(under.modelsPath).toBe('/ai/v1/models');
    expect(createEndpointMatcher().modelsPath).toBe('/v1/models');
    expect(
      createEndpointMatcher({
        rootPrefix: '/gw/',
        prefixes: { ...defaultEndpointPrefixes, openai: '/openai' },
      }).modelsPath,
    ).toBe('/gw/openai/v1/models');
  });

  it('lists every accepted path, upstream first in precedence', () => {
    const matcher = createEndpointMatcher({
      rootPrefix: '/gw',
      prefixes: { openai: '/oa', cohere: '/co', anthropic: '/claude' },
    });
    expect([...matcher.paths]).toEqual([
      ['/gw/oa/v1/messages', 'messages'],
      ['/gw/oa/v1/chat/completions', 'chat-completions'],
      ['/gw/oa/v1/completions', 'completions'],
      ['/gw/oa/v1/embeddings', 'embeddings'],
      ['/gw/oa/v1/responses', 'responses'],
      ['/gw/oa/v1/responses/input_tokens', 'responses-input-tokens'],
      ['/gw/oa/tokenize', 'tokenize'],
      ['/gw/co/v2/rerank', 'rerank'],
      ['/gw/oa/v1/images/generations', 'image-generations'],
      ['/gw/oa/v1/audio/speech', 'audio-speech'],
      ['/gw/oa/v1/audio/transcriptions', 'audio-transcriptions'],
      ['/gw/oa/v1/audio/translations', 'audio-translations'],
      ['/gw/claude/v1/messages', 'messages'],
      ['/gw/oa/v1/messages/count_tokens', 'count-tokens'],
      ['/gw/claude/v1/messages/count_tokens', 'count-tokens'],
    ]);
    expect(matcher.layout.rootPrefix).toBe('/gw');
  });

  it.each([
    ['/ai/anthropic/v1/messages', 'anthropic'],
    ['/ai/anthropic', 'anthropic'],
    ['/ai/anthropic/v1/models', 'anthropic'],
    ['/anthropic/v1/messages', 'anthropic'],
    ['/v1/messages', 'anthropic'],
    ['/ai/v1/chat/completions', 'openai'],
    ['/v1/chat/completions', 'openai'],
    ['/anthropic', 'openai'],
    ['/ai/anthropicx', 'openai'],
  ])('under root /ai gives %s the %s dialect', (path, dialect) => {
    expect(under.dialectFor(path)).toBe(dialect);
    expect(dialectForPath(path, under)).toBe(dialect);
  });

  it('judges by the API path alone when anthropic shares the openai prefix', () => {
    const shared = createEndpointMatcher({
      prefixes: { ...defaultEndpointPrefixes, anthropic: '/' },
    });
    expect(shared.endpointFor('/v1/messages')).toBe('messages');
    expect(shared.endpointFor('/anthropic/v1/messages')).toBeUndefined();
    expect(shared.dialectFor('/v1/messages/batches')).toBe('anthropic');
    expect(shared.dialectFor('/v1/chat/completions')).toBe('openai');
    expect(shared.dialectFor('/anything')).toBe('openai');
  });
});
