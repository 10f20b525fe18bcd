/**
 * Lets a caller wait for a string to appear in a child's output, e.g. the uuid the extproc logs
 * when it has loaded a filter config. Only output seen after {@link OutputWatch.waitFor} is called
 * counts, so register before causing the output.
 */
export class OutputWatch {
  readonly #waiters = new Set<{ needle: string; found: () => void }>();

  /** Feeds output (whole lines) to the waiters. */
  see(text: string): void {
    for (const waiter of this.#waiters) {
      if (text.includes(waiter.needle)) waiter.found();
    }
  }

  /** True once `needle` is seen, false after `timeoutMs`. */
  waitFor(needle: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter = {
        needle,
        found: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}
