import * as extProc from '@aigw/proto/ext-proc-service';

/**
 * The ext_proc request decoder of the hot path. The generated decoder copies every header value
 * and every body into a Buffer of its own (`Buffer.from(reader.bytes())`) and gives each message
 * and header an `_unknownFields` object: per request that is ~30 small Buffers and objects, and a
 * full copy of the body (14 MiB for the largest the bench sends). This one reads the messages
 * Envoy sends on the hot path in place — request and response headers, bodies, the
 * upstream-level attributes — and produces the same `ProcessingRequest` shape:
 *
 * - a header's value as a `string` in `value` (`rawValue` empty: `headerMap` reads either);
 * - a body as a view into the gRPC frame (`subarray`, no copy; the transport never reuses a
 *   frame's buffer);
 * - the attributes through the generated decoder of their entries (a `Struct`).
 *
 * Any other field (trailers, metadata context, observability mode, flow control, a deprecated
 * header attribute, an unexpected wire type) sends the whole message to the generated decoder,
 * so what this one does not know is decoded exactly as before.
 */
export function decodeProcessingRequest(bytes: Buffer): extProc.ProcessingRequest {
  return fastDecode(bytes) ?? extProc.ProcessingRequest.decode(bytes);
}

const emptyBuffer = Buffer.alloc(0);

/** Reads wire-format fields off one buffer; `undefined` from a read means "not for the fast path". */
class Reader {
  pos: number;
  readonly #bytes: Buffer;

  constructor(bytes: Buffer, pos = 0) {
    this.#bytes = bytes;
    this.pos = pos;
  }

  /** A varint of up to 2^53 (tags, lengths, bools); undefined when malformed. */
  varint(): number | undefined {
    const bytes = this.#bytes;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = bytes[this.pos++];
      if (byte === undefined) return undefined;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    return undefined;
  }

  /** The end of a length-delimited field starting here; undefined when it overruns `limit`. */
  end(limit: number): number | undefined {
    const length = this.varint();
    if (length === undefined) return undefined;
    const end = this.pos + length;
    return end > limit ? undefined : end;
  }

  utf8(end: number): string {
    const text = this.#bytes.toString('utf8', this.pos, end);
    this.pos = end;
    return text;
  }

  view(end: number): Buffer<ArrayBuffer> {
    // The transport's frames are ArrayBuffer-backed Buffers (never shared memory).
    const view =
      end === this.pos ? emptyBuffer : (this.#bytes.subarray(this.pos, end) as Buffer<ArrayBuffer>);
    this.pos = end;
    return view;
  }
}

const lengthDelimited = 2;

type Phase = NonNullable<extProc.ProcessingRequest['request']>;

/** The phase a `ProcessingRequest` field holds, read in place; undefined: not for the fast path. */
function decodePhase(field: number, reader: Reader, end: number): Phase | undefined {
  switch (field) {
    case 2:
    case 3: {
      const value = decodeHeaders(reader, end);
      if (!value) return undefined;
      return field === 2 ? { $case: 'requestHeaders', value } : { $case: 'responseHeaders', value };
    }
    case 4:
    case 5: {
      const value = decodeBody(reader, end);
      if (!value) return undefined;
      return field === 4 ? { $case: 'requestBody', value } : { $case: 'responseBody', value };
    }
    default:
      return undefined;
  }
}

function fastDecode(bytes: Buffer): extProc.ProcessingRequest | undefined {
  const reader = new Reader(bytes);
  let request: Phase | undefined;
  let attributes: extProc.ProcessingRequest['attributes'] | undefined;
  while (reader.pos < bytes.length) {
    const tag = reader.varint();
    if (tag === undefined || (tag & 7) !== lengthDelimited) return undefined;
    const end = reader.end(bytes.length);
    if (end === undefined) return undefined;
    const field = tag >>> 3;
    if (field === 9) {
      const entry = extProc.ProcessingRequest_AttributesEntry.decode(reader.view(end));
      if (entry.value !== undefined) (attributes ??= {})[entry.key] = entry.value;
      continue;
    }
    request = decodePhase(field, reader, end);
    if (!request) return undefined;
  }
  return {
    request,
    metadataContext: undefined,
    attributes: attributes ?? {},
    observabilityMode: false,
    protocolConfig: undefined,
    flowControlInit: undefined,
    clientWindowUpdate: undefined,
  };
}

/** `HttpHeaders`: the header map (field 1) and end_of_stream (field 3). */
function decodeHeaders(reader: Reader, limit: number): extProc.HttpHeaders | undefined {
  const headers: extProc.HeaderValue[] = [];
  let endOfStream = false;
  while (reader.pos < limit) {
    const tag = reader.varint();
    if (tag === 10) {
      const end = reader.end(limit);
      if (end === undefined || !decodeHeaderMap(reader, end, headers)) return undefined;
    } else if (tag === 24) {
      const flag = reader.varint();
      if (flag === undefined) return undefined;
      endOfStream = flag !== 0;
    } else {
      return undefined;
    }
  }
  if (reader.pos !== limit) return undefined;
  // The deprecated per-message attributes (field 2) are not read here: empty, as Envoy sends them.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return { headers: { headers }, attributes: {}, endOfStream };
}

/** `HeaderMap`: repeated `HeaderValue` (field 1). */
function decodeHeaderMap(reader: Reader, limit: number, into: extProc.HeaderValue[]): boolean {
  while (reader.pos < limit) {
    if (reader.varint() !== 10) return false;
    const end = reader.end(limit);
    const header = end === undefined ? undefined : decodeHeaderValue(reader, end);
    if (!header) return false;
    into.push(header);
  }
  return reader.pos === limit;
}

/**
 * `HeaderValue`: key (1), value (2), raw_value (3). Envoy sends raw_value; a non-empty one wins
 * over value, as `headerMap` reads them.
 */
function decodeHeaderValue(reader: Reader, end: number): extProc.HeaderValue | undefined {
  let key = '';
  let value = '';
  let hasRaw = false;
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === undefined || (tag & 7) !== lengthDelimited) return undefined;
    const fieldEnd = reader.end(end);
    if (fieldEnd === undefined) return undefined;
    const field = tag >>> 3;
    if (field === 1) key = reader.utf8(fieldEnd);
    else if (field === 3 && fieldEnd > reader.pos) {
      value = reader.utf8(fieldEnd);
      hasRaw = true;
    } else if (field === 2 && !hasRaw) value = reader.utf8(fieldEnd);
    else if (field === 2 || field === 3) reader.pos = fieldEnd;
    else return undefined;
  }
  return { key, value, rawValue: emptyBuffer };
}

/** `HttpBody`: body (field 1, a view) and end_of_stream (field 2); other flags: not here. */
function decodeBody(reader: Reader, limit: number): extProc.HttpBody | undefined {
  let body = emptyBuffer;
  let endOfStream = false;
  while (reader.pos < limit) {
    const tag = reader.varint();
    if (tag === 10) {
      const end = reader.end(limit);
      if (end === undefined) return undefined;
      body = reader.view(end);
    } else if (tag === 16) {
      const flag = reader.varint();
      if (flag === undefined) return undefined;
      endOfStream = flag !== 0;
    } else {
      // Anything else, e.g. end_of_stream_without_message (3), grpc_message_compressed (4) or
      // drain_complete (5), set only by modes the gateway does not use: the generated decoder.
      return undefined;
    }
  }
  return reader.pos === limit
    ? {
        body,
        endOfStream,
        endOfStreamWithoutMessage: false,
        grpcMessageCompressed: false,
        drainComplete: false,
      }
    : undefined;
}
