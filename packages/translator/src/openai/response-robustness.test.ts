/**
 * Robustness of the rebuilt-response translators (Bedrock, Gemini): whatever a provider streams —
 * well-formed frames with unexpected shapes, or random bytes — the translator never throws, always
 * ends the stream with `[DONE]`, and every frame it emits is valid JSON.
 */
import { describe, expect, it } from 'vitest';
import { MalformedResponseError } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { encodeEventStreamMessage } from '../shared/aws-eventstream.js';
import { truncatedStreamFrame } from '../shared/stream-integrity.js';
import type { Translator } from '../translator.js';
import { createOpenAIToAwsBedrockTranslator } from './awsbedrock.js';
import { createOpenAIToGcpVertexAiTranslator } from './gcpvertexai.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** mulberry32: a small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keys = [
  'role',
  'delta',
  'text',
  'toolUse',
  'input',
  'start',
  'name',
  'toolUseId',
  'stopReason',
  'usage',
  'inputTokens',
  'outputTokens',
  'contentBlockIndex',
  'reasoningContent',
  'signature',
  'redactedContent',
  'candidates',
  'content',
  'parts',
  'functionCall',
  'args',
  'thought',
  'finishReason',
  'usageMetadata',
  'promptTokenCount',
  'index',
  'error',
  'message',
  'status',
  'modelVersion',
  'responseId',
  'createTime',
  'logprobsResult',
  'promptFeedback',
  'blockReason',
];

/** A random JSON value biased towards the keys the converters read. */
function randomJson(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 5 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor(random() * 2000) - 10;
    case 3:
      return ['', 'x', 'STOP', 'end_turn', 'tool_use', '2025-01-01T00:00:00Z', '日本'][
        Math.floor(random() * 7)
      ];
    case 4:
      return random() * 10;
    case 5:
    case 6: {
      const out: Record<string, unknown> = {};
      const n = Math.floor(random() * 4);
      for (let i = 0; i < n; i++) {
        out[keys[Math.floor(random() * keys.length)] ?? 'x'] = randomJson(random, depth + 1);
      }
      return out;
    }
    default:
      return Array.from({ length: Math.floor(random() * 3) }, () => randomJson(random, depth + 1));
  }
}

const eventTypes = [
  'messageStart',
  'contentBlockStart',
  'contentBlockDelta',
  'contentBlockStop',
  'messageStop',
  'metadata',
  'other',
];

function started(translator: Translator, contentType: string): Translator {
  translator.request({
    request: parseRequest(
      'chat-completions',
      encoder.encode(
        '{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}',
      ),
    ),
    path: '/v1/chat/completions',
  });
  translator.responseHeaders(200, new Map([['content-type', contentType]]));
  return translator;
}

/** Feeds `bytes` in random pieces; returns the client's text. */
function feed(translator: Translator, bytes: Uint8Array, random: () => number): string {
  let out = '';
  let at = 0;
  do {
    const size = 1 + Math.floor(random() * 64);
    const result = translator.responseBody(bytes.slice(at, at + size), at + size >= bytes.length);
    out += decoder.decode(result.body);
    at += size;
  } while (at < bytes.length);
  return out;
}

/** Ends with `[DONE]`, or (a stream without its terminal event) with the one truncation frame. */
function expectWellFormed(text: string): void {
  const truncated = truncatedStreamFrame('openai');
  expect(text.endsWith('data: [DONE]\n\n') || text.endsWith(truncated)).toBe(true);
  expect(text.split(truncated).length).toBeLessThanOrEqual(2);
  for (const frame of text.split('\n\n').filter((f) => f !== '' && f !== 'data: [DONE]')) {
    expect(frame.startsWith('data: ')).toBe(true);
    expect(() => JSON.parse(frame.slice('data: '.length)) as unknown).not.toThrow();
  }
}

describe('rebuilt-response robustness', () => {
  it('Bedrock: 500 random ConverseStream transcripts never throw and stay well-formed', () => {
    const random = prng(7);
    for (let round = 0; round < 500; round++) {
      const frames = Array.from({ length: 1 + Math.floor(random() * 8) }, () =>
        encodeEventStreamMessage({
          headers: {
            ':event-type': eventTypes[Math.floor(random() * eventTypes.length)] ?? 'other',
            ':message-type': random() < 0.9 ? 'event' : 'exception',
          },
          payload: encoder.encode(JSON.stringify(randomJson(random, 0))),
        }),
      );
      const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
      let at = 0;
      for (const frame of frames) {
        bytes.set(frame, at);
        at += frame.length;
      }
      const translator = started(
        createOpenAIToAwsBedrockTranslator({ schema: { name: 'AWSBedrock' } }),
        'application/vnd.amazon.eventstream',
      );
      expectWellFormed(feed(translator, bytes, random));
    }
  });

  it('Bedrock: random bytes give one error frame, never an exception', () => {
    const random = prng(11);
    for (let round = 0; round < 200; round++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 300) }, () =>
        Math.floor(random() * 256),
      );
      const translator = started(
        createOpenAIToAwsBedrockTranslator({ schema: { name: 'AWSBedrock' } }),
        'application/vnd.amazon.eventstream',
      );
      expectWellFormed(feed(translator, bytes, random));
    }
  });

  it('Gemini: 500 random SSE transcripts never throw and stay well-formed', () => {
    const random = prng(13);
    for (let round = 0; round < 500; round++) {
      const frames = Array.from(
        { length: 1 + Math.floor(random() * 6) },
        () => `data: ${JSON.stringify(randomJson(random, 0))}\n\n`,
      );
      const translator = started(
        createOpenAIToGcpVertexAiTranslator({ schema: { name: 'GCPVertexAI' } }),
        'text/event-stream',
      );
      expectWellFormed(feed(translator, encoder.encode(frames.join('')), random));
    }
  });

  it('buffered: random JSON bodies give valid JSON (Bedrock: or its documented "no output" error)', () => {
    const random = prng(17);
    for (let round = 0; round < 500; round++) {
      const value = randomJson(random, 0);
      const body = { output: { message: value }, stopReason: randomJson(random, 1), usage: value };
      for (const [translator, raw] of [
        [createOpenAIToAwsBedrockTranslator({ schema: { name: 'AWSBedrock' } }), body],
        [
          createOpenAIToGcpVertexAiTranslator({ schema: { name: 'GCPVertexAI' } }),
          { candidates: [value], usageMetadata: value },
        ],
      ] as const) {
        translator.request({
          request: parseRequest('chat-completions', encoder.encode('{"model":"m","messages":[]}')),
          path: '/v1/chat/completions',
        });
        translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
        let text: string;
        try {
          text = decoder.decode(
            translator.responseBody(encoder.encode(JSON.stringify(raw)), true).body,
          );
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedResponseError);
          expect(String(err)).toMatch(/no "output"/);
          continue;
        }
        expect(() => JSON.parse(text) as unknown).not.toThrow();
      }
    }
  });
});
