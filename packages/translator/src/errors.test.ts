import { describe, expect, it } from 'vitest';
import {
  InvalidRequestBodyError,
  isTranslatorError,
  isUserFacing,
  MalformedRequestError,
  UnsupportedSchemaError,
} from './errors.js';

describe('translator errors', () => {
  const malformed = new MalformedRequestError('bad', { cause: new SyntaxError('x') });
  const invalid = new InvalidRequestBodyError('cannot translate');
  const unsupported = new UnsupportedSchemaError({ endpoint: 'messages', schemaName: 'Cohere' });

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
});
