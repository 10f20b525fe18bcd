/**
 * Conformance suites of OpenAI's media endpoints (`/v1/images/generations`, `/v1/audio/speech`,
 * `/v1/audio/transcriptions`, `/v1/audio/translations`). These translators pass bodies through
 * (binary audio, multipart uploads, SSE), so the cases are written on the wire: the client's
 * exact request bytes, the provider's exact answer, and what the client and the gateway get. Each
 * answer is fed whole and in 7-byte chunks. Pairs: OpenAI and Azure OpenAI (upstream translates
 * these endpoints for OpenAI only).
 *
 * @see https://platform.openai.com/docs/api-reference/images/create
 * @see https://platform.openai.com/docs/api-reference/audio
 */
import { parseRequest } from '../parse-request.js';
import { concatBytes, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject } from '../shared/json.js';
import { createTranslator } from '../registry.js';
import type {
  BackendSchemaName,
  ParsedRequest,
  TranslatedRequest,
  Translator,
} from '../translator.js';
import type { MediaEndpoint } from '../audio/media-passthrough.js';
import type { Usage } from '../usage.js';
import { chunkSizes, type CaseOutcome } from './conformance.js';
import { assertEqual, ConformanceError } from './neutral.js';
import type { MatrixSection } from './suite.js';

/** A request as the client sends it. */
export interface MediaRequest {
  /** Body bytes. */
  readonly body: Uint8Array;
  /** Its content-type. */
  readonly contentType: string;
}

/** A provider answer on the wire. */
export interface MediaAnswer {
  /** HTTP status. */
  readonly status: number;
  /** Its content-type. */
  readonly contentType: string;
  /** Body bytes. */
  readonly body: Uint8Array;
}

/** One case: a request, optionally a model override, the provider's answer and the checks. */
export interface MediaCase {
  readonly name: string;
  readonly description: string;
  readonly request: MediaRequest;
  /** The backend's model name override. */
  readonly override?: string;
  /** Checks what the provider received (the body after translation, and the parsed request). */
  readonly checkUpstream?: (
    sent: Uint8Array,
    translated: TranslatedRequest,
    parsed: ParsedRequest,
  ) => void;
  /** The provider's answer. */
  readonly answer: MediaAnswer;
  /** What the gateway should count (`undefined`: nothing). */
  readonly usage?: { readonly input: number; readonly output: number; readonly total: number };
  /** Whether the answer should stream to the client (SSE, speech audio). */
  readonly isStreaming?: boolean;
  /** For an error answer: a text the client's OpenAI error message must contain. */
  readonly errorMessage?: string;
}

/** A column: the backend and the upstream path it expects for a model. */
export interface MediaPair {
  readonly name: string;
  readonly schema: BackendSchemaName;
  /** The upstream path for the model sent. */
  readonly path: (model: string) => string;
}

/** A suite: one endpoint, its cases, its pairs. */
export interface MediaSuite {
  readonly endpoint: MediaEndpoint;
  readonly title: string;
  /** The client's path. */
  readonly path: string;
  readonly cases: readonly MediaCase[];
  readonly pairs: readonly MediaPair[];
}

const json = (value: unknown): Uint8Array => utf8Encoder.encode(JSON.stringify(value));
const sse = (events: readonly unknown[]): Uint8Array =>
  utf8Encoder.encode(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''));
const jsonRequest = (value: unknown): MediaRequest => ({
  body: json(value),
  contentType: 'application/json',
});
const ok = (contentType: string, body: Uint8Array): MediaAnswer => ({
  status: 200,
  contentType,
  body,
});
const tokens = (input: number, output: number) => ({
  input_tokens: input,
  output_tokens: output,
  total_tokens: input + output,
});
const openAIError = (status: number, message: string): MediaAnswer => ({
  status,
  contentType: 'application/json',
  body: json({ error: { message, type: 'invalid_request_error', param: null, code: null } }),
});
const plainError: MediaAnswer = {
  status: 502,
  contentType: 'text/html',
  body: utf8Encoder.encode('<html>Bad gateway</html>'),
};

