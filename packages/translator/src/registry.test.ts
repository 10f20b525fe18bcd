import { describe, expect, it } from 'vitest';
import { UnsupportedSchemaError } from './errors.js';
import { createTranslator, hasTranslator } from './registry.js';
import {
  backendSchemaNames,
  endpoints,
  type BackendSchemaName,
  type Endpoint,
} from './translator.js';

const supported = new Set<string>([
  'chat-completions/OpenAI',
  'completions/OpenAI',
  'embeddings/OpenAI',
  'chat-completions/AzureOpenAI',
  'completions/AzureOpenAI',
  'embeddings/AzureOpenAI',
  'chat-completions/AWSBedrock',
  'chat-completions/GCPVertexAI',
  'embeddings/AWSBedrock',
  'embeddings/GCPVertexAI',
  'chat-completions/Anthropic',
  'chat-completions/GCPAnthropic',
  'chat-completions/AWSAnthropic',
  'messages/Anthropic',
  'messages/GCPAnthropic',
  'messages/AWSAnthropic',
  'messages/OpenAI',
  // `/v1/messages/count_tokens` where the provider counts Claude tokens.
  'count-tokens/Anthropic',
  'count-tokens/GCPAnthropic',
  'count-tokens/AWSAnthropic',
  'count-tokens/AWSBedrock',
  // Anthropic messages → Bedrock Converse.
  'messages/AWSBedrock',
  // OpenAI's media endpoints: OpenAI and Azure OpenAI (upstream: OpenAI only).
  'image-generations/OpenAI',
  'image-generations/AzureOpenAI',
  'audio-speech/OpenAI',
  'audio-speech/AzureOpenAI',
  'audio-transcriptions/OpenAI',
  'audio-transcriptions/AzureOpenAI',
  'audio-translations/OpenAI',
  'audio-translations/AzureOpenAI',
  // `/v1/responses` chains onto every chat translator.
  'responses/OpenAI',
  'responses/AzureOpenAI',
  'responses/AWSBedrock',
  'responses/GCPVertexAI',
  'responses/Anthropic',
  'responses/GCPAnthropic',
  'responses/AWSAnthropic',
  // Google's native Gemini API: Gemini on Vertex AI, and OpenAI for generateContent (countTokens
  // to OpenAI is answered by the extproc's local estimate, not a translator).
  'gemini-generate-content/GCPVertexAI',
  'gemini-generate-content/OpenAI',
  'gemini-count-tokens/GCPVertexAI',
  // `/v1/responses/input_tokens`: OpenAI and Azure passed through, the count APIs via chat.
  'responses-input-tokens/OpenAI',
  'responses-input-tokens/AzureOpenAI',
  'responses-input-tokens/AWSBedrock',
  'responses-input-tokens/GCPVertexAI',
  'responses-input-tokens/Anthropic',
  'responses-input-tokens/GCPAnthropic',
  'responses-input-tokens/AWSAnthropic',
  // `/tokenize` (vLLM): upstream's five.
  'tokenize/OpenAI',
  'tokenize/AWSBedrock',
  'tokenize/GCPVertexAI',
  'tokenize/GCPAnthropic',
  'tokenize/AWSAnthropic',
  // Cohere rerank.
  'rerank/Cohere',
]);

const pairs = endpoints.flatMap((endpoint) =>
  backendSchemaNames.map((name) => ({ endpoint, name })),
) satisfies { endpoint: Endpoint; name: BackendSchemaName }[];

describe('createTranslator', () => {
  it.each(pairs)('$endpoint → $name', ({ endpoint, name }) => {
    const options = { endpoint, schema: { name } };
    if (supported.has(`${endpoint}/${name}`)) {
      expect(hasTranslator(options)).toBe(true);
      const translator = createTranslator(options);
      expect(typeof translator.request).toBe('function');
      return;
    }
    expect(hasTranslator(options)).toBe(false);
    expect(() => createTranslator(options)).toThrow(UnsupportedSchemaError);
    expect(() => createTranslator(options)).toThrow(`"${endpoint}" to backend schema "${name}"`);
  });

  it('passes the schema prefix to the translator', () => {
    const translator = createTranslator({
      endpoint: 'embeddings',
      schema: { name: 'OpenAI', prefix: 'openai' },
    });
    const raw = new TextEncoder().encode('{"model":"e","input":"x"}');
    const request = {
      endpoint: 'embeddings',
      raw,
      body: { model: 'e', input: 'x' },
      model: 'e',
      stream: false,
    } as const;
    expect(translator.request({ request, path: '/v1/embeddings' }).path).toBe('/openai/embeddings');
  });
});
