import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { RecordedRequest, UpstreamHandler } from '@aigw/testkit';
import {
  anthropicCountProblem,
  anthropicEvents,
  anthropicMessage,
  anthropicRender,
  anthropicRequestProblem,
  fakeInputTokenCount,
} from './anthropic-wire.js';
import {
  converseRequestProblem,
  converseResponse,
  converseStreamBody,
  invokeStreamBody,
  titanEmbeddingResponse,
} from './bedrock-wire.js';
import type { FakeTokenUsage } from './conversation.js';
import { jsonBody, sendJson, sendStream } from './http.js';
import { verifySigV4, type SigV4Expectation } from './sigv4-verifier.js';

/** Options of {@link fakeBedrock}. */
export interface FakeBedrockOptions {
  /** The credentials and scope a request must be signed with (service `bedrock`). */
  readonly credentials: Omit<SigV4Expectation, 'service'>;
  readonly usage: FakeTokenUsage;
}

/** The `anthropic_version` Bedrock requires in a Claude InvokeModel body. */
export const bedrockAnthropicVersion = 'bedrock-2023-05-31';

const pathPattern =
  /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$/;

function bedrockError(
  res: ServerResponse,
  status: number,
  error: { readonly type: string; readonly message: string },
): void {
  // Bedrock names the error in a header and puts only the message in the body.
  const errorType = `${error.type}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
  sendJson(res, { status, headers: { 'x-amzn-errortype': errorType } }, { message: error.message });
}

const validation = (message: string): { type: string; message: string } => ({
  type: 'ValidationException',
  message,
});

/** Why a Claude InvokeModel body is refused: Bedrock rejects keys it does not know. */
function claudeInvokeProblem(body: Record<string, unknown>): string | undefined {
  if (body.anthropic_version !== bedrockAnthropicVersion) {
    return `Malformed input request: anthropic_version must be ${bedrockAnthropicVersion}`;
  }
  for (const key of ['model', 'stream']) {
    if (key in body) {
      return `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`;
    }
  }
  return anthropicRequestProblem(body);
}

const eventStreamHeaders = (id: string): OutgoingHttpHeaders => ({
  'content-type': 'application/vnd.amazon.eventstream',
  'x-amzn-requestid': id,
});

/** Splits bytes into fixed-size slices so eventstream messages straddle write boundaries. */
function slices(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

interface BedrockCall {
  readonly op: string;
  readonly model: string;
  readonly body: Record<string, unknown>;
  readonly id: string;
}

async function serveConverse(
  call: BedrockCall,
  res: ServerResponse,
  usage: FakeTokenUsage,
): Promise<void> {
  const problem = converseRequestProblem(call.body);
  if (problem) {
    bedrockError(res, 400, validation(problem));
  } else if (call.op === 'converse') {
    const headers = { 'x-amzn-requestid': call.id };
    sendJson(res, { status: 200, headers }, converseResponse(call.body, usage));
  } else {
    const chunks = slices(converseStreamBody(call.body, usage), 61);
    await sendStream(res, chunks, eventStreamHeaders(call.id));
  }
}

async function serveInvoke(
  call: BedrockCall,
  res: ServerResponse,
  usage: FakeTokenUsage,
): Promise<void> {
  const headers = { 'x-amzn-requestid': call.id };
  if (call.op === 'invoke' && typeof call.body.inputText === 'string') {
    sendJson(res, { status: 200, headers }, titanEmbeddingResponse(call.body));
    return;
  }
  const problem = claudeInvokeProblem(call.body);
  if (problem) {
    bedrockError(res, 400, validation(problem));
    return;
  }
  const render = anthropicRender(call.body, { model: call.model, usage });
  if (call.op === 'invoke') {
    sendJson(res, { status: 200, headers }, anthropicMessage(render));
    return;
  }
  const body = invokeStreamBody(anthropicEvents(render), usage);
  await sendStream(res, slices(body, 97), eventStreamHeaders(call.id));
}

/** Words in the texts of Converse content blocks (`[{text}]`). */
function converseWords(blocks: unknown): number {
  if (!Array.isArray(blocks)) return 0;
  return blocks
    .map((block: { text?: unknown }) => (typeof block.text === 'string' ? block.text : ''))
    .join(' ')
    .split(/\s+/)
    .filter(Boolean).length;
}

/**
 * `CountTokens` with Converse input: `{"input":{"converse":{messages, system?, toolConfig?}}}` →
 * `{"inputTokens": n}`, one token per word of the system and message texts plus 10 per tool.
 */
function serveConverseCount(call: BedrockCall, converse: unknown, res: ServerResponse): void {
  const input = converse as { messages?: unknown; system?: unknown; toolConfig?: unknown };
  if (!Array.isArray(input.messages) || input.messages.length === 0) {
    bedrockError(
      res,
      400,
      validation('Malformed input request: input.converse.messages is required'),
    );
    return;
  }
  const messages = input.messages as { content?: unknown }[];
  const tools = (input.toolConfig as { tools?: unknown[] } | undefined)?.tools ?? [];
  const count =
    converseWords(input.system) +
    messages.reduce((sum, message) => sum + converseWords(message.content), 0) +
    10 * tools.length;
  sendJson(res, { status: 200, headers: { 'x-amzn-requestid': call.id } }, { inputTokens: count });
}

/**
 * `CountTokens` for a Claude InvokeModel body: `{"input":{"invokeModel":{"body": base64}}}` →
 * `{"inputTokens": n}` (see {@link fakeInputTokenCount}).
 */
function serveCountTokens(call: BedrockCall, res: ServerResponse): void {
  const converse = (call.body.input as { converse?: unknown } | undefined)?.converse;
  if (converse !== undefined) {
    serveConverseCount(call, converse, res);
    return;
  }
  const input = call.body.input as { invokeModel?: { body?: unknown } } | undefined;
  const encoded = input?.invokeModel?.body;
  const invoke = typeof encoded === 'string' ? jsonBody(Buffer.from(encoded, 'base64')) : undefined;
  const problem =
    invoke === undefined
      ? 'Malformed input request: input.invokeModel.body must be a base64 JSON body'
      : (claudeInvokeProblem(invoke) ?? anthropicCountProblem({ ...invoke, model: call.model }));
  if (problem !== undefined || invoke === undefined) {
    bedrockError(res, 400, validation(problem ?? 'invalid body'));
    return;
  }
  const headers = { 'x-amzn-requestid': call.id };
  sendJson(res, { status: 200, headers }, { inputTokens: fakeInputTokenCount(invoke) });
}

/**
 * A fake Bedrock runtime: Converse, ConverseStream (binary eventstream), and InvokeModel /
 * InvokeModelWithResponseStream for Claude (eventstream `chunk` events carrying base64 Anthropic
 * events), Titan embeddings, and CountTokens (a Claude InvokeModel body or Converse input).
 * Every request must carry a valid SigV4 signature for the configured key, region and service
 * `bedrock`, verified independently from the received bytes; otherwise it answers 403 with
 * Bedrock's error JSON and `x-amzn-errortype`.
 */
export function fakeBedrock(options: FakeBedrockOptions): UpstreamHandler {
  const expectation: SigV4Expectation = { ...options.credentials, service: 'bedrock' };
  return async (req: RecordedRequest, res: ServerResponse): Promise<void> => {
    const failure = verifySigV4(req, expectation);
    const match = pathPattern.exec(req.url);
    const body = jsonBody(req.body);
    if (failure) {
      bedrockError(res, 403, { type: failure.errorType, message: failure.message });
    } else if (req.method !== 'POST' || !match) {
      const message = `unknown operation ${req.url}`;
      bedrockError(res, 404, { type: 'UnknownOperationException', message });
    } else if (!body) {
      bedrockError(res, 400, validation('Malformed input request: invalid JSON'));
    } else {
      const op = match[2] ?? '';
      const call = { op, model: decodeURIComponent(match[1] ?? ''), body, id: randomUUID() };
      if (op === 'count-tokens') serveCountTokens(call, res);
      else
        await (op.startsWith('converse')
          ? serveConverse(call, res, options.usage)
          : serveInvoke(call, res, options.usage));
    }
  };
}
