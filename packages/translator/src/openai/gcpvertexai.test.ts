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
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import type { GcpLocation, Translator } from '../translator.js';
import type { Usage } from '../usage.js';
import { createOpenAIToGcpVertexAiTranslator, gcpVertexAiPath } from './gcpvertexai.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dir = testdataDir('openai-gcpvertexai');
const fixtureNow = 1731679200_000;
const location: GcpLocation = { project: 'my-project', region: 'us-central1' };

function translator(gcp: GcpLocation | undefined = location): Translator {
  return createOpenAIToGcpVertexAiTranslator({
    schema: { name: 'GCPVertexAI' },
    gcp,
    now: () => fixtureNow,
    newId: () => 'chatcmpl-fixture',
  });
}

function readJson(file: string): unknown {
  return readFixtureJson<unknown>(dir, file);
}

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

function started(body: Record<string, unknown>): Translator {
  const t = translator();
  t.request({
    request: parseRequest('chat-completions', encoder.encode(JSON.stringify(body))),
    path: '/v1/chat/completions',
  });
  return t;
}

describe('openai → gcpvertexai chat completions request', () => {
  const requests = {
    dir,
    input: '.in.json',
    output: '.out.json',
    exclude: ['response-', 'error-'],
  };
  itMatchesGoldens(requests, (name) => {
    const input = readJson(`${name}.in.json`) as {
      body: Record<string, unknown>;
      modelNameOverride?: string;
      gcp?: GcpLocation;
    };
    const request = parseRequest('chat-completions', encoder.encode(JSON.stringify(input.body)));
    const out = outcome(() => {
      const { body, ...rest } = translator(input.gcp).request({
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

  it('escapes the model, project and region path segments', () => {
    expect(
      gcpVertexAiPath({
        gcp: { project: 'p', region: 'europe-west4' },
        model: 'tuned/model 1',
        isStream: true,
      }),
    ).toBe(
      '/v1/projects/p/locations/europe-west4/publishers/google/models/tuned%2Fmodel%201:streamGenerateContent?alt=sse',
    );
  });
});

describe('openai → gcpvertexai chat completions response', () => {
  const responses = { dir, prefix: 'response-', input: '.in.json', output: '.out.json' };
  itMatchesGoldens(responses, (name) => {
    const input = readJson(`${name}.in.json`) as { body: unknown };
    const t = started({ model: 'gemini-2.5-flash', messages: [] });
    expect(
      t.responseHeaders(200, new Map([['content-type', 'application/json']])).isStreaming,
    ).toBe(false);
    const raw = encoder.encode(JSON.stringify(input.body));
    expect(t.responseBody(raw.slice(0, 7), false).body).toEqual(new Uint8Array(0));
    const result = t.responseBody(raw.slice(7), true);
    const out = {
      body: JSON.parse(decoder.decode(result.body)) as unknown,
      usage: result.usage ?? null,
      responseModel: result.responseModel,
    };
    return prettyJson(out);
  });
});

describe('openai → gcpvertexai errors', () => {
  itMatchesGoldens({ dir, prefix: 'error-', input: '.in.json', output: '.out.json' }, (name) => {
    const input = readJson(`${name}.in.json`) as { status: number; body: string };
    const result = translator().responseError(input.status, new Map(), encoder.encode(input.body));
    const out = {
      status: result.status,
      contentType: result.contentType,
      body: JSON.parse(decoder.decode(result.body)) as unknown,
    };
    return prettyJson(out);
  });
});

interface StreamRun {
  text: string;
  usage: Usage | undefined;
  model: string | undefined;
}

function runStream(chunks: readonly Uint8Array[], includeUsage: boolean): StreamRun {
  const t = started({
    model: 'gemini-2.5-flash',
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
  expect(t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]))).toEqual({
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

describe('openai → gcpvertexai streamed response (streamGenerateContent SSE)', () => {
  describe.each(fixtureNames(dir, '.in.sse', { prefix: 'stream-' }))('transcript %s', (name) => {
    const bytes = readFixtureBytes(dir, `${name}.in.sse`);
    const { includeUsage } = readJson(`${name}.json`) as { includeUsage: boolean };
    const whole = runStream([bytes], includeUsage);

    it('translates the stream fed whole', () => {
      const summary = `${whole.text}# usage: ${JSON.stringify(whole.usage ?? null)}\n# model: ${whole.model ?? ''}\n`;
      expectGolden(summary, new URL(`${name}.out.sse`, dir));
    });

    it('gives the same output fed byte by byte', () => {
      const points = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
      expect(runStream(splitAt(bytes, points), includeUsage)).toEqual(whole);
    });

    it('gives the same output whatever the split point', () => {
      for (let point = 0; point <= bytes.length; point++) {
        expect(runStream(splitAt(bytes, [point]), includeUsage), `split at ${point}`).toEqual(
          whole,
        );
      }
    });
  });

  it('translates a final frame that lacks its blank line', () => {
    const frame =
      'data: {"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}}';
    const run = runStream([encoder.encode(frame)], false);
    expect(run.text).toContain('"finish_reason":"stop"');
    expect(run.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(run.usage?.totalTokens).toBe(2);
  });
});

describe('openai → gcpvertexai response headers', () => {
  it('drops the upstream content-length of a rebuilt JSON body (Envoy 500s on a mismatch)', () => {
    const t = started({ model: 'gemini-2.5-flash', messages: [] });
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
