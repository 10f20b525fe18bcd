import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import { anthropicSse, bedrockEventStream } from '../testing/anthropic-codec.js';
import type { BackendSchemaName, Dialect, Endpoint, Translator } from '../translator.js';
import { encodeEventStreamMessage } from './aws-eventstream.js';
import { concatBytes, utf8Decoder, utf8Encoder } from './bytes.js';
import type { JsonObject } from './json.js';
import {
  mayEndOpenAIStream,
  StreamIntegrity,
  truncatedStreamFrame,
  truncatedStreamMessage,
} from './stream-integrity.js';

describe('truncatedStreamFrame', () => {
  it('is an OpenAI error frame with code stream_truncated and no [DONE]', () => {
    expect(truncatedStreamFrame('openai')).toBe(
      `data: {"error":{"message":${JSON.stringify(truncatedStreamMessage)},"type":"server_error","param":null,"code":"stream_truncated"}}\n\n`,
    );
  });

  it('is an Anthropic error event of type api_error and no message_stop', () => {
    expect(truncatedStreamFrame('anthropic')).toBe(
      `event: error\ndata: {"type":"error","error":{"type":"api_error","message":${JSON.stringify(truncatedStreamMessage)}}}\n\n`,
    );
  });
});

describe('StreamIntegrity', () => {
  it('gives the truncation frame once for a stream that never finished', () => {
    const integrity = new StreamIntegrity();
    expect(integrity.end('openai')).toBe(truncatedStreamFrame('openai'));
    expect(integrity.end('openai')).toBe('');
    expect(integrity.state).toBe('failed');
  });

  it.each([
    ['finish', 'finished'],
    ['fail', 'failed'],
  ] as const)('gives nothing at the end after %s', (method, state) => {
    const integrity = new StreamIntegrity();
    integrity[method]();
    expect(integrity.end('anthropic')).toBe('');
    expect(integrity.state).toBe(state);
  });

  it('keeps the first of finish and fail', () => {
    const integrity = new StreamIntegrity();
    integrity.fail();
    integrity.finish();
    expect(integrity.state).toBe('failed');
  });
});

describe('mayEndOpenAIStream', () => {
  it.each([
    ['{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', true],
    ['{"choices":[{"index":0,"delta":{},"finish_reason" : "length"}]}', true],
    ['{"error":{"message":"x"}}', true],
    ['{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}', false],
    ['{"choices":[{"delta":{"content":"say \\"finish_reason\\":\\"stop\\""}}]}', false],
  ])('%s → %s', (data, expected) => {
    expect(mayEndOpenAIStream(data)).toBe(expected);
  });
});

// --- Every streaming pair: a truncated stream ends with one error frame in the client's dialect.

const model = 'm';

function openAIChunk(delta: JsonObject, finish: string | null = null): JsonObject {
  return {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

function sse(values: readonly (JsonObject | string)[]): string {
  return values.map((v) => `data: ${typeof v === 'string' ? v : JSON.stringify(v)}\n\n`).join('');
}

const openAIUsage = { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 };
const openAIText = [
  openAIChunk({ role: 'assistant', content: '' }),
  openAIChunk({ content: 'Hi' }),
];
const openAIFinish = [
  openAIChunk({}, 'stop'),
  { ...openAIChunk({}), choices: [], usage: openAIUsage },
];

const completionText = [
  { id: 'c1', object: 'text_completion', model, choices: [{ text: 'Hi', index: 0 }] },
];
const completionFinish = [
  { id: 'c1', object: 'text_completion', model, choices: [{ text: '', finish_reason: 'stop' }] },
  { id: 'c1', object: 'text_completion', model, choices: [], usage: openAIUsage },
];

const anthropicText: JsonObject[] = [
  {
    type: 'message_start',
    message: { id: 'msg_1', model, usage: { input_tokens: 4, output_tokens: 1 } },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
];
const anthropicFinish: JsonObject[] = [
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
  { type: 'message_stop' },
];

function converseEvent(type: string, payload: JsonObject): Uint8Array {
  return encodeEventStreamMessage({
    headers: { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    payload: utf8Encoder.encode(JSON.stringify(payload)),
  });
}
const converseText = [
  converseEvent('messageStart', { role: 'assistant' }),
  converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
];
const converseFinish = [
  converseEvent('contentBlockStop', { contentBlockIndex: 0 }),
  converseEvent('messageStop', { stopReason: 'end_turn' }),
  converseEvent('metadata', {
    usage: { inputTokens: 4, outputTokens: 2, totalTokens: 6 },
    metrics: { latencyMs: 1 },
  }),
];

const geminiText = [{ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] } }] }];
const geminiFinish = [
  {
    candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }],
    usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2, totalTokenCount: 6 },
  },
];

