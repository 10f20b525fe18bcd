/** Reads the usage of an OpenAI `Response` object (`/v1/responses`). */
import { isJsonObject } from '../shared/json.js';
import type { Usage } from '../usage.js';

/** A token count, or 0 for anything that is not a finite non-negative number. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** A nested count such as `input_tokens_details.cached_tokens`. */
function nestedCount(parent: unknown, key: string): number {
  return isJsonObject(parent) ? count(parent[key]) : 0;
}

/**
 * Converts a Responses `usage` (`input_tokens`, `input_tokens_details.cached_tokens`,
 * `output_tokens`, `output_tokens_details.reasoning_tokens`, `total_tokens`) to {@link Usage};
 * `undefined` when `value` is not an object (absent, or `null` before the response finished).
 *
 * @see https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage
 */
export function usageFromResponses(value: unknown): Usage | undefined {
  if (!isJsonObject(value)) return undefined;
  const inputTokens = count(value.input_tokens);
  const outputTokens = count(value.output_tokens);
  // Not in OpenAI's own responses; gateways (upstream's among them) put cache writes here.
  const cacheCreation = nestedCount(value.input_tokens_details, 'cache_creation_tokens');
  return {
    inputTokens,
    outputTokens,
    totalTokens:
      typeof value.total_tokens === 'number'
        ? count(value.total_tokens)
        : inputTokens + outputTokens,
    cachedInputTokens: nestedCount(value.input_tokens_details, 'cached_tokens'),
    ...(cacheCreation > 0 ? { cacheCreationInputTokens: cacheCreation } : {}),
    reasoningTokens: nestedCount(value.output_tokens_details, 'reasoning_tokens'),
  };
}
