/**
 * A small `multipart/form-data` reader for buffered bodies (audio transcriptions and
 * translations). It never copies: a part is a pair of offsets into the body, and only the headers
 * and the text fields are decoded. Every defect is a {@link MalformedRequestError} (400) whose
 * message says what is wrong.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7578 (multipart/form-data)
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1 (delimiters, boundary syntax)
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/multipart_helper.go
 */
import { MalformedRequestError } from '../errors.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import type { MultipartForm, MultipartPart } from '../translator.js';

const cr = 0x0d;
const lf = 0x0a;
const dash = 0x2d;
const headerEnd = new Uint8Array([cr, lf, cr, lf]);
/** RFC 2046: 1 to 70 characters from a restricted set, not ending with a space. */
const boundaryPattern = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The index of `needle` in `haystack` at or after `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  if (first === undefined) return from;
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= last;) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
    i = haystack.indexOf(first, i + 1);
  }
  return -1;
}

/** Splits `a=b; c="d"` header parameters (RFC 7231 quoted strings, backslash escapes). */
function headerParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const param = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/g;
  for (const match of text.matchAll(param)) {
    const name = (match[1] ?? '').toLowerCase();
    const value = match[2] === undefined ? (match[3] ?? '') : match[2].replace(/\\(.)/g, '$1');
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

/** The media type of a content-type value, lowercase, without parameters. */
function mediaType(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/**
 * The boundary of a `multipart/form-data` content-type.
 *
 * @throws MalformedRequestError when the content-type is absent or another type, or its boundary
 * is missing or not a valid RFC 2046 boundary.
 */
export function multipartBoundary(contentType: string | undefined): string {
  const type = contentType === undefined ? '' : mediaType(contentType);
  if (type !== 'multipart/form-data') {
    const got = type === '' ? 'no content-type' : `content-type ${JSON.stringify(type)}`;
    throw new MalformedRequestError(`request body must be multipart/form-data (got ${got})`);
  }
  const boundary = headerParams((contentType ?? '').slice(type.length)).get('boundary');
  if (boundary === undefined || boundary === '') {
    throw new MalformedRequestError('multipart/form-data content-type has no boundary parameter');
  }
  if (!boundaryPattern.test(boundary)) {
    throw new MalformedRequestError(
      `multipart/form-data boundary ${JSON.stringify(boundary)} is not valid ` +
        "(1 to 70 characters: letters, digits and '()+_,-./:=? or inner spaces)",
    );
  }
  return boundary;
}

/** RFC 5987 `filename*=UTF-8''…`, decoded; `undefined` if it is not that form. */
function extendedValue(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^utf-8'[^']*'(.*)$/i.exec(value);
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1] ?? '');
  } catch {
    return undefined;
  }
}

/** A header block's fields (lowercase names; the first of a repeated name wins). */
function headerFields(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0)).trim().toLowerCase();
    if (name !== '' && !fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** Reads one part's header block into its name, filename and content-type. */
function partHeaders(block: string, index: number): Omit<MultipartPart, 'start' | 'end'> {
  const fields = headerFields(block);
  const disposition = fields.get('content-disposition') ?? '';
  const semicolon = disposition.indexOf(';');
  const params = headerParams(semicolon === -1 ? '' : disposition.slice(semicolon));
  const name = params.get('name');
  if (mediaType(disposition) !== 'form-data' || name === undefined) {
    throw new MalformedRequestError(
      `multipart part ${String(index + 1)} has no "content-disposition: form-data; name=…" header`,
    );
  }
  const filename = extendedValue(params.get('filename*')) ?? params.get('filename');
  return { name, filename, contentType: fields.get('content-type') };
}

/** Where the delimiter line after `at` ends: after its CRLF, or -1 for the close delimiter. */
function afterDelimiter(raw: Uint8Array, at: number): number {
  if (raw[at] === dash && raw[at + 1] === dash) return -1;
  let i = at;
  // RFC 2046 allows linear whitespace ("transport padding") before the line break.
  while (raw[i] === 0x20 || raw[i] === 0x09) i++;
  if (raw[i] !== cr || raw[i + 1] !== lf) {
    throw new MalformedRequestError('multipart delimiter line is not followed by CRLF');
  }
  return i + 2;
}

/**
 * The parts of a buffered `multipart/form-data` body (preamble and epilogue ignored).
 *
 * @throws MalformedRequestError when no delimiter with `boundary` is found (a wrong or broken
 * boundary), a part has no `content-disposition` name, the headers are not terminated, or the
 * body ends before its close delimiter.
 */
export function parseMultipart(raw: Uint8Array, boundary: string): MultipartForm {
  const delimiter = utf8Encoder.encode(`--${boundary}`);
  const nextDelimiter = utf8Encoder.encode(`\r\n--${boundary}`);
  let at: number;
  if (indexOfBytes(raw.subarray(0, delimiter.length), delimiter) === 0) at = 0;
  else {
    const found = indexOfBytes(raw, nextDelimiter);
    if (found === -1) {
      throw new MalformedRequestError(
        `multipart body has no part delimited by the content-type's boundary ${JSON.stringify(boundary)}`,
      );
    }
    at = found + 2;
  }
  const parts: MultipartPart[] = [];
  for (;;) {
    const headersStart = afterDelimiter(raw, at + delimiter.length);
    if (headersStart === -1) break;
    const isBare = raw[headersStart] === cr && raw[headersStart + 1] === lf;
    const headersEnd = isBare ? headersStart - 2 : indexOfBytes(raw, headerEnd, headersStart);
    if (headersEnd === -1) {
      throw new MalformedRequestError('multipart part headers are not terminated by a blank line');
    }
    const block = utf8Decoder.decode(
      raw.subarray(headersStart, Math.max(headersEnd, headersStart)),
    );
    const headers = partHeaders(block, parts.length);
    const start = headersEnd + 4;
    const end = indexOfBytes(raw, nextDelimiter, start);
    if (end === -1) {
      throw new MalformedRequestError('multipart body ends before its closing boundary');
    }
    parts.push({ ...headers, start, end });
    at = end + 2;
  }
  if (parts.length === 0) {
    throw new MalformedRequestError('multipart body has no parts');
  }
  return { boundary, parts };
}

/** A part's content as text (UTF-8). */
export function partText(raw: Uint8Array, part: MultipartPart): string {
  return utf8Decoder.decode(raw.subarray(part.start, part.end));
}

/**
 * A copy of `raw` with one part's content replaced by `content`; the boundary, the part's headers
 * and every other byte stay as they were (so the content-type header stays valid).
 */
export function replacePartContent(
  raw: Uint8Array,
  part: MultipartPart,
  content: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(raw.length - (part.end - part.start) + content.length);
  out.set(raw.subarray(0, part.start), 0);
  out.set(content, part.start);
  out.set(raw.subarray(part.end), part.start + content.length);
  return out;
}
