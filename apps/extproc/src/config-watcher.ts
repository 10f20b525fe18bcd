import { stat } from 'node:fs/promises';
import { readFilterConfigFile, type FilterConfig } from '@aigw/filterapi';
import type { Logger } from '@aigw/service-kit';
import { ExtprocError } from './errors.js';
import { buildRuntimeConfig, type RuntimeConfig } from './runtime/runtime-config.js';

/** Options of {@link ConfigWatcher}. */
export interface ConfigWatcherOptions {
  /** The config file; absent when configs only come through {@link ConfigWatcher.apply}. */
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

async function fileSignature(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${String(s.ino)}:${String(s.size)}:${String(s.mtimeMs)}`;
  } catch {
    return 'missing';
  }
}

/**
 * Keeps the extproc's config current. It polls the config file and every credential file it
 * names (cheap `stat` calls; polling, unlike inotify, also sees Kubernetes' atomic Secret symlink
 * swaps), rebuilds on any change and swaps the result in atomically, so a request sees one
 * config from start to end. A bad file keeps the last good config and is reported once until it
 * changes again.
 *
 * A config can also be handed in ({@link apply}: the API-server source in Kubernetes). From then
 * on the file is no longer read — the mounted copy lags the API server — but the credential
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

  constructor(options: ConfigWatcherOptions) {
    this.#options = options;
  }

  /** The config in force. */
  get current(): RuntimeConfig {
    if (!this.#current)
      throw new ExtprocError('not_started', 'ConfigWatcher.start() has not completed');
    return this.#current;
  }

  /** True once a config is in force (from the file or {@link apply}). */
  get isLoaded(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Loads the config file once (throwing if it is unusable) and starts watching; does nothing
   * when a config was applied meanwhile (serialised with {@link apply}).
   */
  start(): Promise<void> {
    const run = this.#checking.then(() => this.#startFromFile());
    this.#checking = run.catch(() => undefined);
    return run;
  }

  async #startFromFile(): Promise<void> {
    if (this.#applied) return;
    const before = await this.#computeSignature(undefined);
    this.#current = await this.#load();
    this.#signature = await this.#computeSignature(this.#current);
    // The config file changed while it was being loaded: force a reload at the first check.
    if (before !== (await this.#computeSignature(undefined))) this.#signature = '';
    this.#logApplied('config loaded');
    this.#startTimer();
  }

  /**
   * Builds `config` and swaps it in, the same way a file change is applied; the file is not
   * read any more. Calls are serialised with the file checks.
   *
   * @throws ExtprocError when the config is unusable (the config in force stays).
   */
  apply(config: FilterConfig, source: string): Promise<void> {
    const run = this.#checking.then(async () => {
      const next = await buildRuntimeConfig(config);
      const isFirst = this.#current === undefined;
      this.#applied = { config, source };
      this.#current = next;
      this.#signature = await this.#computeSignature(next);
      this.#reportedBadSignature = '';
      this.#logApplied(isFirst ? 'config loaded' : 'config reloaded');
      this.#startTimer();
    });
    this.#checking = run.catch(() => undefined);
    return run;
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
    try {
      const next = await this.#load();
      this.#current = next;
      this.#signature = await this.#computeSignature(next);
      this.#reportedBadSignature = '';
      this.#logApplied('config reloaded');
    } catch (err) {
      this.#signature = signature;
      if (this.#reportedBadSignature === signature) return;
      this.#reportedBadSignature = signature;
      this.#options.log.error(
        { err, ...this.#sourceFields() },
        'config change rejected; keeping the last good config',
      );
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
    return buildRuntimeConfig(await readFilterConfigFile(path));
  }

  async #computeSignature(runtime: RuntimeConfig | undefined): Promise<string> {
    const { path } = this.#options;
    const configFiles = this.#applied || path === undefined ? [] : [path];
    const files = [...configFiles, ...(runtime?.watchedFiles ?? [])];
    return (await Promise.all(files.map(fileSignature))).join('|');
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
