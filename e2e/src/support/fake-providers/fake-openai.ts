import type { ServerResponse } from 'node:http';
import type { RecordedRequest, UpstreamHandler } from '@aigw/testkit';
import {
  answer,
  argumentPieces,
  arrayOf,
  embeddingOf,
  isObject,
  pieces,
  textOf,
  type Answer,
  type Conversation,
  type FakeTokenUsage,
} from './conversation.js';
import { headerOf, jsonBody, sendJson, sendStream, sseHeaders } from './http.js';
import { mediaOperations, serveMedia, type MediaOperation } from './fake-openai-media.js';
import { responsesState, serveResponses, type ResponsesState } from './fake-openai-responses.js';

const isMediaOperation = (operation: string | undefined): operation is MediaOperation =>
  (mediaOperations as readonly (string | undefined)[]).includes(operation);

/** Options of {@link fakeOpenAI}. */
export interface FakeOpenAIOptions {
  /** The key accepted as `authorization: Bearer` on `/v1/…` (OpenAI). */
  readonly apiKey: string;
  /** The key accepted as `api-key` on `/openai/deployments/…` (Azure OpenAI). */
  readonly azureApiKey: string;
  /**
   * Entra ID access tokens accepted as `authorization: Bearer` on `/openai/deployments/…`, besides
   * the key (e.g. a fake Entra ID's `issued.isValid`, for tokens that rotate).
   */
  readonly azureAccessToken?: (token: string) => boolean;
  readonly usage: FakeTokenUsage;
}

/** The id every fake tool call carries; a tool message must answer it. */
export const openAIToolCallId = 'call_FakeToolCall0001';

const openAIPath =
  /^\/v1\/(chat\/completions|completions|embeddings|images\/generations|audio\/(?:speech|transcriptions|translations))$/;
const azurePath =
  /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings|images\/generations|audio\/(?:speech|transcriptions|translations))$/;

function openAIError(
  res: ServerResponse,
  status: number,
  error: { message: string; type: string; code: string | null },
): void {
  sendJson(res, status, { error: { ...error, param: null } });
}

/** Reads a chat completions request into a {@link Conversation}, plus the tool message's id. */
function chatConversation(
  body: Record<string, unknown>,
): Conversation & { toolResultId: string | undefined } {
  let userText = '';
  let toolResult: string | undefined;
  let toolResultId: string | undefined;
  for (const message of arrayOf(body.messages)) {
    if (!isObject(message)) continue;
    if (message.role === 'user') userText = textOf(message.content) || userText;
    if (message.role === 'tool') {
      toolResult = textOf(message.content);
      toolResultId = String(message.tool_call_id);
    }
  }
  const toolNames = arrayOf(body.tools).flatMap((tool) =>
    isObject(tool) && isObject(tool.function) && typeof tool.function.name === 'string'
      ? [tool.function.name]
      : [],
  );
  return { userText, toolResult, toolResultId, toolNames };
}

function usageOf(usage: FakeTokenUsage): object {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
  };
}

const finishReason = (a: Answer): string => (a.kind === 'text' ? 'stop' : 'tool_calls');

function completion(a: Answer, model: string, usage: FakeTokenUsage): object {
  const message =
    a.kind === 'text'
      ? { role: 'assistant', content: a.text, refusal: null }
      : {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [
            {
              id: openAIToolCallId,
              type: 'function',
              function: { name: a.name, arguments: JSON.stringify(a.arguments) },
            },
          ],
        };
  return {
    id: 'chatcmpl-fake-0001',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message, finish_reason: finishReason(a), logprobs: null }],
    usage: usageOf(usage),
  };
}

