import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

/** How one client call through the gateway ended, as the official SDK reported it. */
export type Outcome =
  | { kind: 'success'; text: string }
  /** An HTTP error status before any body (the SDK's APIError with a status). */
  | {
      kind: 'http-error';
      status: number;
      /** The error body's `type` (OpenAI's `error.type`, Anthropic's `error.type`). */
      type: string | undefined;
      retryAfter?: string | undefined;
      text: string;
    }
  /** An error inside a 200 stream (an error frame: the SDK's APIError without a status). */
  | { kind: 'stream-error'; message: string; text: string }
  /** The connection broke (APIConnectionError, or a socket error while reading a stream). */
  | { kind: 'connection-error'; message: string; text: string };

/** A call: which model, streamed or not, and the SDK's own retries (default none). */
export interface SdkCall {
  readonly model: string;
  readonly stream: boolean;
  readonly maxRetries?: number;
  /** The SDK's request timeout in ms (default the SDK's). */
  readonly timeoutMs?: number;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Classifies how an SDK call ended (both SDKs share the class shapes). */
export function outcomeOf(error: unknown, text: string): Outcome {
  if (error instanceof OpenAI.APIConnectionError || error instanceof Anthropic.APIConnectionError) {
    return { kind: 'connection-error', message: errorMessage(error), text };
  }
  if (error instanceof OpenAI.APIError || error instanceof Anthropic.APIError) {
    if (error.status === undefined) return { kind: 'stream-error', message: error.message, text };
    const headers: unknown = error.headers;
    const retryAfter = headers instanceof Headers ? headers.get('retry-after') : null;
    const status: unknown = error.status;
    const type: unknown = error.type;
    return {
      kind: 'http-error',
      status: Number(status),
      type: typeof type === 'string' ? type : undefined,
      retryAfter: retryAfter ?? undefined,
      text,
    };
  }
  // A socket error while iterating a stream surfaces as a plain error (e.g. `terminated`).
  return { kind: 'connection-error', message: errorMessage(error), text };
}

const messages = [{ role: 'user' as const, content: 'hi' }];

/** One chat completion with the `openai` client against `${baseUrl}/v1`. */
export async function callOpenAI(baseUrl: string, call: SdkCall): Promise<Outcome> {
  const sdk = new OpenAI({
    baseURL: `${baseUrl}/v1`,
    apiKey: 'client',
    maxRetries: call.maxRetries ?? 0,
    ...(call.timeoutMs === undefined ? {} : { timeout: call.timeoutMs }),
    ...(call.headers === undefined ? {} : { defaultHeaders: call.headers }),
  });
  let text = '';
  try {
    if (call.stream) {
      const parts = await sdk.chat.completions.create({
        model: call.model,
        stream: true,
        messages,
      });
      for await (const part of parts) text += part.choices[0]?.delta.content ?? '';
    } else {
      const answer = await sdk.chat.completions.create({ model: call.model, messages });
      text = answer.choices[0]?.message.content ?? '';
    }
    return { kind: 'success', text };
  } catch (error) {
    return outcomeOf(error, text);
  }
}

/** One message with `@anthropic-ai/sdk` against `baseUrl` (`/v1/messages`). */
export async function callAnthropic(baseUrl: string, call: SdkCall): Promise<Outcome> {
  const sdk = new Anthropic({
    baseURL: baseUrl,
    apiKey: 'client',
    maxRetries: call.maxRetries ?? 0,
    ...(call.timeoutMs === undefined ? {} : { timeout: call.timeoutMs }),
    ...(call.headers === undefined ? {} : { defaultHeaders: call.headers }),
  });
  const params = { model: call.model, max_tokens: 64, messages };
  let text = '';
  try {
    if (call.stream) {
      const events = sdk.messages.stream(params);
      events.on('text', (delta) => {
        text += delta;
      });
      await events.finalMessage();
    } else {
      const answer = await sdk.messages.create(params);
      text = answer.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    }
    return { kind: 'success', text };
  } catch (error) {
    return outcomeOf(error, text);
  }
}

/** Calls the gateway with the `openai` or the `@anthropic-ai/sdk` client. */
export function callWith(
  client: 'openai' | 'anthropic',
  baseUrl: string,
  call: SdkCall,
): Promise<Outcome> {
  return client === 'openai' ? callOpenAI(baseUrl, call) : callAnthropic(baseUrl, call);
}
