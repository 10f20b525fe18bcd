import { describe, expect, it } from 'vitest';
import { encodeEventStreamMessage } from '@aigw/translator';
import { firstEventDetector, type GateVerdict } from './first-token-gate.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const openAIChunk = (delta: object, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

const anthropicEvent = (event: Record<string, unknown>): string =>
  `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;

/** Feeds `chunks` to a fresh detector for `schema`; the verdict after each chunk. */
function verdicts(schema: Parameters<typeof firstEventDetector>[0], chunks: Uint8Array[]) {
  const detector = firstEventDetector(schema);
  if (!detector) throw new Error(`no detector for ${schema}`);
  return chunks.map((chunk) => detector.feed(chunk));
}

describe('first-token gate: OpenAI chat completion chunks', () => {
  it.each<[string, string[], GateVerdict]>([
    ['a role-only chunk', [openAIChunk({ role: 'assistant', content: '' })], 'pending'],
    ['a text delta', [openAIChunk({ content: 'Hi' })], 'content'],
    ['a tool call delta', [openAIChunk({ tool_calls: [{ index: 0, id: 't' }] })], 'content'],
    ['a reasoning delta', [openAIChunk({ reasoning_content: 'hmm' })], 'content'],
    ['a finish without text (an empty answer)', [openAIChunk({}, 'stop')], 'content'],
    ['[DONE]', ['data: [DONE]\n\n'], 'content'],
    [
      'the error event',
      [`data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`],
      'error',
    ],
    ['a comment (keep-alive)', [': keep-alive\n\n'], 'pending'],
    ['a frame not yet ended', ['data: {"choices":[{"delta":{"content":"Hi"}}]}\n'], 'pending'],
  ])('%s: %s', (_name, frames, expected) => {
    expect(verdicts('OpenAI', frames.map(bytes)).at(-1)).toBe(expected);
  });

  it('reads frames split anywhere across chunks, CRLF included', () => {
    const text =
      openAIChunk({ role: 'assistant' }).replaceAll('\n', '\r\n') + openAIChunk({ content: 'é' });
    const all = bytes(text);
    const chunks = Array.from({ length: all.length }, (_, i) => all.subarray(i, i + 1));
    const seen = verdicts('AzureOpenAI', chunks);
    expect(seen.indexOf('content')).toBe(all.length - 1);
  });
});

describe('first-token gate: OpenAI Responses events (passthrough)', () => {
  const event = (type: string, fields: object = {}): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: 0 })}\n\n`;
  const created = event('response.created', { response: { id: 'r', status: 'in_progress' } });
  it.each<[string, string[], GateVerdict]>([
    [
      'created, in_progress, a message item and its part',
      [
        created,
        event('response.in_progress', { response: { id: 'r' } }),
        event('response.output_item.added', { item: { type: 'message', content: [] } }),
        event('response.content_part.added', { part: { type: 'output_text', text: '' } }),
      ],
      'pending',
    ],
    ['a text delta', [created, event('response.output_text.delta', { delta: 'Hi' })], 'content'],
    ['a reasoning delta', [event('response.reasoning_text.delta', { delta: 'hm' })], 'content'],
    [
      'a function call item',
      [event('response.output_item.added', { item: { type: 'function_call', name: 'f' } })],
      'content',
    ],
    ['a completed response', [event('response.completed', { response: {} })], 'content'],
    ['the error event', [created, event('error', { code: 'server_error', message: 'x' })], 'error'],
    ['a failed response', [event('response.failed', { response: { error: {} } })], 'error'],
  ])('%s: %s', (_name, frames, expected) => {
    expect(verdicts('OpenAI', frames.map(bytes)).at(-1)).toBe(expected);
  });
});

