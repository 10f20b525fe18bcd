import { describe, expect, it } from 'vitest';
import {
  expectGolden,
  fixtureNames,
  itMatchesGoldens,
  prettyJson,
  readFixture,
  readFixtureJson,
  testdataDir,
} from '../../test/golden.js';
import { createAnthropicToAnthropicTranslator } from '../anthropic/anthropic.js';
import { createAnthropicToAwsAnthropicTranslator } from '../anthropic/awsanthropic.js';
import { createAnthropicToGcpAnthropicTranslator } from '../anthropic/gcpanthropic.js';
import { createAnthropicToOpenAITranslator } from '../anthropic/openai.js';
import { isUserFacing } from '../errors.js';
import { createOpenAIToAnthropicTranslator } from '../openai/anthropic.js';
import { createOpenAIToAwsAnthropicTranslator } from '../openai/awsanthropic.js';
import { createOpenAIToGcpAnthropicTranslator } from '../openai/gcpanthropic.js';
import { parseRequest } from '../parse-request.js';
import type { JsonObject } from '../shared/json.js';
import { SseParser } from '../shared/sse.js';
import type { BackendSchema, Endpoint, GcpLocation, Translator } from '../translator.js';
import { bedrockEventStream } from './anthropic-codec.js';

/**
 * Golden fixtures for the Anthropic-family pairs, in `testdata/<ingress>-<backend>/`:
 * - `request-<case>.in.json` (`{schema?, gcp?, path, modelNameOverride?, headers?, body}`) →
 *   `.out.json` (path, header changes, model, body; or the user-facing error);
 * - `response-<case>.in.json` (`{request?, response}`) → `.out.json` (client body, usage, model);
 * - `stream-<case>.in.sse` (the provider's SSE; for Bedrock also `.in.bin`, its eventstream
 *   encoding, a golden of its own) → `.out.sse` (client stream) and `.usage.json`; fed whole and
 *   in 5-byte chunks, which must give the same bytes;
 * - `error-<case>.in.json` (`{status, body}`) → `.out.json` (client error).
 * Compared by the shared runner in `test/golden.ts` (`AIGW_UPDATE_GOLDEN=1` rewrites goldens).
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const now = (): number => 1700000000;

interface Fixture {
  schema?: BackendSchema;
  gcp?: GcpLocation | null;
  path?: string;
  modelNameOverride?: string;
  headers?: Record<string, string>;
  body?: JsonObject;
  request?: JsonObject;
  response?: JsonObject;
  status?: number;
}

interface GoldenPair {
  readonly endpoint: Endpoint;
  readonly path: string;
  readonly isEventStream: boolean;
  readonly create: (fixture: Fixture) => Translator;
  readonly defaultRequest: JsonObject;
}

const openAIStreamRequest = {
  model: 'claude-sonnet-4-5',
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'Hi' }],
};
const anthropicStreamRequest = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  stream: true,
  messages: [{ role: 'user', content: 'Hi' }],
};
const gcp = { project: 'my-project', region: 'us-east5' };

const pairs: Record<string, GoldenPair> = {
  'openai-anthropic': {
    endpoint: 'chat-completions',
    path: '/v1/chat/completions',
    isEventStream: false,
    create: (f) =>
      createOpenAIToAnthropicTranslator({ schema: f.schema ?? { name: 'Anthropic' }, now }),
    defaultRequest: openAIStreamRequest,
  },
  'openai-gcpanthropic': {
    endpoint: 'chat-completions',
    path: '/v1/chat/completions',
    isEventStream: false,
    create: (f) =>
      createOpenAIToGcpAnthropicTranslator({
        schema: f.schema ?? { name: 'GCPAnthropic' },
        gcp: 'gcp' in f ? (f.gcp ?? undefined) : gcp,
        now,
      }),
    defaultRequest: openAIStreamRequest,
  },
  'openai-awsanthropic': {
    endpoint: 'chat-completions',
    path: '/v1/chat/completions',
    isEventStream: true,
    create: (f) =>
      createOpenAIToAwsAnthropicTranslator({ schema: f.schema ?? { name: 'AWSAnthropic' }, now }),
    defaultRequest: openAIStreamRequest,
  },
  'anthropic-anthropic': {
    endpoint: 'messages',
    path: '/v1/messages',
    isEventStream: false,
    create: (f) =>
      createAnthropicToAnthropicTranslator({ schema: f.schema ?? { name: 'Anthropic' } }),
    defaultRequest: anthropicStreamRequest,
  },
  'anthropic-gcpanthropic': {
    endpoint: 'messages',
    path: '/v1/messages',
    isEventStream: false,
    create: (f) =>
      createAnthropicToGcpAnthropicTranslator({
        schema: f.schema ?? { name: 'GCPAnthropic' },
        gcp: 'gcp' in f ? (f.gcp ?? undefined) : gcp,
      }),
    defaultRequest: anthropicStreamRequest,
  },
  'anthropic-awsanthropic': {
    endpoint: 'messages',
    path: '/v1/messages',
    isEventStream: true,
    create: (f) =>
      createAnthropicToAwsAnthropicTranslator({ schema: f.schema ?? { name: 'AWSAnthropic' } }),
    defaultRequest: anthropicStreamRequest,
  },
  'anthropic-openai': {
    endpoint: 'messages',
    path: '/v1/messages',
    isEventStream: false,
    create: (f) => createAnthropicToOpenAITranslator({ schema: f.schema ?? { name: 'OpenAI' } }),
    defaultRequest: anthropicStreamRequest,
  },
};

function translateRequest(pair: GoldenPair, fixture: Fixture, translator: Translator) {
  const request = parseRequest(
    pair.endpoint,
    encoder.encode(JSON.stringify(fixture.body ?? fixture.request ?? pair.defaultRequest)),
  );
  return translator.request({
    request,
    path: fixture.path ?? pair.path,
    ...(fixture.modelNameOverride === undefined
      ? {}
      : { modelNameOverride: fixture.modelNameOverride }),
    ...(fixture.headers === undefined ? {} : { headers: new Map(Object.entries(fixture.headers)) }),
  });
}

function requestOutput(pair: GoldenPair, fixture: Fixture): unknown {
  try {
    const { body, ...rest } = translateRequest(pair, fixture, pair.create(fixture));
    return {
      ...rest,
      body: body === undefined ? null : (JSON.parse(decoder.decode(body)) as unknown),
    };
  } catch (err) {
    if (!isUserFacing(err)) {
      throw err;
    }
    return { error: { name: err.name, status: err.status, message: err.message } };
  }
}

function sseEvents(text: string): JsonObject[] {
  const parser = new SseParser();
  const frames = parser.feed(encoder.encode(text));
  return frames.flatMap((f) => (f.data === undefined ? [] : [JSON.parse(f.data) as JsonObject]));
}

/** Feeds `bytes` in chunks of `size` and returns the client bytes, usage and model. */
function runStream(pair: GoldenPair, bytes: Uint8Array, size: number) {
  const translator = pair.create({});
  translateRequest(pair, {}, translator);
  const contentType = pair.isEventStream
    ? 'application/vnd.amazon.eventstream'
    : 'text/event-stream';
  const headers = translator.responseHeaders(200, new Map([['content-type', contentType]]));
  let out = '';
  let last;
  for (let at = 0; at < bytes.length; at += size) {
    const chunk = bytes.slice(at, at + size);
    last = translator.responseBody(chunk, at + size >= bytes.length);
    out += decoder.decode(last.body ?? chunk, { stream: true });
  }
  return { out, usage: last?.usage, responseModel: last?.responseModel, headers: headers.headers };
}

