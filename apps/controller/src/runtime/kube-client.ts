import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@aigw/kube-config';
import { ControllerError, codeForStatus } from './errors.js';

/** Query parameters of a request; `undefined` values are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** One API request. */
export interface KubeRequest {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server URL, e.g. `/api/v1/namespaces/default/secrets`. */
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  /** Content type of `body`; JSON by default. */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Gives up after this long (default 30 s). */
  readonly timeoutMs?: number;
}

/** One event of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: Record<string, unknown>;
}

/** Options of {@link KubeClient.watch}. */
export interface WatchRequest {
  readonly path: string;
  readonly query: Query;
  readonly signal: AbortSignal;
  readonly onEvent: (event: WatchEvent) => void;
  /** The connection is dropped when nothing arrives for this long. */
  readonly idleTimeoutMs: number;
}

interface Prepared {
  readonly url: URL;
  readonly options: https.RequestOptions;
}

/**
 * A small HTTP client for the API server. `@aigw/kube-config`'s `KubeConfig` supplies the
 * endpoint, TLS material and credentials (token files, exec plugins, client certificates — asked
 * again on every request, so rotated service-account tokens are picked up); requests go through
 * one keep-alive agent, so the informers' watches and the writes share connections instead of
 * opening a TLS session per call. The TLS options travel with each request: the agent pools
 * sockets by them, so a rotated exec-plugin certificate gets fresh connections.
 */
export class KubeClient {
  private agent: http.Agent | undefined;

  constructor(readonly config: KubeConfig) {}

  /** The API server URL. */
  get server(): string {
    return this.config.server;
  }

  /** Sends one request and returns the decoded JSON body; a non-2xx answer throws. */
  async request<T = Record<string, unknown>>(request: KubeRequest): Promise<T> {
    const method = request.method ?? 'GET';
    const { url, options } = await this.prepare(request.path, request.query);
    const payload =
      request.body === undefined
        ? undefined
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body);
    const headers: Record<string, string> = {
      ...toHeaders(options.headers),
      accept: 'application/json',
    };
    if (payload !== undefined) {
      headers['content-type'] = request.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const { signal, done } = deadline(request.signal, request.timeoutMs ?? 30_000);
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = transport(url).request(url, { ...options, method, headers, signal }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      },
    )
      .catch((err: unknown) => {
        throw new ControllerError('unavailable', `${method} ${request.path}: ${errorText(err)}`, {
          cause: err,
        });
      })
      .finally(done);
    if (status < 200 || status > 299) throw statusError(`${method} ${request.path}`, status, body);
    return (body === '' ? {} : JSON.parse(body)) as T;
  }

  /**
   * Opens a watch and calls `onEvent` for each event; resolves when the server ends the stream
   * (or `signal` aborts), rejects on a failed request or a dropped connection.
   */
  async watch(request: WatchRequest): Promise<void> {
    const { url, options } = await this.prepare(request.path, { ...request.query, watch: true });
    const headers = { ...toHeaders(options.headers), accept: 'application/json' };
    await new Promise<void>((resolve, reject) => {
      if (request.signal.aborted) {
        resolve();
        return;
      }
      // A connection error after our own abort is the normal end of the watch.
      const settle = (err: Error): void => {
        if (request.signal.aborted) resolve();
        else reject(err);
      };
      const req = transport(url).request(url, { ...options, method: 'GET', headers }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            reject(statusError(`WATCH ${request.path}`, status, body));
          });
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line === '') continue;
            try {
              request.onEvent(JSON.parse(line) as WatchEvent);
            } catch (err) {
              req.destroy(err instanceof Error ? err : new Error(String(err)));
              return;
            }
            newline = buffered.indexOf('\n');
          }
        });
        res.on('end', () => {
          resolve();
        });
        res.on('error', (err) => {
          settle(err);
        });
        res.on('aborted', () => {
          settle(new Error('watch connection aborted'));
        });
      });
      req.setTimeout(request.idleTimeoutMs, () => req.destroy(new Error('watch idle timeout')));
      const onAbort = (): void => {
        req.destroy();
        resolve();
      };
      request.signal.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => {
        request.signal.removeEventListener('abort', onAbort);
      });
      req.on('error', (err) => {
        settle(err);
      });
      req.end();
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent?.destroy();
  }

  private async prepare(path: string, query: Query | undefined): Promise<Prepared> {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const { headers, ...tls } = await this.config.requestOptions().catch((err: unknown) => {
      throw new ControllerError('kube-config', `credentials: ${errorText(err)}`, { cause: err });
    });
    this.agent ??=
      url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true })
        : new http.Agent({ keepAlive: true });
    return { url, options: { agent: this.agent, headers: { ...headers }, ...tls } };
  }
}

function transport(url: URL): typeof https | typeof http {
  return url.protocol === 'http:' ? http : https;
}

function toHeaders(
  headers: http.OutgoingHttpHeaders | readonly string[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || Array.isArray(headers)) return out;
  for (const [key, value] of Object.entries(headers as http.OutgoingHttpHeaders)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The API server's `Status.message` when the body is one, else the HTTP status. */
function statusError(what: string, status: number, body: string): ControllerError {
  let message = `HTTP ${String(status)}`;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not a Status object: keep the HTTP status.
  }
  return new ControllerError(codeForStatus(status), `${what}: ${message}`, { status });
}

/**
 * A signal that aborts after `timeoutMs` or with `parent`, and `done()` to release both once the
 * request ended: `AbortSignal.timeout`/`any` would keep a 30 s timer and a dependant signal alive
 * per request (thousands after a burst of writes).
 */
function deadline(
  parent: AbortSignal | undefined,
  timeoutMs: number,
): { readonly signal: AbortSignal; readonly done: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new Error(`timed out after ${String(timeoutMs)} ms`));
  }, timeoutMs);
  const follow = (): void => {
    controller.abort(parent?.reason);
  };
  if (parent?.aborted) follow();
  else parent?.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', follow);
    },
  };
}
