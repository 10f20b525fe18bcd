import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';

import { CredentialError } from './errors.js';
import { defaultTimeoutMs, trustedCas, type ExchangeOptions } from './options.js';

/** A buffered HTTP response. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP request of an exchange. */
export interface HttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** What is being asked, for error messages ("OIDC discovery at https://…"). */
  readonly what: string;
}

/**
 * Sends one request with `node:http(s)` (so that extra CAs apply) and buffers the answer.
 *
 * @throws CredentialError `unreachable` when no answer came (connection refused or reset,
 * timeout, TLS failure), naming `what` and the cause.
 */
export function httpRequest(req: HttpRequest, options: ExchangeOptions): Promise<HttpResponse> {
  const url = new URL(req.url);
  const send = url.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  const ca = url.protocol === 'https:' ? trustedCas(options) : undefined;
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  return new Promise((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: req.method,
        headers: {
          accept: 'application/json',
          ...req.headers,
          ...(body === undefined ? {} : { 'content-length': String(body.length) }),
        },
        timeout: options.timeoutMs ?? defaultTimeoutMs,
        ...(ca === undefined ? {} : { ca }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => {
          reject(new CredentialError('unreachable', `${req.what}: ${err.message}`));
        });
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy(
        new Error(`no answer within ${String(options.timeoutMs ?? defaultTimeoutMs)} ms`),
      );
    });
    outgoing.on('error', (err: NodeJS.ErrnoException) => {
      const code =
        err.code !== undefined && !err.message.includes(err.code) ? ` (${err.code})` : '';
      reject(new CredentialError('unreachable', `${req.what}: ${err.message}${code}`));
    });
    outgoing.end(body);
  });
}

/** The body parsed as a JSON object, or undefined when it is not one. */
export function jsonBody(res: HttpResponse): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(res.body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An OAuth-style error body as one phrase: `invalid_client: Invalid client credentials`. */
export function oauthErrorText(res: HttpResponse): string {
  const body = jsonBody(res);
  const error = body?.error;
  if (typeof error === 'string') {
    const description = body?.error_description;
    return typeof description === 'string' ? `${error}: ${description}` : error;
  }
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  return `HTTP ${String(res.status)}`;
}
