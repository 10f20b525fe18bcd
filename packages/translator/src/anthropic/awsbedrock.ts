/**
 * Anthropic Messages → AWS Bedrock Converse (`/model/{modelId}/converse`) and ConverseStream
 * (`/model/{modelId}/converse-stream`, AWS eventstream re-emitted as Anthropic SSE), for the
 * `AWSBedrock` schema. The request mapping and what is dropped or refused are described in
 * `to-bedrock-request.ts`, the response mapping in `from-bedrock.ts`.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_awsbedrock.go
 */
import { MalformedResponseError } from '../errors.js';
import { EventStreamDecoder, isAwsEventStream } from '../shared/aws-eventstream.js';
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseJsonObject } from '../shared/json.js';
import { escapePathSegment } from '../openai/shared/path-segment.js';
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
import { anthropicErrorFromProvider } from './error.js';
import { anthropicMessageFromConverse, ConverseToAnthropicStream } from './from-bedrock.js';
import { converseFromAnthropicRequest } from './to-bedrock-request.js';

/** Input of {@link createAnthropicToAwsBedrockTranslator}. */
export interface AnthropicToAwsBedrockTranslatorOptions {
  /** The backend schema (`AWSBedrock`; version and prefix unused). */
  readonly schema: BackendSchema;
  /** Message id when Bedrock sends no `x-amzn-requestid`; defaults to a random UUID. */
  readonly newId?: () => string;
}

/** Anthropic's version and beta headers mean nothing to Converse: not forwarded (see above). */
const requestHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze(['anthropic-version', 'anthropic-beta']),
});
const sseHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'text/event-stream'] as const)]),
  remove: Object.freeze(['content-length']),
});
/** A JSON response is rebuilt: the upstream's `content-length` would be wrong. */
const rebuiltJsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([]),
  remove: Object.freeze(['content-length']),
});
const empty = new Uint8Array(0);

/** State of one request attempt. */
class AnthropicToAwsBedrockTranslator implements Translator {
  readonly #newId: () => string;
  #model = '';
  #isStreamRequested = false;
  #isStreaming: boolean | undefined = undefined;
  #id = '';
  #usage: Usage | undefined = undefined;
  readonly #body = new BodyCollector();
  #decoder: EventStreamDecoder | undefined = undefined;
  #stream: ConverseToAnthropicStream | undefined = undefined;
  /** The stream hit corrupt framing: the rest is dropped, the client got an error event. */
  #isBroken = false;

  constructor(options: AnthropicToAwsBedrockTranslatorOptions) {
    this.#newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const model = upstreamModel(options);
    this.#model = model;
    this.#isStreamRequested = request.stream;
    const converse = converseFromAnthropicRequest(request.body);
    const method = request.stream ? 'converse-stream' : 'converse';
    return {
      path: `/model/${escapePathSegment(model)}/${method}`,
      headers: requestHeaders,
      body: utf8Encoder.encode(JSON.stringify(converse)),
      model,
    };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.#id = `msg_${headers.get('x-amzn-requestid') ?? this.#newId()}`;
    const isStreaming = isAwsEventStream(headers.get('content-type'));
    this.#isStreaming = isStreaming;
    return { headers: isStreaming ? sseHeaders : rebuiltJsonHeaders, isStreaming };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) return this.#streamed(chunk, endOfStream);
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(empty);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      throw new MalformedResponseError('AWS Bedrock response body is not a JSON object');
    }
    const converted = anthropicMessageFromConverse(json, this.#identity());
    this.#usage = converted.usage;
    return this.#result(utf8Encoder.encode(JSON.stringify(converted.body)));
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return anthropicErrorFromProvider(status, body);
  }

  #identity(): { id: string; model: string } {
    return { id: this.#id === '' ? `msg_${this.#newId()}` : this.#id, model: this.#model };
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const decoder = (this.#decoder ??= new EventStreamDecoder());
    const stream = (this.#stream ??= new ConverseToAnthropicStream(this.#identity()));
    let out = '';
    if (!this.#isBroken) {
      try {
        for (const message of decoder.feed(chunk)) out += stream.convert(message);
      } catch (err) {
        this.#isBroken = true;
        stream.integrity.fail();
        const detail = err instanceof Error ? err.message : String(err);
        const event = {
          type: 'error',
          error: { type: 'api_error', message: `malformed AWS Bedrock stream: ${detail}` },
        };
        out += `event: error\ndata: ${JSON.stringify(event)}\n\n`;
      }
    }
    this.#usage = stream.usage;
    if (endOfStream) out += stream.end();
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
 * Creates the Anthropic → AWS Bedrock Converse translator for one request attempt (`/v1/messages`
 * to an `AWSBedrock` backend).
 */
export function createAnthropicToAwsBedrockTranslator(
  options: AnthropicToAwsBedrockTranslatorOptions,
): Translator {
  return new AnthropicToAwsBedrockTranslator(options);
}
