import {
  assembleConfigBundle,
  configBundleIndexKey,
  configBundlePartKey,
  parseConfigBundleIndex,
  parseFilterConfig,
  type ConfigBundleIndex,
  type FilterConfig,
} from '@aigw/filterapi';
import type { Logger } from '@aigw/service-kit';
import { KubeError, type KubeClient } from './kube-client.js';
import { SecretWatch, type WatchedSecret } from './secret-watch.js';

/** Options of {@link KubeConfigSource}. */
export interface KubeConfigSourceOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** The bundle's index Secret (`<gw>-<ns>-<h12>`). */
  readonly indexName: string;
  readonly log: Logger;
  /**
   * Builds and swaps in a config (the config watcher's reload path); rejects when the config is
   * unusable (a CEL cost that does not compile, an unreadable credential file).
   */
  readonly apply: (config: FilterConfig, source: string) => Promise<void>;
  /**
   * How long an incomplete bundle (a part missing, or parts and index of different generations)
   * may last before it is reported: the controller writes the parts and then the index, so the
   * extproc briefly sees new parts with the old index on every change (default 2 s).
   */
  readonly reportDelayMs?: number;
  /** Retry backoff of the watches (tests shorten it). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

interface PartWatch {
  readonly watch: SecretWatch;
  secret: WatchedSecret | undefined;
  isListed: boolean;
}

/** A problem with the bundle in the API server, and the bundle state it was seen in. */
interface Problem {
  readonly signature: string;
  readonly err: Error;
}

/**
 * The extproc's config from the API server: it watches the bundle's index Secret and the part
 * Secrets the index lists, each by name (a `metadata.name` field selector, which RBAC authorizes
 * against a Role's `resourceNames`: the extproc can read its own Gateway's config Secrets and no
 * other), and applies a new config as soon as the index and all its parts agree (sizes and
 * checksum) — within milliseconds of the controller's write, instead of the kubelet's ~1 min
 * Secret-volume sync.
 *
 * It never applies a partial or corrupt bundle: the last good config stays in force, and a bundle
 * that stays bad is logged once. While the API server is unreachable nothing changes; the
 * watches retry and resume, and the config in force stays.
 */
export class KubeConfigSource {
  readonly #options: KubeConfigSourceOptions;
  readonly #source: string;
  readonly #indexWatch: SecretWatch;
  readonly #parts = new Map<string, PartWatch>();
  #index: WatchedSecret | undefined;
  #isIndexListed = false;
  #appliedChecksum: string | undefined;
  #isDirty = false;
  #evaluating: Promise<void> | undefined;
  #pending: Problem | undefined;
  #pendingTimer: NodeJS.Timeout | undefined;
  #reportedSignature = '';
  #isUnreachable = false;
  #isStopped = false;

