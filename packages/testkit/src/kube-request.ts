import { request } from 'node:https';

import { TestkitError } from './errors.js';

/** Where and as whom {@link kubeRequest} talks to an API server. */
export interface KubeTarget {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** Bearer token sent as `Authorization`. */
  readonly token: string;
  /** PEM of the serving certificate (or its CA), trusted instead of the system roots. */
  readonly caPem: string;
}

/** Options for {@link kubeRequest}. */
export interface KubeRequestOptions {
  /** HTTP method (default `GET`). */
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Request body; objects are sent as JSON. */
  readonly body?: unknown;
  /** `Content-Type` for the body (default `application/json`; merge patches need their own). */
  readonly contentType?: string;
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
}

/** The answer to {@link kubeRequest}: status, raw body, and the body parsed as JSON on demand. */
export interface KubeResponse {
  /** HTTP status code. */
  readonly status: number;
  /** The response body as text. */
  readonly body: string;
  /** The body parsed as JSON; throws when it is not JSON. */
  json(): unknown;
}

/**
 * Sends one request to a Kubernetes API server, trusting only `target.caPem` and authenticating
 * with the bearer token. A non-2xx status is returned, not thrown, so callers can assert on it;
 * only transport failures reject.
 *
 * @throws TestkitError `timeout` when no answer arrives in time; transport errors as they are.
 */
export async function kubeRequest(
  target: KubeTarget,
  path: string,
  options: KubeRequestOptions = {},
): Promise<KubeResponse> {
  const payload = serialize(options.body);
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `Bearer ${target.token}`,
  };
  if (payload !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, target.url),
      { method: options.method ?? 'GET', headers, ca: target.caPem, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) as unknown });
        });
      },
    );
    req.on('timeout', () => {
      req.destroy(
        new TestkitError('timeout', `${path} got no answer within ${String(timeoutMs)} ms`),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function serialize(body: unknown): string | undefined {
  if (body === undefined || typeof body === 'string') {
    return body;
  }
  return JSON.stringify(body);
}
