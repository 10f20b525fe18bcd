/**
 * Anthropic Messages → an OpenAI chat completions backend, translated both ways, streams
 * included (see `to-openai-request.ts`, `from-openai-response.ts`, `from-openai-stream.ts`; the
 * shared machinery in `shared/chat-upstream-response.ts`). Errors, and a 2xx body the gateway
 * cannot translate (502), come back in Anthropic's format.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_openai.go
 */
import {
  createChatUpstreamTranslator,
  type ChatUpstreamHooks,
} from '../shared/chat-upstream-response.js';
import type { BackendSchema, Translator } from '../translator.js';
import { anthropicErrorFromProvider } from './error.js';
import { anthropicMessageFromOpenAI } from './from-openai-response.js';
import { OpenAIToAnthropicStream } from './from-openai-stream.js';
import { openAIChatFromAnthropicRequest } from './to-openai-request.js';

/** Input of {@link createAnthropicToOpenAITranslator}. */
export interface AnthropicToOpenAITranslatorOptions {
  /** The backend schema; `prefix` (default `v1`) is put before `/chat/completions`. */
  readonly schema: BackendSchema;
}

const hooks: ChatUpstreamHooks = {
  toChat: (body, { model }) => openAIChatFromAnthropicRequest(body, model),
  requestHeaders: {
    set: [['content-type', 'application/json']],
    remove: ['anthropic-version', 'anthropic-beta'],
  },
  fromCompletion: (json, model) => {
    const { json: body, usage } = anthropicMessageFromOpenAI(json, model);
    return { body, usage };
  },
  stream: (model) => new OpenAIToAnthropicStream(model),
  error: anthropicErrorFromProvider,
};

/**
 * Creates the Anthropic → OpenAI translator for one request attempt: the Messages body becomes a
 * chat completions body sent to `/<prefix>/chat/completions`; responses and streams come back as
 * Anthropic messages and events.
 */
export function createAnthropicToOpenAITranslator(
  options: AnthropicToOpenAITranslatorOptions,
): Translator {
  return createChatUpstreamTranslator({ schema: options.schema, hooks });
}
