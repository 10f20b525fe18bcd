import { describe, expect, it } from 'vitest';
import {
  InvalidRequestBodyError,
  isTranslatorError,
  isUserFacing,
  MalformedRequestError,
  MalformedResponseError,
  malformedResponseMessage,
  toClientError,
  UnsupportedSchemaError,
} from './errors.js';

describe('translator errors', () => {
  const malformed = new MalformedRequestError('bad', { cause: new SyntaxError('x') });
  const invalid = new InvalidRequestBodyError('cannot translate');
  const unsupported = new UnsupportedSchemaError({ endpoint: 'messages', schemaName: 'Cohere' });
  const malformedResponse = new MalformedResponseError('Bedrock body is not JSON', {
    cause: new SyntaxError('y'),
  });

  it('carries name, code, status and cause', () => {
    expect(malformed).toMatchObject({
      name: 'MalformedRequestError',
      code: 'malformed_request',
      status: 400,
    });
    expect(malformed.cause).toBeInstanceOf(SyntaxError);
    expect(invalid).toMatchObject({
      name: 'InvalidRequestBodyError',
      code: 'invalid_request_body',
      status: 422,
    });
    expect(malformedResponse).toMatchObject({
      name: 'MalformedResponseError',
      code: 'malformed_response',
      status: 502,
      message: 'Bedrock body is not JSON',
    });
    expect(malformedResponse.cause).toBeInstanceOf(SyntaxError);
    expect(unsupported).toMatchObject({
      name: 'UnsupportedSchemaError',
      code: 'unsupported_schema',
      endpoint: 'messages',
      schemaName: 'Cohere',
      message: 'no translator for endpoint "messages" to backend schema "Cohere"',
    });
  });

  it.each([
    { value: malformed, isTranslator: true, isUser: true },
    { value: invalid, isTranslator: true, isUser: true },
    { value: unsupported, isTranslator: true, isUser: false },
    { value: malformedResponse, isTranslator: true, isUser: false },
    {
      value: Object.assign(new Error('x'), {
        name: 'MalformedResponseError',
        code: 'malformed_response',
      }),
      isTranslator: true,
      isUser: false,
    },
    { value: new Error('x'), isTranslator: false, isUser: false },
    {
      value: Object.assign(new Error('x'), { name: 'MalformedRequestError' }),
      isTranslator: false,
      isUser: false,
    },
    {
      // A copy from another package instance: same shape, different class.
      value: Object.assign(new Error('x'), {
        name: 'InvalidRequestBodyError',
        code: 'invalid_request_body',
      }),
      isTranslator: true,
      isUser: true,
    },
    {
      value: { name: 'MalformedRequestError', code: 'malformed_request' },
      isTranslator: false,
      isUser: false,
    },
    { value: 'MalformedRequestError', isTranslator: false, isUser: false },
    { value: undefined, isTranslator: false, isUser: false },
  ])('classifies $value', ({ value, isTranslator, isUser }) => {
    expect(isTranslatorError(value)).toBe(isTranslator);
    expect(isUserFacing(value)).toBe(isUser);
  });

  it.each([
    { value: malformed, expected: { status: 400, message: 'bad' } },
    { value: invalid, expected: { status: 422, message: 'cannot translate' } },
    { value: malformedResponse, expected: { status: 502, message: malformedResponseMessage } },
    { value: unsupported, expected: undefined },
    { value: new Error('x'), expected: undefined },
    { value: 'boom', expected: undefined },
  ])('tells the client $expected for $value', ({ value, expected }) => {
    expect(toClientError(value)).toEqual(expected);
  });

  it('never lets a malformed response leak its provider detail to the client', () => {
    const client = toClientError(malformedResponse);
    expect(client?.message).toBe('the provider returned a response the gateway could not read');
    expect(client?.message).not.toContain('Bedrock');
  });
});