describe('first-token gate: Anthropic events', () => {
  const start = anthropicEvent({ type: 'message_start', message: { id: 'm', content: [] } });
  it.each<[string, string[], GateVerdict]>([
    ['message_start, ping', [start, anthropicEvent({ type: 'ping' })], 'pending'],
    [
      'a text block start',
      [
        start,
        anthropicEvent({
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
      ],
      'pending',
    ],
    [
      'a tool_use block start',
      [
        anthropicEvent({
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'tool_use', id: 't', name: 'f' },
        }),
      ],
      'content',
    ],
    [
      'a text delta',
      [
        start,
        anthropicEvent({
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: 'Hi' },
        }),
      ],
      'content',
    ],
    [
      'a thinking delta',
      [
        anthropicEvent({
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'thinking_delta', thinking: 'hmm' },
        }),
      ],
      'content',
    ],
    [
      'message_stop (an empty answer)',
      [start, anthropicEvent({ type: 'message_stop' })],
      'content',
    ],
    [
      'the error event',
      [
        anthropicEvent({
          type: 'error',
          error: { type: 'overloaded_error', message: 'Overloaded' },
        }),
      ],
      'error',
    ],
  ])('%s', (_name, frames, expected) => {
    expect(verdicts('Anthropic', frames.map(bytes)).at(-1)).toBe(expected);
    expect(verdicts('GCPAnthropic', frames.map(bytes)).at(-1)).toBe(expected);
  });
});

describe('first-token gate: Gemini chunks', () => {
  it.each<[string, object, GateVerdict]>([
    ['a text part', { candidates: [{ content: { parts: [{ text: 'Hi' }] } }] }, 'content'],
    ['a finish', { candidates: [{ finishReason: 'STOP' }] }, 'content'],
    ['no candidates yet', { usageMetadata: {} }, 'pending'],
    ['the error', { error: { code: 503, message: 'overloaded' } }, 'error'],
  ])('%s', (_name, chunk, expected) => {
    expect(verdicts('GCPVertexAI', [bytes(`data: ${JSON.stringify(chunk)}\n\n`)])[0]).toBe(
      expected,
    );
  });
});

describe('first-token gate: AWS eventstream', () => {
  const event = (type: string, payload: object): Uint8Array =>
    encodeEventStreamMessage({
      headers: {
        ':event-type': type,
        ':content-type': 'application/json',
        ':message-type': 'event',
      },
      payload: bytes(JSON.stringify(payload)),
    });
  const claude = (inner: object): Uint8Array =>
    event('chunk', { bytes: Buffer.from(JSON.stringify(inner)).toString('base64') });
  const exception = encodeEventStreamMessage({
    headers: { ':exception-type': 'throttlingException', ':message-type': 'exception' },
    payload: bytes('{"message":"slow down"}'),
  });

  it.each<[string, Uint8Array[], GateVerdict]>([
    ['ConverseStream messageStart', [event('messageStart', { role: 'assistant' })], 'pending'],
    [
      'ConverseStream contentBlockDelta',
      [event('contentBlockDelta', { delta: { text: 'Hi' } })],
      'content',
    ],
    ['an exception first', [exception], 'error'],
    ['Claude message_start', [claude({ type: 'message_start', message: {} })], 'pending'],
    [
      'Claude text delta',
      [claude({ type: 'content_block_delta', delta: { text: 'Hi' } })],
      'content',
    ],
    ['framing that does not decode', [bytes('not an eventstream frame at all, clearly')], 'error'],
  ])('%s', (_name, chunks, expected) => {
    expect(verdicts('AWSBedrock', chunks).at(-1)).toBe(expected);
  });

  it('waits for a frame split across chunks', () => {
    const frame = event('contentBlockDelta', { delta: { text: 'Hi' } });
    expect(verdicts('AWSAnthropic', [frame.subarray(0, 10), frame.subarray(10)])).toEqual([
      'pending',
      'content',
    ]);
  });
});

describe('first-token gate: schemas it does not read', () => {
  it('has no detector for Cohere (not gated)', () => {
    expect(firstEventDetector('Cohere')).toBeUndefined();
  });
});
