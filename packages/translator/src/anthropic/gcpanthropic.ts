/**
 * Anthropic Messages → Claude on GCP Vertex AI (`rawPredict` / `streamRawPredict`).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_gcpanthropic.go
 */
import { vertexAnthropicVersion } from '../apischema/anthropic/messages.js';
import { gcpAnthropicPath } from '../openai/gcpanthropic.js';
import type { BackendSchema, GcpLocation, Translator } from '../translator.js';
import { AnthropicToAnthropicFamilyTranslator, platformBody } from './anthropic.js';

/** Input of {@link createAnthropicToGcpAnthropicTranslator}. */
export interface AnthropicToGcpAnthropicTranslatorOptions {
  /** The backend schema; `version` is the body's `anthropic_version` (default `vertex-2023-10-16`). */
  readonly schema: BackendSchema;
  /** Project and region; without them the path is relative (`publishers/…`). */
  readonly gcp?: GcpLocation | undefined;
}

/**
 * Creates the Anthropic → GCP Anthropic translator: `model` moves into the path,
 * `anthropic_version` and `anthropic_beta` (from the `anthropic-beta` header) into the body.
 */
export function createAnthropicToGcpAnthropicTranslator(
  options: AnthropicToGcpAnthropicTranslatorOptions,
): Translator {
  const version = options.schema.version ?? vertexAnthropicVersion;
  return new AnthropicToAnthropicFamilyTranslator({
    streamFormat: 'sse',
    path: ({ model, stream }) => gcpAnthropicPath({ gcp: options.gcp, model, stream }),
    body: (request, { betas }) => platformBody(request, { version, betas, keepStream: true }),
  });
}
