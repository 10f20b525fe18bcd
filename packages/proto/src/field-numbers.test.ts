import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';

import { egExtension, envoyConfig, envoyFilters, extProc, health, ratelimit } from './index.js';

/** The top-level field numbers of an encoded message, in wire order. */
function fieldNumbers(bytes: Uint8Array): number[] {
  const reader = new BinaryReader(bytes);
  const numbers: number[] = [];
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    numbers.push(fieldNo);
    reader.skip(wireType);
  }
  return numbers;
}

/** The payload of the single length-delimited field `fieldNo` of an encoded message. */
function submessage(bytes: Uint8Array, fieldNo: number): Uint8Array {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === fieldNo && wireType === WireType.LengthDelimited) return reader.bytes();
    reader.skip(wireType);
  }
  throw new Error(`field ${fieldNo} not found`);
}

describe('Envoy Gateway extension field numbers', () => {
  const resources = {
    clusters: [{ name: 'c' }],
    secrets: [{ name: 's' }],
    listeners: [{ name: 'l' }],
    routes: [{ name: 'r' }],
  };

  it('PostTranslateModifyRequest: context = 1, clusters = 2, secrets = 3, listeners = 4, routes = 5', () => {
    const message = egExtension.PostTranslateModifyRequest.fromPartial({
      postTranslateContext: { extensionResources: [{ unstructuredBytes: Buffer.from('{}') }] },
      ...resources,
    });
    expect(fieldNumbers(egExtension.PostTranslateModifyRequest.encode(message).finish())).toEqual([1, 2, 3, 4, 5]);
  });

  it('PostTranslateModifyResponse shifts by one: clusters = 1, secrets = 2, listeners = 3, routes = 4', () => {
    const message = egExtension.PostTranslateModifyResponse.fromPartial(resources);
    expect(fieldNumbers(egExtension.PostTranslateModifyResponse.encode(message).finish())).toEqual([1, 2, 3, 4]);
  });

  it('PostRouteExtensionContext: extension_resources = 1, hostnames = 2, extension_policies = 3 (v1.9)', () => {
    const message = egExtension.PostRouteExtensionContext.fromPartial({
      extensionResources: [{ unstructuredBytes: Buffer.from('{}') }],
      hostnames: ['example.com'],
      extensionPolicies: [{ unstructuredBytes: Buffer.from('{}') }],
    });
    expect(fieldNumbers(egExtension.PostRouteExtensionContext.encode(message).finish())).toEqual([1, 2, 3]);
  });

  it('PostEndpointsModifyRequest: load_assignment = 1, post_endpoints_context = 2', () => {
    const message = egExtension.PostEndpointsModifyRequest.fromPartial({
      loadAssignment: { clusterName: 'c' },
      postEndpointsContext: {},
    });
    expect(fieldNumbers(egExtension.PostEndpointsModifyRequest.encode(message).finish())).toEqual([1, 2]);
  });
});

