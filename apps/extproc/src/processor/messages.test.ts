import { describe, expect, it } from 'vitest';
import { envoyConfig, extProc } from '@aigw/proto';
import { errorBody } from '@aigw/translator';
import {
  commonResponse,
  continueResponses,
  headerMap,
  headerMutation,
  immediateResponse,
  mutationOf,
} from './messages.js';

const { OVERWRITE_IF_EXISTS_OR_ADD } = envoyConfig.HeaderValueOption_HeaderAppendAction;
const { CONTINUE, CONTINUE_AND_REPLACE } = extProc.CommonResponse_ResponseStatus;

/** Encodes and decodes, as the response travels to Envoy. */
function roundTrip(response: extProc.ProcessingResponse): extProc.ProcessingResponse {
  return extProc.ProcessingResponse.decode(extProc.ProcessingResponse.encode(response).finish());
}

describe('ext_proc messages', () => {
  it('reads header values from raw_value, falling back to value', () => {
    const headers = extProc.HttpHeaders.fromPartial({
      headers: {
        headers: [
          { key: ':path', rawValue: Buffer.from('/v1/chat/completions') },
          { key: 'x-old-envoy', value: 'from-value' },
          { key: 'x-both', value: 'ignored', rawValue: Buffer.from('raw wins ü') },
          { key: 'x-empty', value: '', rawValue: Buffer.alloc(0) },
        ],
      },
    });
    expect(headerMap(headers)).toEqual(
      new Map([
        [':path', '/v1/chat/completions'],
        ['x-old-envoy', 'from-value'],
        ['x-both', 'raw wins ü'],
        ['x-empty', ''],
      ]),
    );
    expect(headerMap(undefined)).toEqual(new Map());
  });

  it('overwrites headers through raw_value and lists removals', () => {
    const mutation = headerMutation([['x-a', 'é']], ['x-b']);
    expect(mutation).toEqual({
      setHeaders: [
        {
          header: { key: 'x-a', value: '', rawValue: Buffer.from('é') },
          appendAction: OVERWRITE_IF_EXISTS_OR_ADD,
          keepEmptyValue: false,
        },
      ],
      removeHeaders: ['x-b'],
    });
  });

  it('merges translator header changes with extra headers, or gives nothing to change', () => {
    expect(mutationOf(undefined)).toBeUndefined();
    expect(mutationOf({ set: [], remove: [] }, [])).toBeUndefined();
    const merged = mutationOf({ set: [['content-type', 'application/json']], remove: ['x-r'] }, [
      [':path', '/p'],
    ]);
    expect(merged?.setHeaders.map((o) => o.header?.key)).toEqual(['content-type', ':path']);
    expect(merged?.removeHeaders).toEqual(['x-r']);
  });

  it('replaces the body with exactly the bytes of a view into a larger buffer', () => {
    const backing = new TextEncoder().encode('xx{"model":"m"}yy');
    const body = backing.subarray(2, backing.length - 2);
    const response = roundTrip(commonResponse({ phase: 'requestHeaders', body, isReplace: true }));
    const r = response.response;
    expect(r?.$case).toBe('requestHeaders');
    if (r?.$case !== 'requestHeaders') return;
    expect(r.value.response?.status).toBe(CONTINUE_AND_REPLACE);
    const mutation = r.value.response?.bodyMutation?.mutation;
    expect(mutation?.$case === 'body' && mutation.value.toString('utf8')).toBe('{"model":"m"}');
  });

  it('encodes the shared CONTINUE responses for every phase', () => {
    for (const [phase, response] of Object.entries(continueResponses)) {
      const decoded = roundTrip(response);
      expect(decoded.response?.$case).toBe(phase);
      const common = decoded.response?.value as extProc.HeadersResponse | undefined;
      expect(common?.response?.status).toBe(CONTINUE);
      expect(common?.response?.headerMutation).toBeUndefined();
    }
  });

  it('carries dynamic metadata through the Struct encoding', () => {
    const metadata = { 'io.envoy.ai_gateway': { llm_total_token: 18, backend_name: 'b' } };
    const response = roundTrip(
      commonResponse({ phase: 'responseBody', dynamicMetadata: metadata }),
    );
    expect(response.dynamicMetadata).toEqual(metadata);
  });

  it('builds an immediate response with the error status, content-type and body', () => {
    const error = errorBody({ dialect: 'openai', status: 404, message: 'nope' });
    const response = roundTrip(immediateResponse(error, 'aigw_test'));
    const r = response.response;
    expect(r?.$case).toBe('immediateResponse');
    if (r?.$case !== 'immediateResponse') return;
    expect(r.value.status?.code).toBe(404);
    expect(r.value.details).toBe('aigw_test');
    expect(r.value.headers?.setHeaders[0]?.header?.rawValue.toString()).toBe('application/json');
    expect(JSON.parse(r.value.body.toString('utf8'))).toEqual({
      error: { message: 'nope', type: 'not_found_error', param: null, code: null },
    });
  });
});
