/**
 * The translator's error hierarchy: two user-facing request errors (400 and 422), one response
 * error (502, shown to clients only as a generic message) and one internal registry miss.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/internalapi/user_facing_errors.go
 */
import type { BackendSchemaName, Endpoint } from './translator.js';

/** Every reason a translator operation can fail, as a closed list. */
export type TranslatorErrorCode =
  'malformed_request' | 'invalid_request_body' | 'malformed_response' | 'unsupported_schema';

/** The client sent something that is not a usable request (bad JSON, missing `model`): HTTP 400. */
export class MalformedRequestError extends Error {
  override readonly name = 'MalformedRequestError';
  /** Closed error code, for branching without `instanceof`. */
  readonly code = 'malformed_request';
  /** HTTP status for the client. */
  readonly status = 400;
}

/** The request is well-formed but cannot be translated for the chosen backend: HTTP 422. */
export class InvalidRequestBodyError extends Error {
  override readonly name = 'InvalidRequestBodyError';
  /** Closed error code, for branching without `instanceof`. */
  readonly code = 'invalid_request_body';
  /** HTTP status for the client. */
  readonly status = 422;
}

/**
 * The provider answered with a body the translator cannot read (not JSON, or JSON without the
 * fields its schema requires, such as a Bedrock 200 without `output`): HTTP 502 for the client.
 * The message names the provider and what was wrong, for logs; it is not user-facing — clients get
 * {@link malformedResponseMessage} (see {@link toClientError}).
 */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
  /** Closed error code, for branching without `instanceof`. */
  readonly code = 'malformed_response';
  /** HTTP status for the client (Bad Gateway: the upstream, not the client, is at fault). */
  readonly status = 502;
}

/** The generic text a client sees for a {@link MalformedResponseError}. */
export const malformedResponseMessage =
  'the provider returned a response the gateway could not read';

/** Input of {@link UnsupportedSchemaError}'s constructor. */
export interface UnsupportedSchemaErrorOptions extends ErrorOptions {
  /** The ingress API asked for. */
  readonly endpoint: Endpoint;
  /** The backend schema asked for. */
  readonly schemaName: BackendSchemaName;
}

/**
 * No translator exists for an (endpoint, backend schema) pair. Internal: a configuration or
 * routing bug, never shown to clients verbatim.
 */
export class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
  /** Closed error code, for branching without `instanceof`. */
  readonly code = 'unsupported_schema';
  /** The ingress API asked for. */
  readonly endpoint: Endpoint;
  /** The backend schema asked for. */
  readonly schemaName: BackendSchemaName;

  constructor(options: UnsupportedSchemaErrorOptions) {
    super(
      `no translator for endpoint "${options.endpoint}" to backend schema "${options.schemaName}"`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.endpoint = options.endpoint;
    this.schemaName = options.schemaName;
  }
}

/** Any error the translator throws on purpose. */
export type TranslatorError =
  MalformedRequestError | InvalidRequestBodyError | MalformedResponseError | UnsupportedSchemaError;

const codeByName: Readonly<Record<TranslatorError['name'], TranslatorErrorCode>> = {
  MalformedRequestError: 'malformed_request',
  InvalidRequestBodyError: 'invalid_request_body',
  MalformedResponseError: 'malformed_response',
  UnsupportedSchemaError: 'unsupported_schema',
};

/** Structural guard for {@link TranslatorError} that does not rely on `instanceof` across package copies. */
export function isTranslatorError(e: unknown): e is TranslatorError {
  if (!(e instanceof Error) || !Object.hasOwn(codeByName, e.name)) {
    return false;
  }
  return (e as { code?: unknown }).code === codeByName[e.name as TranslatorError['name']];
}

/**
 * The allow-list of errors whose message may reach a client verbatim (the request errors, 400 and
 * 422); everything else should become a generic message with the detail logged. A
 * {@link MalformedResponseError} is not on it: its message describes the provider's body.
 */
export function isUserFacing(e: unknown): e is MalformedRequestError | InvalidRequestBodyError {
  return (
    isTranslatorError(e) && (e.code === 'malformed_request' || e.code === 'invalid_request_body')
  );
}

/** What a client may be told about an error: see {@link toClientError}. */
export interface ClientError {
  /** HTTP status for the client. */
  readonly status: 400 | 422 | 502;
  /** Text safe to show the client. */
  readonly message: string;
}

/**
 * The status and message a client should see for `e`, in any dialect (pass both to
 * `errorBody`): a user-facing request error keeps its message (400 / 422); a
 * {@link MalformedResponseError} becomes 502 with {@link malformedResponseMessage}. Anything else
 * (an {@link UnsupportedSchemaError}, a bug) gives `undefined`: answer a generic 500 and log `e`.
 */
export function toClientError(e: unknown): ClientError | undefined {
  if (isUserFacing(e)) {
    return { status: e.status, message: e.message };
  }
  if (isTranslatorError(e) && e.code === 'malformed_response') {
    return { status: e.status, message: malformedResponseMessage };
  }
  return undefined;
}
