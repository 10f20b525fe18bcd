/**
 * `POST /tokenize` (vLLM's tokenize API): `{model, prompt}` or `{model, messages, tools?}` →
 * `{count, max_model_len, tokens}`. An OpenAI-schema backend (vLLM and other servers with the
 * endpoint) gets it passed through to `/tokenize`; AWS Bedrock, Claude on Bedrock, Vertex AI
 * Gemini and Claude on Vertex AI count with their count APIs (see `count-backends.ts`), and the
 * answer carries only the count: `max_model_len` 0 and no token ids, which those APIs do not give
 * (upstream answers `tokens: null`; an empty list keeps vLLM's `list[int]` type).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/tokenize.go
 * @see https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html#tokenizer-api
 */
import { MalformedRequestError } from '../errors.js';
import { openAIErrorResponse } from '../openai/openai.js';
import type { JsonObject } from '../shared/json.js';
import type {
  BackendSchema,
  BackendSchemaName,
  GcpLocation,
  ParsedRequest,
  Translator,
} from '../translator.js';
import {
  countingBackendNames,
  createChatCountTranslator,
  isCountingSchema,
} from './count-backends.js';
import { createJsonPassthroughTranslator } from './json-passthrough.js';

/**
 * Checks the vLLM union: exactly one of `prompt` (a string) or `messages` (a non-empty array);
 * `continue_final_message` and `add_generation_prompt` not both true (vLLM refuses that too).
 */
export function validateTokenizeRequest(request: ParsedRequest): void {
  const { prompt, messages } = request.body;
  const hasPrompt = prompt !== undefined && prompt !== null;
  const hasMessages = messages !== undefined && messages !== null;
  if (hasPrompt === hasMessages) {
    throw new MalformedRequestError(
      hasPrompt
        ? 'tokenize request must have either "prompt" or "messages", not both'
        : 'tokenize request needs "prompt" (a string) or "messages" (an array)',
    );
  }
  if (hasPrompt && typeof prompt !== 'string') {
    throw new MalformedRequestError('field "prompt" must be a string');
  }
  if (hasMessages && (!Array.isArray(messages) || messages.length === 0)) {
    throw new MalformedRequestError('field "messages" must be a non-empty array');
  }
  checkTemplateFlags(request.body);
}

/** vLLM refuses `continue_final_message` with `add_generation_prompt` (default true). */
function checkTemplateFlags(body: Readonly<JsonObject>): void {
  const addGenerationPrompt = body.add_generation_prompt ?? true;
  if (body.continue_final_message === true && addGenerationPrompt === true) {
    throw new MalformedRequestError(
      'cannot set both "continue_final_message" and "add_generation_prompt" to true',
    );
  }
}

/** The tokenize request as a chat completions body: a prompt becomes one user message. */
export function chatBodyFromTokenize(request: ParsedRequest): JsonObject {
  validateTokenizeRequest(request);
  const { prompt, messages, tools } = request.body;
  const chat: JsonObject = {
    model: request.model,
    messages: typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : messages,
  };
  if (Array.isArray(tools) && tools.length > 0) chat.tools = tools;
  return chat;
}

/** The vLLM answer for a count from a backend that gives no token ids. */
export function tokenizeResponse(count: number): JsonObject {
  return { count, max_model_len: 0, tokens: [] };
}

/** Input of {@link createTokenizeTranslator}. */
export interface TokenizeTranslatorOptions {
  /** The backend schema. */
  readonly schema: BackendSchema;
  /** GCP project and region for Vertex AI backends. */
  readonly gcp?: GcpLocation | undefined;
}

/** The backend schemas `/tokenize` is served for: upstream's five. */
export function tokenizeSupports(name: BackendSchemaName): boolean {
  return name === 'OpenAI' || (isCountingSchema(name) && name !== 'Anthropic');
}

/**
 * Creates the `/tokenize` translator for one attempt, or `undefined` for a schema without one
 * (Azure OpenAI, Anthropic and Cohere, as upstream).
 */
export function createTokenizeTranslator(
  options: TokenizeTranslatorOptions,
): Translator | undefined {
  const { schema, gcp } = options;
  if (schema.name === 'OpenAI') {
    return createJsonPassthroughTranslator({
      // vLLM serves it at the root, beside /v1 (upstream hard-codes the path too).
      path: () => '/tokenize',
      validate: validateTokenizeRequest,
      usage: () => undefined,
      error: openAIErrorResponse,
    });
  }
  const name = schema.name;
  if (!tokenizeSupports(name) || !isCountingSchema(name)) return undefined;
  return createChatCountTranslator({
    schema: { ...schema, name },
    gcp,
    toChat: chatBodyFromTokenize,
    render: tokenizeResponse,
    // Upstream reports no token usage for a tokenize call: nothing was generated or read.
    usage: () => undefined,
    backendName: countingBackendNames[name],
  });
}
