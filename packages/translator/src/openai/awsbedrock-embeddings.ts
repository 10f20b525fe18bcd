/**
 * OpenAI embeddings → AWS Bedrock Titan text embeddings (`/model/{modelId}/invoke`, one input
 * per request: `{"inputText", "dimensions"}` → `{"embedding", "inputTextTokenCount"}`).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_awsbedrock_embeddings.go
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
 */
import { MalformedRequestError } from '../errors.js';
import type { JsonObject } from '../shared/json.js';
import type { BackendSchema, Translator } from '../translator.js';
import { bedrockErrorResponse } from './awsbedrock.js';
import {
  createEmbeddingsTranslator,
  dimensionsOf,
  embeddingFields,
  type EmbeddingsBackend,
} from './shared/embeddings.js';
import { escapePathSegment } from './shared/path-segment.js';

/** Input of {@link createOpenAIToAwsBedrockEmbeddingsTranslator}. */
export interface OpenAIToAwsBedrockEmbeddingsTranslatorOptions {
  /** The backend schema (`AWSBedrock`). */
  readonly schema: BackendSchema;
}

const titan: EmbeddingsBackend = {
  name: 'AWS Bedrock (Titan embeddings)',
  supported: embeddingFields('dimensions'),
  path: (model) => `/model/${escapePathSegment(model)}/invoke`,
  body: (inputs, request): JsonObject => {
    if (inputs.length !== 1) {
      throw new MalformedRequestError(
        `AWS Bedrock Titan embeddings take one input per request (got ${inputs.length})`,
      );
    }
    const dimensions = dimensionsOf(request);
    return dimensions === undefined
      ? { inputText: inputs[0] }
      : { inputText: inputs[0], dimensions };
  },
  read: (json) => ({
    vectors: Array.isArray(json.embedding) ? [json.embedding.map(Number)] : [],
    tokens: typeof json.inputTextTokenCount === 'number' ? json.inputTextTokenCount : 0,
  }),
  error: bedrockErrorResponse,
};

/**
 * Creates the OpenAI embeddings → AWS Bedrock Titan translator for one request attempt (the
 * schema has nothing Titan needs; it is taken for symmetry with the other factories).
 */
export function createOpenAIToAwsBedrockEmbeddingsTranslator(
  options: OpenAIToAwsBedrockEmbeddingsTranslatorOptions,
): Translator {
  return options.schema.name === 'AWSBedrock'
    ? createEmbeddingsTranslator(titan)
    : createEmbeddingsTranslator({ ...titan, name: `${titan.name} via ${options.schema.name}` });
}
