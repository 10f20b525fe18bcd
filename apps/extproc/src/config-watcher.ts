import type { FilterConfig } from '@aigw/filterapi';
import type { Logger } from '@aigw/service-kit';
import {
  configPathSignature,
  fileSignature,
  isBundleInTransition,
  readFilterConfigPath,
} from './config-bundle-dir.js';
import { ExtprocError } from './errors.js';
import { buildRuntimeConfig, type RuntimeConfig } from './runtime/runtime-config.js';

/** Options of {@link ConfigWatcher}. */
export interface ConfigWatcherOptions {
  /**
   * The config file, or a directory holding a mounted config bundle (`index.yaml` and its
   * parts); absent when configs only come through {@link ConfigWatcher.apply}.
   */
  readonly path?: string | undefined;
  readonly log: Logger;
  /** How often the config and credential files are checked for changes. */
  readonly intervalMs: number;
  /** Runs `tick` every `intervalMs` until cancelled (default `setInterval`); tests drive it. */
  readonly schedule?: Schedule;
}

/** A repeating timer: see {@link ConfigWatcherOptions.schedule}. */
export type Schedule = (tick: () => void, intervalMs: number) => { cancel(): void };

const intervalSchedule: Schedule = (tick, intervalMs) => {
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    cancel: () => {
      clearInterval(timer);
    },
  };
};

/**
 * Keeps the extproc's config current. It polls the config path and every credential file the
 * config names (cheap `stat` calls; polling, unlike inotify, also sees Kubernetes' atomic Secret
 * symlink swaps), rebuilds on any change and swaps the result in atomically, so a request sees
 * one config from start to end. A bad file keeps the last good config and is reported once until
 * it changes again.
 *
 * The path may be a directory holding a mounted config bundle (`config-bundle-dir.ts`): it is
 * applied only when the index and all its parts agree; a bundle the kubelet is still updating
 * (parts and index of different generations) keeps the last good config, is reported once as a
 * warning and retried at the next change.
 *
 * A config can also be handed in ({@link apply}: the API-server source in Kubernetes). From then
 * on the path is no longer read — the mounted copy lags the API server — but the credential
 * files that config names are still polled.
 */
export class ConfigWatcher {
  readonly #options: ConfigWatcherOptions;
  #current: RuntimeConfig | undefined;
  /** The config handed in through {@link apply}, rebuilt when its credential files change. */
  #applied: { readonly config: FilterConfig; readonly source: string } | undefined;
  #signature = '';
  #reportedBadSignature = '';
  #timer: { cancel(): void } | undefined;
  #checking: Promise<void> = Promise.resolve();
  readonly #firstLoaded: Promise<void>;
  #resolveFirst: () => void = () => undefined;

