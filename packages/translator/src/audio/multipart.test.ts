import { describe, expect, it } from 'vitest';
import { isUserFacing } from '../errors.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseRequest } from '../parse-request.js';
import {
  indexOfBytes,
  multipartBoundary,
  parseMultipart,
  partText,
  replacePartContent,
} from './multipart.js';

const boundary = '----formdata-undici-0123456789';
const contentType = `multipart/form-data; boundary=${boundary}`;
const audio = Uint8Array.from([0x49, 0x44, 0x33, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff, 0x0d]);

/** A form as the openai SDK (undici FormData) writes it. */
function form(
  fields: readonly (readonly [string, string])[],
  options: { file?: Uint8Array | undefined; preamble?: string; b?: string } = {},
): Uint8Array {
  const b = options.b ?? boundary;
  const parts: Uint8Array[] = [utf8Encoder.encode(options.preamble ?? '')];
  for (const [name, value] of fields) {
    parts.push(
      utf8Encoder.encode(
        `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  if (options.file !== undefined) {
    parts.push(
      utf8Encoder.encode(
        `--${b}\r\nContent-Disposition: form-data; name="file"; filename="speech.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n`,
      ),
      options.file,
      utf8Encoder.encode('\r\n'),
    );
  }
  parts.push(utf8Encoder.encode(`--${b}--\r\n`));
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

function errorOf(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (isUserFacing(err)) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected a user-facing error');
}

describe('multipart/form-data reader', () => {
  it('finds byte sequences, including ones that start with a repeated byte', () => {
    const hay = utf8Encoder.encode('aaab--x--boundary');
    expect(indexOfBytes(hay, utf8Encoder.encode('aab'))).toBe(1);
    expect(indexOfBytes(hay, utf8Encoder.encode('--boundary'))).toBe(7);
    expect(indexOfBytes(hay, utf8Encoder.encode('--boundaryX'))).toBe(-1);
  });

  it.each([
    ['multipart/form-data; boundary=abc', 'abc'],
    ['Multipart/Form-Data; charset=utf-8; boundary="a b:c"', 'a b:c'],
    [`multipart/form-data;boundary=${boundary}`, boundary],
  ])('reads the boundary of %s', (header, want) => {
    expect(multipartBoundary(header)).toBe(want);
  });

  it.each([
    [undefined, 'request body must be multipart/form-data (got no content-type)'],
    [
      'application/json',
      'request body must be multipart/form-data (got content-type "application/json")',
    ],
    ['multipart/form-data', 'multipart/form-data content-type has no boundary parameter'],
    [
      'multipart/form-data; boundary=""',
      'multipart/form-data content-type has no boundary parameter',
    ],
    [`multipart/form-data; boundary=${'x'.repeat(71)}`, 'is not valid'],
  ])('refuses content-type %s with a 400', (header, message) => {
    const error = errorOf(() => multipartBoundary(header));
    expect(error.status).toBe(400);
    expect(error.message).toContain(message);
  });

  it('reads fields and a binary file part without copying it (CRLF and dashes inside)', () => {
    const raw = form(
      [
        ['model', 'whisper-1'],
        ['language', 'de'],
      ],
      { file: audio, preamble: 'ignored\r\n' },
    );
    const parsed = parseMultipart(raw, boundary);
    expect(parsed.parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ['model', undefined, undefined],
      ['language', undefined, undefined],
      ['file', 'speech.mp3', 'audio/mpeg'],
    ]);
    const file = parsed.parts[2];
    expect(file && raw.subarray(file.start, file.end)).toEqual(audio);
    expect(parsed.parts[0] && partText(raw, parsed.parts[0])).toBe('whisper-1');
  });

  it('decodes RFC 5987 filename* and UTF-8 filenames', () => {
    const raw = utf8Encoder.encode(
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename*=UTF-8''%E9%9F%B3.wav\r\n\r\nx\r\n--${boundary}--`,
    );
    expect(parseMultipart(raw, boundary).parts[0]?.filename).toBe('音.wav');
  });

  it.each([
    [
      'a boundary that is not in the body',
      form([['model', 'm']], { b: 'other' }),
      "no part delimited by the content-type's boundary",
    ],
    [
      'a body cut before its close delimiter',
      form([['model', 'm']]).subarray(0, -8),
      'ends before its closing boundary',
    ],
    [
      'a part without content-disposition',
      utf8Encoder.encode(`--${boundary}\r\nx-y: z\r\n\r\nv\r\n--${boundary}--`),
      'has no "content-disposition: form-data; name=…" header',
    ],
    [
      'unterminated part headers',
      utf8Encoder.encode(`--${boundary}\r\ncontent-disposition: form-data; name="a"`),
      'not terminated by a blank line',
    ],
    ['only a close delimiter', utf8Encoder.encode(`--${boundary}--\r\n`), 'has no parts'],
    [
      'garbage after a delimiter',
      utf8Encoder.encode(`--${boundary}xyz\r\n`),
      'not followed by CRLF',
    ],
  ])('refuses %s with a 400', (_, raw, message) => {
    const error = errorOf(() => parseMultipart(raw, boundary));
    expect(error.status).toBe(400);
    expect(error.message).toContain(message);
  });

  it('replaces one part in place, keeping the boundary and every other byte', () => {
    const raw = form([['model', 'whisper-1']], { file: audio });
    const parsed = parseMultipart(raw, boundary);
    const model = parsed.parts[0];
    if (model === undefined) throw new Error('no model part');
    const out = replacePartContent(raw, model, utf8Encoder.encode('gpt-4o-transcribe'));
    const again = parseMultipart(out, boundary);
    expect(again.parts[0] && partText(out, again.parts[0])).toBe('gpt-4o-transcribe');
    const file = again.parts[1];
    expect(file && out.subarray(file.start, file.end)).toEqual(audio);
    expect(utf8Decoder.decode(out)).toContain(`--${boundary}--`);
  });
});

describe('parseRequest for audio transcriptions and translations', () => {
  it('reads the text fields into body, the model and stream', () => {
    const raw = form(
      [
        ['model', 'gpt-4o-transcribe'],
        ['stream', 'true'],
        ['include[]', 'logprobs'],
        ['timestamp_granularities[]', 'word'],
        ['timestamp_granularities[]', 'segment'],
      ],
      { file: audio },
    );
    const parsed = parseRequest('audio-transcriptions', raw, { contentType });
    expect(parsed.model).toBe('gpt-4o-transcribe');
    expect(parsed.stream).toBe(true);
    expect(parsed.body).toEqual({
      model: 'gpt-4o-transcribe',
      stream: 'true',
      include: ['logprobs'],
      timestamp_granularities: ['word', 'segment'],
    });
    expect(parsed.form?.parts.map((p) => p.name)).toContain('file');
  });

  it('never streams translations (the API has no streaming)', () => {
    const raw = form(
      [
        ['model', 'whisper-1'],
        ['stream', 'true'],
      ],
      { file: audio },
    );
    expect(parseRequest('audio-translations', raw, { contentType }).stream).toBe(false);
  });

  it.each([
    [
      'a missing file part',
      form([['model', 'whisper-1']]),
      contentType,
      'missing required file part "file"',
    ],
    [
      'a missing model field',
      form([['language', 'en']], { file: audio }),
      contentType,
      'missing required field "model"',
    ],
    [
      'an empty model field',
      form([['model', '']], { file: audio }),
      contentType,
      'field "model" must not be empty',
    ],
    [
      'two model fields',
      form(
        [
          ['model', 'a'],
          ['model', 'b'],
        ],
        { file: audio },
      ),
      contentType,
      'form field "model" must be given once',
    ],
    [
      'a bad stream field',
      form(
        [
          ['model', 'a'],
          ['stream', 'yes'],
        ],
        { file: audio },
      ),
      contentType,
      'form field "stream" must be "true" or "false"',
    ],
    [
      'a JSON body',
      utf8Encoder.encode('{"model":"whisper-1"}'),
      'application/json',
      'must be multipart/form-data',
    ],
    ['no content-type', form([['model', 'a']], { file: audio }), undefined, 'got no content-type'],
  ])('refuses %s with a 400', (...[, raw, type, message]) => {
    const error = errorOf(() => parseRequest('audio-transcriptions', raw, { contentType: type }));
    expect(error).toEqual({ status: 400, message: expect.stringContaining(message) as string });
  });
});

describe('parseRequest for speech and images', () => {
  it('streams speech with stream_format "sse" only', () => {
    const body = (extra: object): Uint8Array =>
      utf8Encoder.encode(
        JSON.stringify({ model: 'gpt-4o-mini-tts', input: 'hi', voice: 'alloy', ...extra }),
      );
    expect(parseRequest('audio-speech', body({ stream_format: 'sse' })).stream).toBe(true);
    expect(parseRequest('audio-speech', body({ stream_format: 'audio' })).stream).toBe(false);
    expect(parseRequest('audio-speech', body({})).stream).toBe(false);
  });

  it('reads the model of an image generation', () => {
    const raw = utf8Encoder.encode('{"model":"gpt-image-1","prompt":"a cat"}');
    expect(parseRequest('image-generations', raw)).toMatchObject({
      model: 'gpt-image-1',
      stream: false,
    });
  });
});
