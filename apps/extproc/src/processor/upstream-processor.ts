import * as extProc from '@aigw/proto/ext-proc-service';
import type { Logger } from '@aigw/service-kit';
import {
  createTranslator,
  errorBody,
  hasTranslator,
  isTranslatorError,
  type BackendSchema,
  type GcpLocation,
  type ParsedRequest,
  type TranslatedRequest,
  type Translator,
} from '@aigw/translator';
import { countTokensEstimate } from '../budget/estimate.js';
import { toClientFailure } from '../errors.js';
import {
  firstEventDetector,
  type FirstEventDetector,
  type GateVerdict,
} from './first-token-gate.js';
import { awsSigningHost, type AwsRequestSigner } from '../runtime/aws-signer.js';
import { credentialHeaderNames, signedRequestHeaderNames } from '../runtime/credentials.js';
import type { RuntimeBackend } from '../runtime/runtime-config.js';
import {
  commonResponse,
  continueResponses,
  headerMap,
  headerMutation,
  immediateResponse,
  localReplyHeader,
  type HeaderEntry,
} from './messages.js';
import { applyBodyMutation, applyHeaderMutation, HeaderPlan, restoreHeaders } from './mutations.js';
import { serviceBackendName } from './metadata.js';
import {
  internalRequestIdHeader,
  type RequestContext,
  type RequestContexts,
} from './request-context.js';

/** The attribute the upstream filter is configured to send: the endpoint's backend name. */
export const backendNameAttribute =
  "xds.upstream_host_metadata.filter_metadata['aigateway.envoy.io']['per_route_rule_backend_name']";

/**
 * The attribute with the endpoint's host name (`aigw run` puts it in the endpoint metadata next to
 * the backend name): the `Host` Envoy sends with `auto_host_rewrite`, whenever it rewrites it.
 */
export const endpointHostnameAttribute =
  "xds.upstream_host_metadata.filter_metadata['aigateway.envoy.io']['hostname']";

/**
 * The attribute with the AIGatewayRoute (`namespace/name`) of the route Envoy picked, from the
 * route metadata the gateway writes (upstream's `aigw_route_name`): what route-scoped costs match.
 */
export const routeNameAttribute =
  "xds.route_metadata.filter_metadata['aigateway.envoy.io']['aigw_route_name']";

/** Key under which Envoy puts the configured attributes in `ProcessingRequest.attributes`. */
export const extProcAttributesKey = 'envoy.filters.http.ext_proc';

/** True when the stream comes from the upstream-level filter (only it is configured with attributes). */
export function isUpstreamStream(request: extProc.ProcessingRequest): boolean {
  return request.attributes[extProcAttributesKey] !== undefined;
}