/** The OpenAI and Azure OpenAI columns of an endpoint. */
function mediaPairs(operation: string): MediaPair[] {
  return [
    { name: 'OpenAI → OpenAI', schema: 'OpenAI', path: () => `/v1/${operation}` },
    {
      name: 'OpenAI → AzureOpenAI',
      schema: 'AzureOpenAI',
      path: (model) => `/openai/deployments/${model}/${operation}?api-version=2025-04-01-preview`,
    },
  ];
}

function bodyJson(sent: Uint8Array): Record<string, unknown> {
  const value = parseJsonObject(utf8Decoder.decode(sent));
  if (value === undefined) throw new ConformanceError('upstream body is not a JSON object');
  return value;
}

/** Checks the body reached the provider byte for byte. */
function unchanged(sent: Uint8Array, _t: TranslatedRequest, parsed: ParsedRequest): void {
  assertEqual(utf8Decoder.decode(sent), utf8Decoder.decode(parsed.raw), 'upstream body');
}

/** Checks a JSON body reached the provider with only `model` changed. */
function jsonModel(model: string) {
  return (sent: Uint8Array, _t: TranslatedRequest, parsed: ParsedRequest): void => {
    assertEqual(bodyJson(sent), { ...parsed.body, model }, 'upstream body');
  };
}

// ── images ───────────────────────────────────────────────────────────────────────────────

const imageRequest = jsonRequest({
  model: 'gpt-image-1',
  prompt: 'A watercolour of a lighthouse at dawn 🌅',
  size: '1024x1024',
  quality: 'low',
});
const imageAnswer = {
  created: 1_745_000_000,
  background: 'opaque',
  data: [
    {
      b64_json:
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    },
  ],
  output_format: 'png',
  usage: { ...tokens(50, 272), input_tokens_details: { text_tokens: 50, image_tokens: 0 } },
};

const imageCases: MediaCase[] = [
  {
    name: 'passthrough',
    description: 'the request reaches the provider byte for byte; the image comes back unchanged',
    request: imageRequest,
    checkUpstream: unchanged,
    answer: ok('application/json', json(imageAnswer)),
    usage: { input: 50, output: 272, total: 322 },
  },
  {
    name: 'model-override',
    description: 'a backend model override replaces only `model` in the body',
    request: imageRequest,
    override: 'gpt-image-1-mini',
    checkUpstream: jsonModel('gpt-image-1-mini'),
    answer: ok('application/json', json(imageAnswer)),
    usage: { input: 50, output: 272, total: 322 },
  },
  {
    name: 'no-usage',
    description: 'a dall-e answer without `usage` passes through and counts no tokens',
    request: jsonRequest({ model: 'dall-e-3', prompt: 'a cat', response_format: 'url' }),
    answer: ok(
      'application/json',
      json({ created: 1, data: [{ url: 'https://img.test/a.png', revised_prompt: 'a cat' }] }),
    ),
  },
  {
    name: 'stream-usage',
    description:
      'a streamed generation (`stream: true`) passes through; the tokens come from `image_generation.completed`',
    request: jsonRequest({
      model: 'gpt-image-1',
      prompt: 'a fox',
      stream: true,
      partial_images: 1,
    }),
    answer: ok(
      'text/event-stream',
      sse([
        { type: 'image_generation.partial_image', b64_json: 'AAAA', partial_image_index: 0 },
        { type: 'image_generation.completed', b64_json: 'BBBB', usage: tokens(9, 100) },
      ]),
    ),
    usage: { input: 9, output: 100, total: 109 },
    isStreaming: true,
  },
  {
    name: 'error-response',
    description: 'a provider error in OpenAI format reaches the client unchanged, with its status',
    request: imageRequest,
    answer: openAIError(400, 'Your request was rejected by the safety system'),
    errorMessage: 'Your request was rejected by the safety system',
  },
  {
    name: 'non-json-error',
    description: 'a non-JSON provider error becomes an OpenAI error with its text',
    request: imageRequest,
    answer: plainError,
    errorMessage: 'Bad gateway',
  },
];

