import { describe, expect, it } from 'vitest';
import {
  crc32,
  encodeEventStreamMessage,
  EventStreamDecoder,
  EventStreamError,
} from './aws-eventstream.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function message(event: string, payload: string): Uint8Array {
  return encodeEventStreamMessage({
    headers: {
      ':event-type': event,
      ':content-type': 'application/json',
      ':message-type': 'event',
    },
    payload: encoder.encode(payload),
  });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(encoder.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('EventStreamDecoder', () => {
  const stream = concat([
    message('chunk', '{"bytes":"eyJ0eXBlIjoicGluZyJ9"}'),
    message('chunk', '{"bytes":"e30="}'),
    message('chunk', '{"a":"日本語 👋"}'),
  ]);

  it('decodes headers and payloads', () => {
    const messages = new EventStreamDecoder().feed(stream);
    expect(messages).toHaveLength(3);
    expect(messages[0]?.headers.get(':event-type')).toBe('chunk');
    expect(messages[0]?.headers.get(':message-type')).toBe('event');
    expect(decoder.decode(messages[2]?.payload)).toBe('{"a":"日本語 👋"}');
  });

  it('decodes the same messages at every split point and byte by byte', () => {
    const whole = new EventStreamDecoder().feed(stream);
    for (let point = 0; point <= stream.length; point++) {
      const d = new EventStreamDecoder();
      const first = stream.slice(0, point);
      const got = d.feed(first);
      first.fill(0); // the decoder must have copied what it keeps
      got.push(...d.feed(stream.slice(point)));
      expect(got, `split at ${point}`).toEqual(whole);
      expect(d.hasPartialMessage).toBe(false);
    }
    const d = new EventStreamDecoder();
    const got = Array.from(stream, (b) => d.feed(Uint8Array.of(b))).flat();
    expect(got).toEqual(whole);
  });

  it('reports a partial message', () => {
    const d = new EventStreamDecoder();
    expect(d.feed(stream.slice(0, 20))).toEqual([]);
    expect(d.hasPartialMessage).toBe(true);
  });

  it.each([
    { name: 'prelude CRC', at: 9, error: 'prelude CRC mismatch' },
    { name: 'payload', at: -6, error: 'message CRC mismatch' },
    { name: 'message CRC', at: -1, error: 'message CRC mismatch' },
  ])('rejects a corrupt $name', ({ at, error }) => {
    const bytes = message('chunk', '{"x":1}');
    const index = at < 0 ? bytes.length + at : at;
    bytes[index] = (bytes[index] ?? 0) ^ 0xff;
    expect(() => new EventStreamDecoder().feed(bytes)).toThrow(EventStreamError);
    expect(() => new EventStreamDecoder().feed(bytes)).toThrow(error);
  });

  it('rejects impossible lengths', () => {
    expect(() => new EventStreamDecoder().feed(new Uint8Array(12))).toThrow(
      'invalid event stream message length 0',
    );
  });

  it('decodes every header type', () => {
    // name "b" bool true, "i" int32 -2, "l" long 5, "s" short 7, "y" byte -1, "t" timestamp 1000,
    // "x" bytes [1,2], "u" uuid (16 bytes)
    const headers = concat([
      Uint8Array.of(1, 0x62, 0),
      Uint8Array.of(1, 0x66, 1),
      Uint8Array.of(1, 0x69, 4, 0xff, 0xff, 0xff, 0xfe),
      Uint8Array.of(1, 0x6c, 5, 0, 0, 0, 0, 0, 0, 0, 5),
      Uint8Array.of(1, 0x73, 3, 0, 7),
      Uint8Array.of(1, 0x79, 2, 0xff),
      Uint8Array.of(1, 0x74, 8, 0, 0, 0, 0, 0, 0, 0x03, 0xe8),
      Uint8Array.of(1, 0x78, 6, 0, 2, 1, 2),
      Uint8Array.of(1, 0x75, 9, ...new Array<number>(16).fill(9)),
    ]);
    const total = 12 + headers.length + 4;
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headers.length);
    view.setUint32(8, crc32(bytes, 0, 8));
    bytes.set(headers, 12);
    view.setUint32(total - 4, crc32(bytes, 0, total - 4));
    const [decoded] = new EventStreamDecoder().feed(bytes);
    expect(Object.fromEntries(decoded?.headers ?? [])).toEqual({
      b: true,
      f: false,
      i: -2,
      l: 5n,
      s: 7,
      y: -1,
      t: 1000,
      x: Uint8Array.of(1, 2),
      u: new Uint8Array(16).fill(9),
    });
    expect(decoded?.payload).toEqual(new Uint8Array(0));
  });

  it('rejects an unknown header type', () => {
    const headers = Uint8Array.of(1, 0x62, 42);
    const total = 12 + headers.length + 4;
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headers.length);
    view.setUint32(8, crc32(bytes, 0, 8));
    bytes.set(headers, 12);
    view.setUint32(total - 4, crc32(bytes, 0, total - 4));
    expect(() => new EventStreamDecoder().feed(bytes)).toThrow('unknown event stream header type');
  });
});
