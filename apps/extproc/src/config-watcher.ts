import { stat } from 'node:fs/promises';
import { readFilterConfigFile } from '@aigw/filterapi';
import type { Logger } from '@aigw/service-kit';
import { ExtprocError } from './errors.js';
import { buildRuntimeConfig, type RuntimeConfig } from './runtime/runtime-config.js';

/** Options of {@link ConfigWatcher}. */
export interface ConfigWatcherOptions {
  readonly path: string;
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
 */
export class ConfigWatcher {
  readonly #options: ConfigWatcherOptions;
  #current: RuntimeConfig | undefined;
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

  /** Loads the config once (throwing if it is unusable) and starts watching. */
  async start(): Promise<void> {
    const before = await this.#computeSignature(undefined);
    this.#current = await this.#load();
    this.#signature = await this.#computeSignature(this.#current);
    // The config file changed while it was being loaded: force a reload at the first check.
    if (before !== (await this.#computeSignature(undefined))) this.#signature = '';
    this.#logApplied('config loaded');
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
        { err, path: this.#options.path },
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
    return buildRuntimeConfig(await readFilterConfigFile(this.#options.path));
  }

  async #computeSignature(runtime: RuntimeConfig | undefined): Promise<string> {
    const files = [this.#options.path, ...(runtime?.watchedFiles ?? [])];
    return (await Promise.all(files.map(fileSignature))).join('|');
  }

  #logApplied(message: string): void {
    const { config } = this.current;
    this.#options.log.info(
      {
        path: this.#options.path,
        version: config.version,
        uuid: config.uuid,
        backends: config.backends.length,
        costs: config.llmRequestCosts.length,
      },
      message,
    );
  }
}
