/**
 * OpenAI embeddings → GCP Vertex AI text embeddings (`…/publishers/google/models/{model}:predict`:
 * `{"instances":[{"content"}],"parameters":{"outputDimensionality"}}` →
 * `{"predictions":[{"embeddings":{"values","statistics":{"token_count"}}}]}`).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_gcpvertexai_embeddings.go
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api
 */
import { isJsonObject, type JsonObject } from '../shared/json.js';
import type { BackendSchema, GcpLocation, Translator } from '../translator.js';
import { gcpErrorResponse } from './gcpvertexai.js';
import {
  createEmbeddingsTranslator,
  dimensionsOf,
  embeddingFields,
  type EmbeddingsBackend,
} from './shared/embeddings.js';
import { escapePathSegment } from './shared/path-segment.js';

/** Input of {@link createOpenAIToGcpVertexAiEmbeddingsTranslator}. */
export interface OpenAIToGcpVertexAiEmbeddingsTranslatorOptions {
  /** The backend schema (`GCPVertexAI`). */
  readonly schema: BackendSchema;
  /** Project and region; absent → the location-less express-mode path. */
  readonly gcp?: GcpLocation | undefined;
}

/** Reads one prediction's vector and token count. */
function prediction(value: unknown): { vector: number[]; tokens: number } {
  const embeddings = isJsonObject(value) ? value.embeddings : undefined;
  if (!isJsonObject(embeddings)) {
    return { vector: [], tokens: 0 };
  }
  const statistics = embeddings.statistics;
  const tokens =
    isJsonObject(statistics) && typeof statistics.token_count === 'number'
      ? statistics.token_count
      : 0;
  return {
    vector: Array.isArray(embeddings.values) ? embeddings.values.map(Number) : [],
    tokens,
  };
}

const vertexFields = embeddingFields('dimensions');

function vertexEmbeddings(gcp: GcpLocation | undefined): EmbeddingsBackend {
  const location =
    gcp === undefined
      ? ''
      : `/projects/${escapePathSegment(gcp.project)}/locations/${escapePathSegment(gcp.region)}`;
  return {
    name: 'GCP Vertex AI (embeddings)',
    supported: vertexFields,
    path: (model) => `/v1${location}/publishers/google/models/${escapePathSegment(model)}:predict`,
    body: (inputs, request): JsonObject => {
      const dimensions = dimensionsOf(request);
      return {
        instances: inputs.map((content) => ({ content })),
        ...(dimensions === undefined ? {} : { parameters: { outputDimensionality: dimensions } }),
      };
    },
    read: (json) => {
      const predictions = (Array.isArray(json.predictions) ? json.predictions : []).map(prediction);
      return {
        vectors: predictions.map((p) => p.vector),
        tokens: predictions.reduce((n, p) => n + p.tokens, 0),
      };
    },
    error: (status, _headers, body) => gcpErrorResponse(status, body),
  };
}

/** Creates the OpenAI embeddings → GCP Vertex AI translator for one request attempt. */
export function createOpenAIToGcpVertexAiEmbeddingsTranslator(
  options: OpenAIToGcpVertexAiEmbeddingsTranslatorOptions,
): Translator {
  return createEmbeddingsTranslator(vertexEmbeddings(options.gcp));
}
