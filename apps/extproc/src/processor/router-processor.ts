import { randomUUID } from 'node:crypto';
import * as extProc from '@aigw/proto/ext-proc-service';
import type { Logger } from '@aigw/service-kit';
import {
  defaultEndpointMatcher,
  dialectOf,
  errorBody,
  isUserFacing,
  parseRequest,
  type EndpointMatcher,
  type ErrorResponse,
  type HeaderChanges,
  type Translator,
} from '@aigw/translator';
import { estimateTokens, reservedTokensKey } from '../budget/estimate.js';
import { hardCutFor, translateChunk, type HardCut } from '../budget/hard-cut.js';
import { unpricedModel } from '../budget/price.js';
import { authenticateClient } from '../tenants/client-keys.js';
import { toClientFailure } from '../errors.js';
import type { RuntimeConfig } from '../runtime/runtime-config.js';
import {
  commonResponse,
  continueResponses,
  headerMap,
  headerMutation,
  immediateResponse,
  localReplyHeader,
  mutationOf,
  type HeaderEntry,
} from './messages.js';
import { maxContentBytes, noMetrics, type RequestMetrics } from '../observability/observation.js';
import { metadataKeys, serviceBackendName, usageMetadata } from './metadata.js';
import { budgetHeaders } from './ratelimit-headers.js';
import { geminiPathNotFound, withoutApiKey } from './gemini-path.js';
import { isModelsRequest, modelsResponse, type ModelsDialect } from './models.js';
import {
  internalRequestIdHeader,
  type RequestContext,
  type RequestContexts,
} from './request-context.js';

/** Header with the client's original path, for logs and the upstream level. */
/** The metadata key of the client's original path (`docs/extproc.md`, metadata keys). */
export const originalPathKey = 'original_path';
/** The dynamic metadata key of the client key's tenant (the tenant header's copy). */
export const tenantKey = 'tenant';

const skipBody = extProc.ProcessingMode.fromPartial({
  responseBodyMode: extProc.ProcessingMode_BodySendMode.NONE,
});

/** Envoy's mapped local reply: the marker removed (and budget headers set), the body skipped. */
function localReplyResponse(
  mutation: extProc.HeaderMutation | undefined,
): extProc.ProcessingResponse {
  return commonResponse({ phase: 'responseHeaders', mutation, modeOverride: skipBody });
}

const localReplyPassThrough = localReplyResponse(headerMutation([], [localReplyHeader]));

/**
 * Whether a request asks for the model list, and in which format: Anthropic's at the anthropic
 * prefix's `/v1/models`, or at the openai one for a client that sends `anthropic-version` (the
 * Anthropic SDKs always do); OpenAI's otherwise.
 */
function modelsDialect(
  headers: ReadonlyMap<string, string>,
  path: string,
  endpoints: EndpointMatcher,
): ModelsDialect | undefined {
  const method = headers.get(':method');
  const anthropicAt = endpoints.anthropicModelsPath;
  if (anthropicAt !== undefined && isModelsRequest(method, path, anthropicAt)) return 'anthropic';
  if (!isModelsRequest(method, path, endpoints.modelsPath)) return undefined;
  return headers.has('anthropic-version') ? 'anthropic' : 'openai';
}

/** Dependencies of the router-level processor. */
export interface RouterDeps {
  readonly contexts: RequestContexts;
  readonly runtime: () => RuntimeConfig;
  readonly log: Logger;
  /** Which paths are which endpoints (`--root-prefix`, `--endpoint-prefixes`); default upstream's. */
  readonly endpoints?: EndpointMatcher;
  /** Where finished requests are reported (GenAI metrics); none by default. */
  readonly metrics?: RequestMetrics;
}

/**
 * The request's token estimate, before the rate-limit filter's request-path call reads it: what
 * reserving budgets reserve (`hits_addend` of their request-path entry, docs/budgets.md). Written
 * for every request when the config has `tokenReservation` (a budget reserves): without it Envoy
 * would drop a reserving entry, and the budget would not be checked at all.
 */