// ── speech ───────────────────────────────────────────────────────────────────────────────

const speechRequest = jsonRequest({
  model: 'gpt-4o-mini-tts',
  input: 'Today is a wonderful day to build something people love!',
  voice: 'coral',
  instructions: 'Speak in a cheerful tone.',
});
const mp3 = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);

const speechCases: MediaCase[] = [
  {
    name: 'binary-audio',
    description:
      'the request passes byte for byte; the audio streams back byte for byte, no tokens counted',
    request: speechRequest,
    checkUpstream: unchanged,
    answer: ok('audio/mpeg', mp3),
    isStreaming: true,
  },
  {
    name: 'model-override',
    description: 'a backend model override replaces only `model` in the body',
    request: speechRequest,
    override: 'tts-1-hd',
    checkUpstream: jsonModel('tts-1-hd'),
    answer: ok('audio/mpeg', mp3),
    isStreaming: true,
  },
  {
    name: 'sse-usage',
    description:
      '`stream_format: "sse"` streams audio deltas; the tokens come from `speech.audio.done`',
    request: jsonRequest({
      model: 'gpt-4o-mini-tts',
      input: 'Hi',
      voice: 'alloy',
      stream_format: 'sse',
    }),
    answer: ok(
      'text/event-stream',
      sse([
        { type: 'speech.audio.delta', audio: 'SUQzBAAAAAAA' },
        { type: 'speech.audio.delta', audio: 'AAAAAAAAAAAA' },
        { type: 'speech.audio.done', usage: tokens(14, 101) },
      ]),
    ),
    usage: { input: 14, output: 101, total: 115 },
    isStreaming: true,
  },
  {
    name: 'error-response',
    description: 'a provider error in OpenAI format reaches the client unchanged, with its status',
    request: speechRequest,
    answer: openAIError(400, "Invalid value: 'robot'. Supported values are: 'alloy'"),
    errorMessage: "Invalid value: 'robot'",
  },
];

// ── transcriptions and translations (multipart) ───────────────────────────────────────────

const boundary = '----formdata-undici-084426958227';
const audio = Uint8Array.from({ length: 257 }, (_, i) => (i * 13) & 0xff); // CR, LF and '-' inside