  constructor(options: ConfigWatcherOptions) {
    this.#options = options;
    this.#firstLoaded = new Promise((resolve) => {
      this.#resolveFirst = resolve;
    });
  }

  /** The config in force. */
  get current(): RuntimeConfig {
    if (!this.#current)
      throw new ExtprocError('not_started', 'ConfigWatcher.start() has not completed');
    return this.#current;
  }

  /** True once a config is in force (from the path or {@link apply}). */
  get isLoaded(): boolean {
    return this.#current !== undefined;
  }

  /** Settles when the first config is in force (from the path or {@link apply}). */
  get firstLoaded(): Promise<void> {
    return this.#firstLoaded;
  }

  /**
   * Loads the config path once, throwing if it is unusable, and starts watching; does nothing
   * when a config was applied meanwhile (serialised with {@link apply}). A bundle directory the
   * kubelet is still updating is not fatal: it is reported, and the watcher keeps polling until
   * the bundle is whole ({@link isLoaded} stays false until then: see {@link firstLoaded}).
   */
  start(): Promise<void> {
    return this.#serialised(() => this.#startFromPath((err) => !isBundleInTransition(err)));
  }

  /**
   * Like {@link start}, but never throws: an unusable config path (missing, invalid, a bundle
   * between generations) is reported like a rejected change and the watcher keeps polling it
   * until a usable config arrives there or through {@link apply}. For the mounted copy when the
   * API server is the primary source.
   */
  startWaiting(): Promise<void> {
    return this.#serialised(() => this.#startFromPath(() => false));
  }

  #serialised(task: () => Promise<void>): Promise<void> {
    const run = this.#checking.then(task);
    this.#checking = run.catch(() => undefined);
    return run;
  }

  async #startFromPath(isFatal: (err: unknown) => boolean): Promise<void> {
    if (this.#applied) return;
    const before = await this.#computeSignature(undefined);
    try {
      this.#setCurrent(await this.#load());
    } catch (err) {
      if (isFatal(err)) throw err;
      this.#signature = before;
      this.#report(err, before);
      this.#startTimer();
      return;
    }
    this.#signature = await this.#computeSignature(this.#current);
    // The config changed while it was being loaded: force a reload at the first check.
    if (before !== (await this.#computeSignature(undefined))) this.#signature = '';
    this.#logApplied('config loaded');
    this.#startTimer();
  }

  /**
   * Builds `config` and swaps it in, the same way a file change is applied; the path is not
   * read any more. Calls are serialised with the file checks.
   *
   * @throws ExtprocError when the config is unusable (the config in force stays).
   */
  apply(config: FilterConfig, source: string): Promise<void> {
    return this.#serialised(async () => {
      const next = await buildRuntimeConfig(config);
      const isFirst = this.#current === undefined;
      this.#applied = { config, source };
      this.#setCurrent(next);
      this.#signature = await this.#computeSignature(next);
      this.#reportedBadSignature = '';
      this.#logApplied(isFirst ? 'config loaded' : 'config reloaded');
      this.#startTimer();
    });
  }

  #setCurrent(next: RuntimeConfig): void {
    this.#current = next;
    this.#resolveFirst();
  }

  #startTimer(): void {
    if (this.#timer) return;
    const schedule = this.#options.schedule ?? intervalSchedule;
    this.#timer = schedule(() => {
      this.#checking = this.#checking.then(() => this.check());
    }, this.#options.intervalMs);
  }

  /** Settles when the checks the timer started so far have finished. */
  idle(): Promise<void> {
    return this.#checking;
  }

  /** Checks the files now and applies a change; exposed for tests. */
  async check(): Promise<void> {
    const signature = await this.#computeSignature(this.#current);
    if (signature === this.#signature) return;
    const isFirst = this.#current === undefined;
    try {
      this.#setCurrent(await this.#load());
    } catch (err) {
      this.#signature = signature;
      this.#report(err, signature);
      return;
    }
    this.#signature = await this.#computeSignature(this.#current);
    this.#reportedBadSignature = '';
    this.#logApplied(isFirst ? 'config loaded' : 'config reloaded');
  }

  /** Logs why the config at `signature` was not applied, once per signature. */
  #report(err: unknown, signature: string): void {
    if (this.#reportedBadSignature === signature) return;
    this.#reportedBadSignature = signature;
    const fields = { err, ...this.#sourceFields() };
    if (isBundleInTransition(err)) {
      this.#options.log.warn(
        fields,
        'config bundle parts do not match its index; keeping the last good config until the next change',
      );
    } else {
      this.#options.log.error(fields, 'config change rejected; keeping the last good config');
    }
  }

  /** Stops watching (a check already running still finishes: see {@link idle}). */
  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  async #load(): Promise<RuntimeConfig> {
    if (this.#applied) return buildRuntimeConfig(this.#applied.config);
    const { path } = this.#options;
    if (path === undefined)
      throw new ExtprocError('not_started', 'no config file and no config applied');
    return buildRuntimeConfig(await readFilterConfigPath(path));
  }

  async #computeSignature(runtime: RuntimeConfig | undefined): Promise<string> {
    const { path } = this.#options;
    const configPath = this.#applied || path === undefined ? [] : [configPathSignature(path)];
    const files = (runtime?.watchedFiles ?? []).map(fileSignature);
    return (await Promise.all([...configPath, ...files])).join('|');
  }

  /** Where the config in force came from, for log lines: `{ path }` or `{ source }`. */
  #sourceFields(): { path: string | undefined } | { source: string } {
    return this.#applied ? { source: this.#applied.source } : { path: this.#options.path };
  }

  #logApplied(message: string): void {
    const { config } = this.current;
    this.#options.log.info(
      {
        ...this.#sourceFields(),
        version: config.version,
        uuid: config.uuid,
        backends: config.backends.length,
        costs: config.llmRequestCosts.length,
      },
      message,
    );
  }
}
