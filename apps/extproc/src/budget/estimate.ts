import type { TokenReservation } from '@aigw/filterapi';
import type { ParsedRequest } from '@aigw/translator';

/** Dynamic-metadata key (in the filter config's namespace) of a request's token estimate. */
export const reservedTokensKey = 'reserved_tokens';

/** The estimate's settings when the filter config has none (the schema's defaults). */
export const defaultTokenReservation: TokenReservation = {
  defaultOutputTokens: 4096,
  inputBytesPerToken: 1,
};

/**
 * Tokens charged for an image, audio or file part whatever its size (its base64 bytes are not
 * text): above what OpenAI (a high-detail 2048×768 tile set is 1,105) and Anthropic (~1,600 for
 * a 1.15-megapixel image) charge for one image.
 */
export const mediaPartTokens = 1_600;

/** Chat-format overhead per message and per request (OpenAI: ~3–4 per message, 3 to prime). */
const perMessageTokens = 4;
const perRequestTokens = 3;

/** Fields whose value is binary data in base64 (Anthropic/Gemini `data`, OpenAI `file_data`). */
const binaryFields = new Set(['data', 'file_data', 'b64_json']);
const base64 = /^[A-Za-z0-9+/=_-]+$/;

/** The estimate of one request. */
export interface TokenEstimate {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

/**
 * Binary data, not text: a data URL anywhere, or base64 in a field that carries it. Only these
 * are charged as media parts, so text is never undercounted.
 */
function isBinary(value: string, field: string | undefined): boolean {
  if (value.startsWith('data:')) return true;
  return field !== undefined && binaryFields.has(field) && base64.test(value);
}

/** Sums the UTF-8 bytes of the text in a JSON value; binary strings count as media parts. */
class TextMeter {
  textBytes = 0;
  mediaParts = 0;

  add(value: unknown, field?: string): void {
    if (typeof value === 'string') {
      if (isBinary(value, field)) this.mediaParts++;
      else this.textBytes += Buffer.byteLength(value, 'utf8');
    } else if (Array.isArray(value)) {
      for (const item of value) this.add(item, field);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) this.add(item, key);
    }
  }
}

/** Endpoints that read input and generate no tokens (counts, tokenize, rerank). */
const generatesNothing: ReadonlySet<string> = new Set([
  'responses-input-tokens',
  'tokenize',
  'rerank',
  'gemini-count-tokens',
]);

/** Fields that carry no text the model reads (numbers and booleans are not counted anyway). */
const ignoredFields = new Set(['model', 'user', 'metadata', 'service_tier', 'stream_options']);

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The client's output cap, as each ingress API names it; undefined when it sets none. */
function outputCap(request: ParsedRequest): number | undefined {
  const body = request.body;
  return (
    positiveInt(body.max_completion_tokens) ??
    positiveInt(body.max_tokens) ??
    positiveInt(body.max_output_tokens) ??
    positiveInt(geminiConfig(request)?.maxOutputTokens)
  );
}

/** How many completions one request asks for (OpenAI `n`, `best_of` for completions). */
function choices(request: ParsedRequest): number {
  const body = request.body;
  const n = positiveInt(body.n) ?? positiveInt(geminiConfig(request)?.candidateCount) ?? 1;
  const bestOf = request.endpoint === 'completions' ? (positiveInt(body.best_of) ?? 1) : 1;
  return Math.max(1, n, bestOf);
}

/** A Gemini request's `generationConfig`, if it has one. */
function geminiConfig(request: ParsedRequest): Record<string, unknown> | undefined {
  const config = request.body.generationConfig;
  return typeof config === 'object' && config !== null && !Array.isArray(config)
    ? (config as Record<string, unknown>)
    : undefined;
}

function messageCount(request: ParsedRequest): number {
  // Gemini's turns are its `contents`.
  const messages = request.body.messages ?? request.body.contents;
  return Array.isArray(messages) ? messages.length : 0;
}

/**
 * A conservative estimate of the tokens a request will use, computed from the parsed body before
 * it goes upstream, and reserved against reserving budgets (docs/budgets.md):
 *
 * - input: the UTF-8 bytes of every string the model reads (messages, system, tools, prompt, …)
 *   divided by `inputBytesPerToken`, plus 4 per message and 3 per request (chat formatting), plus
 *   {@link mediaPartTokens} per image/audio/file part. With the default divisor 1 this is an upper
 *   bound for byte-level BPE tokenizers (OpenAI's o200k/cl100k, Anthropic's, Llama 3's): each
 *   token covers at least one byte. English prose is ~4 bytes per token, so the reservation is
 *   ~4× the real input; the excess is refunded when the response ends.
 * - output: the client's `max_completion_tokens` / `max_tokens` / `max_output_tokens` (a cap the
 *   provider enforces), times `n`; `defaultOutputTokens` when it sets none; 0 for embeddings.
 *
 * No tokenizer is loaded: gpt-tokenizer's o200k_base costs ~68 MiB RSS and ~250 ms to load
 * (measured, Node 24), nearly the extproc's whole idle footprint, for a number the reconciliation
 * corrects anyway.
 */
export function estimateTokens(
  request: ParsedRequest,
  settings: TokenReservation = defaultTokenReservation,
): TokenEstimate {
  const meter = new TextMeter();
  for (const [field, value] of Object.entries(request.body)) {
    if (!ignoredFields.has(field)) meter.add(value, field);
  }
  const inputTokens =
    Math.ceil(meter.textBytes / settings.inputBytesPerToken) +
    meter.mediaParts * mediaPartTokens +
    messageCount(request) * perMessageTokens +
    perRequestTokens;
  const outputTokens =
    request.endpoint === 'embeddings' || generatesNothing.has(request.endpoint)
      ? 0
      : (outputCap(request) ?? settings.defaultOutputTokens) * choices(request);
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/**
 * Bytes per token of {@link countTokensEstimate}: English prose is ~4 bytes per token with
 * byte-level BPE tokenizers, and the Gemini CLI's own local estimate uses 4 characters per token.
 */
const countBytesPerToken = 4;

/**
 * The answer to a Gemini `countTokens` whose backend has no counting API (OpenAI-compatible
 * backends): {@link estimateTokens}' input count with 4 bytes per token rather than the
 * reservation's upper bound — an estimate, not the model tokenizer's count (docs/api-coverage.md).
 */
export function countTokensEstimate(request: ParsedRequest): number {
  return estimateTokens(request, { defaultOutputTokens: 0, inputBytesPerToken: countBytesPerToken })
    .inputTokens;
}
