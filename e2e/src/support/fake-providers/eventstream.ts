import { crc32 } from 'node:zlib';

/**
 * An AWS eventstream (`application/vnd.amazon.eventstream`) encoder written from the format
 * description, independent of the translator's codec, so a mistake in one is not mirrored by the
 * other. A message: total length (4) · headers length (4) · prelude CRC32 (4) · headers ·
 * payload · message CRC32 (4); big-endian; each header is name length (1) · name · type (1,
 * 7 = string) · value length (2) · value.
 *
 * @see https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream
 */
export function eventStreamMessage(
  headers: Readonly<Record<string, string>>,
  payload: Uint8Array,
): Buffer {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name, 'utf8');
      const v = Buffer.from(value, 'utf8');
      const head = Buffer.alloc(1 + n.length + 1 + 2);
      head.writeUInt8(n.length, 0);
      n.copy(head, 1);
      head.writeUInt8(7, 1 + n.length);
      head.writeUInt16BE(v.length, 2 + n.length);
      return Buffer.concat([head, v]);
    }),
  );
  const total = 12 + headerBytes.length + payload.byteLength + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const body = Buffer.concat([prelude, headerBytes, payload]);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([body, trailer]);
}

/** An eventstream `event` message with a JSON payload, as Bedrock's streaming APIs send them. */
export function eventStreamEvent(eventType: string, payload: object): Buffer {
  return eventStreamMessage(
    {
      ':event-type': eventType,
      ':content-type': 'application/json',
      ':message-type': 'event',
    },
    Buffer.from(JSON.stringify(payload), 'utf8'),
  );
}
