import { describe, expect, it } from 'vitest';
import { dialectForPath, dialectOf, endpointForPath } from './endpoint.js';
import { endpoints } from './translator.js';

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
    ['/v1/messages/count_tokens', undefined],
    ['/', undefined],
    ['', undefined],
  ])('maps %s to %s', (path, endpoint) => {
    expect(endpointForPath(path)).toBe(endpoint);
  });
});

describe('dialectOf', () => {
  it.each(endpoints)('gives %s its dialect', (endpoint) => {
    expect(dialectOf(endpoint)).toBe(endpoint === 'messages' ? 'anthropic' : 'openai');
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
    ['/anthropicish', 'openai'],
    ['/v1/messagesx', 'openai'],
    ['/v1/chat/completions', 'openai'],
    ['/v1/unknown', 'openai'],
    ['/', 'openai'],
  ])('gives %s the %s dialect', (path, dialect) => {
    expect(dialectForPath(path)).toBe(dialect);
  });
});