function streamFrames(
  a: Answer,
  options: { model: string; usage: FakeTokenUsage; includeUsage: boolean },
): string[] {
  const base = {
    id: 'chatcmpl-fake-0001',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: options.model,
  };
  const chunk = (delta: object, finish: string | null = null): object => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  const deltas: object[] =
    a.kind === 'text'
      ? pieces(a.text, 6).map((content) => ({ content }))
      : [
          {
            tool_calls: [
              {
                index: 0,
                id: openAIToolCallId,
                type: 'function',
                function: { name: a.name, arguments: '' },
              },
            ],
          },
          ...argumentPieces(a.arguments).map((args) => ({
            tool_calls: [{ index: 0, function: { arguments: args } }],
          })),
        ];
  const frames = [
    chunk({ role: 'assistant', content: a.kind === 'text' ? '' : null }),
    ...deltas.map((delta) => chunk(delta)),
    chunk({}, finishReason(a)),
  ];
  if (options.includeUsage) frames.push({ ...base, choices: [], usage: usageOf(options.usage) });
  return [...frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`), 'data: [DONE]\n\n'];
}

/** Float32 little-endian in base64, as OpenAI encodes `encoding_format: "base64"`. */
function base64Vector(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

function embeddings(body: Record<string, unknown>, model: string): object {
  const inputs = typeof body.input === 'string' ? [body.input] : arrayOf(body.input).map(String);
  const isBase64 = body.encoding_format === 'base64';
  const tokens = inputs.reduce((n, text) => n + text.split(/\s+/).filter(Boolean).length, 0);
  return {
    object: 'list',
    data: inputs.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: isBase64 ? base64Vector(embeddingOf(text)) : embeddingOf(text),
    })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/**
 * The legacy completions answer: the fake model's text for the prompt, cut to `max_tokens` words
 * (then `finish_reason: "length"` and that many completion tokens).
 */
function textCompletion(
  body: Record<string, unknown>,
  usage: FakeTokenUsage,
): { text: string; finish: 'stop' | 'length'; usage: object } {
  const full = answer({ userText: textOf(body.prompt), toolResult: undefined, toolNames: [] });
  const text = full.kind === 'text' ? full.text : '';
  const words = text.split(' ');
  const limit = typeof body.max_tokens === 'number' ? body.max_tokens : Number.POSITIVE_INFINITY;
  if (words.length <= limit) return { text, finish: 'stop', usage: usageOf(usage) };
  return {
    text: words.slice(0, limit).join(' '),
    finish: 'length',
    usage: usageOf({ input: usage.input, output: limit }),
  };
}

/**
 * `/v1/completions` as OpenAI serves it: a `text_completion` object, or SSE chunks with
 * `choices[].text`, the finish reason in the last choice chunk, and (only with
 * `stream_options.include_usage`) `usage: null` on every chunk then a usage-only chunk.
 */
function serveCompletions(
  body: Record<string, unknown>,
  res: ServerResponse,
  options: { model: string; usage: FakeTokenUsage },
): void | Promise<void> {
  const result = textCompletion(body, options.usage);
  const base = {
    id: 'cmpl-fake-0001',
    object: 'text_completion',
    created: 1_700_000_000,
    model: options.model,
    system_fingerprint: null,
  };
  const choice = (text: string, finish: string | null): object[] => [
    { text, index: 0, logprobs: null, finish_reason: finish },
  ];
  if (body.stream !== true) {
    sendJson(res, 200, {
      ...base,
      choices: choice(result.text, result.finish),
      usage: result.usage,
    });
    return;
  }
  const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
  const head = includeUsage ? { ...base, usage: null } : base;
  const frames: object[] = [
    ...pieces(result.text, 6).map((text) => ({ ...head, choices: choice(text, null) })),
    { ...head, choices: choice('', result.finish) },
  ];
  if (includeUsage) frames.push({ ...base, choices: [], usage: result.usage });
  const sse = [...frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`), 'data: [DONE]\n\n'];
  return sendStream(res, sse, sseHeaders);
}

