/**
 * AWS Bedrock Converse / ConverseStream wire types (the subset the gateway produces and reads).
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/apischema/awsbedrock/awsbedrock.go
 */

/** A JSON object as sent on the wire. */
export type BedrockJson = Record<string, unknown>;

/** `ImageBlock`: bytes are base64 in JSON; Bedrock takes no image URLs. */
export interface BedrockImageBlock {
  readonly format: 'png' | 'jpeg' | 'gif' | 'webp';
  readonly source: { readonly bytes: string };
}

/** `ToolResultContentBlock` (text only here). */
export interface BedrockToolResultContent {
  readonly text: string;
}

/** `ReasoningContentBlock`: reasoning text with its signature, or redacted (base64) bytes. */
export type BedrockReasoningContent =
  | { readonly reasoningText: { readonly text: string; readonly signature?: string } }
  | { readonly redactedContent: string };

/** `ContentBlock`: a union, exactly one member set. */
export type BedrockContentBlock =
  | { readonly text: string }
  | { readonly image: BedrockImageBlock }
  | {
      readonly toolUse: {
        readonly toolUseId: string;
        readonly name: string;
        readonly input: unknown;
      };
    }
  | {
      readonly toolResult: {
        readonly toolUseId: string;
        readonly content: readonly BedrockToolResultContent[];
      };
    }
  | { readonly reasoningContent: BedrockReasoningContent }
  | { readonly cachePoint: { readonly type: 'default' } };

/** `Message`. */
export interface BedrockMessage {
  readonly role: 'user' | 'assistant';
  readonly content: BedrockContentBlock[];
}

/** `SystemContentBlock`. */
export type BedrockSystemBlock =
  { readonly text: string } | { readonly cachePoint: { readonly type: 'default' } };

/** `InferenceConfiguration`. */
export interface BedrockInferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: readonly string[];
}

/** `Tool` with a `ToolSpecification`. */
export interface BedrockTool {
  readonly toolSpec: {
    readonly name: string;
    readonly description?: string;
    readonly inputSchema: { readonly json: unknown };
  };
}

/** `ToolChoice`: a union of `auto`, `any` and `tool`. */
export type BedrockToolChoice =
  | { readonly auto: Record<string, never> }
  | { readonly any: Record<string, never> }
  | { readonly tool: { readonly name: string } };

/** A prompt-cache breakpoint: everything before it (tools, system, messages) is cached. */
export interface BedrockCachePoint {
  readonly cachePoint: { readonly type: 'default' };
}

/** `ToolConfiguration`; a cache point may follow a tool. */
export interface BedrockToolConfig {
  readonly tools: readonly (BedrockTool | BedrockCachePoint)[];
  readonly toolChoice?: BedrockToolChoice;
}

/**
 * `OutputConfig`: structured output. `textFormat.structure.jsonSchema.schema` is the JSON schema
 * as a string (Bedrock's type is a string, not an object).
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_OutputConfig.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_JsonSchemaDefinition.html
 */
export interface BedrockOutputConfig {
  readonly textFormat: {
    readonly type: 'json_schema';
    readonly structure: {
      readonly jsonSchema: {
        readonly schema: string;
        readonly name?: string;
        readonly description?: string;
      };
    };
  };
}

/** The Converse request body (`modelId` travels in the path). */
export interface BedrockConverseRequest {
  messages: BedrockMessage[];
  system?: BedrockSystemBlock[];
  inferenceConfig: BedrockInferenceConfig;
  toolConfig?: BedrockToolConfig;
  outputConfig?: BedrockOutputConfig;
  additionalModelRequestFields?: BedrockJson;
  serviceTier?: { readonly type: string };
}

/** `StopReason` values. */
export type BedrockStopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'guardrail_intervened'
  | 'content_filtered'
  | 'model_context_window_exceeded';

/** ConverseStream `:event-type` header values. */
export type BedrockStreamEventType =
  | 'messageStart'
  | 'contentBlockStart'
  | 'contentBlockDelta'
  | 'contentBlockStop'
  | 'messageStop'
  | 'metadata';
