import { grpcCode as status } from '@aigw/service-kit';
import { toClientError } from '@aigw/translator';

/** Every reason the extproc's own code fails on purpose, as a closed list. */
export type ExtprocErrorCode =
  /** A credential file is missing, empty or lacks a field (e.g. an AWS profile). */
  | 'credential_unavailable'
  /** The filter config names something the extproc cannot use (e.g. a CEL cost that does not parse). */
  | 'config_invalid'
  /** A cost could not be computed for a finished request. */
  | 'cost_failed'
  /** A method was called before the component was started. */
  | 'not_started';

/** An error of the extproc itself (not of the translator), with a closed {@link ExtprocErrorCode}. */
export class ExtprocError extends Error {
  override readonly name = 'ExtprocError';
  /** Closed error code, for branching without `instanceof`. */
  readonly code: ExtprocErrorCode;

  constructor(code: ExtprocErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Structural guard for {@link ExtprocError} that does not rely on `instanceof`. */
export function isExtprocError(e: unknown): e is ExtprocError {
  return (
    e instanceof Error &&
    e.name === 'ExtprocError' &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}

/** A gRPC status for Envoy: the code and a short text that never carries a secret or a body. */
export interface GrpcStatus {
  readonly code: (typeof status)[keyof typeof status];
  readonly details: string;
}

/**
 * The one place an error caught while serving an ext_proc stream becomes a gRPC status. Envoy
 * fails the request closed on any of them; the text is a fixed phrase per kind (the detail is
 * logged by the caller, never sent: messages can name files or quote provider bodies).
 */
export function toGrpcStatus(err: unknown): GrpcStatus {
  if (isExtprocError(err)) {
    return err.code === 'credential_unavailable'
      ? { code: status.UNAVAILABLE, details: 'backend credential unavailable' }
      : { code: status.INTERNAL, details: `ext_proc failed: ${err.code}` };
  }
  const client = toClientError(err);
  if (client !== undefined) {
    return {
      code: client.status === 502 ? status.UNAVAILABLE : status.INVALID_ARGUMENT,
      details: client.status === 502 ? 'unreadable provider response' : 'invalid request',
    };
  }
  return { code: status.INTERNAL, details: 'ext_proc message failed' };
}

/** What a client is told, in its dialect, about a failure: status and a safe message. */
export interface ClientFailure {
  readonly status: number;
  readonly message: string;
}

/**
 * The one place an error becomes what a client reads: the translator's request errors keep their
 * message (400 / 422); an unreadable provider response is a 502 with a generic message; anything
 * else is a 500 with `genericMessage`, which says only what step failed (the detail goes to the log).
 */
export function toClientFailure(
  err: unknown,
  genericMessage = 'the gateway failed to process the request',
): ClientFailure {
  return toClientError(err) ?? { status: 500, message: genericMessage };
}