/** A multipart upload as the openai SDK writes it: text fields, then the file. */
function upload(fields: readonly (readonly [string, string])[]): MediaRequest {
  const text = fields
    .map(([n, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`)
    .join('');
  const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n`;
  return {
    body: concatBytes([
      utf8Encoder.encode(text + fileHead),
      audio,
      utf8Encoder.encode(`\r\n--${boundary}--\r\n`),
    ]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** Checks the upload reached the provider with only the model part's content changed. */
function multipartModel(model: string) {
  return (sent: Uint8Array, translated: TranslatedRequest, parsed: ParsedRequest): void => {
    const again = parseRequest(parsed.endpoint, sent, {
      contentType: `multipart/form-data; boundary=${boundary}`,
    });
    assertEqual(again.model, model, 'upstream model part');
    assertEqual({ ...again.body, model: parsed.model }, parsed.body, 'other fields');
    const file = again.form?.parts.find((p) => p.name === 'file');
    assertEqual(file && Array.from(sent.subarray(file.start, file.end)), Array.from(audio), 'file');
    assertEqual(translated.headers.set.length, 0, 'header changes (the boundary is kept)');
  };
}

const transcribe = upload([
  ['model', 'gpt-4o-transcribe'],
  ['language', 'en'],
  ['include[]', 'logprobs'],
]);

const transcriptionCases: MediaCase[] = [
  {
    name: 'multipart-passthrough',
    description: 'the upload (fields and binary file) reaches the provider byte for byte',
    request: transcribe,
    checkUpstream: unchanged,
    answer: ok(
      'application/json',
      json({ text: 'Hello there.', usage: { type: 'tokens', ...tokens(21, 4) } }),
    ),
    usage: { input: 21, output: 4, total: 25 },
  },
  {
    name: 'model-override',
    description:
      'a backend model override rewrites only the `model` part; boundary, fields and file stay',
    request: transcribe,
    override: 'gpt-4o-mini-transcribe',
    checkUpstream: multipartModel('gpt-4o-mini-transcribe'),
    answer: ok('application/json', json({ text: 'Hello there.' })),
  },
  {
    name: 'duration-usage',
    description:
      'whisper\'s `usage: {type: "duration"}` is seconds of audio, not tokens: nothing is counted',
    request: upload([['model', 'whisper-1']]),
    answer: ok(
      'application/json',
      json({ text: 'Hello.', usage: { type: 'duration', seconds: 3 } }),
    ),
  },
  {
    name: 'text-format',
    description: '`response_format: text` (plain text) passes through unchanged',
    request: upload([
      ['model', 'whisper-1'],
      ['response_format', 'text'],
    ]),
    answer: ok('text/plain; charset=utf-8', utf8Encoder.encode('Hello there.\n')),
  },
  {
    name: 'stream-usage',
    description:
      '`stream=true` streams transcript deltas; the tokens come from `transcript.text.done`',
    request: upload([
      ['model', 'gpt-4o-transcribe'],
      ['stream', 'true'],
    ]),
    answer: ok(
      'text/event-stream',
      sse([
        { type: 'transcript.text.delta', delta: 'Hello', logprobs: [] },
        { type: 'transcript.text.delta', delta: ' there.', logprobs: [] },
        {
          type: 'transcript.text.done',
          text: 'Hello there.',
          usage: { type: 'tokens', ...tokens(21, 4) },
        },
      ]),
    ),
    usage: { input: 21, output: 4, total: 25 },
    isStreaming: true,
  },
  {
    name: 'error-response',
    description: 'a provider error in OpenAI format reaches the client unchanged, with its status',
    request: transcribe,
    answer: openAIError(400, 'Audio file might be corrupted or unsupported'),
    errorMessage: 'Audio file might be corrupted',
  },
];

const translate = upload([
  ['model', 'whisper-1'],
  ['prompt', 'Bonjour'],
]);

const translationCases: MediaCase[] = [
  {
    name: 'multipart-passthrough',
    description: 'the upload reaches the provider byte for byte; the English text comes back',
    request: translate,
    checkUpstream: unchanged,
    answer: ok('application/json', json({ text: 'Hello, how are you?' })),
  },
  {
    name: 'model-override',
    description: 'a backend model override rewrites only the `model` part',
    request: translate,
    override: 'whisper-large',
    checkUpstream: multipartModel('whisper-large'),
    answer: ok('application/json', json({ text: 'Hello, how are you?' })),
  },
  {
    name: 'error-response',
    description: 'a non-JSON provider error becomes an OpenAI error with its text',
    request: translate,
    answer: plainError,
    errorMessage: 'Bad gateway',
  },
];

/** The four media suites, for the matrix and the tests. */
export const mediaSuites: readonly MediaSuite[] = [
  {
    endpoint: 'image-generations',
    title: '`/v1/images/generations` (OpenAI image generation)',
    path: '/v1/images/generations',
    cases: imageCases,
    pairs: mediaPairs('images/generations'),
  },
  {
    endpoint: 'audio-speech',
    title: '`/v1/audio/speech` (OpenAI text to speech)',
    path: '/v1/audio/speech',
    cases: speechCases,
    pairs: mediaPairs('audio/speech'),
  },
  {
    endpoint: 'audio-transcriptions',
    title: '`/v1/audio/transcriptions` (OpenAI speech to text, multipart upload)',
    path: '/v1/audio/transcriptions',
    cases: transcriptionCases,
    pairs: mediaPairs('audio/transcriptions'),
  },
  {
    endpoint: 'audio-translations',
    title: '`/v1/audio/translations` (OpenAI speech to English text, multipart upload)',
    path: '/v1/audio/translations',
    cases: translationCases,
    pairs: mediaPairs('audio/translations'),
  },
];

function gatewayUsage(usage: Usage | undefined): MediaCase['usage'] {
  return usage === undefined
    ? undefined
    : { input: usage.inputTokens, output: usage.outputTokens, total: usage.totalTokens };
}

/** Feeds `answer` in chunks of `size`; returns what the client got and the last usage. */
function feed(translator: Translator, answer: MediaAnswer, size: number) {
  const headers = translator.responseHeaders(200, new Map([['content-type', answer.contentType]]));
  const parts: Uint8Array[] = [];
  let usage: Usage | undefined;
  const step = Number.isFinite(size) ? size : Math.max(answer.body.length, 1);
  for (let at = 0; at < answer.body.length || at === 0; at += step) {
    const chunk = answer.body.slice(at, at + step);
    const result = translator.responseBody(chunk, at + step >= answer.body.length);
    parts.push(result.body ?? chunk);
    usage = result.usage;
  }
  return { body: concatBytes(parts), usage, isStreaming: headers.isStreaming };
}

/** Checks an error answer reaches the client as an OpenAI error with its status and text. */
function checkError(translator: Translator, testCase: MediaCase): void {
  const { answer } = testCase;
  const out = translator.responseError(answer.status, new Map(), answer.body);
  assertEqual(out.status, answer.status, 'error status');
  const error = parseJsonObject(utf8Decoder.decode(out.body))?.error;
  const message = isJsonObject(error) && typeof error.message === 'string' ? error.message : '';
  const want = testCase.errorMessage ?? '';
  if (!message.includes(want)) {
    throw new ConformanceError(`error message "${message}" lacks "${want}"`);
  }
}

/** Runs one case against one pair; throws on failure. */
function runMediaCase(suite: MediaSuite, pair: MediaPair, testCase: MediaCase): void {
  const { request } = testCase;
  const parsed = parseRequest(suite.endpoint, request.body, { contentType: request.contentType });
  const schema = {
    name: pair.schema,
    ...(pair.schema === 'AzureOpenAI' ? { version: '2025-04-01-preview' } : {}),
  };
  const start = (): { translator: Translator; translated: TranslatedRequest } => {
    const translator = createTranslator({ endpoint: suite.endpoint, schema });
    const translated = translator.request({
      request: parsed,
      path: suite.path,
      ...(testCase.override === undefined ? {} : { modelNameOverride: testCase.override }),
    });
    return { translator, translated };
  };
  const { translated } = start();
  const model = testCase.override ?? parsed.model;
  assertEqual(translated.path, pair.path(model), 'upstream path');
  assertEqual(translated.model, model, 'upstream model');
  testCase.checkUpstream?.(translated.body ?? parsed.raw, translated, parsed);
  const { answer } = testCase;
  if (answer.status >= 300) {
    checkError(start().translator, testCase);
    return;
  }
  for (const size of chunkSizes) {
    const got = feed(start().translator, answer, size);
    assertEqual(Array.from(got.body), Array.from(answer.body), 'client body (unchanged)');
    assertEqual(got.isStreaming, testCase.isStreaming ?? false, 'streams to the client');
    assertEqual(gatewayUsage(got.usage), testCase.usage, 'gateway usage');
  }
}

/** Runs one case into its outcome. */
export function runMediaOutcome(
  suite: MediaSuite,
  pair: MediaPair,
  testCase: MediaCase,
): CaseOutcome {
  try {
    runMediaCase(suite, pair, testCase);
    return { status: 'pass' };
  } catch (error) {
    return { status: 'fail', error };
  }
}

/** A media suite's section of the translation matrix. */
export function mediaSection(suite: MediaSuite): MatrixSection {
  return {
    endpoint: suite.endpoint,
    title: suite.title,
    cases: suite.cases,
    columns: suite.pairs.map((pair) => ({
      name: pair.name,
      schema: pair.schema,
      outcomes: new Map(suite.cases.map((c) => [c.name, runMediaOutcome(suite, pair, c)])),
    })),
  };
}
