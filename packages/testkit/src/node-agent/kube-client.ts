import { request } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';

import { TestkitError } from '../errors.js';
import { kubeRequest, type KubeRequestOptions, type KubeTarget } from '../kube-request.js';

/** A failed API call: `status` is the HTTP status (0 when the request never got an answer). */
export class KubeApiError extends TestkitError {
  readonly status: number;

  constructor(status: number, message: string) {
    super('kube-error', message);
    this.status = status;
  }
}

/** Thin JSON client over {@link kubeRequest}: non-2xx answers throw {@link KubeApiError}. */
export class KubeClient {
  readonly target: KubeTarget;

  constructor(target: KubeTarget) {
    this.target = target;
  }

  /** GET `path`; `undefined` on 404. */
  async get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.send<T>(path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) {
        return undefined;
      }
      throw err;
    }
  }

  /** Sends one request and parses the JSON answer. */
  async send<T>(path: string, options: KubeRequestOptions = {}): Promise<T> {
    const res = await kubeRequest(this.target, path, options);
    if (res.status < 200 || res.status > 299) {
      throw new KubeApiError(
        res.status,
        `${options.method ?? 'GET'} ${path} answered ${String(res.status)}: ${statusMessage(res.body)}`,
      );
    }
    return res.json() as T;
  }

  /** Merge-patches `path` (e.g. a `/status` subresource). */
  async mergePatch(path: string, body: unknown): Promise<void> {
    await this.send(path, {
      method: 'PATCH',
      body,
      contentType: 'application/merge-patch+json',
    });
  }

  /**
   * Calls `onChange` once now and again whenever the watch on `collection` (e.g. `/api/v1/pods`)
   * reports an event, until `signal` aborts. Reconnects (re-listing) when the stream ends or fails.
   * The events themselves are not passed on: callers re-read what they need (level-triggered).
   */
  async watch(collection: string, onChange: () => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const list = await this.send<{ metadata?: { resourceVersion?: string } }>(collection);
        onChange();
        const rv = list.metadata?.resourceVersion ?? '';
        await this.#stream(`${collection}?watch=1&resourceVersion=${rv}`, onChange, signal);
      } catch {
        // The API server restarting, a 410 Gone, a dropped stream: list again after a pause.
      }
      await delay(200, undefined, { signal }).catch(() => undefined);
    }
  }

  #stream(path: string, onChange: () => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.target.url),
        {
          headers: { authorization: `Bearer ${this.target.token}`, accept: 'application/json' },
          ca: this.target.caPem,
          signal,
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(
              new KubeApiError(res.statusCode ?? 0, `watch ${path}: ${String(res.statusCode)}`),
            );
            return;
          }
          res.on('data', () => {
            onChange();
          });
          res.on('error', reject);
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
