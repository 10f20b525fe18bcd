/**
 * `POST /v1/responses/input_tokens`: how many input tokens a Responses body would use,
 * `{"object":"response.input_tokens","input_tokens":N}`.
 *
 * - OpenAI: passed through to `/<prefix|v1>/responses/input_tokens`.
 * - Azure OpenAI: passed through to `/openai/responses/input_tokens?api-version=` (the model, a
 *   deployment name, stays in the body as for Azure's Responses API).
 * - Backends with a count API (AWS Bedrock, Claude on Bedrock and on Vertex AI, Vertex AI Gemini,
 *   Anthropic): the Responses body becomes a chat completions body, as `/v1/responses` does, and
 *   is counted by the backend (see `tokenize/count-backends.ts`). Upstream serves OpenAI and Azure
 *   only.
 * - Cohere: none (the registry has no translator for it).
 *
 * Usage: the count is reported as input tokens, as upstream does.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/counttokens_openai_responses.go
 * @see https://platform.openai.com/docs/api-reference/responses/input-tokens
 */
import { openAIErrorResponse } from '../openai/openai.js';
import { prefixedPath, queryOf, withApiVersion } from '../shared/path.js';
import type { JsonObject } from '../shared/json.js';
import {
  countingBackendNames,
  createChatCountTranslator,
  isCountingSchema,
} from '../tokenize/count-backends.js';
import { createJsonPassthroughTranslator, tokenCount } from '../tokenize/json-passthrough.js';
import type { BackendSchema, BackendSchemaName, GcpLocation, Translator } from '../translator.js';
import { emptyUsage, type Usage } from '../usage.js';
import { servesResponsesApi } from './openai.js';
import { chatRequestFromResponses } from './to-chat-request.js';

/** The backend schemas `/v1/responses/input_tokens` is served for: all but Cohere. */
export function responsesInputTokensSupports(name: BackendSchemaName): boolean {
  return servesResponsesApi(name) || isCountingSchema(name);
}

/** Input of {@link createResponsesInputTokensTranslator}. */
export interface ResponsesInputTokensTranslatorOptions {
  /** The backend schema. */
  readonly schema: BackendSchema;
  /** GCP project and region for Vertex AI backends. */
  readonly gcp?: GcpLocation | undefined;
}

/** The usage a count reports: its tokens as input tokens (upstream's choice). */
function countUsage(count: number): Usage {
  return { ...emptyUsage(), inputTokens: count };
}

/** The client's answer for a count. */
export function inputTokensResponse(count: number): JsonObject {
  return { object: 'response.input_tokens', input_tokens: count };
}

/** Azure's path: `/openai/responses/input_tokens`, with `?api-version=` when the schema has one. */
export function azureInputTokensPath(apiVersion: string | undefined): string {
  const path = '/openai/responses/input_tokens';
  return withApiVersion(path, apiVersion);
}

/** Reads `input_tokens` from an OpenAI answer. */
function passthroughUsage(json: JsonObject): Usage | undefined {
  const count = tokenCount(json.input_tokens);
  return count === undefined ? undefined : countUsage(count);
}

/**
 * Creates the `/v1/responses/input_tokens` translator for one attempt, or `undefined` for a
 * schema without a way to count (Cohere).
 */
export function createResponsesInputTokensTranslator(
  options: ResponsesInputTokensTranslatorOptions,
): Translator | undefined {
  const { schema, gcp } = options;
  const name = schema.name;
  if (servesResponsesApi(name)) {
    return createJsonPassthroughTranslator({
      path:
        name === 'OpenAI'
          ? (_model, clientPath) =>
              prefixedPath(schema.prefix ?? 'v1', '/responses/input_tokens') + queryOf(clientPath)
          : () => azureInputTokensPath(schema.version),
      usage: passthroughUsage,
      error: openAIErrorResponse,
    });
  }
  if (!isCountingSchema(name)) return undefined;
  return createChatCountTranslator({
    schema: { ...schema, name },
    gcp,
    toChat: (request) => chatRequestFromResponses(request.body, request.model),
    render: inputTokensResponse,
    usage: countUsage,
    backendName: countingBackendNames[name],
  });
}
