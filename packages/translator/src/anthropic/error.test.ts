import { describe, expect, it } from 'vitest';
import {
  anthropicErrorEventFromBedrock,
  anthropicErrorFromProvider,
  openAIErrorFromProvider,
  readProviderError,
} from './error.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe('provider errors in the Anthropic family', () => {
  it.each([
    {
      name: 'anthropic',
      body: '{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}',
      type: 'rate_limit_error',
      message: 'slow',
    },
    {
      name: 'vertex',
      body: '{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}',
      type: undefined,
      message: 'bad',
    },
    { name: 'bedrock', body: '{"message":"nope"}', type: undefined, message: 'nope' },
    { name: 'text', body: 'upstream reset', type: undefined, message: 'upstream reset' },
    { name: 'empty', body: '', type: undefined, message: 'upstream responded with status 503' },
  ])('reads a $name error body', ({ body, type, message }) => {
    expect(readProviderError(503, encoder.encode(body))).toEqual({ type, message });
  });

  it('maps Anthropic types to OpenAI ones', () => {
    const body = encoder.encode(
      '{"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
    );
    const out = openAIErrorFromProvider(529, body);
    expect(out.status).toBe(529);
    expect(JSON.parse(decoder.decode(out.body))).toEqual({
      error: { message: 'busy', type: 'server_error', param: null, code: null },
    });
  });

  it('passes Anthropic errors through to Anthropic clients byte for byte', () => {
    const body = encoder.encode('{"type":"error","error":{"type":"api_error","message":"x"}}');
    expect(anthropicErrorFromProvider(500, body).body).toBe(body);
  });

  it.each([
    ['throttlingException', 'rate_limit_error'],
    ['validationException', 'invalid_request_error'],
    ['serviceUnavailableException', 'overloaded_error'],
    ['somethingNew', 'api_error'],
  ])('maps the Bedrock %s exception to %s', (exception, type) => {
    expect(anthropicErrorEventFromBedrock(exception, '{"message":"m"}')).toEqual({
      type: 'error',
      error: { type, message: `${exception}: m` },
    });
  });
});
