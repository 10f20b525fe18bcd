import { status } from '@grpc/grpc-js';

/** Why a hook failed. */
export type HookErrorCode =
  /** The xDS Envoy Gateway sent cannot be decoded or is not what the hook expects. */
  | 'invalid_xds'
  /** The AIGatewayRoutes are not available (the store has not synced). */
  | 'routes_unavailable';

/**
 * A hook that cannot finish. The message names the xDS resource (and the AIGatewayRoute when there
 * is one); the hook returns it as a gRPC error instead of half-edited xDS, and Envoy Gateway keeps
 * the last xDS it accepted (docs/extension-server.md).
 */
export class HookError extends Error {
  override readonly name = 'HookError';
  readonly code: HookErrorCode;

  constructor(code: HookErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** True for a {@link HookError}. */
export function isHookError(err: unknown): err is HookError {
  return err instanceof HookError;
}

/** The gRPC status of anything a hook throws: its own errors keep their message, others are internal. */
export function toGrpcStatus(err: unknown): { code: status; details: string } {
  if (isHookError(err)) {
    return {
      code: err.code === 'routes_unavailable' ? status.UNAVAILABLE : status.INVALID_ARGUMENT,
      details: err.message,
    };
  }
  return { code: status.INTERNAL, details: 'internal error in the extension server' };
}