function authProblem(
  req: RecordedRequest,
  options: FakeOpenAIOptions,
  isAzure: boolean,
): string | undefined {
  if (isAzure) {
    const bearer = /^Bearer (\S+)$/.exec(headerOf(req.headers, 'authorization') ?? '')?.[1];
    const tokenAccepted = bearer !== undefined && options.azureAccessToken?.(bearer) === true;
    if (!tokenAccepted && headerOf(req.headers, 'api-key') !== options.azureApiKey) {
      return 'Access denied due to invalid subscription key or wrong API endpoint.';
    }
    return new URL(req.url, 'http://azure.test').searchParams.get('api-version')
      ? undefined
      : 'Missing api-version query parameter.';
  }
  return headerOf(req.headers, 'authorization') === `Bearer ${options.apiKey}`
    ? undefined
    : 'Incorrect API key provided.';
}

function serveChat(
  body: Record<string, unknown>,
  res: ServerResponse,
  options: { model: string; usage: FakeTokenUsage },
): void | Promise<void> {
  const conversation = chatConversation(body);
  if (conversation.toolResultId !== undefined && conversation.toolResultId !== openAIToolCallId) {
    openAIError(res, 400, {
      message: `Invalid parameter: tool_call_id ${conversation.toolResultId} not found`,
      type: 'invalid_request_error',
      code: null,
    });
    return;
  }
  const a = answer(conversation);
  if (body.stream !== true) {
    sendJson(res, 200, completion(a, options.model, options.usage));
    return;
  }
  const streamOptions = isObject(body.stream_options) ? body.stream_options : {};
  const frames = streamFrames(a, {
    ...options,
    includeUsage: streamOptions.include_usage === true,
  });
  return sendStream(res, frames, sseHeaders);
}

/** vLLM's `/tokenize`, OpenAI's and Azure's `responses/input_tokens`. */
const countPaths = new Set([
  '/tokenize',
  '/v1/responses/input_tokens',
  '/openai/responses/input_tokens',
]);

/** Words in a text, or in the texts of content parts / Responses input items. */
function wordsIn(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.flatMap(wordsIn);
  if (isObject(value)) return [...wordsIn(value.text), ...wordsIn(value.content)];
  return [];
}

/**
 * Token counts, one token per word: vLLM `/tokenize` (`{model, prompt}` or `{model, messages}` →
 * `{count, max_model_len, tokens}`, the token ids being word indexes) and OpenAI / Azure
 * `responses/input_tokens` (`instructions` + `input` → `{object, input_tokens}`).
 */
function serveCount(req: RecordedRequest, res: ServerResponse, options: FakeOpenAIOptions): void {
  const path = req.url.split('?')[0] ?? '';
  const isAzure = path.startsWith('/openai/');
  const problem = authProblem(req, options, isAzure);
  const body = jsonBody(req.body);
  if (problem || !body || typeof body.model !== 'string') {
    const message = problem ?? 'model: Field required';
    openAIError(res, problem ? 401 : 400, { message, type: 'invalid_request_error', code: null });
    return;
  }
  if (path === '/tokenize') {
    const words = wordsIn(body.prompt ?? body.messages);
    sendJson(res, 200, {
      count: words.length,
      max_model_len: 8192,
      tokens: words.map((_, i) => i),
    });
    return;
  }
  const count = wordsIn(body.instructions).length + wordsIn(body.input).length;
  sendJson(res, 200, { object: 'response.input_tokens', input_tokens: count });
}

/** OpenAI's and Azure's Responses API (fake-openai-responses.ts). */
const responsesPaths = new Set(['/v1/responses', '/openai/responses']);

/** `POST /v1/responses` (`authorization: Bearer`) or Azure's `/openai/responses` (`api-key`). */
function responses(
  req: RecordedRequest,
  res: ServerResponse,
  options: FakeOpenAIOptions & { readonly state: ResponsesState },
): void | Promise<void> {
  const isAzure = req.url.startsWith('/openai/');
  const problem = authProblem(req, options, isAzure);
  if (problem) {
    const code = isAzure ? '401' : 'invalid_api_key';
    openAIError(res, 401, { message: problem, type: 'invalid_request_error', code });
    return;
  }
  const body = jsonBody(req.body);
  if (!body || typeof body.model !== 'string') {
    const message = body
      ? "Missing required parameter: 'model'."
      : 'We could not parse the JSON body of your request.';
    openAIError(res, 400, { message, type: 'invalid_request_error', code: null });
    return;
  }
  return serveResponses(body, res, { state: options.state, usage: options.usage });
}

