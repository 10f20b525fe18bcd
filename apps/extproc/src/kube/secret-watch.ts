import { isKubeError, KubeError, type KubeClient } from './kube-client.js';

/** A Secret as the extproc keeps it: name, version, and its base64 `data`. */
export interface WatchedSecret {
  readonly name: string;
  readonly resourceVersion: string;
  readonly data: Readonly<Record<string, string>>;
}

/** Options of {@link SecretWatch}. */
export interface SecretWatchOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** E.g. `metadata.name=<secret>`: RBAC authorizes such a list/watch against `resourceNames`. */
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
  /** Called with every Secret the selectors match, after the list and after each change. */
  readonly onChange: (secrets: ReadonlyMap<string, WatchedSecret>) => void;
  /** Called when a list or a watch fails (the watch retries with backoff on its own). */
  readonly onError: (err: KubeError) => void;
  /** Called when a list succeeded after errors (the connection is back). */
  readonly onRecovered?: () => void;
  /** Backoff between retries: first and largest delay (default 100 ms and 10 s). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: SecretObject & { code?: number; message?: string };
}

interface SecretObject {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly data?: Readonly<Record<string, string>> | null;
}

const secretOf = (object: SecretObject): WatchedSecret => ({
  name: object.metadata?.name ?? '',
  resourceVersion: object.metadata?.resourceVersion ?? '',
  data: object.data ?? {},
});

/**
 * Keeps a local copy of the Secrets a selector matches in one namespace, the way client-go's
 * reflector does: list, then watch from the list's resourceVersion (with bookmarks, so a resumed
 * watch starts from a recent version), resume from the last seen version after the server ends
 * a watch (`timeoutSeconds`) or the connection drops, relist on `410 Gone` (the version is too
 * old), and retry with exponential backoff (with jitter) while the API server is unreachable.
 * The copy is kept across failures: a consumer keeps working with what it last saw.
 */
export class SecretWatch {
  readonly #options: SecretWatchOptions;
  readonly #abort = new AbortController();
  readonly #secrets = new Map<string, WatchedSecret>();
  #resourceVersion: string | undefined;
  #isFailing = false;
  #running: Promise<void> | undefined;

  constructor(options: SecretWatchOptions) {
    this.#options = options;
  }

  /** Starts listing and watching in the background. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops, closing the watch connection; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const { initialMs, maxMs } = this.#options.backoff ?? { initialMs: 100, maxMs: 10_000 };
    let delay = initialMs;
    while (!this.#abort.signal.aborted) {
      try {
        if (this.#resourceVersion === undefined) await this.#list();
        delay = initialMs;
        await this.#watch();
        continue; // the server ended the watch: resume at once from the last version
      } catch (err) {
        if (this.#isStopped()) return;
        const error = isKubeError(err)
          ? err
          : new KubeError('unreachable', String(err), { cause: err });
        // 410: our version is older than the server's watch cache; the next round relists.
        if (error.status === 410) {
          this.#resourceVersion = undefined;
          continue;
        }
        this.#isFailing = true;
        this.#options.onError(error);
      }
      await pause(delay * (0.5 + Math.random() / 2), this.#abort.signal);
      delay = Math.min(delay * 2, maxMs);
    }
  }

  // A method, not the property inline: TypeScript narrows `signal.aborted` to false inside the loop.
  #isStopped(): boolean {
    return this.#abort.signal.aborted;
  }

  #query(extra: Record<string, string>): string {
    const params = new URLSearchParams(extra);
    if (this.#options.fieldSelector) params.set('fieldSelector', this.#options.fieldSelector);
    if (this.#options.labelSelector) params.set('labelSelector', this.#options.labelSelector);
    return `/api/v1/namespaces/${encodeURIComponent(this.#options.namespace)}/secrets?${params.toString()}`;
  }

  async #list(): Promise<void> {
    const list = (await this.#options.client.getJson(this.#query({}), {
      signal: this.#abort.signal,
    })) as { metadata?: { resourceVersion?: string }; items?: SecretObject[] };
    this.#secrets.clear();
    for (const item of list.items ?? []) {
      const secret = secretOf(item);
      this.#secrets.set(secret.name, secret);
    }
    this.#resourceVersion = list.metadata?.resourceVersion ?? '';
    this.#recovered();
    this.#options.onChange(this.#secrets);
  }

  #recovered(): void {
    if (!this.#isFailing) return;
    this.#isFailing = false;
    this.#options.onRecovered?.();
  }

  /** One watch request, until the server ends it or it fails. */
  async #watch(): Promise<void> {
    // The server ends the watch after timeoutSeconds (spread, as client-go does, so that many
    // extprocs do not reconnect at once); a connection silent for longer is dead.
    const timeoutSeconds = 240 + Math.floor(Math.random() * 60);
    const res = await this.#options.client.get(
      this.#query({
        watch: '1',
        allowWatchBookmarks: 'true',
        resourceVersion: this.#resourceVersion ?? '',
        timeoutSeconds: String(timeoutSeconds),
      }),
      { signal: this.#abort.signal, idleTimeoutMs: (timeoutSeconds + 30) * 1000 },
    );
    this.#recovered();
    let buffered = '';
    res.setEncoding('utf8');
    for await (const chunk of res) {
      buffered += chunk as string;
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() !== '') this.#handle(JSON.parse(line) as WatchEvent);
        newline = buffered.indexOf('\n');
      }
    }
  }

  #handle(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const status = event.object.code;
      throw new KubeError('status', `watch: ${String(status)} ${event.object.message ?? ''}`, {
        ...(status === undefined ? {} : { status }),
      });
    }
    const secret = secretOf(event.object);
    this.#resourceVersion = secret.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    if (event.type === 'DELETED') this.#secrets.delete(secret.name);
    else this.#secrets.set(secret.name, secret);
    this.#options.onChange(this.#secrets);
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
