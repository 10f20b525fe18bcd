/** Every reason a testkit operation can fail, as a closed list. */
export type TestkitErrorCode =
  | 'binary-not-found'
  | 'spawn-failed'
  | 'process-exited'
  | 'timeout'
  | 'admin-error'
  | 'listener-not-found'
  | 'redis-error'
  | 'kube-error'
  | 'invalid-argument';

/** The one error class the harness throws; `code` says what went wrong, the message says how to fix it. */
export class TestkitError extends Error {
  override readonly name = 'TestkitError';
  /** What went wrong, for assertions and branching. */
  readonly code: TestkitErrorCode;

  constructor(code: TestkitErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Structural guard for {@link TestkitError} that does not depend on `instanceof` across package copies. */
export function isTestkitError(err: unknown): err is TestkitError {
  if (!(err instanceof Error) || err.name !== 'TestkitError') {
    return false;
  }
  return typeof (err as { code?: unknown }).code === 'string';
}
