/** What went wrong in the deploy tooling. */
export type DeployErrorCode = 'tool-missing' | 'tool-failed' | 'invalid-output';

/** An error of the deploy tooling (rendering the charts, running helm or kubectl). */
export class DeployError extends Error {
  override readonly name = 'DeployError';
  readonly code: DeployErrorCode;

  constructor(code: DeployErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Structural guard, independent of module copies. */
export function isDeployError(value: unknown): value is DeployError {
  return value instanceof Error && value.name === 'DeployError' && 'code' in value;
}