function attributeOf(request: extProc.ProcessingRequest, name: string): string | undefined {
  const value: unknown = request.attributes[extProcAttributesKey]?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Dependencies of the upstream-level processor. */
export interface UpstreamDeps {
  readonly contexts: RequestContexts;
  readonly log: Logger;
  /**
   * How long a gated streamed attempt is held, from its response headers, for its first meaningful
   * event before it is let through undecided (docs/resilience.md, First-token gate); default
   * {@link defaultFirstTokenTimeoutMs}.
   */
  readonly firstTokenTimeoutMs?: number;
  /** Told when an attempt is gated: the detector for its stream and its request. */
  readonly onGated?: (detector: FirstEventDetector, context: RequestContext) => void;
}

/**
 * Default limit of the first-token gate. Below the upstream filter's `message_timeout` (10 s),
 * which also runs while the answer to the response headers is held.
 */
export const defaultFirstTokenTimeoutMs = 5_000;

function fail(
  context: RequestContext,
  status: number,
  message: string,
): extProc.ProcessingResponse {
  return immediateResponse(
    errorBody({ dialect: context.dialect, status, message }),
    'aigw_upstream_error',
    'upstream',
  );
}

function backendSchema(backend: RuntimeBackend): BackendSchema {
  const { name, version, prefix, responsesApi } = backend.backend.schema;
  return {
    name,
    ...(version === undefined ? {} : { version }),
    ...(prefix === undefined ? {} : { prefix }),
    ...(responsesApi === undefined ? {} : { responsesApi }),
  };
}

type Translation =
  | { readonly translator: Translator; readonly translated: TranslatedRequest }
  | { readonly failure: unknown };

/** The GCP project and region a GCP backend's auth names (Vertex paths need them). */
function gcpLocation(backend: RuntimeBackend): GcpLocation | undefined {
  const auth = backend.backend.auth;
  return auth && 'gcp' in auth
    ? { project: auth.gcp.projectName, region: auth.gcp.region }
    : undefined;
}

function translate(
  context: RequestContext & { parsed: ParsedRequest },
  backend: RuntimeBackend,
  headers: ReadonlyMap<string, string>,
): Translation {
  try {
    const translator = createTranslator({
      endpoint: context.endpoint,
      schema: backendSchema(backend),
      gcp: gcpLocation(backend),
    });
    const override = backend.backend.modelNameOverride;
    const translated = translator.request({
      request: context.parsed,
      path: context.path,
      headers,
      ...(override ? { modelNameOverride: override } : {}),
    });
    return { translator, translated };
  } catch (failure) {
    return { failure };
  }
}

/**
 * A Gemini `countTokens` for a backend with no counting API (an OpenAI-compatible one): answered
 * here, without calling the backend, with the local estimate (`{"totalTokens"}`, Gemini's shape),
 * marked as an upstream-level reply so the router level passes it through.
 */
function localCountTokens(
  context: RequestContext & { parsed: ParsedRequest },
  backend: RuntimeBackend,
): extProc.ProcessingResponse | undefined {
  if (context.endpoint !== 'gemini-count-tokens') return undefined;
  if (hasTranslator({ endpoint: context.endpoint, schema: backendSchema(backend) })) {
    return undefined;
  }
  const body = Buffer.from(JSON.stringify({ totalTokens: countTokensEstimate(context.parsed) }));
  const reply = { status: 200, contentType: 'application/json', body };
  return immediateResponse(reply, 'aigw_count_tokens_estimate', 'upstream');
}

/**
 * Client errors (400/422) keep their message; an API the backend's schema does not serve is a 400
 * naming the backend (the client asked a model whose backend cannot answer that API); anything else
 * is an opaque 500.
 */
function translationFailed(
  context: RequestContext,
  err: unknown,
  backend: string,
): extProc.ProcessingResponse {
  if (isTranslatorError(err) && err.code === 'unsupported_schema') {
    const path = context.path.split('?')[0] ?? context.path;
    const message =
      `${path} is not supported for model ${JSON.stringify(context.parsed?.model ?? '')}: ` +
      `its backend ${JSON.stringify(backend)} has schema ${err.schemaName}, which does not serve this API`;
    return fail(context, 400, message);
  }
  const failure = toClientFailure(err, 'request translation failed');
  return fail(context, failure.status, failure.message);
}

/**
 * Headers a backend's header mutation may not touch: the credential headers its auth sets or
 * strips (so a mutation never replaces or drops the injected key or signature) and the header
 * linking the two filter levels. A backend without auth leaves the client's credential headers to
 * its mutation (upstream's use case: removing the client's `authorization`).
 */
function isProtectedHeader(backend: RuntimeBackend, name: string): boolean {
  const names: readonly string[] = backend.signer
    ? signedRequestHeaderNames
    : backend.credential
      ? credentialHeaderNames
      : [];
  return name === internalRequestIdHeader || names.includes(name);
}

function authHeaders(backend: RuntimeBackend): { set: HeaderEntry[]; remove: string[] } {
  const credential = backend.credential;
  if (!credential) return { set: [], remove: [] };
  return {
    set: [[credential.name, credential.value]],
    remove: credentialHeaderNames.filter((name) => name !== credential.name),
  };
}

/** What the response of an attempt is built from, before any signing. */
interface Attempt {
  readonly context: RequestContext & { parsed: ParsedRequest };
  readonly backend: RuntimeBackend;
  readonly translated: TranslatedRequest;
  /** The body to send: translated, then the backend's body mutation; undefined = unchanged. */
  readonly body: Uint8Array | undefined;
  /** Translator header changes, `:path` and the backend's header mutation; auth comes last. */
  readonly plan: HeaderPlan;
  readonly requestHeaders: ReadonlyMap<string, string>;
  /** The endpoint's host name from its metadata, when the gateway configured one. */
  readonly endpointHostname: string | undefined;
  /** The filter is configured for the first-token gate (its cluster has a fallback tier). */
  readonly isGateFilter: boolean;
  /** This attempt is gated: a streamed request to a backend whose stream the gate reads. */
  readonly isGated: boolean;
}

function attemptResponse(
  attempt: Attempt,
  auth: { readonly set: readonly HeaderEntry[]; readonly remove: readonly string[] },
): extProc.ProcessingResponse {
  const modeOverride = !attempt.isGateFilter
    ? undefined
    : attempt.isGated
      ? gatedMode
      : ungatedMode;
  const { context, backend, body, plan } = attempt;
  for (const [name, value] of auth.set) plan.set(name, value);
  for (const name of auth.remove) plan.remove(name);
  // The gateway's own headers have done their work once Envoy picked the route.
  plan.remove(internalRequestIdHeader);
  for (const name of context.runtime.routingHeaders) plan.remove(name);
  const touched = (context.touchedHeaders ??= new Set());
  if (context.attempts > 1 && context.originalHeaders) {
    restoreHeaders(plan, {
      touched,
      original: context.originalHeaders,
      current: attempt.requestHeaders,
    });
  }
  for (const name of plan.names()) touched.add(name);
  const namespace = context.runtime.config.metadataNamespace;
  const metadata: Record<string, unknown> = { backend_name: backend.backend.name };
  // Always the length of what this attempt sends: Envoy re-adds content-length from it (it
  // dropped the header), and a retry after an attempt that replaced the body re-sends the
  // client's original body, so the previous attempt's value would be wrong.
  metadata.content_length = String((body ?? context.parsed.raw).byteLength);
  return commonResponse({
    phase: 'requestHeaders',
    mutation: headerMutation(plan.sets, plan.removals),
    body,
    isReplace: body !== undefined,
    dynamicMetadata: { [namespace]: metadata },
    modeOverride,
  });
}

/**
 * The attempt's body and headers before auth: the translation, then the backend's mutations
 * (upstream's order: translate, mutate, authenticate), each started afresh from the translation
 * of the client's request, so a retry on another backend carries only that backend's mutations.
 */
function mutatedAttempt(
  context: RequestContext & { parsed: ParsedRequest },
  backend: RuntimeBackend,
  translated: TranslatedRequest,
): { body: Uint8Array | undefined; plan: HeaderPlan } {
  const plan = new HeaderPlan();
  plan.apply(translated.headers);
  plan.set(':path', translated.path);
  // Checked per mutated header only: most backends have no header mutation at all.
  applyHeaderMutation(plan, backend.backend.headerMutation, (name) =>
    isProtectedHeader(backend, name),
  );
  const mutatedBody = applyBodyMutation(
    translated.body ?? context.parsed.raw,
    backend.backend.bodyMutation,
  );
  return { body: mutatedBody ?? translated.body, plan };
}

/**
 * SigV4 (AWS backends): signs the request exactly as Envoy will send it: the translated path and
 * body, and the host: the endpoint's host name when its metadata names one (what
 * `auto_host_rewrite` sends, whether or not Envoy rewrote `Host` yet), else what
 * {@link awsSigningHost} works out from the `:authority` seen here (not always the one sent: see
 * there).
 */
async function signedResponse(
  attempt: Attempt,
  signer: AwsRequestSigner,
  log: Logger,
): Promise<extProc.ProcessingResponse> {
  const { context, translated, requestHeaders } = attempt;
  const seen = requestHeaders.get(':authority') ?? requestHeaders.get('host');
  const host = attempt.endpointHostname ?? awsSigningHost(seen, signer.region);
  try {
    const set = await signer.sign({
      method: requestHeaders.get(':method') ?? 'POST',
      host,
      path: translated.path,
      body: attempt.body ?? context.parsed.raw,
    });
    const remove = signedRequestHeaderNames.filter((name) => !set.some(([key]) => key === name));
    return attemptResponse(attempt, { set, remove });
  } catch (err) {
    // The signer's errors carry no secret (it never puts credentials in messages).
    log.error({ err, request: context.id }, 'request signing failed');
    return fail(context, 500, 'request signing failed');
  }
}

/** A request the router level did not see: let it through untouched, nothing more asked. */
function notOurs(request: extProc.ProcessingRequest): extProc.ProcessingResponse {
  return isFirstTokenGateFilter(request)
    ? commonResponse({ phase: 'requestHeaders', modeOverride: ungatedMode })
    : continueResponses.requestHeaders;
}

/**
 * Whether the attempt's filter is a gate filter, and the detector when the attempt is gated: a
 * streamed request to a backend whose stream format the gate reads.
 */
function gateOf(
  request: extProc.ProcessingRequest,
  attempt: {
    readonly context: RequestContext & { parsed: ParsedRequest };
    readonly backend: RuntimeBackend;
    readonly onGated: UpstreamDeps['onGated'];
  },
): { isGateFilter: boolean; detector: FirstEventDetector | undefined } {
  const isGateFilter = isFirstTokenGateFilter(request);
  const detector =
    isGateFilter && attempt.context.parsed.stream
      ? firstEventDetector(attempt.backend.backend.schema.name)
      : undefined;
  if (detector) attempt.onGated?.(detector, attempt.context);
  return { isGateFilter, detector };
}

/**
 * The upstream-level filter runs once per attempt (retries included), after Envoy picked the
 * backend: it translates the request the router level parsed, applies the backend's header and
 * body mutations, injects the backend credential (or signs the request, for AWS) and replaces the
 * body only when translation or a mutation changed it. Translation always starts from the
 * original parsed request, so a retry on another backend is translated (and mutated) afresh; the
 * headers an earlier attempt changed are restored when Envoy hands them over changed. Synchronous
 * except for SigV4 signing.
 */
export function processUpstreamRequestHeaders(
  request: extProc.ProcessingRequest,
  headers: extProc.HttpHeaders,
  deps: UpstreamDeps,
): extProc.ProcessingResponse | Promise<extProc.ProcessingResponse> {
  const requestHeaders = headerMap(headers);
  // A retry carries the headers the previous attempt left, without the internal id it removed.
  const context =
    deps.contexts.get(requestHeaders.get(internalRequestIdHeader)) ??
    deps.contexts.getByEnvoyRequestId(requestHeaders.get('x-request-id'));
  // Not one of ours (the router level did not see it): let it through untouched.
  if (!context?.parsed) return notOurs(request);
  const parsedContext = context as RequestContext & { parsed: ParsedRequest };
  const name = attributeOf(request, backendNameAttribute);
  const backend = name === undefined ? undefined : context.runtime.backends.get(name);
  if (!backend) {
    deps.log.error({ backend: name, request: context.id }, 'unknown backend');
    return fail(context, 500, `backend ${name ?? '(none)'} is not configured in the gateway`);
  }
  const local = localCountTokens(parsedContext, backend);
  if (local !== undefined) return local;
  const translation = translate(parsedContext, backend, requestHeaders);
  if ('failure' in translation) {
    deps.log.warn(
      { err: translation.failure, backend: name, request: context.id },
      'translation failed',
    );
    return translationFailed(context, translation.failure, backend.backend.name);
  }
  const { translator, translated } = translation;
  let mutated: ReturnType<typeof mutatedAttempt>;
  try {
    mutated = mutatedAttempt(parsedContext, backend, translated);
  } catch (err) {
    // Translated bodies are JSON objects; a failure here is a gateway bug, not the client's.
    deps.log.error({ err, backend: name, request: context.id }, 'body mutation failed');
    return fail(context, 500, 'request body mutation failed');
  }
  context.backend = backend;
  context.translator = translator;
  context.upstreamModel = translated.model;
  context.routeName = attributeOf(request, routeNameAttribute);
  context.originalHeaders ??= requestHeaders;
  context.attempts += 1;
  context.attemptLog.push({
    backend: serviceBackendName(backend),
    schema: backend.backend.schema.name,
    startedAtMs: Date.now(),
  });
  const gate = gateOf(request, { context: parsedContext, backend, onGated: deps.onGated });
  const attempt: Attempt = {
    context: parsedContext,
    backend,
    translated,
    ...mutated,
    requestHeaders,
    endpointHostname: attributeOf(request, endpointHostnameAttribute),
    isGateFilter: gate.isGateFilter,
    isGated: gate.detector !== undefined,
  };
  if (backend.signer) return signedResponse(attempt, backend.signer, deps.log);
  return attemptResponse(attempt, authHeaders(backend));
}

const { FULL_DUPLEX_STREAMED, NONE, STREAMED } = extProc.ProcessingMode_BodySendMode;
const { SKIP, SEND } = extProc.ProcessingMode_HeaderSendMode;

/**
 * The upstream filter of a cluster with a fallback tier is configured with the response body
 * `STREAMED` (`@aigw/gateway-config`'s `upstreamHttpFilters`; elsewhere `NONE`): Envoy says so in
 * the stream's first message. Every attempt on it answers with a `mode_override`.
 */
export function isFirstTokenGateFilter(request: extProc.ProcessingRequest): boolean {
  return request.protocolConfig?.responseBodyMode === STREAMED;
}

/** An attempt that is not gated: nothing after its request headers, as without the gate. */
const ungatedMode = extProc.ProcessingMode.fromPartial({
  requestHeaderMode: SEND,
  requestBodyMode: NONE,
  requestTrailerMode: SKIP,
  responseHeaderMode: SKIP,
  responseBodyMode: NONE,
  responseTrailerMode: SKIP,
});

/**
 * A gated stream: the response headers, then its body in `FULL_DUPLEX_STREAMED` (Envoy sends the
 * chunks without waiting for the answer to the headers) and so the trailers, which that mode
 * requires. Allowed as an override because the filter's own mode is not full duplex (Envoy 1.40
 * ignores every override on a filter configured with it).
 */
const gatedMode = extProc.ProcessingMode.fromPartial({
  requestHeaderMode: SEND,
  requestBodyMode: NONE,
  requestTrailerMode: SKIP,
  responseHeaderMode: SEND,
  responseBodyMode: FULL_DUPLEX_STREAMED,
  responseTrailerMode: SEND,
});

function streamedBody(chunk: Uint8Array, endOfStream: boolean): extProc.ProcessingResponse {
  return extProc.ProcessingResponse.fromPartial({
    response: {
      $case: 'responseBody',
      value: {
        response: {
          bodyMutation: {
            mutation: {
              $case: 'streamedResponse',
              value: {
                body: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
                endOfStream,
              },
            },
          },
        },
      },
    },
  });
}

/** The most the gate holds before it lets a stream through undecided. */
const maxHeldBytes = 1_048_576;

/** Why a gated attempt was failed before its first token. */
export type GateFailure = 'error-event' | 'cut';

const gateFailureMessages: Record<GateFailure, string> = {
  'error-event': "the provider's stream began with an error event",
  cut: "the provider's stream ended before its first token",
};

/** Callbacks of an {@link UpstreamStream}: how it answers Envoy, and the end of the call. */
export interface UpstreamStreamIo {
  write(response: extProc.ProcessingResponse): void;
}

type GateState =
  | { readonly kind: 'off' }
  | { readonly kind: 'armed'; readonly detector: FirstEventDetector }
  | {
      readonly kind: 'holding';
      readonly detector: FirstEventDetector;
      readonly timer: NodeJS.Timeout;
      readonly held: Uint8Array[];
      heldBytes: number;
    }
  | { readonly kind: 'passing' }
  /** The error body is sent with the first body chunk answered after the failure. */
  /** The 503's body goes with the next chunk Envoy sends, when none was held. */
  | { readonly kind: 'failed'; errorBody: Uint8Array | undefined };

/**
 * One upstream-level ext_proc stream (one attempt). Without the gate it answers the request
 * headers and nothing else comes. With it (a streamed request on a cluster with a fallback tier,
 * docs/resilience.md) it also gets the response: it holds its answer to a 2xx stream's response
 * headers — so Envoy's router has not seen them and may still retry — and reads the body chunks
 * Envoy sends meanwhile (`FULL_DUPLEX_STREAMED`) until the first meaningful event. A content or
 * tool delta releases the headers and the held chunks unchanged; an error event first, the end of
 * the stream first or no such event within the limit answers the headers with a `503` instead, in
 * the client's dialect, which the router's `retry_on: 5xx` takes to the next tier.
 */
export class UpstreamStream {
  readonly #deps: UpstreamDeps;
  readonly #io: UpstreamStreamIo;
  #gate: GateState = { kind: 'off' };
  #context: RequestContext | undefined;
  #isEndOfStream = false;

  readonly #requestDeps: UpstreamDeps;

  constructor(deps: UpstreamDeps, io: UpstreamStreamIo) {
    this.#deps = deps;
    this.#io = io;
    this.#requestDeps = {
      ...deps,
      onGated: (detector, context) => {
        this.#gate = { kind: 'armed', detector };
        this.#context = context;
      },
    };
  }

  /** The answer to one message, if it is due now; held answers are written later through `io`. */
  onMessage(
    request: extProc.ProcessingRequest,
  ): extProc.ProcessingResponse | Promise<extProc.ProcessingResponse> | undefined {
    const phase = request.request;
    switch (phase?.$case) {
      case 'requestHeaders': {
        return processUpstreamRequestHeaders(request, phase.value, this.#requestDeps);
      }
      case 'responseHeaders':
        return this.#responseHeaders(phase.value);
      case 'responseBody':
        // Not gated (a filter whose mode was not overridden): the body is only looked at.
        if (this.#gate.kind === 'off') return continueResponses.responseBody;
        this.#responseBody(phase.value);
        return undefined;
      case 'responseTrailers':
        this.#responseTrailers();
        return undefined;
      case 'requestBody':
        return continueResponses.requestBody;
      case 'requestTrailers':
      case undefined:
        return undefined;
    }
  }

  /** The stream ended (attempt done, retried, reset, or the client went away). */
  close(): void {
    if (this.#gate.kind === 'holding') clearTimeout(this.#gate.timer);
    this.#gate = { kind: 'off' };
  }

  #responseHeaders(headers: extProc.HttpHeaders): extProc.ProcessingResponse | undefined {
    const gate = this.#gate;
    if (gate.kind !== 'armed') return continueResponses.responseHeaders;
    const map = headerMap(headers);
    const status = Number(map.get(':status'));
    if (status < 200 || status > 299 || headers.endOfStream) {
      this.#gate = { kind: 'passing' };
      return continueResponses.responseHeaders;
    }
    // Past the limit the stream is let through undecided, not failed: a reasoning model may
    // think longer than any limit before its first token, and Envoy's message_timeout (10 s)
    // caps how long the headers can be held. A stall is the per-try timeout's to end
    // (`timeouts.backendRequest`, which keeps running while the headers are held).
    const timer = setTimeout(() => {
      this.#deps.log.info(
        { request: this.#context?.id, backend: this.#context?.backend?.backend.name },
        'first-token gate let a slow stream through undecided',
      );
      this.#release();
    }, this.#deps.firstTokenTimeoutMs ?? defaultFirstTokenTimeoutMs);
    timer.unref();
    this.#gate = { kind: 'holding', detector: gate.detector, timer, held: [], heldBytes: 0 };
    return undefined;
  }

  #responseBody(body: extProc.HttpBody): void {
    const gate = this.#gate;
    this.#isEndOfStream ||= body.endOfStream;
    switch (gate.kind) {
      case 'holding':
        this.#hold(gate, body);
        return;
      case 'failed':
        // The provider's bytes are dropped: the 503 carries its own body.
        this.#io.write(streamedBody(gate.errorBody ?? new Uint8Array(0), body.endOfStream));
        gate.errorBody = undefined;
        return;
      case 'off':
      case 'armed':
      case 'passing':
        this.#io.write(streamedBody(body.body, body.endOfStream));
    }
  }

  /** One more chunk before the first meaningful event: held, and read. */
  #hold(gate: Extract<GateState, { kind: 'holding' }>, body: extProc.HttpBody): void {
    gate.held.push(body.body);
    gate.heldBytes += body.body.byteLength;
    let verdict: GateVerdict;
    try {
      verdict = gate.detector.feed(body.body);
    } catch (err) {
      // A detector bug must not fail a provider's answer: let it through.
      this.#deps.log.warn({ err, request: this.#context?.id }, 'first-token gate failed');
      verdict = 'content';
    }
    // So much before any content (a huge preamble): not a failing start; stop holding it.
    if (verdict === 'content' || gate.heldBytes > maxHeldBytes) this.#release();
    else if (verdict === 'error') this.#fail('error-event');
    else if (body.endOfStream) this.#fail('cut');
  }

  #responseTrailers(): void {
    if (this.#gate.kind === 'holding') this.#fail('cut');
    this.#io.write(trailersResponse);
  }

  /** A good start: the headers unchanged, then every held chunk as it came. */
  #release(): void {
    const gate = this.#gate;
    if (gate.kind !== 'holding') return;
    clearTimeout(gate.timer);
    this.#gate = { kind: 'passing' };
    this.#io.write(continueResponses.responseHeaders);
    gate.held.forEach((chunk, i) => {
      const isLast = i === gate.held.length - 1;
      this.#io.write(streamedBody(chunk, isLast && this.#isEndOfStream));
    });
  }

  /**
   * A bad start: the headers become a 503 with an error body in the client's dialect (marked as
   * an upstream-level reply, so the router level passes it through), which the router retries on
   * the next tier — or, at the last tier, sends to the client.
   */
  #fail(reason: GateFailure): void {
    const gate = this.#gate;
    if (gate.kind !== 'holding') return;
    clearTimeout(gate.timer);
    const context = this.#context;
    this.#deps.log.info(
      { request: context?.id, backend: context?.backend?.backend.name, reason },
      'first-token gate failed the attempt',
    );
    const error = errorBody({
      dialect: context?.dialect ?? 'openai',
      status: 503,
      message: gateFailureMessages[reason],
    });
    this.#io.write(
      commonResponse({
        phase: 'responseHeaders',
        mutation: headerMutation(
          [
            [':status', '503'],
            ['content-type', error.contentType],
            [localReplyHeader, 'true'],
          ],
          ['content-length'],
        ),
      }),
    );
    // The error body goes at once if a chunk is held (in FULL_DUPLEX_STREAMED the answers need
    // not match the chunks Envoy sent), else with the next chunk. The body ends only when the
    // provider's does: ending it earlier leaves Envoy's upstream stream open after the response
    // (seen with Envoy 1.40: the provider's connection stayed open). A retry resets the attempt
    // anyway; at the last tier a stalled provider keeps the client's 503 open until the route
    // timeout, as it would keep its stream open without the gate.
    const hasHeld = gate.held.length > 0;
    this.#gate = { kind: 'failed', errorBody: hasHeld ? undefined : error.body };
    if (hasHeld) this.#io.write(streamedBody(error.body, this.#isEndOfStream));
  }
}

const trailersResponse = extProc.ProcessingResponse.fromPartial({
  response: { $case: 'responseTrailers', value: {} },
});
