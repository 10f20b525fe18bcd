import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  InvalidRequestBodyError,
  MalformedRequestError,
  MalformedResponseError,
  UnsupportedSchemaError,
} from '@aigw/translator';
import { ExtprocError, isExtprocError, toClientFailure, toGrpcStatus } from './errors.js';

describe('toGrpcStatus: every caught error becomes one gRPC status, without its message', () => {
  it.each([
    [new ExtprocError('credential_unavailable', 'file /s/key is empty'), status.UNAVAILABLE],
    [new ExtprocError('config_invalid', 'CEL does not parse'), status.INTERNAL],
    [new MalformedRequestError('bad'), status.INVALID_ARGUMENT],
    [new InvalidRequestBodyError('bad'), status.INVALID_ARGUMENT],
    [new MalformedResponseError('Bedrock body without output'), status.UNAVAILABLE],
    [new UnsupportedSchemaError({ endpoint: 'messages', schemaName: 'Cohere' }), status.INTERNAL],
    [new TypeError('x is undefined'), status.INTERNAL],
    ['a string', status.INTERNAL],
  ])('%s → code %s', (err, code) => {
    const grpc = toGrpcStatus(err);
    expect(grpc.code).toBe(code);
    // Fixed phrases only: no file names, provider bodies or secrets.
    const message = err instanceof Error ? err.message : err;
    expect(grpc.details).not.toContain(message);
  });
});

describe('toClientFailure: what a client reads', () => {
  it('keeps the request errors’ messages (400, 422)', () => {
    expect(toClientFailure(new MalformedRequestError('field "n" must be 1'))).toEqual({
      status: 400,
      message: 'field "n" must be 1',
    });
    expect(toClientFailure(new InvalidRequestBodyError('no audio here'))).toEqual({
      status: 422,
      message: 'no audio here',
    });
  });

  it('hides the provider body behind a 502 and everything else behind a 500', () => {
    const bad = toClientFailure(new MalformedResponseError('Bedrock said <html>'));
    expect(bad.status).toBe(502);
    expect(bad.message).not.toContain('html');
    const internal = toClientFailure(new ExtprocError('credential_unavailable', '/secret/path'));
    expect(internal.status).toBe(500);
    expect(internal.message).not.toContain('/secret/path');
  });

  it('isExtprocError is structural', () => {
    expect(isExtprocError(new ExtprocError('not_started', 'x'))).toBe(true);
    expect(
      isExtprocError(Object.assign(new Error('x'), { name: 'ExtprocError', code: 'cost_failed' })),
    ).toBe(true);
    expect(isExtprocError(new Error('x'))).toBe(false);
  });
});