/** The models the fake lists at `GET /v1/models`, in OpenAI's format. */
export const fakeOpenAIModels = [
  { id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' },
  { id: 'o3', object: 'model', created: 1744225308, owned_by: 'system' },
] as const;

function listModels(req: RecordedRequest, res: ServerResponse, options: FakeOpenAIOptions): void {
  const problem = authProblem(req, options, false);
  if (problem) {
    openAIError(res, 401, {
      message: problem,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
    return;
  }
  sendJson(res, 200, { object: 'list', data: fakeOpenAIModels });
}

/**
 * A fake OpenAI API and Azure OpenAI deployment in one server: `GET /v1/models` (two models),
 * the Responses API (`/v1/responses`, Azure `/openai/responses`: fake-openai-responses.ts),
 * `/v1/chat/completions`,
 * `/v1/completions` and `/v1/embeddings` with `authorization: Bearer`, and
 * `/openai/deployments/{d}/{chat/completions|completions|embeddings}?api-version=…` with
 * `api-key`. Chat and completions answers follow the shared fake model (text or a tool call), as
 * JSON or SSE. The media endpoints (images, speech, transcriptions, translations) are served under
 * both too, by `fake-openai-media.ts`.
 */
export function fakeOpenAI(options: FakeOpenAIOptions): UpstreamHandler {
  const api = fakeOpenAIApi(options);
  const state = responsesState();
  return (req, res) => {
    if (req.method === 'GET' && req.url.split('?')[0] === '/v1/models') {
      listModels(req, res, options);
      return;
    }
    if (req.method === 'POST' && responsesPaths.has(req.url.split('?')[0] ?? '')) {
      return responses(req, res, { ...options, state });
    }
    if (req.method === 'POST' && countPaths.has(req.url.split('?')[0] ?? '')) {
      serveCount(req, res, options);
      return;
    }
    return api(req, res);
  };
}

function fakeOpenAIApi(options: FakeOpenAIOptions): UpstreamHandler {
  return (req: RecordedRequest, res: ServerResponse) => {
    const path = req.url.split('?')[0] ?? '';
    const azure = azurePath.exec(path);
    const route = azure ?? openAIPath.exec(path);
    if (req.method !== 'POST' || !route) {
      openAIError(res, 404, {
        message: `Unknown path ${path}`,
        type: 'invalid_request_error',
        code: 'unknown_url',
      });
      return;
    }
    const problem = authProblem(req, options, azure !== null);
    if (problem) {
      openAIError(res, 401, {
        message: problem,
        type: 'invalid_request_error',
        code: azure ? '401' : 'invalid_api_key',
      });
      return;
    }
    // The operation is the last group of either path pattern.
    const operation = route.at(-1);
    if (isMediaOperation(operation)) return serveMedia(operation, req, res);
    const body = jsonBody(req.body);
    if (!body) {
      openAIError(res, 400, {
        message: 'We could not parse the JSON body of your request.',
        type: 'invalid_request_error',
        code: null,
      });
      return;
    }
    const model = azure ? decodeURIComponent(azure[1] ?? '') : String(body.model);
    return serveOperation(operation, {
      body,
      res,
      model,
      usage: options.usage,
    });
  };
}

/** Answers one authenticated, parsed request by operation (the path's last part). */
function serveOperation(
  operation: string | undefined,
  request: {
    body: Record<string, unknown>;
    res: ServerResponse;
    model: string;
    usage: FakeTokenUsage;
  },
): void | Promise<void> {
  const { body, res, model, usage } = request;
  if (operation === 'embeddings') {
    sendJson(res, 200, embeddings(body, model));
    return;
  }
  return operation === 'completions'
    ? serveCompletions(body, res, { model, usage })
    : serveChat(body, res, { model, usage });
}