/**
 * The dynamic metadata of the request phase: the client's original path (`original_path`, its
 * API key removed; Envoy's local-reply mapper reads it for the client's dialect once the upstream
 * filter has rewritten `:path`, so no header has to carry it to the provider) and, when the
 * config reserves, the token estimate.
 */
function requestMetadata(context: RequestContext, model: string): Record<string, unknown> {
  const { config } = context.runtime;
  const fields: Record<string, unknown> = {
    [originalPathKey]: withoutApiKey(context.path),
    // Copies of the model and tenant headers, which the upstream level removes: Envoy's rate
    // limits (their stream-done descriptors are built after that) and access logs read these.
    [metadataKeys.requestModel]: model,
  };
  if (context.tenant !== undefined) fields[tenantKey] = context.tenant;
  if (context.parsed && config.tokenReservation) {
    const estimate = estimateTokens(context.parsed, config.tokenReservation);
    fields[reservedTokensKey] = estimate.totalTokens;
  }
  return { [config.metadataNamespace]: fields };
}

const streamedResponseBody = extProc.ProcessingMode.fromPartial({
  responseBodyMode: extProc.ProcessingMode_BodySendMode.STREAMED,
});

function replaceBody(error: ErrorResponse): extProc.ProcessingResponse {
  return commonResponse({
    phase: 'responseBody',
    mutation: headerMutation([
      ['content-type', error.contentType],
      ['content-length', String(error.body.byteLength)],
    ]),
    body: error.body,
  });
}

/**
 * The router-level filter of one HTTP request: it reads the model from the buffered body, sets
 * the model header and clears the route cache so Envoy re-picks the route; then it watches the
 * response, switches streaming responses to STREAMED, counts tokens and writes them to dynamic
 * metadata at the end. One instance per gRPC stream.
 */
export class RouterProcessor {
  readonly #deps: RouterDeps;
  #context: RequestContext | undefined;
  #errorChunks: Buffer[] = [];
  #isLocalReply = false;
  /** The usage last sent to Envoy as dynamic metadata (so a change is sent once). */
  #sentUsage: string | undefined;
  /** When the request's headers arrived (`performance.now()`), for the request duration. */
  #startedAt = 0;
  /** When the first body chunk of a streamed 2xx response arrived: the time to first token. */
  #firstChunkAt: number | undefined;
  /** The request was reported to the metrics (once, at the end of its response or stream). */
  #isReported = false;
  /** The client's W3C `traceparent`, the parent of the request's span. */
  #traceparent: string | undefined;
  /** The request's content-type: the multipart boundary of audio uploads is in it. */
  #contentType: string | undefined;
  /** The 2xx response bytes the client got, kept only for a sink that records content. */
  #content: Buffer[] | undefined;
  #contentBytes = 0;
  /** A hard budget's counter of this streamed response (docs/budgets.md); none otherwise. */
  #hardCut: HardCut | undefined;

  constructor(deps: RouterDeps) {
    this.#deps = deps;
  }

  /** The request this stream serves, once its headers arrived. */
  get context(): RequestContext | undefined {
    return this.#context;
  }

