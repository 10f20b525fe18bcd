#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// Lean idle heap: while the modules load and the config compiles, V8 would double the young
// generation at each scavenge (the default growth factor 2) and keep those pages for good, ~9 MiB
// of idle RSS. A factor of 1 holds it at its initial size during start; once the server listens,
// the default applies again, so the working set under load is Node's usual (docs/performance.md,
// Memory). A GC tuning flag only: no effect on behaviour.
setFlagsFromString('--semi-space-growth-factor=1');
const restoreGrowth = (): void => {
  setFlagsFromString('--semi-space-growth-factor=2');
};

const { runService } = await import('@aigw/service-kit');
const { main } = await import('./main.js');

await runService({
  name: 'aigw-extproc',
  main: async (args) => {
    try {
      return await main(args);
    } finally {
      restoreGrowth();
    }
  },
  argv: process.argv.slice(2),
  env: process.env,
});