describe.each(Object.keys(pairs))('golden fixtures %s', (dirName) => {
  const pair = pairs[dirName]!;
  const dir = testdataDir(dirName);
  const readJson = (file: string): Fixture => readFixtureJson<Fixture>(dir, file);

  itMatchesGoldens(
    { dir, prefix: 'request-', input: '.in.json', output: '.out.json', title: '%s' },
    (name) => prettyJson(requestOutput(pair, readJson(`${name}.in.json`))),
  );

  itMatchesGoldens(
    {
      dir,
      prefix: 'response-',
      input: '.in.json',
      output: '.out.json',
      title: '%s',
      allowNone: true,
    },
    (name) => {
      const fixture = readJson(`${name}.in.json`);
      const translator = pair.create(fixture);
      translateRequest(
        pair,
        { ...fixture, request: { ...fixture.request, stream: false } },
        translator,
      );
      translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
      const result = translator.responseBody(
        encoder.encode(JSON.stringify(fixture.response)),
        true,
      );
      const body: unknown =
        result.body === undefined ? null : JSON.parse(decoder.decode(result.body));
      return prettyJson({ body, usage: result.usage, responseModel: result.responseModel });
    },
  );

  itMatchesGoldens(
    { dir, prefix: 'error-', input: '.in.json', output: '.out.json', title: '%s' },
    (name) => {
      const fixture = readJson(`${name}.in.json`);
      const translator = pair.create(fixture);
      translateRequest(pair, {}, translator);
      const raw = typeof fixture.body === 'string' ? fixture.body : JSON.stringify(fixture.body);
      const result = translator.responseError(
        fixture.status ?? 500,
        new Map(),
        encoder.encode(raw),
      );
      return prettyJson({
        status: result.status,
        contentType: result.contentType,
        body: JSON.parse(decoder.decode(result.body)) as unknown,
      });
    },
  );

  it.each(fixtureNames(dir, '.in.sse', { prefix: 'stream-' }))('%s', (name) => {
    const text = readFixture(dir, `${name}.in.sse`);
    let bytes: Uint8Array = encoder.encode(text);
    if (pair.isEventStream) {
      // The .bin transcript is the eventstream encoding of the .sse one, kept as a golden.
      bytes = bedrockEventStream(sseEvents(text));
      expectGolden(bytes, new URL(`${name}.in.bin`, dir));
    }
    const whole = runStream(pair, bytes, bytes.length);
    const pieces = runStream(pair, bytes, 5);
    expect(pieces).toEqual(whole);
    expectGolden(whole.out, new URL(`${name}.out.sse`, dir));
    const meta = { headers: whole.headers, usage: whole.usage, responseModel: whole.responseModel };
    expectGolden(prettyJson(meta), new URL(`${name}.usage.json`, dir));
  });
});