/** One streaming pair: the provider's bytes up to the text, and what finishes them. */
interface StreamPair {
  readonly endpoint: Endpoint;
  readonly schema: BackendSchemaName;
  readonly dialect: Dialect;
  readonly contentType: string;
  /** The provider's stream up to and including the text. */
  readonly text: Uint8Array;
  /** The rest of a complete stream. */
  readonly finish: Uint8Array;
  /** Whether the translator forwards the provider's bytes unchanged (passthrough). */
  readonly isPassthrough: boolean;
}

const sseType = 'text/event-stream';
const eventStreamType = 'application/vnd.amazon.eventstream';
const enc = (text: string): Uint8Array => utf8Encoder.encode(text);

const pairs: readonly StreamPair[] = [
  ...(['OpenAI', 'AzureOpenAI'] as const).map((schema): StreamPair => ({
    endpoint: 'chat-completions',
    schema,
    dialect: 'openai',
    contentType: sseType,
    text: enc(sse(openAIText)),
    finish: enc(sse([...openAIFinish, '[DONE]'])),
    isPassthrough: true,
  })),
  {
    endpoint: 'completions',
    schema: 'OpenAI',
    dialect: 'openai',
    contentType: sseType,
    text: enc(sse(completionText)),
    finish: enc(sse([...completionFinish, '[DONE]'])),
    isPassthrough: true,
  },
  ...(['Anthropic', 'GCPAnthropic'] as const).map((schema): StreamPair => ({
    endpoint: 'chat-completions',
    schema,
    dialect: 'openai',
    contentType: sseType,
    text: enc(anthropicSse(anthropicText)),
    finish: enc(anthropicSse(anthropicFinish)),
    isPassthrough: false,
  })),
  {
    endpoint: 'chat-completions',
    schema: 'AWSAnthropic',
    dialect: 'openai',
    contentType: eventStreamType,
    text: bedrockEventStream(anthropicText),
    finish: bedrockEventStream(anthropicFinish),
    isPassthrough: false,
  },
  {
    endpoint: 'chat-completions',
    schema: 'AWSBedrock',
    dialect: 'openai',
    contentType: eventStreamType,
    text: concatBytes(converseText),
    finish: concatBytes(converseFinish),
    isPassthrough: false,
  },
  {
    endpoint: 'chat-completions',
    schema: 'GCPVertexAI',
    dialect: 'openai',
    contentType: sseType,
    text: enc(sse(geminiText)),
    finish: enc(sse(geminiFinish)),
    isPassthrough: false,
  },
  ...(['Anthropic', 'GCPAnthropic'] as const).map((schema): StreamPair => ({
    endpoint: 'messages',
    schema,
    dialect: 'anthropic',
    contentType: sseType,
    text: enc(anthropicSse(anthropicText)),
    finish: enc(anthropicSse(anthropicFinish)),
    isPassthrough: true,
  })),
  {
    endpoint: 'messages',
    schema: 'AWSAnthropic',
    dialect: 'anthropic',
    contentType: eventStreamType,
    text: bedrockEventStream(anthropicText),
    finish: bedrockEventStream(anthropicFinish),
    isPassthrough: false,
  },
  {
    endpoint: 'messages',
    schema: 'OpenAI',
    dialect: 'anthropic',
    contentType: sseType,
    text: enc(sse(openAIText)),
    finish: enc(sse([...openAIFinish, '[DONE]'])),
    isPassthrough: false,
  },
];

function started(pair: StreamPair): Translator {
  const translator = createTranslator({
    endpoint: pair.endpoint,
    schema: { name: pair.schema },
    gcp: { project: 'p', region: 'r' },
  });
  const body =
    pair.endpoint === 'completions'
      ? { model, prompt: 'hi', stream: true, stream_options: { include_usage: true } }
      : { model, max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] };
  if (pair.endpoint === 'chat-completions') {
    // Asked by the client, the usage chunk is the client's: passthroughs keep every byte.
    Object.assign(body, { stream_options: { include_usage: true } });
  }
  translator.request({
    request: parseRequest(pair.endpoint, utf8Encoder.encode(JSON.stringify(body))),
    path: pair.endpoint === 'messages' ? '/v1/messages' : '/v1/chat/completions',
  });
  translator.responseHeaders(200, new Map([['content-type', pair.contentType]]));
  return translator;
}

