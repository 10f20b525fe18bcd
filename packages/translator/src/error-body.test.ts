import { describe, expect, it } from 'vitest';
import { errorBody, errorTypeForStatus } from './error-body.js';

const decoder = new TextDecoder();

describe('errorTypeForStatus', () => {
  it.each([
    [400, 'invalid_request_error', 'invalid_request_error'],
    [401, 'authentication_error', 'authentication_error'],
    [403, 'permission_error', 'permission_error'],
    [404, 'not_found_error', 'not_found_error'],
    [409, 'invalid_request_error', 'invalid_request_error'],
    [413, 'invalid_request_error', 'request_too_large'],
    [422, 'invalid_request_error', 'invalid_request_error'],
    [429, 'rate_limit_error', 'rate_limit_error'],
    [500, 'server_error', 'api_error'],
    [502, 'server_error', 'api_error'],
    [503, 'server_error', 'overloaded_error'],
    [504, 'server_error', 'api_error'],
    [529, 'server_error', 'overloaded_error'],
    [302, 'server_error', 'api_error'],
  ])('maps %i to %s (openai) and %s (anthropic)', (status, openai, anthropic) => {
    expect(errorTypeForStatus('openai', status)).toBe(openai);
    expect(errorTypeForStatus('anthropic', status)).toBe(anthropic);
  });
});

describe('errorBody', () => {
  it('builds an OpenAI error', () => {
    const result = errorBody({ dialect: 'openai', status: 404, message: 'no route for "/v1/x"' });
    expect(result.status).toBe(404);
    expect(result.contentType).toBe('application/json');
    expect(decoder.decode(result.body)).toBe(
      '{"error":{"message":"no route for \\"/v1/x\\"","type":"not_found_error","param":null,"code":null}}',
    );
  });

  it('builds an Anthropic error', () => {
    const result = errorBody({ dialect: 'anthropic', status: 529, message: 'busy' });
    expect(decoder.decode(result.body)).toBe(
      '{"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
    );
  });

  it('uses the given type and code', () => {
    const openai = errorBody({
      dialect: 'openai',
      status: 429,
      message: 'slow down',
      type: 'tokens',
      code: 'rate_limit_exceeded',
    });
    expect(JSON.parse(decoder.decode(openai.body))).toEqual({
      error: { message: 'slow down', type: 'tokens', param: null, code: 'rate_limit_exceeded' },
    });
    const anthropic = errorBody({
      dialect: 'anthropic',
      status: 400,
      message: 'm',
      type: 'x',
      code: 'c',
    });
    expect(JSON.parse(decoder.decode(anthropic.body))).toEqual({
      type: 'error',
      error: { type: 'x', message: 'm' },
    });
  });
});
