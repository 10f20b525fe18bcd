/**
 * OpenAI chat completions → Claude on GCP Vertex AI (`rawPredict` / `streamRawPredict`).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_gcpanthropic.go
 */
import { vertexAnthropicVersion } from '../apischema/anthropic/messages.js';
import type { BackendSchema, GcpLocation, Translator } from '../translator.js';
import { OpenAIToAnthropicFamilyTranslator, type AnthropicEnvelope } from './anthropic.js';

/** Input of {@link createOpenAIToGcpAnthropicTranslator}. */
export interface OpenAIToGcpAnthropicTranslatorOptions {
  /** The backend schema; `version` is the body's `anthropic_version` (default `vertex-2023-10-16`). */
  readonly schema: BackendSchema;
  /** Project and region; without them the path is relative (see {@link gcpAnthropicPath}). */
  readonly gcp?: GcpLocation | undefined;
  /** Clock for `created` (Unix seconds); tests pass a fixed one. */
  readonly now?: () => number;
}

/**
 * The Vertex AI path for a Claude model:
 * `/v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:rawPredict` (or
 * `:streamRawPredict`). Without a location the path is `publishers/anthropic/models/…` with no
 * leading slash, as upstream's translator returns it for the GCP auth layer to complete.
 */
export function gcpAnthropicPath(options: {
  gcp: GcpLocation | undefined;
  model: string;
  stream: boolean;
}): string {
  const { gcp, model, stream } = options;
  const method = stream ? 'streamRawPredict' : 'rawPredict';
  // `@` (Vertex model versions) is valid in a path segment; keep it readable.
  const segment = encodeURIComponent(model).replaceAll('%40', '@');
  const suffix = `publishers/anthropic/models/${segment}:${method}`;
  if (gcp === undefined) {
    return suffix;
  }
  const project = encodeURIComponent(gcp.project);
  const region = encodeURIComponent(gcp.region);
  return `/v1/projects/${project}/locations/${region}/${suffix}`;
}

/** The Vertex envelope: model in the path, `anthropic_version` in the body, `stream` kept. */
export function gcpAnthropicEnvelope(
  schema: BackendSchema,
  gcp: GcpLocation | undefined,
): AnthropicEnvelope {
  return {
    streamFormat: 'sse',
    path: ({ model, stream }) => gcpAnthropicPath({ gcp, model, stream }),
    body: (params, { stream }) => ({
      anthropic_version: schema.version ?? vertexAnthropicVersion,
      ...params,
      ...(stream ? { stream } : {}),
    }),
    headers: [],
  };
}

/** Creates the OpenAI → GCP Anthropic translator for one request attempt. */
export function createOpenAIToGcpAnthropicTranslator(
  options: OpenAIToGcpAnthropicTranslatorOptions,
): Translator {
  return new OpenAIToAnthropicFamilyTranslator({
    envelope: gcpAnthropicEnvelope(options.schema, options.gcp),
    now: options.now,
  });
}
