import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness, waitFor, type FakeUpstream } from '@aigw/testkit';
import { aigwAccessLines } from './support/access-log.js';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';
import {
  fakeAudio,
  fakeTranscript,
  mediaTokens,
} from './support/fake-providers/fake-openai-media.js';

/**
 * OpenAI's media endpoints through `aigw run` and a real Envoy with the official OpenAI client:
 * image generation (JSON and streamed), speech (binary audio and SSE), transcriptions (a multipart
 * upload, whole and streamed, with a model override rewritten inside the upload) and translations;
 * the tokens the provider reports reach Envoy's access log; malformed requests get OpenAI 400s
 * (and a body over Envoy's buffer limit a 413) without reaching the provider.
 */
const harness = useHarness();
const key = 'sk-media-0123';
const models = {
  image: 'gpt-image-1',
  tts: 'gpt-4o-mini-tts',
  transcribe: 'gpt-4o-transcribe',
  whisper: 'whisper-1',
  /** Routed to the backend with `modelNameOverride: gpt-4o-transcribe`. */
  alias: 'transcriber',
} as const;

/** An mp3-ish upload with CR, LF and boundary-like dashes inside. */
const upload = Buffer.concat([Buffer.from('ID3\r\n------formdata-undici-\r\n'), fakeAudio('x')]);

