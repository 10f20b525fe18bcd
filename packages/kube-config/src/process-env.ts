/** The environment a configuration is read from: `KUBECONFIG`, `KUBERNETES_SERVICE_HOST`, … */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The process environment, for callers that pass none. The Kubernetes client contract is
 * environment-driven (client-go reads `KUBERNETES_SERVICE_HOST` and `KUBECONFIG` itself, and an
 * exec plugin inherits the whole environment, as `os.Environ()` in client-go), so this is the one
 * place the package reads it; apps that have an `env` of their own pass it instead.
 */
export function processEnv(): Env {
  // eslint-disable-next-line no-restricted-properties -- the documented default of every loader
  return process.env;
}
