/** Reads OpenAI wire usage (`usage` of chat completions, completions and embeddings responses). */
import type { Usage } from '../usage.js';
import { isJsonObject } from './json.js';

/** A token count, or 0 for anything that is not a finite non-negative number. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** A nested count such as `prompt_tokens_details.cached_tokens`. */
function nestedCount(parent: unknown, key: string): number {
  return isJsonObject(parent) ? count(parent[key]) : 0;
}

/**
 * Converts an OpenAI `usage` object to {@link Usage}; `undefined` when `value` is not an object
 * (absent or `null`, as in every streamed chunk but the last).
 */
export function usageFromOpenAI(value: unknown): Usage | undefined {
  if (!isJsonObject(value)) {
    return undefined;
  }
  const inputTokens = count(value.prompt_tokens);
  const outputTokens = count(value.completion_tokens);
  // Not in OpenAI's own responses; gateways (ours for Bedrock, upstream's) put cache writes here.
  const cacheCreation = nestedCount(value.prompt_tokens_details, 'cache_creation_tokens');
  return {
    inputTokens,
    outputTokens,
    totalTokens:
      typeof value.total_tokens === 'number'
        ? count(value.total_tokens)
        : inputTokens + outputTokens,
    cachedInputTokens: nestedCount(value.prompt_tokens_details, 'cached_tokens'),
    ...(cacheCreation > 0 ? { cacheCreationInputTokens: cacheCreation } : {}),
    reasoningTokens: nestedCount(value.completion_tokens_details, 'reasoning_tokens'),
  };
}

const usageKey = '"usage"';

/** Whether the character code is JSON insignificant whitespace. */
function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * Cheap pre-check before `JSON.parse` of a streamed chunk: whether the JSON text has a `"usage"`
 * key whose value is an object. With `include_usage` every chunk carries `"usage":null`, so a plain
 * substring test would parse them all. A `"usage"` inside a JSON string is escaped (`\"usage\"`),
 * so a match is always a key; a false positive only costs one parse.
 */
export function hasUsageObject(json: string): boolean {
  for (let i = json.indexOf(usageKey); i !== -1; i = json.indexOf(usageKey, i + usageKey.length)) {
    let j = i + usageKey.length;
    while (isJsonSpace(json.charCodeAt(j))) {
      j++;
    }
    if (json.charCodeAt(j) !== 0x3a) {
      continue;
    }
    j++;
    while (isJsonSpace(json.charCodeAt(j))) {
      j++;
    }
    if (json.charCodeAt(j) === 0x7b) {
      return true;
    }
  }
  return false;
}
