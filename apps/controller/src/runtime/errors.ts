/** What went wrong talking to the API server or running the controller. */
export type ControllerErrorCode =
  | 'kube-config'
  | 'api-request'
  | 'not-found'
  | 'conflict'
  | 'gone'
  | 'forbidden'
  | 'unavailable'
  | 'not-leader'
  | 'stopped';

/** An error of the controller runtime, with a closed `code` and the HTTP status when there is one. */
export class ControllerError extends Error {
  override readonly name = 'ControllerError';
  readonly code: ControllerErrorCode;
  /** HTTP status of the API server's answer, when the error is one. */
  readonly status: number | undefined;

  constructor(
    code: ControllerErrorCode,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

/** Structural guard (works across package copies). */
export function isControllerError(err: unknown): err is ControllerError {
  return (
    err instanceof Error &&
    err.name === 'ControllerError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

/** Maps an API server HTTP status to an error code. */
export function codeForStatus(status: number): ControllerErrorCode {
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 410) return 'gone';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'api-request';
}
