import type * as extProc from '@aigw/proto/ext-proc-service';
import type { Logger } from '@aigw/service-kit';
import {
  createTranslator,
  errorBody,
  type BackendSchema,
  type GcpLocation,
  type ParsedRequest,
  type TranslatedRequest,
  type Translator,
} from '@aigw/translator';
import { toClientFailure } from '../errors.js';
import { awsSigningHost, type AwsRequestSigner } from '../runtime/aws-signer.js';
import { credentialHeaderNames, signedRequestHeaderNames } from '../runtime/credentials.js';
import type { RuntimeBackend } from '../runtime/runtime-config.js';
import {
  commonResponse,
  continueResponses,
  headerMap,
  headerMutation,
  immediateResponse,
  type HeaderEntry,
} from './messages.js';
import { applyBodyMutation, applyHeaderMutation, HeaderPlan, restoreHeaders } from './mutations.js';
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
}

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
  const { name, version, prefix } = backend.backend.schema;
  return {
    name,
    ...(version === undefined ? {} : { version }),
    ...(prefix === undefined ? {} : { prefix }),
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

/** Client errors (400/422) keep their message; anything else is an opaque 500. */
function translationFailed(context: RequestContext, err: unknown): extProc.ProcessingResponse {
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
}

function attemptResponse(
  attempt: Attempt,
  auth: { readonly set: readonly HeaderEntry[]; readonly remove: readonly string[] },
): extProc.ProcessingResponse {
  const { context, backend, body, plan } = attempt;
  for (const [name, value] of auth.set) plan.set(name, value);
  for (const name of auth.remove) plan.remove(name);
  plan.remove(internalRequestIdHeader);
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
  if (!context?.parsed) return continueResponses.requestHeaders;
  const parsedContext = context as RequestContext & { parsed: ParsedRequest };
  const name = attributeOf(request, backendNameAttribute);
  const backend = name === undefined ? undefined : context.runtime.backends.get(name);
  if (!backend) {
    deps.log.error({ backend: name, request: context.id }, 'unknown backend');
    return fail(context, 500, `backend ${name ?? '(none)'} is not configured in the gateway`);
  }
  const translation = translate(parsedContext, backend, requestHeaders);
  if ('failure' in translation) {
    deps.log.warn(
      { err: translation.failure, backend: name, request: context.id },
      'translation failed',
    );
    return translationFailed(context, translation.failure);
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
  const attempt: Attempt = {
    context: parsedContext,
    backend,
    translated,
    ...mutated,
    requestHeaders,
    endpointHostname: attributeOf(request, endpointHostnameAttribute),
  };
  if (backend.signer) return signedResponse(attempt, backend.signer, deps.log);
  return attemptResponse(attempt, authHeaders(backend));
}
