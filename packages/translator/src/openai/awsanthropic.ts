/**
 * OpenAI chat completions → Claude on AWS Bedrock (InvokeModel /
 * InvokeModelWithResponseStream). Streams arrive as AWS eventstream frames wrapping Anthropic
 * events and leave as OpenAI SSE.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_awsanthropic.go
 */
import { bedrockAnthropicVersion } from '../apischema/anthropic/messages.js';
import type { BackendSchema, Translator } from '../translator.js';
import { OpenAIToAnthropicFamilyTranslator, type AnthropicEnvelope } from './anthropic.js';

/** Input of {@link createOpenAIToAwsAnthropicTranslator}. */
export interface OpenAIToAwsAnthropicTranslatorOptions {
  /** The backend schema (`version` is not used: Bedrock requires `bedrock-2023-05-31`). */
  readonly schema: BackendSchema;
  /** Clock for `created` (Unix seconds); tests pass a fixed one. */
  readonly now?: () => number;
}

/** `/model/{model id, URL-encoded}/invoke` or `/invoke-with-response-stream`. */
export function awsAnthropicPath(model: string, stream: boolean): string {
  return `/model/${encodeURIComponent(model)}/${stream ? 'invoke-with-response-stream' : 'invoke'}`;
}

/** The Bedrock envelope: model and streaming in the path, `anthropic_version` in the body. */
export const awsAnthropicEnvelope: AnthropicEnvelope = {
  streamFormat: 'eventstream',
  path: ({ model, stream }) => awsAnthropicPath(model, stream),
  body: (params) => ({ anthropic_version: bedrockAnthropicVersion, ...params }),
  headers: [],
};

/** Creates the OpenAI → AWS Anthropic translator for one request attempt. */
export function createOpenAIToAwsAnthropicTranslator(
  options: OpenAIToAwsAnthropicTranslatorOptions,
): Translator {
  return new OpenAIToAnthropicFamilyTranslator({
    envelope: awsAnthropicEnvelope,
    now: options.now,
  });
}
