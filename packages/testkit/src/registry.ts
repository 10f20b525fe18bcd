import { onProcessExit } from './exit-hooks.js';
import { removeAllTempDirs } from './temp-dir.js';

/** Anything the harness started and must clean up: a child process or an in-process server. */
export interface ManagedResource {
  /** Human-readable name used in log dumps and error messages. */
  readonly name: string;
  /** Everything the resource has logged so far (bounded tail). */
  logs(): string;
  /** Stops the resource and releases what it holds; idempotent. */
  stop(): Promise<void>;
  /** Last-resort synchronous kill used while this process is exiting. */
  killSync(): void;
}

// Module-level by necessity: exit hooks and stopAll() must reach every resource any test started.
const live: ManagedResource[] = [];
const watchers = new Set<(resource: ManagedResource) => void>();
let isExitHookInstalled = false;

/** Adds `resource` to the registry so {@link stopAll} and the exit hooks can reach it. */
export function register(resource: ManagedResource): void {
  if (!isExitHookInstalled) {
    isExitHookInstalled = true;
    onProcessExit(killAllSync, 'kill');
  }
  live.push(resource);
  for (const watcher of watchers) {
    watcher(resource);
  }
}

/** Removes `resource` from the registry once it has been stopped. */
export function unregister(resource: ManagedResource): void {
  const index = live.indexOf(resource);
  if (index !== -1) {
    live.splice(index, 1);
  }
}

/** Every resource started and not yet stopped, oldest first. */
export function liveResources(): readonly ManagedResource[] {
  return [...live];
}

/** Calls `watcher` for each resource registered from now on; returns the function that stops it. */
export function watchRegistrations(watcher: (resource: ManagedResource) => void): () => void {
  watchers.add(watcher);
  return () => {
    watchers.delete(watcher);
  };
}

/**
 * Stops every live resource (child processes get SIGTERM, then SIGKILL after their grace period;
 * servers are closed) and removes every directory made by `tempDir()`.
 *
 * @throws AggregateError when some resources failed to stop; all others are still stopped.
 */
export async function stopAll(): Promise<void> {
  const results = await Promise.allSettled(
    [...live].reverse().map(async (resource) => {
      await resource.stop();
    }),
  );
  await removeAllTempDirs();
  const errors: unknown[] = [];
  for (const result of results) {
    if (result.status === 'rejected') {
      errors.push(result.reason);
    }
  }
  if (errors.length > 0) {
    throw new AggregateError(
      errors,
      `stopAll: ${String(errors.length)} resource(s) failed to stop`,
    );
  }
}

function killAllSync(): void {
  for (const resource of live) {
    try {
      resource.killSync();
    } catch {
      // Keep killing the rest; nothing useful can be reported while exiting.
    }
  }
}