  constructor(options: KubeConfigSourceOptions) {
    this.#options = options;
    this.#source = `secret ${options.namespace}/${options.indexName}`;
    this.#indexWatch = this.#watch(options.indexName, (secret) => {
      this.#index = secret;
      this.#isIndexListed = true;
    });
  }

  /** Starts watching in the background. */
  start(): void {
    this.#indexWatch.start();
  }

  /** Stops every watch. */
  async stop(): Promise<void> {
    this.#isStopped = true;
    clearTimeout(this.#pendingTimer);
    await Promise.all([
      this.#indexWatch.stop(),
      ...[...this.#parts.values()].map((p) => p.watch.stop()),
    ]);
    await this.#evaluating;
  }

  #watch(name: string, update: (secret: WatchedSecret | undefined) => void): SecretWatch {
    const isIndex = name === this.#options.indexName;
    return new SecretWatch({
      client: this.#options.client,
      namespace: this.#options.namespace,
      fieldSelector: `metadata.name=${name}`,
      ...(this.#options.backoff ? { backoff: this.#options.backoff } : {}),
      onChange: (secrets) => {
        update(secrets.get(name));
        this.#schedule();
      },
      onError: (err) => {
        // One line per outage (the index watch speaks for all of them), not one per retry.
        if (!isIndex || this.#isUnreachable) return;
        this.#isUnreachable = true;
        this.#options.log.warn(
          { err, source: this.#source },
          'cannot watch the config Secrets; keeping the config in force and retrying',
        );
      },
      onRecovered: () => {
        if (!isIndex || !this.#isUnreachable) return;
        this.#isUnreachable = false;
        this.#options.log.info({ source: this.#source }, 'watching the config Secrets again');
      },
    });
  }

  /** Re-evaluates the bundle after a change; changes during an evaluation queue one more. */
  #schedule(): void {
    this.#isDirty = true;
    this.#evaluating ??= (async () => {
      while (this.#isDirty && !this.#isStopped) {
        this.#isDirty = false;
        await this.#evaluate();
      }
      this.#evaluating = undefined;
    })();
  }

  async #evaluate(): Promise<void> {
    if (!this.#isIndexListed) return;
    if (this.#index === undefined) {
      const err = new KubeError('status', `index Secret ${this.#source} not found`, {
        status: 404,
      });
      this.#defer({ signature: 'no index', err });
      return;
    }
    let index: ConfigBundleIndex;
    try {
      index = parseConfigBundleIndex(decoded(this.#index, configBundleIndexKey));
    } catch (err) {
      this.#report({ signature: this.#signature(), err: asError(err) });
      return;
    }
    this.#syncPartWatches(index);
    if ([...this.#parts.values()].some((part) => !part.isListed)) return;
    let text: string;
    try {
      text = assembleConfigBundle(index, (name) => {
        const secret = this.#parts.get(name)?.secret;
        const chunk = secret?.data[configBundlePartKey];
        return secret === undefined ? undefined : Buffer.from(chunk ?? '', 'base64');
      });
    } catch (err) {
      // Most likely a write in progress: report only if it lasts.
      this.#defer({ signature: this.#signature(), err: asError(err) });
      return;
    }
    this.#clearPending();
    if (index.checksum === this.#appliedChecksum) return;
    try {
      await this.#options.apply(parseFilterConfig(text, { source: this.#source }), this.#source);
    } catch (err) {
      this.#report({ signature: this.#signature(), err: asError(err) });
      return;
    }
    this.#appliedChecksum = index.checksum;
    this.#reportedSignature = '';
  }

  /** Watches exactly the parts `index` lists. */
  #syncPartWatches(index: ConfigBundleIndex): void {
    const wanted = new Set(index.parts.map((part) => part.name));
    for (const [name, part] of this.#parts) {
      if (wanted.has(name)) continue;
      this.#parts.delete(name);
      void part.watch.stop();
    }
    for (const name of wanted) {
      if (this.#parts.has(name)) continue;
      const part: PartWatch = {
        secret: undefined,
        isListed: false,
        watch: this.#watch(name, (secret) => {
          part.secret = secret;
          part.isListed = true;
        }),
      };
      this.#parts.set(name, part);
      part.watch.start();
    }
  }

  /** The bundle state seen: the resourceVersions of the index and the parts. */
  #signature(): string {
    const parts = [...this.#parts.values()].map((p) => p.secret?.resourceVersion ?? '-');
    return [this.#index?.resourceVersion ?? '-', ...parts].join(',');
  }

  /** Logs a problem once per bundle state. */
  #report(problem: Problem): void {
    this.#clearPending();
    if (problem.signature === this.#reportedSignature) return;
    this.#reportedSignature = problem.signature;
    this.#options.log.error(
      { err: problem.err, source: this.#source },
      'config bundle rejected; keeping the last good config',
    );
  }

  /** Reports `problem` if the bundle is still in the same state after the report delay. */
  #defer(problem: Problem): void {
    if (this.#pending?.signature === problem.signature) return;
    this.#clearPending();
    this.#pending = problem;
    this.#pendingTimer = setTimeout(() => {
      if (this.#pending === problem) this.#report(problem);
    }, this.#options.reportDelayMs ?? 2_000);
    this.#pendingTimer.unref();
  }

  #clearPending(): void {
    clearTimeout(this.#pendingTimer);
    this.#pending = undefined;
  }
}

function decoded(secret: WatchedSecret, key: string): string {
  return Buffer.from(secret.data[key] ?? '', 'base64').toString('utf8');
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
