#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Lean idle heap: while the modules load and the config compiles, V8 would double the young
// generation at each scavenge (the default growth factor 2) and keep those pages for good, ~9 MiB
// of idle RSS. A factor of 1 holds it at its initial size during start; once the server listens,
// the default applies again, so the working set under load is Node's usual (docs/performance.md,
// Memory). A GC tuning flag only: no effect on behaviour.
setFlagsFromString('--semi-space-growth-factor=1');
const restoreGrowth = (): void => {
  setFlagsFromString('--semi-space-growth-factor=2');
};

// A full-collection function for the idle reclaim (idle-reclaim.ts), without putting `gc` on the
// global object: with --expose-gc set, a new context gets one; the flag is then cleared again.
// The 'last-resort' flavour also releases the heap pages V8 keeps pooled after a collection (a
// plain major collection left ~30 MiB of them resident after the large bodies).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options: {
  type: 'major';
  execution: 'sync';
  flavor: 'last-resort';
}) => void;
setFlagsFromString('--no-expose-gc');
const fullGc = (): void => {
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
};

const { runService } = await import('@aigw/service-kit');
const { main } = await import('./main.js');
const { IdleReclaim, processReclaimDeps } = await import('./idle-reclaim.js');

/** Once serving: a full collection when idle 5 s with the RSS 32 MiB above its idle size. */
const startIdleReclaim = (): void => {
  const reclaim = new IdleReclaim(processReclaimDeps(fullGc), {
    growthBytes: 32 * 1024 * 1024,
    idleUtilization: 0.02,
  });
  reclaim.start();
  setInterval(() => reclaim.check(), 5_000).unref();
};

await runService({
  name: 'aigw-extproc',
  main: async (args) => {
    try {
      const service = await main(args);
      startIdleReclaim();
      return service;
    } finally {
      restoreGrowth();
    }
  },
  argv: process.argv.slice(2),
  env: process.env,
});
