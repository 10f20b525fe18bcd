import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@aigw/kube-config';

// The few API calls the webhook makes, on node:https with @aigw/kube-config for the server and
// credentials (the controller and the extproc do the same; @kubernetes/client-node would add
// tens of MiB to a process that answers a handful of requests a minute).

/** Why an API request failed: unreachable (no answer, timeout) or an error status. */
export type KubeApiErrorCode = 'unreachable' | 'status' | 'no_credentials';

/** A failed API request, with the HTTP status when the server answered. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly code: KubeApiErrorCode;
  readonly status: number | undefined;

  constructor(
    code: KubeApiErrorCode,
    message: string,
    options: ErrorOptions & { status?: number } = {},
  ) {
    super(message, options);
    this.code = code;
    this.status = options.status;
  }
}

/** Structural guard for {@link KubeApiError}. */
export function isKubeApiError(err: unknown): err is KubeApiError {
  return err instanceof Error && err.name === 'KubeApiError' && 'code' in err;
}

/** One request: method, body (sent as JSON) and its content type. */
export interface KubeRequest {
  readonly method?: 'GET' | 'POST' | 'PATCH';
  readonly body?: unknown;
  /** Default `application/json`; patches name their kind. */
  readonly contentType?: string;
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** JSON requests to one API server, on one keep-alive agent, each with a time limit. */
export class KubeClient {
  readonly #config: KubeConfig;
  readonly #agent: HttpAgent;
  readonly #timeoutMs: number;

  constructor(config: KubeConfig, options: { readonly timeoutMs: number }) {
    this.#config = config;
    this.#timeoutMs = options.timeoutMs;
    this.#agent =
      new URL(config.server).protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true })
        : new HttpAgent({ keepAlive: true });
  }

  /** The kubeconfig context's (or service account's) namespace. */
  get namespace(): string | undefined {
    return this.#config.namespace;
  }

  /**
   * Sends a request and parses the JSON answer; a 404 resolves to `undefined`.
   *
   * @throws KubeApiError `unreachable`, `no_credentials` or `status` (the message carries the API
   *   server's `Status.message`).
   */
  async json(path: string, request: KubeRequest = {}): Promise<unknown> {
    const method = request.method ?? 'GET';
    const url = new URL(path, this.#config.server);
    const what = `${method} ${url.pathname}`;
    const { headers, ...tls } = await this.#config.requestOptions().catch((err: unknown) => {
      throw new KubeApiError('no_credentials', `${what}: ${errorMessage(err)}`, { cause: err });
    });
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = send(url, {
          ...tls,
          method,
          agent: this.#agent,
          headers: {
            ...headers,
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'content-type': request.contentType ?? 'application/json' }),
          },
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        req.on('error', (err) => {
          const reason =
            err.name === 'AbortError'
              ? `no answer within ${String(this.#timeoutMs)} ms`
              : err.message;
          reject(new KubeApiError('unreachable', `${what}: ${reason}`, { cause: err }));
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
        });
        req.end(payload);
      },
    );
    if (status === 404) return undefined;
    if (status < 200 || status >= 300) {
      throw new KubeApiError('status', `${what}: ${String(status)} ${statusMessage(body)}`, {
        status,
      });
    }
    return JSON.parse(body) as unknown;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }
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
