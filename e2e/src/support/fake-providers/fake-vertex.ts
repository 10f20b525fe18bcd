import type { ServerResponse } from 'node:http';
import type { RecordedRequest, UpstreamHandler } from '@aigw/testkit';
import {
  anthropicError,
  anthropicEvents,
  anthropicMessage,
  anthropicRender,
  anthropicRequestProblem,
  anthropicSse,
  fakeInputTokenCount,
  anthropicCountProblem,
} from './anthropic-wire.js';
import type { FakeTokenUsage } from './conversation.js';
import {
  geminiRequestProblem,
  geminiResponse,
  geminiStreamFrames,
  googleError,
  vertexPredictResponse,
} from './gemini-wire.js';
import { headerOf, jsonBody, sendJson, sendStream, sseHeaders } from './http.js';

/** Options of {@link fakeVertex}. */
export interface FakeVertexOptions {
  /**
   * The OAuth access token it accepts (`authorization: Bearer <token>`), or a check of the token
   * (e.g. a fake token server's `issued.isValid`, for tokens that rotate).
   */
  readonly token: string | ((token: string) => boolean);
  readonly project: string;
  readonly region: string;
  readonly usage: FakeTokenUsage;
}

const pathPattern =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(\w+)$/;

/** The Anthropic `anthropic_version` Vertex requires in the body. */
export const vertexAnthropicVersion = 'vertex-2023-10-16';

function bearerAccepted(
  authorization: string | undefined,
  token: FakeVertexOptions['token'],
): boolean {
  const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (bearer === undefined) return false;
  return typeof token === 'string' ? bearer === token : token(bearer);
}

function unauthenticated(res: ServerResponse): void {
  sendJson(
    res,
    401,
    googleError(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login ' +
        'cookie or other valid authentication credential.',
    ),
  );
}

/**
 * A fake Gemini `countTokens`: one token per word of the system instruction and contents, plus 10
 * per function declaration.
 */
function geminiWordCount(body: Record<string, unknown>): number {
  const words = (parts: unknown): number =>
    Array.isArray(parts)
      ? parts
          .map((part: { text?: unknown }) => (typeof part.text === 'string' ? part.text : ''))
          .join(' ')
          .split(/\s+/)
          .filter(Boolean).length
      : 0;
  const system = body.systemInstruction as { parts?: unknown } | undefined;
  const contents = Array.isArray(body.contents) ? (body.contents as { parts?: unknown }[]) : [];
  const tools = Array.isArray(body.tools)
    ? (body.tools as { functionDeclarations?: unknown[] }[])
    : [];
  return (
    words(system?.parts) +
    contents.reduce((sum, content) => sum + words(content.parts), 0) +
    10 * tools.reduce((sum, tool) => sum + (tool.functionDeclarations?.length ?? 0), 0)
  );
}

function serveGemini(
  req: { method: string; query: URLSearchParams; body: Record<string, unknown> },
  res: ServerResponse,
  options: FakeVertexOptions & { model: string },
): void | Promise<void> {
  if (req.method === 'predict') {
    sendJson(res, 200, vertexPredictResponse(req.body));
    return;
  }
  const problem = geminiRequestProblem(req.body);
  if (problem) {
    sendJson(res, 400, googleError(400, 'INVALID_ARGUMENT', problem));
    return;
  }
  if (req.method === 'generateContent') {
    sendJson(res, 200, geminiResponse(req.body, options));
    return;
  }
  if (req.method === 'countTokens') {
    sendJson(res, 200, { totalTokens: geminiWordCount(req.body) });
    return;
  }
  if (req.method === 'streamGenerateContent' && req.query.get('alt') === 'sse') {
    return sendStream(res, geminiStreamFrames(req.body, options), sseHeaders);
  }
  sendJson(res, 400, googleError(400, 'INVALID_ARGUMENT', `unsupported method ${req.method}`));
}

function serveAnthropic(
  req: { method: string; body: Record<string, unknown> },
  res: ServerResponse,
  options: FakeVertexOptions & { model: string },
): void | Promise<void> {
  // `models/count-tokens:rawPredict` counts tokens; the model is named in the body.
  const isCount = options.model === 'count-tokens' && req.method === 'rawPredict';
  const problem =
    req.body.anthropic_version !== vertexAnthropicVersion
      ? `anthropic_version: must be ${vertexAnthropicVersion}`
      : isCount
        ? anthropicCountProblem(req.body)
        : anthropicRequestProblem(req.body);
  if (problem) {
    sendJson(res, 400, anthropicError('invalid_request_error', problem));
    return;
  }
  if (isCount) {
    sendJson(res, 200, { input_tokens: fakeInputTokenCount(req.body) });
    return;
  }
  const render = anthropicRender(req.body, options);
  if (req.method === 'rawPredict') {
    sendJson(res, 200, anthropicMessage(render));
    return;
  }
  if (req.method === 'streamRawPredict') {
    return sendStream(res, anthropicSse(anthropicEvents(render)), sseHeaders);
  }
  sendJson(res, 400, googleError(400, 'INVALID_ARGUMENT', `unsupported method ${req.method}`));
}

/**
 * A fake Vertex AI endpoint: Gemini `generateContent`, `streamGenerateContent?alt=sse` and
 * `predict` (embeddings), and Claude's `rawPredict` / `streamRawPredict` and
 * `count-tokens:rawPredict`. It accepts only
 * `authorization: Bearer <token>` (else 401 in Google's error format) and only its own project
 * and region (else 404).
 */
export function fakeVertex(options: FakeVertexOptions): UpstreamHandler {
  return (req: RecordedRequest, res: ServerResponse) => {
    if (!bearerAccepted(headerOf(req.headers, 'authorization'), options.token)) {
      unauthenticated(res);
      return;
    }
    const url = new URL(req.url, 'http://vertex.test');
    const match = pathPattern.exec(url.pathname);
    const [, project, region, publisher, model, method] = match ?? [];
    if (!match || project !== options.project || region !== options.region) {
      sendJson(
        res,
        404,
        googleError(404, 'NOT_FOUND', `Requested entity was not found: ${url.pathname}`),
      );
      return;
    }
    const body = jsonBody(req.body);
    if (!body) {
      sendJson(res, 400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
      return;
    }
    const served = { method: method ?? '', query: url.searchParams, body };
    const withModel = { ...options, model: decodeURIComponent(model ?? '') };
    return publisher === 'google'
      ? serveGemini(served, res, withModel)
      : serveAnthropic(served, res, withModel);
  };
}
