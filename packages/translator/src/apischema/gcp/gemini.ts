/**
 * Vertex AI Gemini `generateContent` wire types (the subset the gateway produces and reads).
 *
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/projects.locations.publishers.models/generateContent
 * @see https://github.com/envoyproxy/ai-gateway/tree/main/internal/apischema/gcp
 */

/** A JSON object as sent on the wire. */
export type GeminiJson = Record<string, unknown>;

/** `Part`: exactly one data member (text, inlineData, fileData, functionCall, functionResponse). */
export interface GeminiPart {
  text?: string;
  /** The part is a thought summary (reasoning), not answer text. */
  thought?: boolean;
  /** Opaque base64 signature that must be sent back with the part it came with. */
  thoughtSignature?: string;
  inlineData?: { readonly mimeType: string; readonly data: string };
  fileData?: { readonly mimeType: string; readonly fileUri: string };
  functionCall?: { readonly name: string; readonly args: GeminiJson };
  functionResponse?: { readonly name: string; readonly response: GeminiJson };
  /** Per-part media resolution (Gemini 3). */
  mediaResolution?: { readonly level: string };
}

/** `Content`: a turn. */
export interface GeminiContent {
  readonly role: 'user' | 'model';
  readonly parts: GeminiPart[];
}

/** `FunctionDeclaration`. */
export interface GeminiFunctionDeclaration {
  readonly name: string;
  readonly description?: string;
  /** OpenAPI-subset schema (older models). */
  readonly parameters?: GeminiJson;
  /** Full JSON Schema (Gemini 2.5 and later). */
  readonly parametersJsonSchema?: GeminiJson;
}

/** `ToolConfig.functionCallingConfig`. */
export interface GeminiFunctionCallingConfig {
  readonly mode: 'AUTO' | 'ANY' | 'NONE';
  readonly allowedFunctionNames?: readonly string[];
}

/** `ThinkingConfig`. */
export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  thinkingLevel?: 'MINIMAL' | 'LOW' | 'MEDIUM' | 'HIGH';
}

/** `GenerationConfig`. */
export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  candidateCount?: number;
  maxOutputTokens?: number;
  stopSequences?: readonly string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseLogprobs?: boolean;
  logprobs?: number;
  responseMimeType?: string;
  responseSchema?: GeminiJson;
  responseJsonSchema?: GeminiJson;
  thinkingConfig?: GeminiThinkingConfig;
}

/** The `generateContent` / `streamGenerateContent` request body. */
export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: { readonly parts: GeminiPart[] };
  tools?: { readonly functionDeclarations: GeminiFunctionDeclaration[] }[];
  toolConfig?: { readonly functionCallingConfig: GeminiFunctionCallingConfig };
  generationConfig: GeminiGenerationConfig;
}