describe('OpenAI media endpoints through aigw run', () => {
  let aigw: RunningAigw;
  let openai: FakeUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    openai = await harness.upstream(
      fakeOpenAI({ apiKey: key, azureApiKey: 'unused', usage: { input: 1, output: 1 } }),
      { name: 'openai-media' },
    );
    const rule = (model: string, override?: string): string =>
      `
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: ${model}}]}]
      backendRefs: [{name: openai${override === undefined ? '' : `, modelNameOverride: ${override}`}}]`;
    const yaml = [
      `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: media}
spec:
  rules:${[models.image, models.tts, models.transcribe, models.whisper].map((m) => rule(m)).join('')}${rule(models.alias, models.transcribe)}`,
      aiBackendYaml({ name: 'openai', schema: 'OpenAI', port: openai.port, key }),
    ].join('\n---');
    const file = join(harness.tempDir('media-endpoints'), 'gateway.yaml');
    writeFileSync(file, yaml);
    aigw = await startAigw({ args: [file] });
    client = new OpenAI({ apiKey: 'unused-client-key', baseURL: `${aigw.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  /** The one access-log line of `model` that matches `match`, once Envoy wrote it. */
  async function accessLine(
    model: string,
    match: (line: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> {
    return waitFor(() => aigwAccessLines(aigw.output(), model).filter(match).at(-1), {
      timeoutMs: 10_000,
      description: `the access-log line of ${model}`,
    });
  }

  const tokensOf = (line: Record<string, unknown>): unknown[] => [
    line.input_tokens,
    line.output_tokens,
    line.total_tokens,
  ];

  it('generates an image; gpt-image tokens reach the access log', async () => {
    const image = await client.images.generate({
      model: models.image,
      prompt: 'a lighthouse',
      size: '1024x1024',
    });
    expect(image.data?.[0]?.b64_json).toBe(Buffer.from('png:a lighthouse').toString('base64'));
    expect(image.usage).toMatchObject({ input_tokens: 50, output_tokens: 272, total_tokens: 322 });
    expect(openai.requests.at(-1)?.url).toBe('/v1/images/generations');
    const { input, output } = mediaTokens.image;
    expect(tokensOf(await accessLine(models.image))).toEqual([input, output, input + output]);
  });

  it('streams an image generation; the completed event carries the tokens', async () => {
    const stream = await client.images.generate({
      model: models.image,
      prompt: 'a fox',
      stream: true,
      partial_images: 1,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['image_generation.partial_image', 'image_generation.completed']);
    expect(JSON.parse(openai.requests.at(-1)!.body.toString('utf8'))).toMatchObject({
      stream: true,
    });
  });

  it('returns speech audio byte for byte', async () => {
    const input = 'Today is a wonderful day.';
    const response = await client.audio.speech.create({ model: models.tts, input, voice: 'coral' });
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(fakeAudio(input));
    expect(openai.requests.at(-1)?.url).toBe('/v1/audio/speech');
  });

  it('streams speech as SSE (stream_format "sse"); speech.audio.done tokens reach the access log', async () => {
    const input = 'Stream me.';
    const response = await client.audio.speech.create({
      model: models.tts,
      input,
      voice: 'alloy',
      stream_format: 'sse',
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text())
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: '))
      .map((frame) => JSON.parse(frame.slice(6)) as { type: string; audio?: string });
    expect(events.map((e) => e.type)).toEqual([
      'speech.audio.delta',
      'speech.audio.delta',
      'speech.audio.done',
    ]);
    const audio = Buffer.concat(events.map((e) => Buffer.from(e.audio ?? '', 'base64')));
    expect(audio).toEqual(fakeAudio(input));
    const { input: inTokens, output } = mediaTokens.speech;
    expect(tokensOf(await accessLine(models.tts))).toEqual([inTokens, output, inTokens + output]);
  });

  it('transcribes an uploaded file; the upload reaches the provider byte for byte', async () => {
    const transcription = await client.audio.transcriptions.create({
      model: models.transcribe,
      file: await toFile(upload, 'clip.mp3', { type: 'audio/mpeg' }),
      language: 'en',
    });
    expect(transcription.text).toBe(fakeTranscript({ name: 'clip.mp3', size: upload.length }));
    expect(transcription.usage).toMatchObject({ type: 'tokens', input_tokens: 21 });
    const sent = openai.requests.at(-1);
    expect(sent?.url).toBe('/v1/audio/transcriptions');
    expect(sent?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent?.body.includes(upload)).toBe(true);
    const { input, output } = mediaTokens.transcription;
    expect(tokensOf(await accessLine(models.transcribe))).toEqual([input, output, input + output]);
  });

  it('streams a transcription (stream=true) as transcript.text events', async () => {
    const stream = await client.audio.transcriptions.create({
      model: models.transcribe,
      file: await toFile(upload, 'clip.mp3', { type: 'audio/mpeg' }),
      stream: true,
    });
    const events: { type: string; delta?: string; text?: string }[] = [];
    for await (const event of stream) events.push(event);
    expect(events.at(-1)).toMatchObject({
      type: 'transcript.text.done',
      text: fakeTranscript({ name: 'clip.mp3', size: upload.length }),
    });
    const deltas = events.flatMap((e) => (e.type === 'transcript.text.delta' ? [e.delta] : []));
    expect(deltas.join('')).toBe(events.at(-1)?.text);
  });

  it('rewrites the model inside the upload for a backend model override', async () => {
    const transcription = await client.audio.transcriptions.create({
      model: models.alias,
      file: await toFile(upload, 'clip.mp3', { type: 'audio/mpeg' }),
      prompt: 'Names: Zoë, Ñandú',
    });
    expect(transcription.text).toBe(fakeTranscript({ name: 'clip.mp3', size: upload.length }));
    const sent = openai.requests.at(-1)!;
    const request = new Request('http://check.test/', {
      method: 'POST',
      headers: { 'content-type': String(sent.headers['content-type']) },
      body: sent.body,
    });
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- an independent multipart reader checks the rewritten upload
    const form = await request.formData();
    expect(form.get('model')).toBe(models.transcribe);
    expect(form.get('prompt')).toBe('Names: Zoë, Ñandú');
    const file = form.get('file') as File;
    expect(Buffer.from(await file.arrayBuffer())).toEqual(upload);
    const line = await accessLine(models.alias);
    expect(line.total_tokens).toBe(
      mediaTokens.transcription.input + mediaTokens.transcription.output,
    );
  });

  it('translates an uploaded file; whisper reports no tokens', async () => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- OpenAI retires it on 2027-02-26; the gateway serves it until then
    const translation = await client.audio.translations.create({
      model: models.whisper,
      file: await toFile(upload, 'bonjour.mp3', { type: 'audio/mpeg' }),
    });
    expect(translation.text).toBe(fakeTranscript({ name: 'bonjour.mp3', size: upload.length }));
    expect(openai.requests.at(-1)?.url).toBe('/v1/audio/translations');
    const line = await accessLine(models.whisper);
    expect(line.total_tokens ?? 0).toBe(0);
  });

  describe('malformed uploads get OpenAI 400s and never reach the provider', () => {
    const boundary = 'XyZ-boundary';
    const part = (name: string, value: string, filename?: string): string =>
      `--${boundary}\r\ncontent-disposition: form-data; name="${name}"` +
      `${filename === undefined ? '' : `; filename="${filename}"`}\r\n\r\n${value}\r\n`;
    const close = `--${boundary}--\r\n`;

    it.each([
      [
        'a missing file part',
        part('model', models.whisper) + close,
        `multipart/form-data; boundary=${boundary}`,
        'missing required file part "file"',
      ],
      [
        'a missing model field',
        part('file', 'RIFF', 'a.wav') + close,
        `multipart/form-data; boundary=${boundary}`,
        'missing required field "model"',
      ],
      [
        'a JSON body',
        JSON.stringify({ model: models.whisper }),
        'application/json',
        'request body must be multipart/form-data (got content-type "application/json")',
      ],
      [
        'a boundary not in the body',
        part('model', models.whisper) + close,
        'multipart/form-data; boundary=other',
        'no part delimited by the content-type\'s boundary "other"',
      ],
      [
        'no boundary parameter',
        part('model', models.whisper) + close,
        'multipart/form-data',
        'content-type has no boundary parameter',
      ],
      [
        'a body cut before its close delimiter',
        part('model', models.whisper) + part('file', 'RIFF', 'a.wav').slice(0, -2),
        `multipart/form-data; boundary=${boundary}`,
        'ends before its closing boundary',
      ],
    ])('refuses %s', async (...[, body, contentType, message]) => {
      const before = openai.requests.length;
      const response = await fetch(`${aigw.url}/v1/audio/transcriptions`, {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: 'Bearer x' },
        body,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: {
          message: expect.stringContaining(message) as string,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
      expect(openai.requests.length).toBe(before);
    });

    it('answers 413 in OpenAI format for an upload over Envoy buffer limit (50 MiB)', async () => {
      const before = openai.requests.length;
      const big = Buffer.alloc(50 * 1024 * 1024 + 1024, 0x41);
      const body = Buffer.concat([
        Buffer.from(part('model', models.whisper)),
        Buffer.from(
          `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.wav"\r\n\r\n`,
        ),
        big,
        Buffer.from(`\r\n${close}`),
      ]);
      const response = await fetch(`${aigw.url}/v1/audio/transcriptions`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
      });
      expect(response.status).toBe(413);
      const json = (await response.json()) as { error: { type: string; message: string } };
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.message).not.toBe('');
      expect(openai.requests.length).toBe(before);
    });
  });
});