describe('ext_proc field numbers and enums', () => {
  it('BodySendMode: FULL_DUPLEX_STREAMED = 4, GRPC = 5', () => {
    expect(extProc.ProcessingMode_BodySendMode.FULL_DUPLEX_STREAMED).toBe(4);
    expect(extProc.ProcessingMode_BodySendMode.GRPC).toBe(5);
    expect(extProc.ProcessingMode_HeaderSendMode.SKIP).toBe(2);
  });

  it('ProcessingRequest: attributes = 9, observability_mode = 10, protocol_config = 11', () => {
    const message = extProc.ProcessingRequest.fromPartial({
      request: { $case: 'requestBody', value: { body: Buffer.from('{}'), endOfStream: true } },
      attributes: { 'envoy.filters.http.ext_proc': { 'request.path': '/v1' } },
      observabilityMode: true,
      protocolConfig: { requestBodyMode: extProc.ProcessingMode_BodySendMode.FULL_DUPLEX_STREAMED },
    });
    expect(fieldNumbers(extProc.ProcessingRequest.encode(message).finish())).toEqual([4, 9, 10, 11]);
  });

  it('ProcessingResponse: streamed_immediate_response = 11 and the Envoy 1.40 drain fields (overlay)', () => {
    const message = extProc.ProcessingResponse.fromPartial({
      response: { $case: 'streamedImmediateResponse', value: { response: { $case: 'bodyResponse', value: {} } } },
      requestDrainRequests: true,
      requestDrainResponses: true,
    });
    expect(fieldNumbers(extProc.ProcessingResponse.encode(message).finish())).toEqual([11, 15, 16]);
  });

  it('BodyMutation.streamed_response = 3 with StreamedBodyResponse end_of_stream_without_message = 3', () => {
    const mutation = extProc.BodyMutation.fromPartial({
      mutation: {
        $case: 'streamedResponse',
        value: { body: Buffer.from('x'), endOfStream: true, endOfStreamWithoutMessage: true, grpcMessageCompressed: true },
      },
    });
    const wire = extProc.BodyMutation.encode(mutation).finish();
    expect(fieldNumbers(wire)).toEqual([3]);
    expect(fieldNumbers(submessage(wire, 3))).toEqual([1, 2, 3, 4]);
  });

  it('HttpBody: end_of_stream_without_message = 3, grpc_message_compressed = 4 (overlay)', () => {
    const body = extProc.HttpBody.fromPartial({ endOfStreamWithoutMessage: true, grpcMessageCompressed: true });
    expect(fieldNumbers(extProc.HttpBody.encode(body).finish())).toEqual([3, 4]);
  });

  it('CommonResponse: status = 1, header_mutation = 2, body_mutation = 3, clear_route_cache = 5', () => {
    const message = extProc.CommonResponse.fromPartial({
      status: extProc.CommonResponse_ResponseStatus.CONTINUE_AND_REPLACE,
      headerMutation: {
        setHeaders: [
          {
            header: { key: 'x-model', rawValue: Buffer.from('gpt') },
            appendAction: envoyConfig.HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
          },
        ],
        removeHeaders: ['content-length'],
      },
      bodyMutation: { mutation: { $case: 'body', value: Buffer.from('{}') } },
      clearRouteCache: true,
    });
    expect(fieldNumbers(extProc.CommonResponse.encode(message).finish())).toEqual([1, 2, 3, 5]);
    expect(envoyConfig.HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD).toBe(2);
  });

  it('ImmediateResponse: status = 1 (HttpStatus), body = 3 is bytes, details = 5', () => {
    const message = extProc.ImmediateResponse.fromPartial({
      status: { code: envoyConfig.StatusCode.TooManyRequests },
      body: Buffer.from('slow down'),
      details: 'ratelimited',
    });
    expect(fieldNumbers(extProc.ImmediateResponse.encode(message).finish())).toEqual([1, 3, 5]);
    expect(envoyConfig.StatusCode.TooManyRequests).toBe(429);
  });

  it('ExternalProcessor filter config: allow_mode_override = 14, status_on_error = 24, allow_content_length_header = 26 (overlay)', () => {
    const config = extProc.ExternalProcessor.fromPartial({
      allowModeOverride: true,
      statusOnError: { code: envoyConfig.StatusCode.ServiceUnavailable },
      allowContentLengthHeader: true,
    });
    expect(fieldNumbers(extProc.ExternalProcessor.encode(config).finish())).toEqual([14, 24, 26]);
  });
});

