import { isMainThread } from 'node:worker_threads';

/** When a synchronous exit hook runs: `kill` hooks run before `cleanup` hooks. */
export type ExitPhase = 'kill' | 'cleanup';

const hooks: Record<ExitPhase, (() => void)[]> = { kill: [], cleanup: [] };
let isInstalled = false;
const forwardedSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Registers a synchronous function to run when this process exits or receives SIGINT, SIGTERM or
 * SIGHUP. Listeners are installed on first use, never at import time. Only synchronous work is
 * possible at that point (Node runs no more event-loop turns), hence SIGKILL and `rmSync`.
 */
export function onProcessExit(fn: () => void, phase: ExitPhase): void {
  hooks[phase].push(fn);
  install();
}

function runHooks(): void {
  for (const fn of [...hooks.kill.splice(0), ...hooks.cleanup.splice(0)]) {
    try {
      fn();
    } catch {
      // Best effort: one failing hook must not keep the others from running during exit.
    }
  }
}

function install(): void {
  if (isInstalled) {
    return;
  }
  isInstalled = true;
  process.once('exit', runHooks);
  // Worker threads do not receive signals; their 'exit' event still fires when the thread ends.
  if (!isMainThread) {
    return;
  }
  for (const signal of forwardedSignals) {
    process.once(signal, () => {
      runHooks();
      // Our listener replaced Node's default action (terminate). If nobody else handles the
      // signal, re-raise it so the process still dies with the expected status.
      if (process.listenerCount(signal) === 0) {
        process.kill(process.pid, signal);
      }
    });
  }
}
