/**
 * Gemini (Google's native API) `generateContent` / `streamGenerateContent` → an OpenAI chat
 * completions backend, both ways, streams included (see `to-openai-request.ts` and
 * `from-openai.ts`; the shared machinery in `shared/chat-upstream-response.ts`). Errors, and a
 * 2xx body the gateway cannot translate (502), come back in Google's format.
 */
import {
  createChatUpstreamTranslator,
  type ChatUpstreamHooks,
} from '../shared/chat-upstream-response.js';
import type { BackendSchema, Translator } from '../translator.js';
import { googleErrorFromProvider } from './error.js';
import { geminiResponseFromOpenAI, OpenAIToGeminiStream } from './from-openai.js';
import { openAIChatFromGeminiRequest } from './to-openai-request.js';

/** Input of {@link createGeminiToOpenAITranslator}. */
export interface GeminiToOpenAITranslatorOptions {
  /** The backend schema; `prefix` (default `v1`) is put before `/chat/completions`. */
  readonly schema: BackendSchema;
}

const hooks: ChatUpstreamHooks = {
  toChat: openAIChatFromGeminiRequest,
  // The client's Google API key is the client's, never the provider's.
  requestHeaders: { set: [['content-type', 'application/json']], remove: ['x-goog-api-key'] },
  fromCompletion: (json, model) => geminiResponseFromOpenAI(json, { model }),
  stream: (model) => new OpenAIToGeminiStream(model),
  error: (status, body) => googleErrorFromProvider(status, body, 'the OpenAI backend'),
};

/**
 * Creates the Gemini → OpenAI translator for one request attempt: the `generateContent` body
 * becomes a chat completions body sent to `/<prefix>/chat/completions`; responses and streams
 * come back as Gemini `GenerateContentResponse`s.
 */
export function createGeminiToOpenAITranslator(
  options: GeminiToOpenAITranslatorOptions,
): Translator {
  return createChatUpstreamTranslator({ schema: options.schema, hooks });
}
