/**
 * Anthropic Messages → Claude on AWS Bedrock (InvokeModel / InvokeModelWithResponseStream).
 * Streams come back as AWS eventstream frames and are re-emitted as Anthropic SSE.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_awsanthropic.go
 */
import { bedrockAnthropicVersion } from '../apischema/anthropic/messages.js';
import { awsAnthropicPath } from '../openai/awsanthropic.js';
import type { BackendSchema, Translator } from '../translator.js';
import { AnthropicToAnthropicFamilyTranslator, platformBody } from './anthropic.js';

/** Input of {@link createAnthropicToAwsAnthropicTranslator}. */
export interface AnthropicToAwsAnthropicTranslatorOptions {
  /** The backend schema; `version` is the body's `anthropic_version` (default `bedrock-2023-05-31`). */
  readonly schema: BackendSchema;
}

/**
 * Creates the Anthropic → AWS Anthropic translator: `model` moves into the (URL-encoded) path,
 * `stream` into the path choice, `anthropic_version` and `anthropic_beta` into the body.
 */
export function createAnthropicToAwsAnthropicTranslator(
  options: AnthropicToAwsAnthropicTranslatorOptions,
): Translator {
  const version = options.schema.version ?? bedrockAnthropicVersion;
  return new AnthropicToAnthropicFamilyTranslator({
    streamFormat: 'eventstream',
    path: ({ model, stream }) => awsAnthropicPath(model, stream),
    body: (request, { betas }) => platformBody(request, { version, betas, keepStream: false }),
  });
}
