/**
 * `@aigw/translator/testing`: the shared conformance suite (neutral cases, dialect codecs,
 * pair adapters) and the matrix renderer, for translator authors and the docs generator.
 * Framework-free: failures are thrown `ConformanceError`s, so any test runner can drive it.
 */
export type {
  BackendCodec,
  CaseOutcome,
  ConformanceCase,
  ConformancePair,
  ConformanceSkip,
  IngressCodec,
  WireResponse,
} from './conformance.js';
export { conformanceCases, runConformance, runConformanceCase, skipReason } from './conformance.js';
export type { ResponseCheck } from './cases.js';
export type {
  ClientView,
  NeutralError,
  NeutralFinish,
  NeutralImage,
  NeutralMessage,
  NeutralReasoning,
  NeutralRequest,
  NeutralResponse,
  NeutralResponseSchema,
  NeutralTool,
  NeutralToolCall,
  NeutralToolChoice,
  NeutralUsage,
  UpstreamView,
} from './neutral.js';
export { assertEqual, canonicalJson, ConformanceError } from './neutral.js';
export type { AnthropicPlatform } from './anthropic-codec.js';
export {
  anthropicBackend,
  anthropicEvents,
  anthropicIngress,
  anthropicRequestBody,
  anthropicSse,
  bedrockEventStream,
} from './anthropic-codec.js';
export { bedrockBackend } from './bedrock-codec.js';
export { geminiBackend } from './gemini-codec.js';
export { openAIBackend, openAIIngress, openAIRequestBody } from './openai-codec.js';
export { conformancePairs } from './pairs.js';
export { renderMatrix } from './matrix.js';
