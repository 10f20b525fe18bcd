/**
 * The provider-neutral view the conformance suite works in: a case is written once as a
 * {@link NeutralRequest} and a {@link NeutralResponse}; codecs turn them into each dialect's wire
 * format and read what a translator produced back into this view.
 */

/** An image part: a URL or base64 data. */
export interface NeutralImage {
  /** `https://…` URL. */
  readonly url?: string;
  /** Inline image. */
  readonly base64?: { readonly mediaType: string; readonly data: string };
}

/** A tool call (arguments as an object). */
export interface NeutralToolCall {
  /** Call id. */
  readonly id: string;
  /** Function name. */
  readonly name: string;
  /** Arguments. */
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** One conversation turn. */
export interface NeutralMessage {
  /** Who speaks; `tool` carries one tool result. */
  readonly role: 'user' | 'assistant' | 'tool';
  /** Text content. */
  readonly text?: string;
  /** Images (user only). */
  readonly images?: readonly NeutralImage[];
  /** Tool calls (assistant only). */
  readonly toolCalls?: readonly NeutralToolCall[];
  /** For `tool`: the call this answers. */
  readonly toolCallId?: string;
  /** Assistant only: the reasoning of that turn, sent back (Anthropic needs its signature). */
  readonly reasoning?: NeutralReasoning;
}

/** Model reasoning (Anthropic thinking): its text and, where the provider signs it, the signature. */
export interface NeutralReasoning {
  /** The reasoning text. */
  readonly text: string;
  /** The provider's signature (Anthropic), if any. */
  readonly signature?: string | undefined;
}

/** A function tool. */
export interface NeutralTool {
  /** Name. */
  readonly name: string;
  /** Description. */
  readonly description: string;
  /** JSON schema of the arguments. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** A JSON schema the answer must match (OpenAI `response_format` `json_schema`). */
export interface NeutralResponseSchema {
  /** Schema name (OpenAI requires one). */
  readonly name: string;
  /** The JSON schema. */
  readonly schema: Readonly<Record<string, unknown>>;
}

/** Tool choice: a mode or one named tool. */
export type NeutralToolChoice = 'auto' | 'required' | 'none' | { readonly name: string };

/** A chat request in neutral terms. */
export interface NeutralRequest {
  /** Model name the client asks for. */
  readonly model: string;
  /** System prompt. */
  readonly system?: string;
  /** The conversation. */
  readonly messages: readonly NeutralMessage[];
  /** Output token limit. */
  readonly maxTokens?: number;
  /** Sampling temperature (0..1 so every provider can honour it). */
  readonly temperature?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Tools. */
  readonly tools?: readonly NeutralTool[];
  /** Tool choice. */
  readonly toolChoice?: NeutralToolChoice;
  /** Streaming. */
  readonly stream: boolean;
  /** Structured output: the answer must be JSON matching this schema. */
  readonly responseSchema?: NeutralResponseSchema;
  /** Raw extra fields per ingress dialect (for parameters a backend may not honour). */
  readonly extra?: {
    readonly openai?: Readonly<Record<string, unknown>>;
    readonly anthropic?: Readonly<Record<string, unknown>>;
  };
}

/** Why generation stopped, in neutral terms. */
export type NeutralFinish = 'stop' | 'length' | 'tool_calls';

/** Token usage: `input` includes `cached`. */
export interface NeutralUsage {
  /** Prompt tokens, cached included. */
  readonly input: number;
  /** Completion tokens. */
  readonly output: number;
  /** Prompt tokens read from cache. */
  readonly cached: number;
}

/** A provider error. */
export interface NeutralError {
  /** HTTP-ish status (429, 500, 529…). */
  readonly status: number;
  /** Message. */
  readonly message: string;
}

/** A model response in neutral terms (what the provider answers, and what the client must see). */
export interface NeutralResponse {
  /** Response id. */
  readonly id: string;
  /** Model the provider reports. */
  readonly model: string;
  /** Text content. */
  readonly text?: string;
  /** Tool calls (arguments as objects). */
  readonly toolCalls?: readonly NeutralToolCall[];
  /** Reasoning before the answer. */
  readonly reasoning?: NeutralReasoning;
  /** Why it stopped. */
  readonly finish: NeutralFinish;
  /** Usage. */
  readonly usage: NeutralUsage;
  /** Streams only: an error event sent after the text, ending the stream. */
  readonly streamError?: NeutralError;
  /**
   * Streams only: the body ends cleanly right after the text, before the provider's terminal
   * event (no finish reason, usage or end marker): a stream cut short.
   */
  readonly streamCut?: boolean;
}

/** What a client decoded from a translated response. */
export interface ClientView {
  /** Concatenated text. */
  readonly text: string;
  /** Tool calls with arguments parsed from the (re-assembled) JSON text. */
  readonly toolCalls: readonly NeutralToolCall[];
  /** Finish reason, if any. */
  readonly finish: NeutralFinish | undefined;
  /** Usage, if reported. */
  readonly usage: NeutralUsage | undefined;
  /** Error message, when the client saw an error (mid-stream). */
  readonly error: string | undefined;
  /** Streams only: how many error frames (events) the client saw. */
  readonly errorCount?: number;
  /** Reasoning the client saw, if any (signature `undefined` when its dialect has none). */
  readonly reasoning?: NeutralReasoning | undefined;
}

/** What the provider received, as far as the suite checks it. */
export interface UpstreamView {
  /** The model the provider will run (body or path). */
  readonly model: string;
  /** System prompt text. */
  readonly system: string | undefined;
  /** The conversation. */
  readonly messages: readonly NeutralMessage[];
  /** Output token limit. */
  readonly maxTokens: number | undefined;
  /** Temperature. */
  readonly temperature: number | undefined;
  /** Stop sequences. */
  readonly stop: readonly string[] | undefined;
  /** Tools. */
  readonly tools: readonly NeutralTool[] | undefined;
  /** Tool choice. */
  readonly toolChoice: NeutralToolChoice | undefined;
  /** Whether the provider will stream. */
  readonly stream: boolean;
  /** The JSON schema the provider constrains its answer to, if any. */
  readonly responseSchema: Readonly<Record<string, unknown>> | undefined;
}

/** A conformance check failed. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

/** JSON with object keys sorted, for order-insensitive comparison. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>).filter(
        ([, x]) => x !== undefined,
      );
      return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** Throws {@link ConformanceError} unless `actual` and `expected` are the same JSON. */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const a = canonicalJson(actual);
  const e = canonicalJson(expected);
  if (a !== e) {
    throw new ConformanceError(`${what}: expected ${e}, got ${a}`);
  }
}
