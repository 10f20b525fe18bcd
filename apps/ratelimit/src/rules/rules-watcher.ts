import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { listRulesFiles, loadRulesDir } from './load-rules.js';
import { isRulesError } from './rules-error.js';
import { emptyRuleSet, type RuleSet } from './rule-set.js';

/** Options of {@link RulesWatcher}. */
export interface RulesWatcherOptions {
  /** The config directory; undefined serves an empty rule set (everything allowed). */
  readonly dir: string | undefined;
  readonly log: Logger;
  /** How often file names, sizes and mtimes are compared (default 500 ms). */
  readonly intervalMs?: number;
  /** Merge files that name the same domain (envoyproxy/ratelimit's `MERGE_DOMAIN_CONFIG`). */
  readonly mergeDomains?: boolean;
  /** Called after each successful (re)load; for stats. */
  readonly onLoad?: (outcome: 'success' | 'error') => void;
}

/**
 * Keeps the current {@link RuleSet} of a config directory. `start()` loads it once and throws on a
 * bad config (refuse to start); afterwards a change is picked up within one poll interval, and a
 * bad change is logged once per distinct content while the last good rule set stays in force.
 */
export class RulesWatcher {
  #current: RuleSet = emptyRuleSet;
  #signature = '';
  #lastError = '';
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | undefined;
  readonly #options: RulesWatcherOptions;

  constructor(options: RulesWatcherOptions) {
    this.#options = options;
  }

  /** The rule set in force. */
  get current(): RuleSet {
    return this.#current;
  }

  /** Loads the directory (throws a RulesError when invalid) and starts polling it. */
  async start(): Promise<void> {
    const dir = this.#options.dir;
    if (dir === undefined) return;
    this.#signature = await this.#signatureOf(dir);
    this.#current = await loadRulesDir(dir, { mergeDomains: this.#options.mergeDomains ?? false });
    this.#options.onLoad?.('success');
    this.#options.log.info({ dir, files: this.#current.files }, 'rate limit config loaded');
    this.#timer = setInterval(() => {
      if (this.#inflight === undefined) void this.poll();
    }, this.#options.intervalMs ?? 500);
    this.#timer.unref();
  }

  /**
   * Checks the directory once and reloads it if anything changed. Never throws. A call made while
   * another check runs waits for it and then checks again, so a change written before the call is
   * always seen when it resolves.
   */
  async poll(): Promise<void> {
    while (this.#inflight !== undefined) await this.#inflight;
    const run = this.#check();
    this.#inflight = run;
    try {
      await run;
    } finally {
      if (this.#inflight === run) this.#inflight = undefined;
    }
  }

  async #check(): Promise<void> {
    const dir = this.#options.dir;
    if (dir === undefined) return;
    try {
      const signature = await this.#signatureOf(dir);
      if (signature === this.#signature) return;
      this.#signature = signature;
      this.#current = await loadRulesDir(dir, {
        mergeDomains: this.#options.mergeDomains ?? false,
      });
      this.#lastError = '';
      this.#options.onLoad?.('success');
      this.#options.log.info({ dir, files: this.#current.files }, 'rate limit config reloaded');
    } catch (err) {
      this.#options.onLoad?.('error');
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.#lastError) {
        this.#lastError = message;
        const file = isRulesError(err) ? err.file : dir;
        this.#options.log.error(
          { err, file },
          'rate limit config rejected; keeping the last good one',
        );
      }
    }
  }

  /** Stops polling. */
  close(): void {
    clearInterval(this.#timer);
  }

  async #signatureOf(dir: string): Promise<string> {
    const names = await listRulesFiles(dir).catch(() => []);
    const parts: string[] = [];
    for (const name of names) {
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (info)
        parts.push(`${name}:${String(info.size)}:${String(info.mtimeMs)}:${String(info.ino)}`);
    }
    return parts.join('|');
  }
}
