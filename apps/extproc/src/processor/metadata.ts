import { serviceBackendOf } from '@aigw/filterapi';
import { evaluateCosts } from '../runtime/costs.js';
import type { RuntimeBackend } from '../runtime/runtime-config.js';
import type { RequestContext } from './request-context.js';

/** Metadata keys written under the configured namespace when a response ends. */
export const metadataKeys = {
  inputTokens: 'llm_input_token',
  outputTokens: 'llm_output_token',
  totalTokens: 'llm_total_token',
  cachedInputTokens: 'llm_cached_input_token',
  cacheCreationInputTokens: 'llm_cache_creation_input_token',
  reasoningTokens: 'llm_reasoning_token',
  backendName: 'backend_name',
  serviceBackendName: 'ai_service_backend_name',
  routeName: 'route_name',
  modelNameOverride: 'model_name_override',
  requestModel: 'request_model',
  responseModel: 'response_model',
} as const;

/**
 * The AIServiceBackend of a backend as `namespace/name`: read from the controller's
 * per-route-rule backend name, else the name itself (a hand-written config names backends freely).
 */
export function serviceBackendName(backend: RuntimeBackend): string {
  const name = backend.backend.name;
  const parsed = serviceBackendOf(name);
  return parsed ? `${parsed.namespace}/${parsed.name}` : name;
}

/**
 * The dynamic metadata of a finished 2xx response: token counts, the configured costs, and the
 * route, backend and model names, as `{ <namespace>: {...} }` (Envoy's top-level keys are
 * namespaces). As upstream: `model_name_override` is the model sent upstream (the override, else
 * the client's model), `backend_name` the filterapi backend name and `ai_service_backend_name`
 * its AIServiceBackend.
 */
export function usageMetadata(context: RequestContext): Record<string, unknown> | undefined {
  const { usage, backend } = context;
  if (!usage || !backend || !context.parsed) return undefined;
  const serviceBackend = serviceBackendName(backend);
  const values: Record<string, unknown> = {
    [metadataKeys.inputTokens]: usage.inputTokens,
    [metadataKeys.outputTokens]: usage.outputTokens,
    [metadataKeys.totalTokens]: usage.totalTokens,
    [metadataKeys.cachedInputTokens]: usage.cachedInputTokens,
    // Anthropic cache writes, Bedrock cacheWriteInputTokens; 0 where the provider reports none.
    [metadataKeys.cacheCreationInputTokens]: usage.cacheCreationInputTokens ?? 0,
    [metadataKeys.reasoningTokens]: usage.reasoningTokens,
    [metadataKeys.backendName]: backend.backend.name,
    [metadataKeys.serviceBackendName]: serviceBackend,
    [metadataKeys.requestModel]: context.parsed.model,
    [metadataKeys.modelNameOverride]:
      context.upstreamModel ?? (backend.backend.modelNameOverride || context.parsed.model),
  };
  if (context.routeName !== undefined) values[metadataKeys.routeName] = context.routeName;
  if (context.responseModel !== undefined)
    values[metadataKeys.responseModel] = context.responseModel;
  const costs = evaluateCosts(context.runtime.costs, {
    usage,
    model: context.parsed.model,
    backend: backend.backend.name,
    serviceBackend,
    routeName: context.routeName ?? '',
  });
  for (const [key, value] of costs) values[key] = value;
  return { [context.runtime.config.metadataNamespace]: values };
}
