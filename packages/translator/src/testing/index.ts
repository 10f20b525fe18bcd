/**
 * `@aigw/translator/testing`: the shared conformance suite (neutral cases, dialect codecs,
 * pair adapters) and the matrix renderer, for translator authors and the docs generator.
 * Framework-free: failures are thrown `ConformanceError`s, so any test runner can drive it.
 */
export type {
  BackendCodec,
  CaseOutcome,
  ConformanceCase,
  FedResponse,
  ConformancePair,
  ConformanceSkip,
  IngressCodec,
  WireResponse,
} from './conformance.js';
export {
  conformanceCases,
  feedChunked,
  runConformance,
  runConformanceCase,
  skipReason,
} from './conformance.js';
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
export { geminiIngress, geminiIngressPath, geminiRequestBody } from './gemini-ingress-codec.js';
export type {
  GeminiCountRequest,
  GeminiCountResponse,
  GeminiCountUpstream,
  GeminiCountView,
} from './gemini-count-suite.js';
export { geminiCountSuite } from './gemini-count-suite.js';
export { openAIBackend, openAIIngress, openAIRequestBody } from './openai-codec.js';
export { responsesIngress, responsesRequestBody } from './responses-codec.js';
export { conformancePairs } from './pairs.js';
export { chatSections, matrixSections, renderMatrix } from './matrix.js';
export type {
  AnySuite,
  CaseInfo,
  EndpointSuite,
  MatrixColumn,
  MatrixSection,
  SuiteBackend,
  SuiteCase,
  SuiteCheck,
  SuiteIngress,
  SuitePair,
  WireError,
} from './suite.js';
export { runSuiteCase, suiteSection } from './suite.js';
export type {
  EmbeddingsRequest,
  EmbeddingsResponse,
  EmbeddingsUpstream,
  EmbeddingsView,
} from './embeddings-suite.js';
export { decodeBase64Vector, embeddingsCases } from './embeddings-suite.js';
export { embeddingsSuite } from './embeddings-backends.js';
export type {
  CompletionsRequest,
  CompletionsResponse,
  CompletionsUpstream,
  CompletionsView,
} from './completions-suite.js';
export { completionsCases, completionsSuite } from './completions-suite.js';
export type {
  CountRequest,
  CountResponse,
  CountUpstream,
  CountView,
  RerankRequest,
  RerankResponse,
  RerankView,
} from './count-suites.js';
export { countTokensSuite, inputTokensSuite, rerankSuite, tokenizeSuite } from './count-suites.js';
export { sideBySide, upstreamRows } from './upstream-matrix.js';
export type {
  MediaAnswer,
  MediaCase,
  MediaPair,
  MediaRequest,
  MediaSuite,
} from './media-suites.js';
export { mediaSection, mediaSuites, runMediaOutcome } from './media-suites.js';
