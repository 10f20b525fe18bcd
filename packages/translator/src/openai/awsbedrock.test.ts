// eslint-disable-next-line no-restricted-imports -- tests read fixture files; the library does no I/O
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  expectGolden,
  fixtureNames,
  itMatchesGoldens,
  prettyJson,
  readFixtureBytes,
  readFixtureJson,
  testdataDir,
} from '../../test/golden.js';
import { isUserFacing, MalformedResponseError } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { encodeEventStreamMessage } from '../shared/aws-eventstream.js';
import type { Translator } from '../translator.js';
import type { Usage } from '../usage.js';
import { createOpenAIToAwsBedrockTranslator } from './awsbedrock.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dir = testdataDir('openai-awsbedrock');
const fixtureNow = 1731679200_000; // 2024-11-15 09:00:00 UTC, as the Go tests use

function translator(): Translator {
  return createOpenAIToAwsBedrockTranslator({
    schema: { name: 'AWSBedrock' },
    now: () => fixtureNow,
  });
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- fixture shape is asserted by the caller
function readJson<T>(file: string): T {
  return readFixtureJson<T>(dir, file);
}

/** Runs `fn`, returning its value or the user-facing error it threw. */
function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (err) {
    if (!isUserFacing(err)) {
      throw err;
    }
    return { error: { name: err.name, status: err.status, message: err.message } };
  }
}

describe('openai → awsbedrock chat completions request', () => {
  const requests = {
    dir,
    input: '.in.json',
    output: '.out.json',
    exclude: ['response-', 'error-'],
  };
  itMatchesGoldens(requests, (name) => {
    const input = readJson<{ body: Record<string, unknown>; modelNameOverride?: string }>(
      `${name}.in.json`,
    );
    const request = parseRequest('chat-completions', encoder.encode(JSON.stringify(input.body)));
    const out = outcome(() => {
      const { body, ...rest } = translator().request({
        request,
        path: '/v1/chat/completions',
        ...(input.modelNameOverride === undefined
          ? {}
          : { modelNameOverride: input.modelNameOverride }),
      });
      return { ...rest, body: JSON.parse(decoder.decode(body)) as unknown };
    });
    return prettyJson(out);
  });

  it('never mutates the parsed request, so retries start from the client body', () => {
    const input = readJson<{ body: Record<string, unknown> }>('basic-test.in.json');
    const request = parseRequest('chat-completions', encoder.encode(JSON.stringify(input.body)));
    const before = structuredClone(request.body);
    const first = translator().request({ request, path: '/v1/chat/completions' });
    const second = translator().request({ request, path: '/v1/chat/completions' });
    expect(request.body).toEqual(before);
    expect(second.body).toEqual(first.body);
  });
});

describe('openai → awsbedrock chat completions response', () => {
  const responses = { dir, prefix: 'response-', input: '.in.json', output: '.out.json' };
  itMatchesGoldens(responses, (name) => {
    const input = readJson<{ body: unknown }>(`${name}.in.json`);
    const t = translator();
    t.request({
      request: parseRequest(
        'chat-completions',
        encoder.encode('{"model":"claude-sonnet-4","messages":[]}'),
      ),
      path: '/v1/chat/completions',
    });
    const headers = t.responseHeaders(
      200,
      new Map([
        ['content-type', 'application/json'],
        ['x-amzn-requestid', '123'],
      ]),
    );
    expect(headers.isStreaming).toBe(false);
    const raw = encoder.encode(JSON.stringify(input.body));
    // Fed in two pieces: the translator buffers until the end of stream.
    const first = t.responseBody(raw.slice(0, 5), false);
    expect(first.body).toEqual(new Uint8Array(0));
    const result = t.responseBody(raw.slice(5), true);
    const out = {
      body: JSON.parse(decoder.decode(result.body)) as unknown,
      usage: result.usage ?? null,
      responseModel: result.responseModel,
    };
    return prettyJson(out);
  });

  it('throws a MalformedResponseError (502, not user-facing) for a 200 without "output"', () => {
    const t = translator();
    t.request({
      request: parseRequest('chat-completions', encoder.encode('{"model":"m","messages":[]}')),
      path: '/v1/chat/completions',
    });
    t.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const run = () => t.responseBody(encoder.encode('{"stopReason":"end_turn"}'), true);
    expect(run).toThrow(MalformedResponseError);
    expect(run).toThrow(/no "output"/);
  });
});

describe('openai → awsbedrock errors', () => {
  itMatchesGoldens({ dir, prefix: 'error-', input: '.in.json', output: '.out.json' }, (name) => {
    const input = readJson<{ status: number; headers: Record<string, string>; body: string }>(
      `${name}.in.json`,
    );
    const result = translator().responseError(
      input.status,
      new Map(Object.entries(input.headers)),
      encoder.encode(input.body),
    );
    const out = {
      status: result.status,
      contentType: result.contentType,
      body: JSON.parse(decoder.decode(result.body)) as unknown,
    };
    return prettyJson(out);
  });

  it('passes an OpenAI-shaped error through byte for byte', () => {
    const body = encoder.encode('{"error":{"message":"x","type":"y"}}');
    expect(translator().responseError(400, new Map(), body).body).toBe(body);
  });
});

