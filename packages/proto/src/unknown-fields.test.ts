import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';

import { egExtension, envoyConfig, extProc } from './index.js';

const utf8 = new TextEncoder();

/** A `HeaderMap` with one header whose value is in `raw_value`, as ext_proc sends it. */
function headerMap(w: BinaryWriter, key: string, value: string): BinaryWriter {
  w.tag(1, WireType.LengthDelimited).fork(); // HeaderMap.headers
  w.tag(1, WireType.LengthDelimited).string(key); // HeaderValue.key
  w.tag(3, WireType.LengthDelimited).bytes(utf8.encode(value)); // HeaderValue.raw_value
  return w.join();
}

/** A `Cluster` named `name`, followed by fields newer Envoy releases define and this copy lacks. */
function clusterWithNewerFields(w: BinaryWriter, name: string): BinaryWriter {
  w.tag(1, WireType.LengthDelimited).string(name); // Cluster.name
  // Envoy 1.40: per_connection_buffer_high_watermark_timeout = 60 (Duration{seconds: 5}).
  w.tag(60, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int64(5n).join();
  // An arbitrary future field of every wire type.
  w.tag(1000, WireType.Varint).uint64(2n ** 63n);
  w.tag(1001, WireType.Bit64).fixed64(7n);
  w.tag(1002, WireType.Bit32).fixed32(9);
  w.tag(1003, WireType.LengthDelimited).bytes(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  return w;
}

describe('unknown fields survive decode → encode', () => {
  it('ext_proc ProcessingRequest, at the top level and inside a oneof message', () => {
    const w = new BinaryWriter();
    w.tag(2, WireType.LengthDelimited).fork(); // request_headers: HttpHeaders
    w.tag(1, WireType.LengthDelimited).fork(); // HttpHeaders.headers
    headerMap(w, ':path', '/v1/chat/completions').join();
    w.tag(3, WireType.Varint).bool(true); // HttpHeaders.end_of_stream
    w.tag(77, WireType.Varint).uint32(42); // unknown inside HttpHeaders
    w.join();
    w.tag(10, WireType.Varint).bool(true); // observability_mode
    w.tag(99, WireType.LengthDelimited).string('from a newer Envoy'); // unknown
    const wire = w.finish();

    const decoded = extProc.ProcessingRequest.decode(wire);
    expect(decoded.request?.$case).toBe('requestHeaders');
    expect(decoded.observabilityMode).toBe(true);
    expect(Object.keys(decoded._unknownFields ?? {})).toHaveLength(1);
    expect(extProc.ProcessingRequest.encode(decoded).finish()).toEqual(wire);
  });

  it('envoy Cluster with fields from a newer Envoy release', () => {
    const wire = clusterWithNewerFields(new BinaryWriter(), 'backend').finish();
    const decoded = envoyConfig.Cluster.decode(wire);
    expect(decoded.name).toBe('backend');
    expect(envoyConfig.Cluster.encode(decoded).finish()).toEqual(wire);
  });

  it('re-encodes unknown fields after the known ones when they arrived interleaved', () => {
    // Order is not significant on the wire: the value survives, the position may not.
    const w = new BinaryWriter();
    w.tag(1000, WireType.Varint).uint32(1);
    w.tag(1, WireType.LengthDelimited).string('backend');
    const canonical = new BinaryWriter();
    canonical.tag(1, WireType.LengthDelimited).string('backend');
    canonical.tag(1000, WireType.Varint).uint32(1);

    const decoded = envoyConfig.Cluster.decode(w.finish());
    expect(envoyConfig.Cluster.encode(decoded).finish()).toEqual(canonical.finish());
  });

  it('Envoy Gateway PostTranslateModifyRequest, and its clusters moved into the response', () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).fork(); // post_translate_context
    w.tag(1, WireType.LengthDelimited).fork(); // extension_resources
    w.tag(1, WireType.LengthDelimited).bytes(utf8.encode('{"kind":"AIGatewayRoute"}'));
    w.join().join();
    w.tag(2, WireType.LengthDelimited).fork(); // clusters
    clusterWithNewerFields(w, 'c1').join();
    w.tag(9, WireType.Varint).uint32(1); // unknown: a future request field
    const wire = w.finish();

    const request = egExtension.PostTranslateModifyRequest.decode(wire);
    expect(request.clusters.map((c) => c.name)).toEqual(['c1']);
    expect(egExtension.PostTranslateModifyRequest.encode(request).finish()).toEqual(wire);

    // What the extension server does: hand the decoded clusters back, changing one field in place.
    const cluster = request.clusters[0];
    expect(cluster).toBeDefined();
    if (cluster === undefined) return;
    cluster.name = 'c1-modified';
    const response = egExtension.PostTranslateModifyResponse.encode({
      clusters: request.clusters,
      secrets: [],
      listeners: [],
      routes: [],
    }).finish();

    const expected = new BinaryWriter();
    expected.tag(1, WireType.LengthDelimited).fork(); // PostTranslateModifyResponse.clusters
    clusterWithNewerFields(expected, 'c1-modified').join();
    expect(response).toEqual(expected.finish());
  });

  it('fromPartial/create do not copy unknown fields (modify decoded messages in place instead)', () => {
    const wire = clusterWithNewerFields(new BinaryWriter(), 'backend').finish();
    const decoded = envoyConfig.Cluster.decode(wire);
    const copied = envoyConfig.Cluster.fromPartial(decoded);
    expect(copied._unknownFields).toEqual({});
    expect(envoyConfig.Cluster.encode({ ...decoded }).finish()).toEqual(wire);
  });

  it('decodes a nested unknown message as opaque bytes, never interpreting it', () => {
    const wire = clusterWithNewerFields(new BinaryWriter(), 'backend').finish();
    const decoded = envoyConfig.Cluster.decode(wire);
    const raw = decoded._unknownFields?.[(60 << 3) | WireType.LengthDelimited]?.[0];
    expect(raw).toBeDefined();
    if (raw === undefined) return;
    const reader = new BinaryReader(raw);
    reader.uint32(); // length prefix
    expect(reader.tag()).toEqual([1, WireType.Varint]);
    expect(reader.int64()).toBe(5n);
  });
});