describe('rate limit field numbers', () => {
  it('RateLimitDescriptor: hits_addend = 3 is a UInt64Value, so 0 is distinguishable from unset', () => {
    const withZero = ratelimit.RateLimitDescriptor.encode({
      entries: [{ key: 'model', value: 'gpt' }],
      hitsAddend: 0n,
      isNegativeHits: false,
    }).finish();
    expect(fieldNumbers(withZero)).toEqual([1, 3]);
    expect(submessage(withZero, 3)).toEqual(new Uint8Array()); // UInt64Value{} = 0
    expect(ratelimit.RateLimitDescriptor.decode(withZero).hitsAddend).toBe(0n);

    const unset = ratelimit.RateLimitDescriptor.fromPartial({ entries: [{ key: 'model', value: 'gpt' }] });
    expect(fieldNumbers(ratelimit.RateLimitDescriptor.encode(unset).finish())).toEqual([1]);
    expect(ratelimit.RateLimitDescriptor.decode(ratelimit.RateLimitDescriptor.encode(unset).finish()).hitsAddend).toBeUndefined();
  });

  it('RateLimitDescriptor.hits_addend keeps uint64 values above 2^53 exact (bigint)', () => {
    const big = 2n ** 64n - 1n;
    const wire = ratelimit.RateLimitDescriptor.encode({ entries: [], hitsAddend: big, isNegativeHits: true }).finish();
    expect(fieldNumbers(wire)).toEqual([3, 4]);
    expect(ratelimit.RateLimitDescriptor.decode(wire).hitsAddend).toBe(big);
  });

  it('RateLimitRequest: domain = 1, descriptors = 2, hits_addend = 3 (uint32)', () => {
    const message = ratelimit.RateLimitRequest.fromPartial({
      domain: 'ai-gateway',
      descriptors: [{ entries: [{ key: 'k', value: 'v' }] }],
      hitsAddend: 10,
    });
    expect(fieldNumbers(ratelimit.RateLimitRequest.encode(message).finish())).toEqual([1, 2, 3]);
  });

  it('DescriptorStatus: code = 1, current_limit = 2, limit_remaining = 3, duration_until_reset = 4', () => {
    const status = ratelimit.RateLimitResponse_DescriptorStatus.fromPartial({
      code: ratelimit.RateLimitResponse_Code.OVER_LIMIT,
      currentLimit: { requestsPerUnit: 100, unit: ratelimit.RateLimitResponse_RateLimit_Unit.MINUTE, unitMultiplier: 5 },
      limitRemaining: 0,
      durationUntilReset: { seconds: 30n, nanos: 0 },
    });
    const wire = ratelimit.RateLimitResponse_DescriptorStatus.encode(status).finish();
    // limit_remaining = 0 is the proto3 default and is not written.
    expect(fieldNumbers(wire)).toEqual([1, 2, 4]);
    // RateLimit: requests_per_unit = 1, unit = 2, unit_multiplier = 4 (overlay).
    expect(fieldNumbers(submessage(wire, 2))).toEqual([1, 2, 4]);
    expect(ratelimit.RateLimitResponse_Code.OVER_LIMIT).toBe(2);
    expect(ratelimit.RateLimitResponse_RateLimit_Unit.WEEK).toBe(7);
  });
});

describe('rate-limit descriptor expression (hand-written codec)', () => {
  const { Descriptor } = envoyFilters.rateLimitDescriptorExpr;

  it('descriptor_key = 1, skip_if_error = 2, text = 3; round-trips and skips unknown fields', () => {
    const message = Descriptor.fromPartial({ descriptorKey: 'match-0', skipIfError: true, text: "'a'" });
    const wire = Descriptor.encode(message).finish();
    expect(fieldNumbers(wire)).toEqual([1, 2, 3]);
    expect(Descriptor.decode(wire)).toEqual(message);
    const withParsed = new Uint8Array([...wire, 0x22, 0x00]); // field 4 (`parsed`), empty
    expect(Descriptor.decode(withParsed)).toEqual(message);
    expect(fieldNumbers(Descriptor.encode(Descriptor.fromPartial({})).finish())).toEqual([]);
  });
});

describe('gRPC health', () => {
  it('ServingStatus values', () => {
    expect(health.HealthCheckResponse_ServingStatus.UNKNOWN).toBe(0);
    expect(health.HealthCheckResponse_ServingStatus.SERVING).toBe(1);
    expect(health.HealthCheckResponse_ServingStatus.NOT_SERVING).toBe(2);
    expect(health.HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN).toBe(3);
  });

  it('HealthCheckRequest.service = 1, HealthCheckResponse.status = 1', () => {
    expect(fieldNumbers(health.HealthCheckRequest.encode({ service: 'x' }).finish())).toEqual([1]);
    const response = health.HealthCheckResponse.encode({ status: health.HealthCheckResponse_ServingStatus.SERVING });
    expect(fieldNumbers(response.finish())).toEqual([1]);
  });
});

describe('Struct fields map to plain objects', () => {
  it('round-trips ProcessingResponse.dynamic_metadata', () => {
    const dynamicMetadata = { 'io.envoy.ai_gateway': { model: 'gpt', tokens: 12, cached: false, tags: ['a'] } };
    const wire = extProc.ProcessingResponse.encode(extProc.ProcessingResponse.fromPartial({ dynamicMetadata })).finish();
    expect(fieldNumbers(wire)).toEqual([8]);
    expect(extProc.ProcessingResponse.decode(wire).dynamicMetadata).toEqual(dynamicMetadata);
    expect(envoyConfig.Struct.unwrap(envoyConfig.Struct.wrap(dynamicMetadata))).toEqual(dynamicMetadata);
  });
});
