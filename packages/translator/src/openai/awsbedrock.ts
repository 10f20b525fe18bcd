/**
 * OpenAI chat completions → AWS Bedrock Converse (`/model/{modelId}/converse`) and ConverseStream
 * (`/model/{modelId}/converse-stream`, answered in AWS event stream framing and re-emitted as
 * OpenAI SSE chunks).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_awsbedrock.go
 */
import { BodyCollector, truncatedText, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { EventStreamDecoder, isAwsEventStream } from '../shared/aws-eventstream.js';
import { isJsonObject, parseJsonObject } from '../shared/json.js';
import { MalformedResponseError } from '../errors.js';
import { errorBody } from '../error-body.js';
import {
  type BackendSchema,
  type ErrorResponse,
  type HeaderChanges,
  type ResponseBodyResult,
  type ResponseHeadersResult,
  type TranslatedRequest,
  type TranslateRequestOptions,
  type Translator,
  upstreamModel,
} from '../translator.js';
import type { Usage } from '../usage.js';
import { toConverseRequest } from './awsbedrock-request.js';
import { ConverseStreamConverter, fromConverseResponse } from './awsbedrock-response.js';
import { includesUsage } from './shared/chat-request.js';
import { sseDone, sseError, unixSeconds } from './shared/chat-response.js';
import { escapePathSegment } from './shared/path-segment.js';

/** Input of {@link createOpenAIToAwsBedrockTranslator}. */
export interface OpenAIToAwsBedrockTranslatorOptions {
  /** The backend schema (`AWSBedrock`; version and prefix unused). */
  readonly schema: BackendSchema;
  /** Clock for `created` (milliseconds since the epoch); defaults to `Date.now`. */
  readonly now?: () => number;
  /** Response id when the provider names none; defaults to `chatcmpl-<random UUID>`. */
  readonly newId?: () => string;
}

const jsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});
const sseHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'text/event-stream'] as const)]),
  remove: Object.freeze(['content-length']),
});
/**
 * A JSON response is rebuilt, so the upstream's `content-length` is wrong: without removing it,
 * Envoy refuses the longer or shorter replacement body and answers 500.
 */
const rebuiltJsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([]),
  remove: Object.freeze(['content-length']),
});
const empty = new Uint8Array(0);

/** `chatcmpl-<random UUID>`, like OpenAI's ids. */
function randomId(): string {
  return `chatcmpl-${globalThis.crypto.randomUUID()}`;
}
const maxErrorMessageBytes = 1024;

/**
 * Converts a Bedrock error (`{"message":...}`, its type in `x-amzn-errortype`, e.g.
 * `ThrottlingException:http://internal.amazon.com/...`) to an OpenAI error; anything else is
 * wrapped with its text as the message.
 */
export function bedrockErrorResponse(
  status: number,
  headers: ReadonlyMap<string, string>,
  body: Uint8Array,
): ErrorResponse {
  const json = parseJsonObject(utf8Decoder.decode(body));
  if (json !== undefined && isJsonObject(json.error)) {
    return { status, contentType: 'application/json', body };
  }
  const awsType = headers.get('x-amzn-errortype')?.split(':')[0];
  const message =
    json !== undefined && typeof json.message === 'string'
      ? json.message
      : truncatedText(body, maxErrorMessageBytes).text;
  return errorBody({
    dialect: 'openai',
    status,
    message: message.trim() === '' ? `AWS Bedrock responded with status ${status}` : message,
    type: awsType === undefined || awsType === '' ? undefined : awsType,
    code: String(status),
  });
}

/** State of one request attempt; see {@link createOpenAIToAwsBedrockTranslator}. */
class OpenAIToAwsBedrockTranslator implements Translator {
  readonly #now: () => number;
  readonly #newId: () => string;
  #model = '';
  #isStreamRequested = false;
  #includeUsage = false;
  #isStreaming: boolean | undefined = undefined;
  #id = '';
  #usage: Usage | undefined = undefined;
  readonly #body = new BodyCollector();
  #decoder: EventStreamDecoder | undefined = undefined;
  #converter: ConverseStreamConverter | undefined = undefined;
  /** The stream hit corrupt framing: the rest is dropped, the client got an error frame. */
  #isBroken = false;

  constructor(options: OpenAIToAwsBedrockTranslatorOptions) {
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomId;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const model = upstreamModel(options);
    this.#model = model;
    this.#isStreamRequested = request.stream;
    this.#includeUsage = includesUsage(request.body);
    const converse = toConverseRequest(request.body);
    const method = request.stream ? 'converse-stream' : 'converse';
    return {
      path: `/model/${escapePathSegment(model)}/${method}`,
      headers: jsonHeaders,
      body: utf8Encoder.encode(JSON.stringify(converse)),
      model,
    };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.#id = headers.get('x-amzn-requestid') ?? this.#newId();
    const isStreaming = isAwsEventStream(headers.get('content-type'));
    this.#isStreaming = isStreaming;
    return { headers: isStreaming ? sseHeaders : rebuiltJsonHeaders, isStreaming };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) {
      return this.#streamed(chunk, endOfStream);
    }
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(empty);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      throw new MalformedResponseError('AWS Bedrock response body is not a JSON object');
    }
    const converted = fromConverseResponse(json, this.#identity());
    this.#usage = converted.usage;
    return this.#result(utf8Encoder.encode(JSON.stringify(converted.body)));
  }

  responseError(
    status: number,
    headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return bedrockErrorResponse(status, headers, body);
  }

  #identity(): { id: string; model: string; created: number } {
    return { id: this.#id, model: this.#model, created: unixSeconds(this.#now()) };
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const decoder = (this.#decoder ??= new EventStreamDecoder());
    const converter = (this.#converter ??= new ConverseStreamConverter({
      ...this.#identity(),
      includeUsage: this.#includeUsage,
    }));
    let out = '';
    if (!this.#isBroken) {
      try {
        for (const message of decoder.feed(chunk)) {
          out += converter.convert(message);
        }
      } catch (err) {
        this.#isBroken = true;
        converter.integrity.fail();
        const detail = err instanceof Error ? err.message : String(err);
        out += sseError({
          message: `malformed AWS Bedrock stream: ${detail}`,
          type: 'server_error',
        });
      }
    }
    this.#usage = converter.usage;
    if (endOfStream) {
      // `[DONE]` after `messageStop` or an error frame (as before); a stream cut before either
      // gets one truncation error frame instead, and no `[DONE]`.
      out += converter.integrity.isOpen ? converter.integrity.end('openai') : sseDone;
    }
    return this.#result(out === '' ? empty : utf8Encoder.encode(out));
  }

  #result(body: Uint8Array): ResponseBodyResult {
    return {
      body,
      usage: this.#usage,
      responseModel: this.#model === '' ? undefined : this.#model,
    };
  }
}

/**
 * Creates the OpenAI → AWS Bedrock Converse translator for one request attempt (chat completions).
 * Request fields Converse cannot honour are refused with a 400 (`MalformedRequestError`).
 */
export function createOpenAIToAwsBedrockTranslator(
  options: OpenAIToAwsBedrockTranslatorOptions,
): Translator {
  return new OpenAIToAwsBedrockTranslator(options);
}
