/**
 * @aigw/translator: pure translation between LLM API schemas. The extproc calls it on every
 * request; it depends on zod only and does no I/O, logging or environment reads.
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
  TranslatedRequest,
  TranslateRequestOptions,
  Translator,
} from './translator.js';
export { backendSchemaNames, endpoints, noHeaderChanges } from './translator.js';
export { dialectForPath, dialectOf, endpointForPath } from './endpoint.js';
export { parseRequest } from './parse-request.js';
export { createTranslator, hasTranslator } from './registry.js';
export type { Usage } from './usage.js';
export { emptyUsage } from './usage.js';
export type {
  TranslatorError,
  TranslatorErrorCode,
  UnsupportedSchemaErrorOptions,
} from './errors.js';
export {
  InvalidRequestBodyError,
  isTranslatorError,
  isUserFacing,
  MalformedRequestError,
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
