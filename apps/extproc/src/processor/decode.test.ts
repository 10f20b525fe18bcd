import { describe, expect, it } from 'vitest';
import * as extProc from '@aigw/proto/ext-proc-service';
import { decodeProcessingRequest } from './decode.js';
import { headerMap } from './messages.js';

type Request = extProc.ProcessingRequest;

function encode(request: Request): Buffer {
  return Buffer.from(extProc.ProcessingRequest.encode(request).finish());
}

/** What the extproc reads of a request: the phase, headers as a map, body bytes, flags, attributes. */
function readable(request: Request): unknown {
  const phase = request.request;
  if (!phase) return { phase: undefined, attributes: request.attributes };
  const value = phase.value;
  return {
    phase: phase.$case,
    headers: 'headers' in value ? [...headerMap(value)] : undefined,
    body: 'body' in value ? Buffer.from(value.body).toString('base64') : undefined,
    endOfStream: 'endOfStream' in value ? value.endOfStream : undefined,
    trailers: 'trailers' in value ? value.trailers : undefined,
    attributes: request.attributes,
    metadataContext: request.metadataContext,
    observabilityMode: request.observabilityMode,
  };
}

const raw = (key: string, value: string) => ({ key, value: '', rawValue: Buffer.from(value) });

const cases: Record<string, Request> = {
  'request headers (raw_value, as Envoy sends them)': extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'requestHeaders',
      value: {
        headers: {
          headers: [
            raw(':method', 'POST'),
            raw(':path', '/v1/chat/completions?x=1'),
            raw('x-request-id', 'c0ffee'),
            raw('x-unicode', 'Hé 👋'),
            raw('empty', ''),
          ],
        },
        endOfStream: false,
      },
    },
  }),
  'headers with value instead of raw_value, and both': extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'responseHeaders',
      value: {
        headers: {
          headers: [
            { key: ':status', value: '200', rawValue: Buffer.alloc(0) },
            { key: 'both', value: 'plain', rawValue: Buffer.from('raw wins') },
            { key: 'value-only-empty-raw', value: 'kept', rawValue: Buffer.alloc(0) },
          ],
        },
        endOfStream: true,
      },
    },
  }),
  'headers without a header map': extProc.ProcessingRequest.fromPartial({
    request: { $case: 'requestHeaders', value: {} },
  }),
  'request body, whole': extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'requestBody',
      value: { body: Buffer.from('{"model":"gpt-a","messages":[]}'), endOfStream: true },
    },
  }),
  'response body chunk, empty': extProc.ProcessingRequest.fromPartial({
    request: { $case: 'responseBody', value: { body: Buffer.alloc(0), endOfStream: false } },
  }),
  'a 3 MiB body': extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'requestBody',
      value: { body: Buffer.alloc(3 * 1024 * 1024, 0x61), endOfStream: true },
    },
  }),
  'upstream request headers with attributes': extProc.ProcessingRequest.fromPartial({
    request: { $case: 'requestHeaders', value: { headers: { headers: [raw(':path', '/p')] } } },
    attributes: {
      'envoy.filters.http.ext_proc': {
        "xds.upstream_host_metadata.filter_metadata['aigateway.envoy.io']['per_route_rule_backend_name']":
          'default/b/route/r/rule/0/ref/0',
        'response.code': 200,
      },
    },
  }),
  'trailers (the generated decoder)': extProc.ProcessingRequest.fromPartial({
    request: { $case: 'requestTrailers', value: { trailers: { headers: [raw('x-t', '1')] } } },
  }),
  'metadata context (the generated decoder)': extProc.ProcessingRequest.fromPartial({
    request: { $case: 'requestBody', value: { body: Buffer.from('x'), endOfStream: true } },
    metadataContext: { filterMetadata: { ns: { a: 1 } } },
  }),
  'observability mode (the generated decoder)': extProc.ProcessingRequest.fromPartial({
    request: { $case: 'requestBody', value: { body: Buffer.from('x') } },
    observabilityMode: true,
  }),
  'body flags the gateway does not use (the generated decoder)':
    extProc.ProcessingRequest.fromPartial({
      request: {
        $case: 'responseBody',
        value: { body: Buffer.from('x'), endOfStream: true, endOfStreamWithoutMessage: true },
      },
    }),
  'no phase at all': extProc.ProcessingRequest.fromPartial({}),
};

describe('decodeProcessingRequest: the hot-path decoder reads what the generated one reads', () => {
  it.each(Object.entries(cases))('%s', (_name, request) => {
    const bytes = encode(request);
    expect(readable(decodeProcessingRequest(bytes))).toEqual(
      readable(extProc.ProcessingRequest.decode(bytes)),
    );
  });

  it('reads a body in place, without a copy', () => {
    const bytes = encode(cases['a 3 MiB body']!);
    const decoded = decodeProcessingRequest(bytes).request;
    expect(decoded?.$case).toBe('requestBody');
    const body = (decoded?.value as extProc.HttpBody).body;
    expect(body.buffer).toBe(bytes.buffer);
  });

  it('agrees with the generated decoder on every cut or corrupted message it accepts', () => {
    const outcome = (decode: (b: Buffer) => Request, bytes: Buffer): unknown => {
      try {
        return readable(decode(bytes));
      } catch {
        return 'throws';
      }
    };
    let compared = 0;
    const check = (what: string, input: Buffer): void => {
      const generated = outcome((b) => extProc.ProcessingRequest.decode(b), input);
      // Lenient where the generated decoder is strict: a header name that is not UTF-8 is read
      // with replacement characters (Envoy never sends one), not refused.
      if (generated === 'throws') return;
      expect(outcome(decodeProcessingRequest, input), what).toEqual(generated);
      compared += 1;
    };
    for (const request of Object.values(cases).slice(0, 7)) {
      const bytes = encode(request).subarray(0, 4096);
      for (let at = 0; at < Math.min(bytes.length, 300); at++) {
        const flipped = Buffer.from(bytes);
        flipped[at] = (flipped[at] ?? 0) ^ 0xff;
        check(`cut at ${String(at)}`, bytes.subarray(0, at));
        check(`flipped at ${String(at)}`, flipped);
      }
    }
    expect(compared).toBeGreaterThan(300);
  });
});
