/**
 * OpenAI chat completion → OpenAI Responses `Response` object, and the pieces the stream
 * translator shares: ids, status, usage and the request fields a `Response` echoes.
 *
 * @see https://platform.openai.com/docs/api-reference/responses/object
 */
import { isJsonObject, type JsonObject } from '../shared/json.js';
import { usageFromOpenAI } from '../shared/openai-usage.js';
import type { Usage } from '../usage.js';
import { customToolInputOf } from './custom-tool-input.js';
import type { NamespacedTool } from './to-chat-request.js';

/** What a `Response` says about its request, fixed when the request is translated. */
export interface ResponseContext {
  /** The model the client asked for (used when the provider names none). */
  readonly model: string;
  /** Request fields a `Response` echoes (instructions, tools, tool_choice, …). */
  readonly echo: Readonly<JsonObject>;
  /** Seconds since the epoch, when the provider gives no `created`. */
  readonly now: () => number;
  /** The request's `custom` tools: a chat call of one becomes a `custom_tool_call` item. */
  readonly customTools: ReadonlySet<string>;
  /** The request's namespaced tools by chat name: their calls name the namespace again. */
  readonly namespacedTools: ReadonlyMap<string, NamespacedTool>;
}

/** A call's tool as the client declared it: its own name, and its namespace if it has one. */
export function declaredToolName(
  context: ResponseContext,
  chatName: string,
): { readonly name: string; readonly namespace?: string } {
  return context.namespacedTools.get(chatName) ?? { name: chatName };
}

/** The request fields echoed in every `Response`, with the API's defaults. */
export function responseEcho(body: Readonly<JsonObject>): JsonObject {
  const pick = (key: string, fallback: unknown): unknown => body[key] ?? fallback;
  return {
    instructions: pick('instructions', null),
    max_output_tokens: pick('max_output_tokens', null),
    metadata: pick('metadata', {}),
    parallel_tool_calls: pick('parallel_tool_calls', true),
    previous_response_id: null,
    reasoning: isJsonObject(body.reasoning)
      ? { effort: body.reasoning.effort ?? null, summary: body.reasoning.summary ?? null }
      : { effort: null, summary: null },
    // Nothing is stored: the gateway has no response store.
    store: false,
    temperature: pick('temperature', null),
    text: isJsonObject(body.text) ? body.text : { format: { type: 'text' } },
    tool_choice: pick('tool_choice', 'auto'),
    tools: pick('tools', []),
    top_p: pick('top_p', null),
    truncation: pick('truncation', 'disabled'),
    user: pick('user', null),
  };
}

/** Ids derived from the provider's completion id, so one answer always gets the same ids. */
export interface ResponseIds {
  readonly response: string;
  readonly message: string;
  readonly reasoning: string;
}

/** The Responses ids for a chat completion id (a fresh UUID when the provider sent none). */
export function responseIds(chatId: unknown): ResponseIds {
  const base =
    typeof chatId === 'string' && chatId !== '' ? chatId : globalThis.crypto.randomUUID();
  return { response: `resp_${base}`, message: `msg_${base}`, reasoning: `rs_${base}` };
}

/** A function call item's id: stable for the call id. */
export function functionCallItemId(callId: string): string {
  return `fc_${callId}`;
}

/** A custom tool call item's id: stable for the call id. */
export function customToolCallItemId(callId: string): string {
  return `ctc_${callId}`;
}

/** The `Response.status` and `incomplete_details` for a chat `finish_reason`. */
export function statusOf(finishReason: unknown): {
  readonly status: 'completed' | 'incomplete';
  readonly incomplete_details: JsonObject | null;
} {
  switch (finishReason) {
    case 'length':
      return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
    case 'content_filter':
      return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
    default:
      return { status: 'completed', incomplete_details: null };
  }
}

/** Gateway usage as a Responses `usage` object (`input_tokens` includes cached ones). */
export function responsesUsage(usage: Usage | undefined): JsonObject | null {
  if (usage === undefined) return null;
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.totalTokens,
  };
}

/** The fields a `Response` object has around its output. */
export function responseObject(options: {
  readonly context: ResponseContext;
  readonly ids: ResponseIds;
  readonly createdAt: number;
  readonly model: string;
  readonly status: string;
  readonly output: readonly JsonObject[];
  readonly extra?: JsonObject;
}): JsonObject {
  const { context, ids, createdAt, model, status, output, extra } = options;
  return {
    id: ids.response,
    object: 'response',
    created_at: createdAt,
    status,
    error: null,
    incomplete_details: null,
    model,
    output,
    usage: null,
    ...context.echo,
    ...extra,
  };
}

