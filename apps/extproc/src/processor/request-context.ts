import type { Dialect, Endpoint, ParsedRequest, Translator, Usage } from '@aigw/translator';
import type { AttemptRecord } from '../observability/observation.js';
import type { RuntimeBackend, RuntimeConfig } from '../runtime/runtime-config.js';

/**
 * State of one HTTP request shared by its router-level stream and its upstream-level streams (one
 * per attempt): both are served by this process, linked by the `x-ai-eg-internal-req-id` header
 * the router level adds.
 */
export interface RequestContext {
  readonly id: string;
  readonly endpoint: Endpoint;
  readonly dialect: Dialect;
  /** The client's `:path`, query included. */
  readonly path: string;
  /** The config in force when the request arrived; used for its whole life. */
  readonly runtime: RuntimeConfig;
  /** The client key's tenant, when client keys are configured and the key is known. */
  readonly tenant?: string | undefined;
  parsed: ParsedRequest | undefined;
  /** Set by the upstream level for the current attempt. */
  backend: RuntimeBackend | undefined;
  translator: Translator | undefined;
  upstreamModel: string | undefined;
  /** The AIGatewayRoute (`namespace/name`) Envoy's route metadata names, for the current attempt. */
  routeName?: string | undefined;
  /** The request headers the first upstream attempt saw: what a retry restores. */
  originalHeaders?: ReadonlyMap<string, string> | undefined;
  /** Every header an attempt set or removed so far (a retry undoes those it does not redo). */
  touchedHeaders?: Set<string> | undefined;
  attempts: number;
  /** Each attempt's backend and start, for the request's trace (appended by the upstream level). */
  readonly attemptLog: AttemptRecord[];
  /** Response state (router level). */
  status: number;
  isStreaming: boolean;
  usage: Usage | undefined;
  responseModel: string | undefined;
}

/** Header linking the router-level and upstream-level streams of one request. */
export const internalRequestIdHeader = 'x-ai-eg-internal-req-id';

/** The live request contexts; bounded by the number of in-flight requests. */
export class RequestContexts {
  readonly #contexts = new Map<string, RequestContext>();
  /** Envoy's `x-request-id` → the ids of the requests in flight that carry it. */
  readonly #byEnvoyId = new Map<string, Set<string>>();
  readonly #envoyIdOf = new Map<string, string>();

  /** Registers a new request, with Envoy's `x-request-id` when it has one. */
  add(context: RequestContext, envoyRequestId?: string): void {
    this.#contexts.set(context.id, context);
    if (envoyRequestId === undefined || envoyRequestId === '') return;
    this.#envoyIdOf.set(context.id, envoyRequestId);
    const ids = this.#byEnvoyId.get(envoyRequestId) ?? new Set<string>();
    ids.add(context.id);
    this.#byEnvoyId.set(envoyRequestId, ids);
  }

  /** The context of a request id, if it is still in flight. */
  get(id: string | undefined): RequestContext | undefined {
    return id === undefined ? undefined : this.#contexts.get(id);
  }

  /**
   * The context of the one request in flight with this `x-request-id`. A retry's headers are the
   * ones the previous attempt's upstream filter left (Envoy reuses them), so the internal id header
   * that attempt removed is gone; Envoy's request id is still there. Undefined when none or more
   * than one request carries it (a client may reuse ids): never guess.
   */
  getByEnvoyRequestId(envoyRequestId: string | undefined): RequestContext | undefined {
    if (envoyRequestId === undefined) return undefined;
    const ids = this.#byEnvoyId.get(envoyRequestId);
    if (ids?.size !== 1) return undefined;
    const [id] = ids;
    return this.get(id);
  }

  /** Forgets a request (its router-level stream ended). */
  delete(id: string): void {
    this.#contexts.delete(id);
    const envoyId = this.#envoyIdOf.get(id);
    if (envoyId === undefined) return;
    this.#envoyIdOf.delete(id);
    const ids = this.#byEnvoyId.get(envoyId);
    ids?.delete(id);
    if (ids?.size === 0) this.#byEnvoyId.delete(envoyId);
  }

  /** How many requests are in flight (exposed so tests can assert nothing leaks). */
  get size(): number {
    return this.#contexts.size;
  }
}
