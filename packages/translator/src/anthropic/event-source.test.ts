import { describe, expect, it } from 'vitest';
import { encodeEventStreamMessage } from '../shared/aws-eventstream.js';
import { createAnthropicEventSource } from './event-source.js';

const encoder = new TextEncoder();

describe('createAnthropicEventSource', () => {
  it('takes the type from the SSE event name when the data lacks it, and skips non-JSON data', () => {
    const source = createAnthropicEventSource('sse');
    const text =
      'event: ping\ndata: {}\n\ndata: not json\n\nevent: message_stop\ndata: {"type":"message_stop"}';
    expect(source.feed(encoder.encode(text), true)).toEqual([
      { type: 'ping' },
      { type: 'message_stop' },
    ]);
  });

  it('turns corrupt Bedrock framing into one error event and ignores the rest', () => {
    const source = createAnthropicEventSource('eventstream');
    const frame = encodeEventStreamMessage({
      headers: { ':message-type': 'event' },
      payload: encoder.encode(`{"bytes":"${btoa('{"type":"ping"}')}"}`),
    });
    expect(source.feed(frame, false)).toEqual([{ type: 'ping' }]);
    const corrupt = frame.slice();
    corrupt[9] = (corrupt[9] ?? 0) ^ 0xff;
    expect(source.feed(corrupt, false)).toEqual([
      {
        type: 'error',
        error: {
          type: 'api_error',
          message: 'malformed AWS eventstream from the upstream: event stream prelude CRC mismatch',
        },
      },
    ]);
    expect(source.feed(frame, true)).toEqual([]);
  });

  it('skips Bedrock payloads that are not base64-wrapped events', () => {
    const source = createAnthropicEventSource('eventstream');
    const frames = ['{"bytes":"%%%"}', '{"other":1}'].map((payload) =>
      encodeEventStreamMessage({ headers: {}, payload: encoder.encode(payload) }),
    );
    expect(frames.flatMap((f) => source.feed(f, false))).toEqual([]);
  });
});
