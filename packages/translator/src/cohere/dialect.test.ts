import { describe, expect, it } from 'vitest';
import { createEndpointMatcher, defaultEndpointMatcher, dialectOf } from '../endpoint.js';
import { errorBody } from '../error-body.js';
import { parseRequest } from '../parse-request.js';

const decoder = new TextDecoder();

describe('the one-object endpoints’ paths and dialects', () => {
  it.each([
    ['/tokenize', 'tokenize', 'openai'],
    ['/v1/responses/input_tokens', 'responses-input-tokens', 'openai'],
    ['/cohere/v2/rerank', 'rerank', 'cohere'],
  ] as const)('%s is %s, answered in %s', (path, endpoint, dialect) => {
    expect(defaultEndpointMatcher.endpointFor(path)).toBe(endpoint);
    expect(dialectOf(endpoint)).toBe(dialect);
    expect(defaultEndpointMatcher.dialectFor(path)).toBe(dialect);
  });

  it('serves rerank under configured prefixes, and any path below the cohere prefix is Cohere', () => {
    const matcher = createEndpointMatcher({
      rootPrefix: '/ai',
      prefixes: { openai: '/', cohere: '/co', anthropic: '/anthropic' },
    });
    expect(matcher.endpointFor('/ai/co/v2/rerank')).toBe('rerank');
    expect(matcher.endpointFor('/ai/tokenize')).toBe('tokenize');
    expect(matcher.dialectFor('/ai/co/v2/embed')).toBe('cohere');
    expect(matcher.dialectFor('/ai/v1/embeddings')).toBe('openai');
  });

  it('never calls the whole API Cohere when the cohere prefix is the openai one', () => {
    const matcher = createEndpointMatcher({
      prefixes: { openai: '/', cohere: '/', anthropic: '/anthropic' },
    });
    expect(matcher.endpointFor('/v2/rerank')).toBe('rerank');
    expect(matcher.dialectFor('/v1/chat/completions')).toBe('openai');
  });

  it('writes Cohere errors as {"message"}', () => {
    const error = errorBody({ dialect: 'cohere', status: 400, message: 'bad query' });
    expect(error.status).toBe(400);
    expect(JSON.parse(decoder.decode(error.body))).toEqual({ message: 'bad query' });
  });

  it('reads no stream flag on the one-object endpoints (their APIs have none)', () => {
    const raw = new TextEncoder().encode('{"model":"m","prompt":"x","stream":"yes"}');
    expect(parseRequest('tokenize', raw).stream).toBe(false);
  });
});
