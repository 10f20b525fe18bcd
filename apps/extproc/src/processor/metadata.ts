import type { RequestContext } from './request-context.js';

/** Metadata keys written under the configured namespace when a response ends. */
export const metadataKeys = {
  inputTokens: 'llm_input_token',
  outputTokens: 'llm_output_token',
  totalTokens: 'llm_total_token',
  cachedInputTokens: 'llm_cached_input_token',
  reasoningTokens: 'llm_reasoning_token',
  backendName: 'backend_name',
  modelNameOverride: 'model_name_override',
  requestModel: 'request_model',
  responseModel: 'response_model',
} as const;

/**
 * The dynamic metadata of a finished 2xx response: token counts, the configured costs, and the
 * backend and model names, as `{ <namespace>: {...} }` (Envoy's top-level keys are namespaces).
 */
export function usageMetadata(context: RequestContext): Record<string, unknown> | undefined {
  const { usage, backend } = context;
  if (!usage || !backend || !context.parsed) return undefined;
  const values: Record<string, unknown> = {
    [metadataKeys.inputTokens]: usage.inputTokens,
    [metadataKeys.outputTokens]: usage.outputTokens,
    [metadataKeys.totalTokens]: usage.totalTokens,
    [metadataKeys.cachedInputTokens]: usage.cachedInputTokens,
    [metadataKeys.reasoningTokens]: usage.reasoningTokens,
    [metadataKeys.backendName]: backend.backend.name,
    [metadataKeys.requestModel]: context.parsed.model,
  };
  if (backend.backend.modelNameOverride)
    values[metadataKeys.modelNameOverride] = backend.backend.modelNameOverride;
  if (context.responseModel !== undefined)
    values[metadataKeys.responseModel] = context.responseModel;
  const costInput = {
    usage,
    model: context.parsed.model,
    backend: backend.backend.name,
    routeName: '',
  };
  for (const cost of context.runtime.costs) {
    const value = cost.evaluate(costInput);
    if (value !== undefined) values[cost.metadataKey] = value;
  }
  return { [context.runtime.config.metadataNamespace]: values };
}