/** What the client receives for `chunks` (the last with endOfStream), and the final result. */
function run(
  translator: Translator,
  chunks: readonly Uint8Array[],
): { text: string; last: ReturnType<Translator['responseBody']>; lastBody: string } {
  let text = '';
  let last: ReturnType<Translator['responseBody']> | undefined;
  let lastBody = '';
  chunks.forEach((chunk, i) => {
    last = translator.responseBody(chunk, i === chunks.length - 1);
    lastBody = utf8Decoder.decode(last.body ?? chunk);
    text += lastBody;
  });
  if (last === undefined) throw new Error('no chunks');
  return { text, last, lastBody };
}

/** Error frames (OpenAI `data: {"error"`) or events (Anthropic `event: error`) in a client text. */
function errorFrames(text: string, dialect: Dialect): number {
  const marker = dialect === 'openai' ? /^data: \{"error":/gm : /^event: error$/gm;
  return text.match(marker)?.length ?? 0;
}

const name = (pair: StreamPair): string => `${pair.endpoint} → ${pair.schema}`;

describe.each(pairs.map((pair) => [name(pair), pair] as const))(
  'stream integrity %s (issue 7)',
  (_, pair) => {
    it('a complete stream ends cleanly, with no error frame', () => {
      const { text } = run(started(pair), [pair.text, pair.finish, new Uint8Array(0)]);
      expect(errorFrames(text, pair.dialect)).toBe(0);
      expect(text).not.toContain(truncatedStreamMessage);
      if (pair.dialect === 'openai') expect(text).toContain('data: [DONE]');
      else expect(text).toContain('event: message_stop');
    });

    it.runIf(pair.isPassthrough)('a passthrough forwards a complete stream unchanged', () => {
      const translator = started(pair);
      const results = [pair.text, pair.finish, new Uint8Array(0)].map((chunk, i) =>
        translator.responseBody(chunk, i === 2),
      );
      expect(results.map((r) => r.body)).toEqual([undefined, undefined, undefined]);
    });

    it('a stream cut before its terminal event ends with exactly one error frame in the client dialect', () => {
      const { text, last, lastBody } = run(started(pair), [pair.text, new Uint8Array(0)]);
      expect(lastBody).toBe(truncatedStreamFrame(pair.dialect));
      expect(text.endsWith(truncatedStreamFrame(pair.dialect))).toBe(true);
      expect(errorFrames(text, pair.dialect)).toBe(1);
      expect(text).not.toContain('[DONE]');
      expect(text).not.toContain('message_stop');
      expect(text).not.toMatch(/"finish_reason":"/);
      if (pair.schema.includes('Anthropic')) {
        // Anthropic's message_start reported input tokens: they stay counted.
        expect(last.usage?.inputTokens).toBe(4);
      }
    });

    it('the final chunk carries its own bytes and then the error frame', () => {
      const { text } = run(started(pair), [pair.text]);
      expect(text.endsWith(truncatedStreamFrame(pair.dialect))).toBe(true);
      expect(errorFrames(text, pair.dialect)).toBe(1);
      if (pair.isPassthrough) {
        expect(text).toBe(utf8Decoder.decode(pair.text) + truncatedStreamFrame(pair.dialect));
      }
    });
  },
);

describe('OpenAI-format providers that omit [DONE]', () => {
  const openAIBackends = pairs.filter((p) => p.schema === 'OpenAI' || p.schema === 'AzureOpenAI');

  it.each(openAIBackends.map((pair) => [name(pair), pair] as const))(
    '%s: a finish reason without [DONE] ends cleanly',
    (_, pair) => {
      const finish = pair.endpoint === 'completions' ? completionFinish : openAIFinish;
      const { text, last } = run(started(pair), [pair.text, enc(sse(finish)), new Uint8Array(0)]);
      expect(errorFrames(text, pair.dialect)).toBe(0);
      if (pair.isPassthrough) expect(last.body).toBeUndefined();
      else expect(text).toContain('event: message_stop');
      expect(last.usage?.totalTokens).toBe(6);
    },
  );

  it('a provider error frame is the one error: nothing is added at the end', () => {
    const pair = openAIBackends[0];
    if (pair === undefined) throw new Error('no pair');
    const error = enc(sse([{ error: { message: 'overloaded', type: 'server_error' } }]));
    const { text, last } = run(started(pair), [pair.text, error]);
    expect(last.body).toBeUndefined();
    expect(errorFrames(text, 'openai')).toBe(1);
  });

  it('a passthrough cut inside a frame ends it with a blank line before the error frame', () => {
    const pair = openAIBackends[0];
    if (pair === undefined) throw new Error('no pair');
    const partial = enc('data: {"id":"c1","choi');
    const { lastBody } = run(started(pair), [pair.text, partial]);
    expect(lastBody).toBe(`data: {"id":"c1","choi\n\n${truncatedStreamFrame('openai')}`);
  });
});
