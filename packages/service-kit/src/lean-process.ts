import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { IdleReclaim, processReclaimDeps } from './idle-reclaim.js';
import type { MainArgs, ServiceMain } from './run-service.js';

/**
 * The memory habits of a long-running data-plane process (the extproc, the rate limiter),
 * imported as `@aigw/service-kit/lean-process` by its `bin.ts` before anything else (this module
 * loads only `node:v8`, `node:vm` and `node:perf_hooks`), so that the flags below hold while the
 * rest of the modules load (docs/performance.md, Memory):
 *
 * - **Lean start:** while modules load and the config compiles, V8 would double the young
 *   generation at each scavenge (growth factor 2) and keep those pages for good, ~9 MiB of idle
 *   RSS. A factor of 1 holds it at its initial size until {@link LeanProcess.serving}, which
 *   restores the default: the working set under load is Node's usual. A GC tuning flag only.
 * - **Idle reclaim** ({@link IdleReclaim}): from {@link LeanProcess.serving} on, one full
 *   collection when the process idled 5 s with its RSS 32 MiB above its idle size.
 */
export interface LeanProcess {
  /** The server listens: restore the growth factor, start the idle reclaim. Idempotent. */
  serving(): void;
}

/** Sets the lean-start flag now; see {@link LeanProcess}. */
export function leanProcess(): LeanProcess {
  setFlagsFromString('--semi-space-growth-factor=1');
  // A full-collection function without putting `gc` on the global object: with --expose-gc set, a
  // new context gets one; the flag is cleared again. The 'last-resort' flavour also releases the
  // heap pages V8 keeps pooled after a collection (a plain major collection left ~30 MiB of them
  // resident after the large bodies).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: {
    type: 'major';
    execution: 'sync';
    flavor: 'last-resort';
  }) => void;
  setFlagsFromString('--no-expose-gc');
  let isServing = false;
  return {
    serving: () => {
      if (isServing) return;
      isServing = true;
      setFlagsFromString('--semi-space-growth-factor=2');
      const reclaim = new IdleReclaim(
        processReclaimDeps(() => {
          gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
        }),
        { growthBytes: 32 * 1024 * 1024, idleUtilization: 0.02 },
      );
      reclaim.start();
      setInterval(() => reclaim.check(), 5_000).unref();
    },
  };
}

/**
 * A data-plane app's whole `bin.ts`: {@link leanProcess} first, then `loadMain` (the app's
 * modules load under the lean-start flag) run by `runService` with `argv` and `env` (the
 * process's, from `bin.ts`), and the idle reclaim once it serves.
 */
export async function runLeanService(
  options: MainArgs & {
    readonly name: string;
    readonly loadMain: () => Promise<ServiceMain>;
  },
): Promise<void> {
  const lean = leanProcess();
  const { runService } = await import('./run-service.js');
  const main = await options.loadMain();
  await runService({
    name: options.name,
    main: async (args) => {
      try {
        return await main(args);
      } finally {
        lean.serving();
      }
    },
    argv: options.argv,
    env: options.env,
  });
}
