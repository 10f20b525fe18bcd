import type { ServerResponse } from 'node:http';
import type { RecordedRequest, UpstreamHandler } from '@aigw/testkit';
import {
  anthropicCountProblem,
  anthropicError,
  anthropicEvents,
  anthropicMessage,
  anthropicRender,
  anthropicRequestProblem,
  anthropicSse,
  fakeInputTokenCount,
} from './anthropic-wire.js';
import type { FakeTokenUsage } from './conversation.js';
import { headerOf, jsonBody, sendJson, sendStream, sseHeaders } from './http.js';

/** Options of {@link fakeAnthropic}. */
export interface FakeAnthropicOptions {
  /** The key it accepts in `x-api-key`. */
  readonly apiKey: string;
  readonly usage: FakeTokenUsage;
}

function refuse(
  res: ServerResponse,
  status: number,
  error: { type: string; message: string },
): void {
  sendJson(res, status, anthropicError(error.type, error.message));
}

/** The models the fake lists at `GET /v1/models`, in Anthropic's format. */
export const fakeAnthropicModels = [
  {
    type: 'model',
    id: 'claude-sonnet-4-5',
    display_name: 'Claude Sonnet 4.5',
    created_at: '2025-09-29T00:00:00Z',
  },
  {
    type: 'model',
    id: 'claude-haiku-4-5',
    display_name: 'Claude Haiku 4.5',
    created_at: '2025-10-01T00:00:00Z',
  },
] as const;

function listModels(
  req: RecordedRequest,
  res: ServerResponse,
  options: FakeAnthropicOptions,
): void {
  if (headerOf(req.headers, 'x-api-key') !== options.apiKey) {
    refuse(res, 401, { type: 'authentication_error', message: 'invalid x-api-key' });
    return;
  }
  sendJson(res, 200, { data: fakeAnthropicModels, has_more: false, first_id: null, last_id: null });
}

/**
 * A fake Anthropic API: `GET /v1/models`, `POST /v1/messages`, JSON or SSE (`stream: true`) with Anthropic's event
 * sequence. It requires `x-api-key` (401 `authentication_error` otherwise) and
 * `anthropic-version` (400 `invalid_request_error`), as the real API does.
 */
export function fakeAnthropic(options: FakeAnthropicOptions): UpstreamHandler {
  const api = fakeAnthropicApi(options);
  return (req, res) => {
    if (req.method === 'GET' && req.url.split('?')[0] === '/v1/models') {
      listModels(req, res, options);
      return;
    }
    if (req.method === 'POST' && req.url.split('?')[0] === '/v1/messages/count_tokens') {
      countTokens(req, res, options);
      return;
    }
    return api(req, res);
  };
}

/** `POST /v1/messages/count_tokens`: `{"input_tokens": n}` (see {@link fakeInputTokenCount}). */
function countTokens(
  req: RecordedRequest,
  res: ServerResponse,
  options: FakeAnthropicOptions,
): void {
  if (headerOf(req.headers, 'x-api-key') !== options.apiKey) {
    refuse(res, 401, { type: 'authentication_error', message: 'invalid x-api-key' });
    return;
  }
  const body = jsonBody(req.body);
  const problem = body === undefined ? 'invalid JSON body' : anthropicCountProblem(body);
  if (problem !== undefined || body === undefined) {
    refuse(res, 400, { type: 'invalid_request_error', message: problem ?? 'invalid body' });
    return;
  }
  sendJson(res, 200, { input_tokens: fakeInputTokenCount(body) });
}

function fakeAnthropicApi(options: FakeAnthropicOptions): UpstreamHandler {
  return async (req: RecordedRequest, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST' || req.url.split('?')[0] !== '/v1/messages') {
      refuse(res, 404, { type: 'not_found_error', message: `Not found: ${req.url}` });
      return;
    }
    if (headerOf(req.headers, 'x-api-key') !== options.apiKey) {
      refuse(res, 401, { type: 'authentication_error', message: 'invalid x-api-key' });
      return;
    }
    if (!headerOf(req.headers, 'anthropic-version')) {
      refuse(res, 400, {
        type: 'invalid_request_error',
        message: 'anthropic-version: header is required',
      });
      return;
    }
    const body = jsonBody(req.body);
    const problem =
      body === undefined
        ? 'invalid JSON body'
        : typeof body.model === 'string'
          ? anthropicRequestProblem(body)
          : 'model: Field required';
    if (problem !== undefined || body === undefined) {
      refuse(res, 400, { type: 'invalid_request_error', message: problem ?? 'invalid body' });
      return;
    }
    const render = anthropicRender(body, { model: String(body.model), usage: options.usage });
    if (body.stream === true) {
      await sendStream(res, anthropicSse(anthropicEvents(render)), sseHeaders);
      return;
    }
    sendJson(res, 200, anthropicMessage(render));
  };
}
