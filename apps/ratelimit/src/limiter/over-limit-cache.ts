/**
 * Cache keys known to be over their limit until their window ends. A key's counter only grows
 * within its window, so "over" stays true and the store need not be asked again (envoyproxy/
 * ratelimit's local cache, stat `over_limit_with_local_cache`). Bounded: when full, the oldest
 * entry goes first. Size 0 disables it.
 */
export class OverLimitCache {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** Entries currently held. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when `key` was recorded over limit and its window has not ended at `nowMs`. */
  has(key: string, nowMs: number): boolean {
    if (this.#maxEntries === 0) return false;
    const expiresAt = this.#entries.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > nowMs) return true;
    this.#entries.delete(key);
    return false;
  }

  /** Forgets one key (a refund may have brought it back under its limit). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets every key (a new rule set may have raised the limits). */
  clear(): void {
    this.#entries.clear();
  }

  /** Records `key` as over limit until `expiresAtMs`. */
  add(key: string, expiresAtMs: number): void {
    if (this.#maxEntries === 0) return;
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, expiresAtMs);
  }
}
