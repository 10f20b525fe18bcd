/**
 * @aigw/translator: pure translation between LLM API schemas. The extproc calls it on every
 * request; it has no dependencies and does no I/O, logging or environment reads.
 */
export type {
  BackendSchema,
  BackendSchemaName,
  CreateTranslatorOptions,
  Dialect,
  Endpoint,
  ErrorResponse,
  HeaderChanges,
  ParsedRequest,
  ResponseBodyResult,
  ResponseHeadersResult,
  ResponsesApiMode,
  TranslatedRequest,
  TranslateRequestOptions,
  Translator,
} from './translator.js';
export { backendSchemaNames, endpoints, noHeaderChanges } from './translator.js';
export type { EndpointLayout, EndpointPrefixErrorCode, EndpointPrefixes } from './endpoint.js';
export {
  createEndpointMatcher,
  defaultEndpointMatcher,
  defaultEndpointPrefixes,
  defaultRootPrefix,
  dialectForPath,
  dialectOf,
  EndpointMatcher,
  EndpointPrefixError,
  endpointForPath,
  isEndpointPrefixError,
  joinPath,
  parseEndpointPrefixes,
  parseRootPrefix,
} from './endpoint.js';
export { parseRequest } from './parse-request.js';
export type { ParseRequestOptions } from './parse-request.js';
export type { MultipartForm, MultipartPart } from './translator.js';
export type { MediaEndpoint, OpenAIMediaTranslatorOptions } from './audio/media-passthrough.js';
export {
  azureMediaPath,
  createAzureOpenAIMediaTranslator,
  createOpenAIMediaTranslator,
} from './audio/media-passthrough.js';
export { createTranslator, hasTranslator } from './registry.js';
export type { Usage } from './usage.js';
export { emptyUsage } from './usage.js';
export type {
  ClientError,
  TranslatorError,
  TranslatorErrorCode,
  UnsupportedSchemaErrorOptions,
} from './errors.js';
export {
  InvalidRequestBodyError,
  isTranslatorError,
  isUserFacing,
  MalformedRequestError,
  MalformedResponseError,
  malformedResponseMessage,
  toClientError,
  UnsupportedSchemaError,
} from './errors.js';
export type { AnthropicErrorType, ErrorBodyOptions, OpenAIErrorType } from './error-body.js';
export { errorBody, errorTypeForStatus } from './error-body.js';
export type { OpenAIEndpoint, OpenAIToOpenAITranslatorOptions } from './openai/openai.js';
export { createOpenAIToOpenAITranslator } from './openai/openai.js';
export type { OpenAIToAzureOpenAITranslatorOptions } from './openai/azureopenai.js';
export { azureOpenAIPath, createOpenAIToAzureOpenAITranslator } from './openai/azureopenai.js';
export type { OpenAIToAwsBedrockTranslatorOptions } from './openai/awsbedrock.js';
export { createOpenAIToAwsBedrockTranslator } from './openai/awsbedrock.js';
export type { OpenAIToGcpVertexAiTranslatorOptions } from './openai/gcpvertexai.js';
export { createOpenAIToGcpVertexAiTranslator, gcpVertexAiPath } from './openai/gcpvertexai.js';
export type { OpenAIToAwsBedrockEmbeddingsTranslatorOptions } from './openai/awsbedrock-embeddings.js';
export { createOpenAIToAwsBedrockEmbeddingsTranslator } from './openai/awsbedrock-embeddings.js';
export type { OpenAIToGcpVertexAiEmbeddingsTranslatorOptions } from './openai/gcpvertexai-embeddings.js';
export { createOpenAIToGcpVertexAiEmbeddingsTranslator } from './openai/gcpvertexai-embeddings.js';
export type { GcpLocation } from './translator.js';
export type { OpenAIToAnthropicTranslatorOptions } from './openai/anthropic.js';
export { createOpenAIToAnthropicTranslator } from './openai/anthropic.js';
export type { OpenAIToGcpAnthropicTranslatorOptions } from './openai/gcpanthropic.js';
export { createOpenAIToGcpAnthropicTranslator, gcpAnthropicPath } from './openai/gcpanthropic.js';
export type { OpenAIToAwsAnthropicTranslatorOptions } from './openai/awsanthropic.js';
export { awsAnthropicPath, createOpenAIToAwsAnthropicTranslator } from './openai/awsanthropic.js';
export type { AnthropicToAnthropicTranslatorOptions } from './anthropic/anthropic.js';
export { createAnthropicToAnthropicTranslator } from './anthropic/anthropic.js';
export type { AnthropicToGcpAnthropicTranslatorOptions } from './anthropic/gcpanthropic.js';
export { createAnthropicToGcpAnthropicTranslator } from './anthropic/gcpanthropic.js';
export type { AnthropicToAwsAnthropicTranslatorOptions } from './anthropic/awsanthropic.js';
export { createAnthropicToAwsAnthropicTranslator } from './anthropic/awsanthropic.js';
export type { AnthropicToOpenAITranslatorOptions } from './anthropic/openai.js';
export { createAnthropicToOpenAITranslator } from './anthropic/openai.js';
export type { ResponsesToChatTranslatorOptions } from './responses/chat.js';
export { createResponsesToChatTranslator } from './responses/chat.js';
export { servesResponsesApi } from './responses/openai.js';
export type { ResponsesInputTokensTranslatorOptions } from './responses/input-tokens.js';
export { createResponsesInputTokensTranslator } from './responses/input-tokens.js';
export type { TokenizeTranslatorOptions } from './tokenize/tokenize.js';
export { createTokenizeTranslator } from './tokenize/tokenize.js';
export type { CohereToCohereRerankTranslatorOptions } from './cohere/rerank.js';
export { createCohereToCohereRerankTranslator } from './cohere/rerank.js';
export { defaultAnthropicMaxTokens } from './anthropic/openai-request.js';
export type {
  EventStreamHeaderValue,
  EventStreamMessage,
  EventStreamMessageInit,
} from './shared/aws-eventstream.js';
export {
  crc32,
  encodeEventStreamMessage,
  EventStreamDecoder,
  EventStreamError,
} from './shared/aws-eventstream.js';
export type { GeminiToGcpVertexAiTranslatorOptions } from './gemini/gcpvertexai.js';
export { createGeminiToGcpVertexAiTranslator, vertexGeminiPath } from './gemini/gcpvertexai.js';
export type { GeminiToOpenAITranslatorOptions } from './gemini/openai.js';
export { createGeminiToOpenAITranslator } from './gemini/openai.js';
export type { GeminiEndpoint, GeminiMethod, GeminiPath } from './gemini/path.js';
export { isGeminiEndpoint, parseGeminiPath } from './gemini/path.js';
export { geminiStreamErrorFrame } from './gemini/error.js';