  /** Request headers: choose the endpoint, or refuse an unknown path. */
  requestHeaders(headers: extProc.HttpHeaders): extProc.ProcessingResponse {
    const map = headerMap(headers);
    const path = map.get(':path') ?? '/';
    const endpoints = this.#deps.endpoints ?? defaultEndpointMatcher;
    // Client keys (docs/budgets.md): the tenant header set, the client's key headers removed.
    const client = authenticateClient(this.#deps.runtime().config.tenants, {
      headers: map,
      dialect: endpoints.dialectFor(path),
    });
    if (client.kind === 'refused') return immediateResponse(client.error, 'aigw_unauthorized');
    const models = modelsDialect(map, path, endpoints);
    if (models !== undefined) {
      return immediateResponse(modelsResponse(this.#deps.runtime().config, models), 'aigw_models');
    }
    const endpoint = endpoints.endpointFor(path);
    if (!endpoint) {
      const error =
        geminiPathNotFound(path) ??
        errorBody({
          dialect: endpoints.dialectFor(path),
          status: 404,
          message: `unsupported path: ${path.split('?')[0] ?? path}`,
        });
      return immediateResponse(error, 'aigw_unsupported_path');
    }
    const dialect = dialectOf(endpoint);
    if (headers.endOfStream) {
      return immediateResponse(
        errorBody({ dialect, status: 400, message: 'request body is required' }),
        'aigw_bad_request',
      );
    }
    this.#startedAt = performance.now();
    this.#traceparent = map.get('traceparent');
    this.#contentType = map.get('content-type');
    const id = `${map.get('x-request-id') ?? 'req'}-${randomUUID()}`;
    this.#context = {
      id,
      endpoint,
      dialect,
      path,
      runtime: this.#deps.runtime(),
      tenant: client.tenant,
      parsed: undefined,
      backend: undefined,
      translator: undefined,
      upstreamModel: undefined,
      attempts: 0,
      attemptLog: [],
      status: 0,
      isStreaming: false,
      usage: undefined,
      responseModel: undefined,
    };
    this.#deps.contexts.add(this.#context, map.get('x-request-id'));
    return commonResponse({
      phase: 'requestHeaders',
      mutation: headerMutation([[internalRequestIdHeader, id], ...client.set], client.remove),
    });
  }

  /** Request body (buffered whole): parse, set the model header, re-pick the route. */
  requestBody(body: extProc.HttpBody): extProc.ProcessingResponse {
    const context = this.#context;
    if (!context) return continueResponses.requestBody;
    try {
      context.parsed = parseRequest(context.endpoint, body.body, {
        contentType: this.#contentType,
        path: context.path, // Gemini: the model and streaming are in the path
      });
    } catch (err) {
      if (!isUserFacing(err)) throw err;
      return immediateResponse(
        errorBody({ dialect: context.dialect, status: err.status, message: err.message }),
        'aigw_bad_request',
      );
    }
    const { model } = context.parsed;
    const unpriced = unpricedModel(context.runtime.config, model);
    if (unpriced !== undefined) {
      const error = errorBody({ dialect: context.dialect, status: 403, message: unpriced });
      return immediateResponse(error, 'aigw_unpriced_model');
    }
    const set: HeaderEntry[] = [[context.runtime.config.modelNameHeaderKey, model]];
    const router = context.runtime.router;
    if (router) {
      const cluster = router.clusterFor(model);
      if (cluster === undefined) {
        const message = `model ${JSON.stringify(model)} is not configured in the gateway`;
        return immediateResponse(
          errorBody({ dialect: context.dialect, status: 404, message }),
          'aigw_unknown_model',
        );
      }
      set.push([router.clusterHeader, cluster]);
    }
    // The header mutation is what makes Envoy honour clear_route_cache (it ignores it alone).
    return commonResponse({
      phase: 'requestBody',
      mutation: headerMutation(set),
      clearRouteCache: true,
      dynamicMetadata: requestMetadata(context, model),
    });
  }

  /** Response headers: note the status; stream SSE bodies, buffer everything else. */
  responseHeaders(headers: extProc.HttpHeaders): extProc.ProcessingResponse {
    const context = this.#context;
    if (!context) return continueResponses.responseHeaders;
    const map = headerMap(headers);
    context.status = Number(map.get(':status') ?? '0');
    // The gateway's token budget (Envoy's draft rate-limit headers), in the client's dialect.
    const budget = budgetHeaders(map, {
      dialect: context.dialect,
      status: context.status,
      nowMs: Date.now(),
    });
    // Envoy's own reply, already mapped to the client's dialect: nothing to translate or count.
    if (map.has(localReplyHeader)) return this.#localReply(budget);
    if (headers.endOfStream) this.#report(context);
    const translator = context.translator;
    if (context.status < 200 || context.status >= 300 || !translator) {
      return commonResponse({ phase: 'responseHeaders', mutation: mutationOf(budget) });
    }
    const result = translator.responseHeaders(context.status, map);
    context.isStreaming = result.isStreaming;
    this.#hardCut = hardCutFor(context, map); // a streamed response under a hard budget
    return commonResponse({
      phase: 'responseHeaders',
      mutation: mutationOf(result.headers, budget?.set, budget?.remove),
      modeOverride: result.isStreaming ? streamedResponseBody : undefined,
      dynamicMetadata: headers.endOfStream ? this.#finalMetadata() : undefined,
    });
  }