interface StreamEvents {
  includeUsage: boolean;
  events: { headers: Record<string, string>; payload: unknown }[];
}

/**
 * The transcript bytes: recorded (`.bin` only) or encoded from `.events.json` (`encoded`: the
 * committed `.bin` is then a golden of that encoding).
 */
function transcript(name: string): { bytes: Uint8Array; includeUsage: boolean; encoded: boolean } {
  if (!existsSync(new URL(`${name}.events.json`, dir))) {
    return { bytes: readFixtureBytes(dir, `${name}.bin`), includeUsage: true, encoded: false };
  }
  const spec = readJson<StreamEvents>(`${name}.events.json`);
  const parts = spec.events.map((event) =>
    encodeEventStreamMessage({
      headers: event.headers,
      payload: encoder.encode(JSON.stringify(event.payload)),
    }),
  );
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, includeUsage: spec.includeUsage, encoded: true };
}

interface StreamRun {
  text: string;
  usage: Usage | undefined;
  model: string | undefined;
}

/** Feeds `chunks` as Envoy would (the last with end of stream) and joins what the client sees. */
function runStream(chunks: readonly Uint8Array[], includeUsage: boolean): StreamRun {
  const t = translator();
  const body = {
    model: 'claude-sonnet-4',
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  };
  t.request({
    request: parseRequest('chat-completions', encoder.encode(JSON.stringify(body))),
    path: '/v1/chat/completions',
  });
  const headers = t.responseHeaders(
    200,
    new Map([
      ['content-type', 'application/vnd.amazon.eventstream'],
      ['x-amzn-requestid', '123'],
    ]),
  );
  expect(headers).toEqual({
    headers: { set: [['content-type', 'text/event-stream']], remove: ['content-length'] },
    isStreaming: true,
  });
  let text = '';
  let usage: Usage | undefined;
  let model: string | undefined;
  chunks.forEach((chunk, i) => {
    const result = t.responseBody(chunk, i === chunks.length - 1);
    text += decoder.decode(result.body);
    usage = result.usage;
    model = result.responseModel;
  });
  return { text, usage, model };
}

function splitAt(data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.slice(from, point));
    from = point;
  }
  return chunks;
}

describe('openai → awsbedrock streamed response (ConverseStream eventstream)', () => {
  const streams = [
    ...new Set([
      ...fixtureNames(dir, '.bin', { prefix: 'stream-' }),
      ...fixtureNames(dir, '.events.json', { prefix: 'stream-' }),
    ]),
  ].sort();
  describe.each(streams)('transcript %s', (name) => {
    const { bytes, includeUsage, encoded } = transcript(name);
    const whole = runStream([bytes], includeUsage);

    if (encoded) {
      it('matches its committed .bin (the encoding of its events)', () => {
        expectGolden(bytes, new URL(`${name}.bin`, dir));
      });
    }

    it('translates the stream fed whole', () => {
      const summary = `${whole.text}# usage: ${JSON.stringify(whole.usage ?? null)}\n# model: ${whole.model ?? ''}\n`;
      expectGolden(summary, new URL(`${name}.out.sse`, dir));
    });

    it('gives the same output fed byte by byte', () => {
      const points = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
      expect(runStream(splitAt(bytes, points), includeUsage)).toEqual(whole);
    });

    // The recorded transcript has ~5,000 split points, each a whole translation: allow time.
    it('gives the same output whatever the split point', { timeout: 60_000 }, () => {
      for (let point = 0; point <= bytes.length; point++) {
        expect(runStream(splitAt(bytes, [point]), includeUsage), `split at ${point}`).toEqual(
          whole,
        );
      }
    });
  });

  it('reports a corrupt frame once as an OpenAI error and still ends with [DONE]', () => {
    const { bytes } = transcript('stream-max-tokens-stop');
    const corrupt = bytes.slice();
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff;
    const run = runStream([corrupt.slice(0, 40), corrupt.slice(40)], false);
    expect(run.text).toMatch(/^data: \{"error":\{"message":"malformed AWS Bedrock stream: /);
    expect(run.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(run.text.match(/"error"/g)).toHaveLength(1);
  });

  it('finishes a stream that ends with an empty end-of-stream chunk', () => {
    const { bytes } = transcript('stream-max-tokens-stop');
    const run = runStream([bytes, new Uint8Array(0)], false);
    expect(run.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(run.usage).toEqual({
      inputTokens: 3,
      outputTokens: 4,
      totalTokens: 7,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
  });
});

describe('openai → awsbedrock response headers', () => {
  it('drops the upstream content-length of a rebuilt JSON body (Envoy 500s on a mismatch)', () => {
    const t = translator();
    t.request({
      request: parseRequest('chat-completions', encoder.encode('{"model":"m","messages":[]}')),
      path: '/v1/chat/completions',
    });
    const result = t.responseHeaders(
      200,
      new Map([
        ['content-type', 'application/json'],
        ['content-length', '321'],
      ]),
    );
    expect(result).toEqual({
      headers: { set: [], remove: ['content-length'] },
      isStreaming: false,
    });
  });
});
