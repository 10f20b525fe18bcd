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

/** The field names of one OpenAI usage shape. */
interface UsageFields {
  readonly input: string;
  readonly output: string;
  readonly inputDetails: string;
  readonly outputDetails: string;
}

/** Chat completions, completions and embeddings. */
const chatFields: UsageFields = {
  input: 'prompt_tokens',
  output: 'completion_tokens',
  inputDetails: 'prompt_tokens_details',
  outputDetails: 'completion_tokens_details',
};

/** The Responses API (`/v1/responses`). */
const responsesFields: UsageFields = {
  input: 'input_tokens',
  output: 'output_tokens',
  inputDetails: 'input_tokens_details',
  outputDetails: 'output_tokens_details',
};

function usageOf(value: unknown, fields: UsageFields): Usage | undefined {
  if (!isJsonObject(value)) {
    return undefined;
  }
  const inputTokens = count(value[fields.input]);
  const outputTokens = count(value[fields.output]);
  // Not in OpenAI's own responses; gateways (ours for Bedrock, upstream's) put cache writes here.
  const cacheCreation = nestedCount(value[fields.inputDetails], 'cache_creation_tokens');
  return {
    inputTokens,
    outputTokens,
    totalTokens:
      typeof value.total_tokens === 'number'
        ? count(value.total_tokens)
        : inputTokens + outputTokens,
    cachedInputTokens: nestedCount(value[fields.inputDetails], 'cached_tokens'),
    ...(cacheCreation > 0 ? { cacheCreationInputTokens: cacheCreation } : {}),
    reasoningTokens: nestedCount(value[fields.outputDetails], 'reasoning_tokens'),
  };
}

/**
 * Converts an OpenAI `usage` object to {@link Usage}; `undefined` when `value` is not an object
 * (absent or `null`, as in every streamed chunk but the last).
 */
export function usageFromOpenAI(value: unknown): Usage | undefined {
  return usageOf(value, chatFields);
}

/**
 * Converts a Responses `usage` (`input_tokens`, `input_tokens_details.cached_tokens`,
 * `output_tokens`, `output_tokens_details.reasoning_tokens`, `total_tokens`) to {@link Usage};
 * `undefined` when `value` is not an object (absent, or `null` before the response finished).
 *
 * @see https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage
 */
export function usageFromResponses(value: unknown): Usage | undefined {
  return usageOf(value, responsesFields);
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
