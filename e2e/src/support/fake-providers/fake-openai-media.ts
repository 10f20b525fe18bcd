import type { ServerResponse } from 'node:http';
import type { RecordedRequest } from '@aigw/testkit';
import { headerOf, jsonBody, sendJson, sendStream, sseHeaders } from './http.js';

/**
 * OpenAI's media endpoints as the real API answers them (wire formats from the API reference):
 * `POST /v1/images/generations` (JSON; SSE with `stream: true`), `/v1/audio/speech` (binary
 * `audio/mpeg` sent in chunks; SSE with `stream_format: "sse"`), `/v1/audio/transcriptions` and
 * `/v1/audio/translations` (multipart uploads, read with the platform's own `FormData` parser so
 * a body the gateway rewrote is checked by an independent reader).
 *
 * Usage: gpt-image and gpt-4o-* models report tokens; dall-e reports none; whisper-1 reports
 * `{type: "duration"}`. The numbers are fixed ({@link mediaTokens}) so tests can assert them.
 */

/** The token counts the fake reports: input, output. */
export const mediaTokens = {
  image: { input: 50, output: 272 },
  speech: { input: 14, output: 101 },
  transcription: { input: 21, output: 4 },
} as const;

/** The media paths the fake serves (below `/v1/` or an Azure deployment). */
export const mediaOperations = [
  'images/generations',
  'audio/speech',
  'audio/transcriptions',
  'audio/translations',
] as const;

/** One of {@link mediaOperations}. */
export type MediaOperation = (typeof mediaOperations)[number];

/** The bytes of the fake's "audio" for a text: deterministic, with CR/LF and dashes inside. */
export function fakeAudio(text: string): Buffer {
  const seed = Buffer.from(`ID3\r\n--${text}`, 'utf8');
  return Buffer.from(Array.from({ length: 4096 }, (_, i) => (seed[i % seed.length]! + i) & 0xff));
}

/** The transcript the fake answers for an uploaded file. */
export function fakeTranscript(file: { name: string; size: number }): string {
  return `Heard ${String(file.size)} bytes of ${file.name}.`;
}

function usageOf(tokens: { input: number; output: number }): Record<string, number> {
  return {
    input_tokens: tokens.input,
    output_tokens: tokens.output,
    total_tokens: tokens.input + tokens.output,
  };
}

function badRequest(res: ServerResponse, message: string, param: string | null = null): void {
  sendJson(res, 400, { error: { message, type: 'invalid_request_error', param, code: null } });
}

const sse = (event: object): string => `data: ${JSON.stringify(event)}\n\n`;

function serveImages(body: Record<string, unknown>, res: ServerResponse): void | Promise<void> {
  if (typeof body.prompt !== 'string') {
    badRequest(res, "Missing required parameter: 'prompt'.", 'prompt');
    return;
  }
  const model = String(body.model);
  const b64 = Buffer.from(`png:${body.prompt}`).toString('base64');
  if (body.stream === true) {
    return sendStream(
      res,
      [
        sse({ type: 'image_generation.partial_image', b64_json: b64, partial_image_index: 0 }),
        sse({
          type: 'image_generation.completed',
          b64_json: b64,
          created_at: 1_745_000_000,
          usage: usageOf(mediaTokens.image),
        }),
      ],
      sseHeaders,
    );
  }
  sendJson(res, 200, {
    created: 1_745_000_000,
    data: [{ b64_json: b64 }],
    ...(model.startsWith('gpt-image') ? { usage: usageOf(mediaTokens.image) } : {}),
  });
}

function serveSpeech(body: Record<string, unknown>, res: ServerResponse): void | Promise<void> {
  if (typeof body.input !== 'string' || typeof body.voice !== 'string') {
    badRequest(res, "Missing required parameter: 'input' or 'voice'.");
    return;
  }
  const audio = fakeAudio(body.input);
  if (body.stream_format === 'sse') {
    const half = audio.length / 2;
    return sendStream(
      res,
      [
        sse({ type: 'speech.audio.delta', audio: audio.subarray(0, half).toString('base64') }),
        sse({ type: 'speech.audio.delta', audio: audio.subarray(half).toString('base64') }),
        sse({ type: 'speech.audio.done', usage: usageOf(mediaTokens.speech) }),
      ],
      sseHeaders,
    );
  }
  const chunks = [0, 1, 2, 3].map((i) => audio.subarray(i * 1024, (i + 1) * 1024));
  return sendStream(res, chunks, { 'content-type': 'audio/mpeg' });
}

/** The upload, read by undici's `FormData` parser. */
async function formOf(req: RecordedRequest): Promise<FormData | undefined> {
  const type = headerOf(req.headers, 'content-type') ?? '';
  const request = new Request('http://fake.test/', {
    method: 'POST',
    headers: { 'content-type': type },
    body: req.body,
  });
  try {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the platform's own multipart reader, independent of the gateway's, is the point in a test fake
    return await request.formData();
  } catch {
    return undefined;
  }
}

async function serveAudioUpload(
  operation: 'transcriptions' | 'translations',
  req: RecordedRequest,
  res: ServerResponse,
): Promise<void> {
  const form = await formOf(req);
  if (form === undefined) {
    badRequest(res, 'Could not parse multipart form');
    return;
  }
  const file = form.get('file');
  if (!(file instanceof File)) {
    badRequest(res, "Missing required parameter: 'file'.", 'file');
    return;
  }
  const model = form.get('model');
  if (typeof model !== 'string') {
    badRequest(res, "Missing required parameter: 'model'.", 'model');
    return;
  }
  const text = fakeTranscript(file);
  const isWhisper = model.startsWith('whisper');
  if (form.get('response_format') === 'text') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
    return;
  }
  if (operation === 'transcriptions' && form.get('stream') === 'true' && !isWhisper) {
    const words = text.split(' ');
    const usage = { type: 'tokens', ...usageOf(mediaTokens.transcription) };
    return sendStream(
      res,
      [
        ...words.map((w, i) =>
          sse({ type: 'transcript.text.delta', delta: i === 0 ? w : ` ${w}` }),
        ),
        sse({ type: 'transcript.text.done', text, usage }),
      ],
      sseHeaders,
    );
  }
  const usage =
    operation === 'translations'
      ? undefined
      : isWhisper
        ? { type: 'duration', seconds: 3 }
        : { type: 'tokens', ...usageOf(mediaTokens.transcription) };
  sendJson(res, 200, { text, ...(usage === undefined ? {} : { usage }) });
}

/**
 * Answers one authenticated media request by operation (`images/generations`, …).
 */
export function serveMedia(
  operation: MediaOperation,
  req: RecordedRequest,
  res: ServerResponse,
): void | Promise<void> {
  if (operation === 'audio/transcriptions') return serveAudioUpload('transcriptions', req, res);
  if (operation === 'audio/translations') return serveAudioUpload('translations', req, res);
  const body = jsonBody(req.body);
  if (!body) {
    badRequest(res, 'We could not parse the JSON body of your request.');
    return;
  }
  return operation === 'audio/speech' ? serveSpeech(body, res) : serveImages(body, res);
}
