import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { loadInClusterConfig, loadKubeConfigFile, type KubeConfig } from '@aigw/kube-config';

// A minimal Kubernetes client: what the extproc needs to list and watch its config Secrets, on
// node:https, with @aigw/kube-config for the server and credentials. @kubernetes/client-node would
// add ~78 MiB of RSS (its generated models and dependencies) to a process that idles at ~40 MiB.

/** Why a request to the API server failed. */
export type KubeErrorCode =
  /** No connection, a reset, or a timeout: the API server is unreachable (retry). */
  | 'unreachable'
  /** The API server answered with an error status (`status` says which). */
  | 'status'
  /** The kubeconfig or the in-cluster files are missing or incomplete. */
  | 'no_credentials';

/** A failed API request, with the HTTP status when the server answered. */
export class KubeError extends Error {
  override readonly name = 'KubeError';
  readonly code: KubeErrorCode;
  /** The HTTP status (or the `code` of a watch ERROR event) when the server answered. */
  readonly status: number | undefined;

  constructor(
    code: KubeErrorCode,
    message: string,
    options: ErrorOptions & { status?: number } = {},
  ) {
    super(message, options);
    this.code = code;
    this.status = options.status;
  }
}

/** Structural guard for {@link KubeError}. */
export function isKubeError(err: unknown): err is KubeError {
  return err instanceof Error && err.name === 'KubeError' && 'code' in err;
}

/**
 * The connection of a pod to its cluster: `KUBERNETES_SERVICE_HOST`/`_PORT` and the mounted
 * service-account token (read again every minute: the kubelet rotates it), CA and namespace.
 *
 * @throws KubeError `no_credentials` when the host or the mounted files are missing.
 */
export async function inClusterConnection(options: {
  readonly host: string | undefined;
  readonly port: string | undefined;
  readonly dir?: string;
}): Promise<KubeConfig> {
  if (!options.host) {
    throw new KubeError(
      'no_credentials',
      'not in a cluster (KUBERNETES_SERVICE_HOST is unset) and no --kubeconfig given',
    );
  }
  return loaded(() =>
    loadInClusterConfig({
      host: options.host,
      port: options.port,
      ...(options.dir === undefined ? {} : { dir: options.dir }),
    }),
  );
}

/**
 * The connection of a kubeconfig's current context (`@aigw/kube-config`: token, token file,
 * client certificate, basic auth or an exec plugin).
 *
 * @throws KubeError `no_credentials` naming the file and the field.
 */
export async function kubeconfigConnection(path: string): Promise<KubeConfig> {
  return loaded(() => loadKubeConfigFile(path));
}

async function loaded(load: () => KubeConfig): Promise<KubeConfig> {
  try {
    return await Promise.resolve(load());
  } catch (err) {
    throw new KubeError('no_credentials', errorMessage(err), { cause: err });
  }
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A request in flight: abort it to close the connection (a watch runs until aborted). */
export interface KubeRequestOptions {
  readonly signal?: AbortSignal;
  /** Idle time after which the connection counts as dead (default 30 s). */
  readonly idleTimeoutMs?: number;
}

/** Sends GET requests to one API server; one keep-alive agent for all of them. */
export class KubeClient {
  readonly #config: KubeConfig;
  readonly #agent: HttpAgent;

  constructor(config: KubeConfig) {
    this.#config = config;
    // TLS options go with each request (Node pools sockets by them), so a rotated exec-plugin
    // certificate gets fresh connections.
    this.#agent =
      new URL(config.server).protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true })
        : new HttpAgent({ keepAlive: true });
  }

  /** The namespace of the kubeconfig context or the service account. */
  get namespace(): string | undefined {
    return this.#config.namespace;
  }

  /**
   * GET `path` (with query); resolves with the response once its status is 2xx.
   *
   * @throws KubeError `unreachable` (connection failed, reset or idle) or `status` (non-2xx; the
   *   message carries the API server's `Status.message`).
   */
  async get(path: string, options: KubeRequestOptions = {}): Promise<IncomingMessage> {
    const url = new URL(path, this.#config.server);
    const { headers, ...tls } = await this.#config.requestOptions().catch((err: unknown) => {
      throw new KubeError('no_credentials', `GET ${url.pathname}: ${errorMessage(err)}`, {
        cause: err,
      });
    });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        ...tls,
        agent: this.#agent,
        headers: { ...headers, accept: 'application/json' },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      req.setTimeout(options.idleTimeoutMs ?? 30_000, () => {
        req.destroy(new KubeError('unreachable', `GET ${url.pathname}: no data for too long`));
      });
      req.on('error', (err) => {
        reject(
          isKubeError(err)
            ? err
            : new KubeError('unreachable', `GET ${url.pathname}: ${err.message}`, { cause: err }),
        );
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        void readBody(res).then((body) => {
          reject(
            new KubeError(
              'status',
              `GET ${url.pathname}: ${String(status)} ${statusMessage(body)}`,
              { status },
            ),
          );
        }, reject);
      });
      req.end();
    });
  }

  /** GET `path` and parse the JSON body. */
  async getJson(path: string, options: KubeRequestOptions = {}): Promise<unknown> {
    const res = await this.get(path, options);
    return JSON.parse(await readBody(res)) as unknown;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The `message` of a `Status` body, or the start of whatever the body is. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not JSON: fall through
  }
  return body.slice(0, 200);
}