/** A finished reasoning item (chat `reasoning_content` is the model's raw reasoning text). */
export function reasoningItem(id: string, text: string): JsonObject {
  return { type: 'reasoning', id, summary: [], content: [{ type: 'reasoning_text', text }] };
}

/** An assistant message item. */
export function messageItem(
  id: string,
  content: readonly JsonObject[],
  status: string,
): JsonObject {
  return { type: 'message', id, status, role: 'assistant', content };
}

/** An `output_text` content part. */
export function outputText(text: string): JsonObject {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

/** A function call item. */
export function functionCallItem(call: {
  readonly callId: string;
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly args: string;
  readonly status: string;
}): JsonObject {
  return {
    type: 'function_call',
    id: functionCallItemId(call.callId),
    call_id: call.callId,
    name: call.name,
    ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
    arguments: call.args,
    status: call.status,
  };
}

/** A custom tool call item (`input` is the free-form text, see `custom-tool-input.ts`). */
export function customToolCallItem(call: {
  readonly callId: string;
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly input: string;
  readonly status: string;
}): JsonObject {
  return {
    type: 'custom_tool_call',
    id: customToolCallItemId(call.callId),
    call_id: call.callId,
    name: call.name,
    ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
    input: call.input,
    status: call.status,
  };
}

/** The `output_text` and `refusal` parts of a chat assistant message. */
function messageContent(message: JsonObject): JsonObject[] {
  const content: JsonObject[] = [];
  if (typeof message.content === 'string' && message.content !== '') {
    content.push(outputText(message.content));
  }
  if (typeof message.refusal === 'string' && message.refusal !== '') {
    content.push({ type: 'refusal', refusal: message.refusal });
  }
  return content;
}

/** The function and custom tool call items of a chat assistant message. */
function toolCallItems(message: JsonObject, context: ResponseContext): JsonObject[] {
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as unknown[]) : [];
  return calls.flatMap((call) => {
    if (!isJsonObject(call) || !isJsonObject(call.function)) return [];
    const fn = call.function;
    const callId = typeof call.id === 'string' ? call.id : '';
    const chatName = typeof fn.name === 'string' ? fn.name : '';
    const tool = declaredToolName(context, chatName);
    if (context.customTools.has(chatName)) {
      const args = typeof fn.arguments === 'string' ? fn.arguments : '';
      const input = customToolInputOf(args);
      return [customToolCallItem({ callId, ...tool, input, status: 'completed' })];
    }
    const args = typeof fn.arguments === 'string' ? fn.arguments : '{}';
    return [functionCallItem({ callId, ...tool, args, status: 'completed' })];
  });
}

/** The output items of a chat assistant message: reasoning, message, tool calls. */
function outputItems(
  message: JsonObject,
  ids: ResponseIds,
  options: { readonly status: string; readonly context: ResponseContext },
): JsonObject[] {
  const { status, context } = options;
  const items: JsonObject[] = [];
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') {
    items.push(reasoningItem(ids.reasoning, reasoning));
  }
  const content = messageContent(message);
  if (content.length > 0) items.push(messageItem(ids.message, content, status));
  return [...items, ...toolCallItems(message, context)];
}

/** Converts a parsed chat completion to a Responses `Response` and the gateway usage. */
export function responseFromChat(
  completion: JsonObject,
  context: ResponseContext,
): { readonly json: JsonObject; readonly usage: Usage | undefined } {
  const choice: unknown = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
  const message = isJsonObject(choice) && isJsonObject(choice.message) ? choice.message : {};
  const usage = usageFromOpenAI(completion.usage);
  const ids = responseIds(completion.id);
  const { status, incomplete_details } = statusOf(
    isJsonObject(choice) ? choice.finish_reason : undefined,
  );
  const json = responseObject({
    context,
    ids,
    createdAt: typeof completion.created === 'number' ? completion.created : context.now(),
    model: typeof completion.model === 'string' ? completion.model : context.model,
    status,
    output: outputItems(message, ids, { status, context }),
    extra: { incomplete_details, usage: responsesUsage(usage) },
  });
  return { json, usage };
}
