import { describe, expect, it } from 'vitest';
import { isUserFacing, MalformedRequestError } from './errors.js';
import { parseRequest } from './parse-request.js';

const encoder = new TextEncoder();

function raw(text: string): Uint8Array {
  return encoder.encode(text);
}

describe('parseRequest', () => {
  it('parses a valid body and keeps the original bytes', () => {
    const bytes = raw('{"model":"gpt-4o","stream":true,"messages":[]}');
    const parsed = parseRequest('chat-completions', bytes);
    expect(parsed).toEqual({
      endpoint: 'chat-completions',
      raw: bytes,
      body: { model: 'gpt-4o', stream: true, messages: [] },
      model: 'gpt-4o',
      stream: true,
    });
    expect(parsed.raw).toBe(bytes);
  });

  it.each([
    { stream: undefined, expected: false },
    { stream: null, expected: false },
    { stream: false, expected: false },
    { stream: true, expected: true },
  ])('reads stream $stream as $expected', ({ stream, expected }) => {
    const parsed = parseRequest('messages', raw(JSON.stringify({ model: 'claude', stream })));
    expect(parsed.stream).toBe(expected);
  });

  it.each([
    { name: 'invalid JSON', body: '{"model":', message: /^request body is not valid JSON: / },
    { name: 'an empty body', body: '', message: /^request body is not valid JSON: / },
    {
      name: 'an array body',
      body: '[{"model":"m"}]',
      message: /^request body must be a JSON object$/,
    },
    { name: 'a string body', body: '"model"', message: /^request body must be a JSON object$/ },
    { name: 'a null body', body: 'null', message: /^request body must be a JSON object$/ },
    {
      name: 'a missing model',
      body: '{"messages":[]}',
      message: /^missing required field "model"$/,
    },
    { name: 'a null model', body: '{"model":null}', message: /^missing required field "model"$/ },
    { name: 'a numeric model', body: '{"model":4}', message: /^field "model" must be a string$/ },
    { name: 'an empty model', body: '{"model":""}', message: /^field "model" must not be empty$/ },
    {
      name: 'a string stream',
      body: '{"model":"m","stream":"true"}',
      message: /^field "stream" must be a boolean$/,
    },
  ])('rejects $name with a 400', ({ body, message }) => {
    let caught: unknown;
    try {
      parseRequest('chat-completions', raw(body));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MalformedRequestError);
    expect(isUserFacing(caught)).toBe(true);
    expect((caught as MalformedRequestError).status).toBe(400);
    expect((caught as MalformedRequestError).message).toMatch(message);
  });

  it('keeps the JSON error as the cause', () => {
    expect(() => parseRequest('completions', raw('{'))).toThrow(
      expect.objectContaining({ cause: expect.any(SyntaxError) as unknown }),
    );
  });

  it.each([true, 'yes'])('ignores stream %s for embeddings', (stream) => {
    const parsed = parseRequest(
      'embeddings',
      raw(JSON.stringify({ model: 'e', input: 'x', stream })),
    );
    expect(parsed.stream).toBe(false);
  });
});
