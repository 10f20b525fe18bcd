import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';

// A minimal Kubernetes client: what the extproc needs to list and watch its config Secrets, on
// node:https. @kubernetes/client-node would add ~15 MiB of RSS (its generated models and
// dependencies) to a process that idles at ~40 MiB (docs/performance.md, Memory).

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

/** Where the API server is and how to authenticate to it. */
export interface KubeConnection {
  readonly server: URL;
  /** PEM of the CA that signed the API server's certificate (default: Node's CAs). */
  readonly ca?: string | undefined;
  /** Client certificate and key (PEM), for kubeconfigs that authenticate with one. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly isInsecure?: boolean;
  /** The bearer token, read per request: in-cluster tokens are rotated by the kubelet. */
  readonly token: () => Promise<string | undefined>;
  /** The namespace the connection defaults to (kubeconfig context, service account). */
  readonly namespace: string | undefined;
}

/** The service-account mount of every pod. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The connection of a pod to its cluster: `KUBERNETES_SERVICE_HOST`/`_PORT` and the mounted
 * service-account token, CA and namespace.
 *
 * @throws KubeError `no_credentials` when the host or the mounted files are missing.
 */
export async function inClusterConnection(options: {
  readonly host: string | undefined;
  readonly port: string | undefined;
  readonly dir?: string;
}): Promise<KubeConnection> {
  const dir = options.dir ?? serviceAccountDir;
  if (!options.host) {
    throw new KubeError(
      'no_credentials',
      'not in a cluster (KUBERNETES_SERVICE_HOST is unset) and no --kubeconfig given',
    );
  }
  const [ca, namespace] = await Promise.all([
    readRequired(join(dir, 'ca.crt')),
    readRequired(join(dir, 'namespace')),
  ]);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const tokenFile = join(dir, 'token');
  return {
    server: new URL(`https://${host}:${options.port ?? '443'}`),
    ca,
    token: async () => (await readRequired(tokenFile)).trim(),
    namespace: namespace.trim(),
  };
}

interface KubeconfigNamed<T> {
  readonly name?: string;
  readonly cluster?: T;
  readonly user?: T;
  readonly context?: T;
}
type Fields = Readonly<Record<string, unknown>>;

/**
 * The connection of a kubeconfig's current context: server, CA (`certificate-authority(-data)`),
 * and a `token`, `tokenFile` or client certificate. Exec and auth-provider plugins are not
 * supported (the extproc runs in-cluster; the kubeconfig is for tests and development).
 *
 * @throws KubeError `no_credentials` naming the file and what is missing.
 */
export async function kubeconfigConnection(path: string): Promise<KubeConnection> {
  const doc = parse(await readRequired(path)) as Fields | null;
  const pick = (list: string, name: unknown, field: 'cluster' | 'user' | 'context'): Fields => {
    const entries = (doc?.[list] ?? []) as readonly KubeconfigNamed<Fields>[];
    const found = entries.find((e) => e.name === name)?.[field];
    if (!found)
      throw new KubeError('no_credentials', `kubeconfig ${path}: no ${field} "${String(name)}"`);
    return found;
  };
  const context = pick('contexts', doc?.['current-context'], 'context');
  const cluster = pick('clusters', context.cluster, 'cluster');
  const user = pick('users', context.user, 'user');
  const inline = (field: string): string | undefined =>
    typeof user[field] === 'string' ? Buffer.from(user[field], 'base64').toString() : undefined;
  const fileOr = async (dataField: string, fileField: string, fields: Fields) =>
    typeof fields[dataField] === 'string'
      ? Buffer.from(fields[dataField], 'base64').toString()
      : typeof fields[fileField] === 'string'
        ? readRequired(fields[fileField])
        : undefined;
  const tokenFile = typeof user.tokenFile === 'string' ? user.tokenFile : undefined;
  const token = typeof user.token === 'string' ? user.token : undefined;
  return {
    server: new URL(String(cluster.server)),
    ca: await fileOr('certificate-authority-data', 'certificate-authority', cluster),
    cert: inline('client-certificate-data') ?? (await fileOr('', 'client-certificate', user)),
    key: inline('client-key-data') ?? (await fileOr('', 'client-key', user)),
    isInsecure: cluster['insecure-skip-tls-verify'] === true,
    token: async () => token ?? (tokenFile ? (await readRequired(tokenFile)).trim() : undefined),
    namespace: typeof context.namespace === 'string' ? context.namespace : undefined,
  };
}

async function readRequired(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new KubeError('no_credentials', `cannot read ${path}`, { cause: err });
  }
}

/** A request in flight: abort it to close the connection (a watch runs until aborted). */
export interface KubeRequestOptions {
  readonly signal?: AbortSignal;
  /** Idle time after which the connection counts as dead (default 30 s). */
  readonly idleTimeoutMs?: number;
}

/** Sends GET requests to one API server; one keep-alive agent for all of them. */
export class KubeClient {
  readonly #connection: KubeConnection;
  readonly #agent: HttpAgent;

  constructor(connection: KubeConnection) {
    this.#connection = connection;
    const isTls = connection.server.protocol === 'https:';
    this.#agent = isTls
      ? new HttpsAgent({
          keepAlive: true,
          ca: connection.ca,
          cert: connection.cert,
          key: connection.key,
          rejectUnauthorized: connection.isInsecure !== true,
        })
      : new HttpAgent({ keepAlive: true });
  }

  /** The namespace of the kubeconfig context or the service account. */
  get namespace(): string | undefined {
    return this.#connection.namespace;
  }

  /**
   * GET `path` (with query); resolves with the response once its status is 2xx.
   *
   * @throws KubeError `unreachable` (connection failed, reset or idle) or `status` (non-2xx; the
   *   message carries the API server's `Status.message`).
   */
  async get(path: string, options: KubeRequestOptions = {}): Promise<IncomingMessage> {
    const token = await this.#connection.token();
    const url = new URL(path, this.#connection.server);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        agent: this.#agent,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
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
