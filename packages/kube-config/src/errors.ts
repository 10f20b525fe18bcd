/** Why a Kubernetes client configuration could not be loaded or its credentials obtained. */
export type KubeConfigErrorCode =
  /** Nothing to load: no path, no `KUBECONFIG`, not in a pod, no `~/.kube/config`. */
  | 'no-config'
  /** A file the configuration names (kubeconfig, CA, client key, token file) cannot be read. */
  | 'unreadable'
  /** The kubeconfig is not YAML, or a field is missing, mistyped or contradicts another. */
  | 'invalid'
  /** The kubeconfig asks for something this loader does not do (auth-provider, impersonation). */
  | 'unsupported'
  /** An exec credential plugin did not start, failed, or printed no usable ExecCredential. */
  | 'exec-failed';

/**
 * A kubeconfig or in-cluster configuration problem. The message names the file and the field
 * (`users["admin"].user.client-key`), never a token, password or key: a YAML syntax error gives
 * only the line and column, and an exec plugin's standard output is never quoted.
 */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
  readonly code: KubeConfigErrorCode;
  /** The file the problem is in or about, when there is one. */
  readonly file: string | undefined;
  /** The kubeconfig field, e.g. `clusters["kind"].cluster.server`. */
  readonly field: string | undefined;

  constructor(
    code: KubeConfigErrorCode,
    message: string,
    options: { readonly file?: string; readonly field?: string; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.field = options.field;
  }
}

/** Structural guard for {@link KubeConfigError} that does not rely on `instanceof`. */
export function isKubeConfigError(err: unknown): err is KubeConfigError {
  return (
    err instanceof Error &&
    err.name === 'KubeConfigError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}