  /** Envoy's mapped local reply: passed through, its marker removed, a budget's headers set. */
  #localReply(budget: HeaderChanges | undefined): extProc.ProcessingResponse {
    this.#isLocalReply = true;
    return budget
      ? localReplyResponse(mutationOf(budget, [], [localReplyHeader]))
      : localReplyPassThrough;
  }

  /** Response body: count tokens (and rewrite where the translator must), or map an error. */
  responseBody(body: extProc.HttpBody): extProc.ProcessingResponse {
    const context = this.#context;
    if (!context) return continueResponses.responseBody;
    // A streamed 2xx (only those are STREAMED): its first chunk is the time to first token.
    if (context.isStreaming) this.#firstChunkAt ??= performance.now();
    const response = this.#responseBody(context, body);
    if (body.endOfStream) this.#report(context);
    return response;
  }

  #responseBody(context: RequestContext, body: extProc.HttpBody): extProc.ProcessingResponse {
    if (this.#isLocalReply) return continueResponses.responseBody;
    if (context.status < 200 || context.status >= 300) return this.#mapError(context, body);
    // A 2xx without a translator did not pass our upstream filter: nothing to count.
    if (!context.translator) return continueResponses.responseBody;
    let result: ReturnType<Translator['responseBody']>;
    try {
      // Under a hard budget: what fits, else cut with an error event (docs/budgets.md).
      result = translateChunk(context.translator, body, this.#hardCut);
    } catch (err) {
      return this.#unreadableResponse(context, err);
    }
    // Usage goes to Envoy as soon as it changes, not only at the end of the body: a client that
    // stops reading at its stream's last event (the openai SDK aborts after `[DONE]`) resets the
    // stream before the provider's end-of-body reaches us, and the access log and the rate
    // limiter (which reads the metadata when the stream is done) would count nothing.
    const usageChanged = this.#record(context, result);
    this.#keepContent(result.body, body.body);
    // Most SSE chunks pass unchanged: answer them with the pre-encoded CONTINUE.
    if (!result.body && !body.endOfStream && !usageChanged) return continueResponses.responseBody;
    return commonResponse({
      phase: 'responseBody',
      body: result.body,
      dynamicMetadata: body.endOfStream || usageChanged ? this.#finalMetadata() : undefined,
    });
  }

  /**
   * Forgets the request: the router stream is its last user. A response that did not reach its
   * end (the client went away, a stream was cut) is reported now, with the status it had.
   */
  close(): void {
    if (!this.#context) return;
    this.#report(this.#context);
    this.#deps.contexts.delete(this.#context.id);
  }

  /**
   * Keeps the bytes the client gets (the translated body, else the provider's) for a sink that
   * records content, up to {@link maxContentBytes}; nothing otherwise.
   */
  #keepContent(translated: Uint8Array | undefined, original: Uint8Array): void {
    if (this.#deps.metrics?.wantsContent !== true) return;
    const bytes = translated ?? original;
    const room = maxContentBytes - this.#contentBytes;
    if (room <= 0 || bytes.byteLength === 0) return;
    const kept = Buffer.from(bytes.subarray(0, room));
    (this.#content ??= []).push(kept);
    this.#contentBytes += kept.byteLength;
  }

  /** Reports a request that reached a backend to the metrics, once (local replies are not). */
  #report(context: RequestContext): void {
    const backend = context.backend;
    if (this.#isReported || !backend || !context.parsed || this.#isLocalReply) return;
    this.#isReported = true;
    const now = performance.now();
    (this.#deps.metrics ?? noMetrics).record({
      endpoint: context.endpoint,
      schema: backend.backend.schema.name,
      requestModel: context.parsed.model,
      responseModel: context.responseModel ?? context.upstreamModel ?? context.parsed.model,
      route: context.routeName,
      backend: serviceBackendName(backend),
      status: context.status,
      usage: context.usage,
      durationSeconds: (now - this.#startedAt) / 1000,
      timeToFirstTokenSeconds:
        this.#firstChunkAt === undefined
          ? undefined
          : (this.#firstChunkAt - this.#startedAt) / 1000,
      startedAtMs: performance.timeOrigin + this.#startedAt,
      traceparent: this.#traceparent,
      attempts: context.attemptLog,
      request: context.parsed,
      responseContent: this.#content && Buffer.concat(this.#content),
    });
  }

  /**
   * The provider's 2xx body could not be translated (not JSON, or missing what its schema
   * requires). A buffered body has not reached the client yet: answer a 502 in its dialect
   * instead. A stream has (its headers went out at the first chunk), so the error propagates and
   * Envoy resets it — the client sees a broken stream, never a clean end.
   */
  #unreadableResponse(context: RequestContext, err: unknown): extProc.ProcessingResponse {
    this.#deps.log.warn(
      { err, request: context.id, backend: context.backend?.backend.name },
      'provider response could not be translated',
    );
    if (context.isStreaming) throw err;
    const failure = toClientFailure(err);
    return immediateResponse(
      errorBody({ dialect: context.dialect, status: failure.status, message: failure.message }),
      'aigw_unreadable_response',
    );
  }

  #mapError(context: RequestContext, body: extProc.HttpBody): extProc.ProcessingResponse {
    // Errors are buffered (the mode is only switched to STREAMED for 2xx SSE), but be safe with
    // chunks: collect until the end.
    this.#errorChunks.push(body.body);
    if (!body.endOfStream)
      return commonResponse({ phase: 'responseBody', body: new Uint8Array(0) });
    const whole = Buffer.concat(this.#errorChunks);
    this.#errorChunks = [];
    if (!context.translator) {
      // No backend was picked: Envoy answered itself (no route for the model, or a local error).
      const message =
        context.status === 404 && context.parsed
          ? `model ${JSON.stringify(context.parsed.model)} is not configured in the gateway`
          : whole.toString('utf8').trim() || `request failed with status ${String(context.status)}`;
      return replaceBody(errorBody({ dialect: context.dialect, status: context.status, message }));
    }
    const error = context.translator.responseError(context.status, new Map(), whole);
    // Pass through untouched only when Envoy still holds the whole body (one chunk); otherwise
    // the earlier chunks were already answered with empty bodies and the whole must be re-sent.
    const isWholeChunk = whole.byteLength === body.body.byteLength;
    return isWholeChunk && Buffer.from(error.body).equals(whole)
      ? continueResponses.responseBody
      : replaceBody(error);
  }

  /** Keeps the usage and model a body chunk reported; whether the usage changed. */
  #record(context: RequestContext, result: ReturnType<Translator['responseBody']>): boolean {
    if (result.responseModel !== undefined) context.responseModel = result.responseModel;
    // Only a chunk that reports usage can change it (most SSE chunks do not: no key to build).
    const usage = result.usage;
    if (!usage) return false;
    context.usage = usage;
    const key = [
      usage.inputTokens,
      usage.outputTokens,
      usage.totalTokens,
      usage.cachedInputTokens,
      usage.cacheCreationInputTokens,
      usage.reasoningTokens,
    ].join('/');
    if (key === this.#sentUsage) return false;
    this.#sentUsage = key;
    return true;
  }

  #finalMetadata(): Record<string, unknown> | undefined {
    const context = this.#context;
    if (!context) return undefined;
    return usageMetadata(context);
  }
}
