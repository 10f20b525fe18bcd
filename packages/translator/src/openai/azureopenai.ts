/**
 * OpenAI → Azure OpenAI: chat completions, completions and embeddings. Azure speaks the OpenAI
 * wire format but routes by deployment in the path
 * (`/openai/deployments/{deployment}/chat/completions?api-version={version}`) and ignores the
 * body's `model`; the deployment is the model sent upstream (the override, else the client's).
 * Everything else (body passthrough without re-serialising, streamed usage injection and
 * stripping, usage and model from the response, error passthrough) is the OpenAI translator's.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_azureopenai.go
 * @see https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference
 */
import { withApiVersion } from '../shared/path.js';
import type { BackendSchema, Translator } from '../translator.js';
import { createOpenAIToOpenAITranslator, type OpenAIEndpoint } from './openai.js';

/** Input of {@link createOpenAIToAzureOpenAITranslator}. */
export interface OpenAIToAzureOpenAITranslatorOptions {
  /** The ingress endpoint (also the upstream one). */
  readonly endpoint: OpenAIEndpoint;
  /** The backend schema; `version` is the `api-version` query parameter. */
  readonly schema: BackendSchema;
}

const operation: Readonly<Record<OpenAIEndpoint, string>> = {
  'chat-completions': 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
};

/**
 * The Azure path for a deployment. Without a schema version the `api-version` parameter is left
 * out (only Azure's v1 GA surface accepts that; configure a version for the dated APIs).
 */
export function azureOpenAIPath(options: {
  readonly endpoint: OpenAIEndpoint;
  readonly deployment: string;
  readonly apiVersion: string | undefined;
}): string {
  const { endpoint, deployment, apiVersion } = options;
  const path = `/openai/deployments/${encodeURIComponent(deployment)}/${operation[endpoint]}`;
  return withApiVersion(path, apiVersion);
}

/** Creates the OpenAI → Azure OpenAI translator for one request attempt. */
export function createOpenAIToAzureOpenAITranslator(
  options: OpenAIToAzureOpenAITranslatorOptions,
): Translator {
  const { endpoint, schema } = options;
  return createOpenAIToOpenAITranslator({
    endpoint,
    schema,
    upstreamPath: (model) =>
      azureOpenAIPath({ endpoint, deployment: model, apiVersion: schema.version }),
  });
}
