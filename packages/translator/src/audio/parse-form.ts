/**
 * Parses the `multipart/form-data` body of `/v1/audio/transcriptions` and
 * `/v1/audio/translations` once, at the router level: the text fields become
 * {@link ParsedRequest.body}, the parts' offsets {@link ParsedRequest.form}; the audio file is
 * located, never copied or decoded.
 *
 * @see https://platform.openai.com/docs/api-reference/audio/createTranscription
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_transcription.go
 */
import { MalformedRequestError } from '../errors.js';
import type { Endpoint, MultipartForm, ParsedRequest } from '../translator.js';
import { multipartBoundary, parseMultipart, partText } from './multipart.js';

/** The form field that carries the audio file. */
export const audioFilePart = 'file';

/** The text fields of a form: repeated names and `name[]` (`include[]`, …) become arrays. */
function textFields(raw: Uint8Array, form: MultipartForm): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const part of form.parts) {
    if (part.filename !== undefined || part.name === audioFilePart) continue;
    const value = partText(raw, part);
    const isList = part.name.endsWith('[]');
    const name = isList ? part.name.slice(0, -2) : part.name;
    const seen = fields[name];
    if (seen === undefined) fields[name] = isList ? [value] : value;
    else fields[name] = [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return fields;
}

/** The `stream` form field: `true` or `false` (absent: false). */
function streamField(value: string | string[] | undefined): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new MalformedRequestError('form field "stream" must be "true" or "false"');
}

/**
 * Parses a multipart audio request.
 *
 * @throws MalformedRequestError (400) for a body that is not `multipart/form-data`, a missing or
 * broken boundary, a malformed part, a missing `file` part, a missing or empty `model` field, or
 * a `stream` field other than `true`/`false`.
 */
export function parseFormRequest(options: {
  readonly endpoint: Endpoint;
  readonly raw: Uint8Array;
  readonly contentType: string | undefined;
}): ParsedRequest {
  const { endpoint, raw } = options;
  const form = parseMultipart(raw, multipartBoundary(options.contentType));
  if (!form.parts.some((p) => p.name === audioFilePart)) {
    throw new MalformedRequestError(`missing required file part "${audioFilePart}"`);
  }
  const body = textFields(raw, form);
  const model = body.model;
  if (model === undefined) throw new MalformedRequestError('missing required field "model"');
  if (typeof model !== 'string') {
    throw new MalformedRequestError('form field "model" must be given once');
  }
  if (model.trim() === '') throw new MalformedRequestError('field "model" must not be empty');
  // Translations have no streaming (OpenAI ignores the field); only transcriptions stream.
  const stream = endpoint === 'audio-transcriptions' ? streamField(body.stream) : false;
  return { endpoint, raw, body, model, stream, form };
}
