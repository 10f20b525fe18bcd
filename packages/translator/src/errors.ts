/**
 * The translator's error hierarchy: two user-facing errors (400 and 422) and one internal registry
 * miss.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/internalapi/user_facing_errors.go
 */
import type { BackendSchemaName, Endpoint } from './translator.js';

/** Every reason a translator operation can fail, as a closed list. */
export type TranslatorErrorCode =
  'malformed_request' | 'invalid_request_body' | 'unsupported_schema';

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
  MalformedRequestError | InvalidRequestBodyError | UnsupportedSchemaError;

const codeByName: Readonly<Record<TranslatorError['name'], TranslatorErrorCode>> = {
  MalformedRequestError: 'malformed_request',
  InvalidRequestBodyError: 'invalid_request_body',
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
 * The allow-list of errors whose message may reach a client; everything else should become a
 * generic message with the detail logged.
 */
export function isUserFacing(e: unknown): e is MalformedRequestError | InvalidRequestBodyError {
  return isTranslatorError(e) && e.code !== 'unsupported_schema';
}
